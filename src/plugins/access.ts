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
 * - unverified: a session whose password was right but whose email is not verified yet
 * - session: any session, whatever its stage (sign out)
 */
export type Access = 'public' | 'signed-in' | 'staff' | 'administrator' | 'unverified' | 'session';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
}

const ALLOWED: Record<Exclude<Access, 'public' | 'unverified' | 'session'>, readonly Role[]> = {
  'signed-in': ['client', 'agent', 'administrator'],
  staff: ['agent', 'administrator'],
  administrator: ['administrator'],
};

export function routeAccess(request: FastifyRequest): Access | undefined {
  return request.routeOptions.config.access;
}

function denyAnonymous(request: FastifyRequest, reply: FastifyReply) {
  if (request.method === 'GET') {
    return reply.redirect(request.url === '/' ? '/login' : `/login?next=${encodeURIComponent(request.url)}`, 303);
  }
  throw unauthenticated();
}

async function guard(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const access = routeAccess(request);
  // Fastify's own 404 route has no declared access; it renders nothing but the not-found page.
  if (access === undefined || access === 'public') {
    return;
  }
  if (access === 'unverified' || access === 'session') {
    if (!request.session || (access === 'unverified' && request.session.stage !== 'unverified')) {
      return denyAnonymous(request, reply);
    }
    return;
  }
  const user = request.session?.stage === 'full' ? request.user : null;
  if (!user) {
    return denyAnonymous(request, reply);
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
