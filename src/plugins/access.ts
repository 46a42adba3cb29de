import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Role } from '../db/database.ts';
import { notFound, unauthenticated } from '../lib/errors.ts';

/**
 * Who may call a route. Every route must declare one in `config.access`; the app refuses to start otherwise,
 * so a new route cannot ship unguarded.
 * - public: anyone, signed in or not
 * - signed-in: any fully signed-in user
 * - staff: agents and administrators
 * - administrator: administrators only
 */
export type Access = 'public' | 'signed-in' | 'staff' | 'administrator';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
}

const ALLOWED: Record<Exclude<Access, 'public'>, readonly Role[]> = {
  'signed-in': ['client', 'agent', 'administrator'],
  staff: ['agent', 'administrator'],
  administrator: ['administrator'],
};

export function routeAccess(request: FastifyRequest): Access | undefined {
  return request.routeOptions.config.access;
}

async function guard(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const access = routeAccess(request);
  // Fastify's own 404 route has no declared access; it renders nothing but the not-found page.
  if (access === undefined || access === 'public') {
    return;
  }
  const user = request.session?.stage === 'full' ? request.user : null;
  if (!user) {
    if (request.method === 'GET' && !request.url.startsWith('/api/')) {
      const next = encodeURIComponent(request.url);
      return reply.redirect(request.url === '/' ? '/login' : `/login?next=${next}`, 303);
    }
    throw unauthenticated();
  }
  // Staff and admin areas do not admit they exist to those who may not use them.
  if (!ALLOWED[access].includes(user.role)) {
    throw notFound();
  }
}

export default fp(
  (app: FastifyInstance) => {
    app.addHook('onRoute', (route) => {
      if (route.config?.access === undefined && !route.url.startsWith('*')) {
        throw new Error(`Route ${String(route.method)} ${route.url} declares no config.access policy`);
      }
    });
    app.addHook('onRequest', guard);
  },
  { name: 'access', dependencies: ['sessions'] },
);
