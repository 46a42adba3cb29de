import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Role, SessionStage } from '../db/database.ts';
import { notFound, unauthenticated } from '../lib/errors.ts';

/**
 * Who may call a route. Every route must declare one in `config.access`; the app refuses to start otherwise,
 * so a new route cannot ship unguarded.
 * - public: anyone, signed in or not
 * - signed-in: any fully signed-in user (password, verified email, and second factor)
 * - staff: agents and administrators
 * - administrator: administrators only
 * - unverified / mfa / mfa-enrol: a half-signed-in session at that step, and nothing else
 * - session: any session, whatever its stage (sign out)
 * - webhook: a machine, not a person (Mailgun's POSTs): no session and no CSRF form token; the route itself
 *   authenticates every request by its signature before it reads or changes anything, and refuses with 401/406
 */
export type Access =
  'public' | 'signed-in' | 'staff' | 'administrator' | 'unverified' | 'mfa' | 'mfa-enrol' | 'session' | 'webhook';

export interface RouteEntry {
  method: string;
  url: string;
  access: Access;
  fresh: boolean;
  /** Where a signed-out POST is sent back to after sign-in (see `config.afterSignIn`). */
  afterSignIn?: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every registered route with its declared policy, for the security suite and reviewers. */
    routeTable: RouteEntry[];
  }
  interface FastifyContextConfig {
    access?: Access;
    /** The route changes security settings: the last full sign-in must be recent (re-authentication). */
    fresh?: boolean;
    /**
     * A form whose text the browser keeps as a draft (the ticket forms): sent without a signed-in session (it ended
     * in another tab or timed out), it is answered 303 to sign in, then to this page (`:param`s filled from the
     * URL), where the draft is restored; not with 401. The handler does not run, so nothing changes.
     */
    afterSignIn?: string;
  }
}

/** Sessions between the password and full sign-in, and the one page each may see. */
export const PENDING_STAGES: Record<Exclude<SessionStage, 'full'>, string> = {
  unverified: '/verify-email/pending',
  mfa: '/login/two-factor',
  mfa_enrol: '/two-factor/setup',
};

const STAGE_OF: Partial<Record<Access, Exclude<SessionStage, 'full'>>> = {
  unverified: 'unverified',
  mfa: 'mfa',
  'mfa-enrol': 'mfa_enrol',
};

const ALLOWED: Partial<Record<Access, readonly Role[]>> = {
  'signed-in': ['client', 'agent', 'administrator'],
  staff: ['agent', 'administrator'],
  administrator: ['administrator'],
};

export const REAUTH_AFTER_MS = 15 * 60_000;

const STAGE_PAGES: ReadonlySet<string> = new Set(Object.values(PENDING_STAGES));

/**
 * Whether a path (query and fragment ignored, any case, with or without a trailing slash) is one of the pages of a
 * half-signed-in session. Such a page is never a place to return to: `safeNextPath` turns it into `/`, so a stale
 * `next` cannot send a signed-in user back to a step that no longer applies (a redirect loop).
 */
export function isStagePage(path: string): boolean {
  let bare = path.split(/[?#]/u, 1)[0] ?? '';
  try {
    bare = decodeURIComponent(bare).toLowerCase();
  } catch {
    return false;
  }
  return STAGE_PAGES.has(bare.length > 1 ? bare.replace(/\/+$/u, '') : bare);
}

/**
 * The one page of the request's half-signed-in session, or null. `next` (a path where the user was going; the
 * page reads it through `safeNextPath`) is carried along by the code step and the first setup; checking the
 * email ends the session, so that page does not carry it.
 */
export function pendingStagePage(request: FastifyRequest, next?: string): string | null {
  const stage = request.session?.stage;
  if (!stage || stage === 'full') {
    return null;
  }
  const page = PENDING_STAGES[stage];
  return next && next !== '/' && stage !== 'unverified' && !isStagePage(next)
    ? `${page}?next=${encodeURIComponent(next)}`
    : page;
}

/** The `next` query parameter of a request's URL, as sent (the page that reads it makes it safe). */
function nextParamOf(request: FastifyRequest): string | undefined {
  const query = request.url.indexOf('?');
  return query < 0 ? undefined : (new URLSearchParams(request.url.slice(query + 1)).get('next') ?? undefined);
}

export function routeAccess(request: FastifyRequest): Access | undefined {
  return request.routeOptions.config.access;
}

/** The route's `afterSignIn` page with its `:param`s filled from this request's URL (null without one). */
function pageAfterSignIn(request: FastifyRequest): string | null {
  const template = request.routeOptions.config.afterSignIn;
  if (template === undefined) {
    return null;
  }
  const params = request.params as Record<string, string | undefined>;
  return template.replace(/:([A-Za-z]+)/g, (_, name: string) => encodeURIComponent(params[name] ?? ''));
}

function wantsHtml(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  return !(accept.includes('application/json') && !accept.includes('text/html'));
}

function denyAnonymous(request: FastifyRequest, reply: FastifyReply) {
  const back = request.method === 'GET' ? null : pageAfterSignIn(request);
  if (back !== null && wantsHtml(request)) {
    return reply.redirect(`/login?next=${encodeURIComponent(back)}`, 303);
  }
  if (request.method === 'GET') {
    const pending = pendingStagePage(request, request.url);
    if (pending) {
      return reply.redirect(pending, 303);
    }
    return reply.redirect(request.url === '/' ? '/login' : `/login?next=${encodeURIComponent(request.url)}`, 303);
  }
  throw unauthenticated();
}

/**
 * A step's page opened when it no longer applies (an old tab or a bookmark: the email is verified, the code was
 * entered, two-factor is set up): the user goes to their own current step, or else through `/login` (which sends a
 * signed-in user on) to where the page was going to send them, never back to the page itself.
 */
function leaveStagePage(request: FastifyRequest, reply: FastifyReply) {
  if (request.method !== 'GET') {
    throw unauthenticated();
  }
  const next = nextParamOf(request);
  const pending = pendingStagePage(request, next);
  if (pending) {
    return reply.redirect(pending, 303);
  }
  return reply.redirect(
    next && next !== '/' && !isStagePage(next) ? `/login?next=${encodeURIComponent(next)}` : '/login',
    303,
  );
}

export default fp(
  (app: FastifyInstance) => {
    const table: RouteEntry[] = [];
    app.decorate('routeTable', table);
    app.addHook('onRoute', (route) => {
      const access = route.config?.access;
      if (access === undefined) {
        throw new Error(`Route ${String(route.method)} ${route.url} declares no config.access policy`);
      }
      for (const method of [route.method].flat()) {
        const afterSignIn = route.config?.afterSignIn;
        table.push({
          method: String(method),
          url: route.url,
          access,
          fresh: Boolean(route.config?.fresh),
          ...(afterSignIn === undefined ? {} : { afterSignIn }),
        });
      }
    });

    app.addHook('onRequest', async (request, reply) => {
      const access = routeAccess(request);
      // Fastify's own 404 route has no declared access; it renders nothing but the not-found page.
      // A webhook checks its own signature (e.g. mailgun.routes.ts); a browser's session means nothing to it.
      if (access === undefined || access === 'public' || access === 'webhook') {
        return;
      }
      if (access === 'session') {
        return request.session ? undefined : denyAnonymous(request, reply);
      }
      const stage = STAGE_OF[access];
      if (stage) {
        return request.session?.stage === stage ? undefined : leaveStagePage(request, reply);
      }
      const user = request.session?.stage === 'full' ? request.user : null;
      if (!user) {
        return denyAnonymous(request, reply);
      }
      // Staff and admin areas do not admit they exist to those who may not use them.
      if (!ALLOWED[access]?.includes(user.role)) {
        throw notFound();
      }
      if (
        request.routeOptions.config.fresh &&
        request.session &&
        app.clock.now() - request.session.authenticated_at > REAUTH_AFTER_MS
      ) {
        const back =
          request.method === 'GET'
            ? request.url
            : request.headers.referer
              ? new URL(request.headers.referer, 'http://x').pathname
              : '/account';
        return reply.redirect(`/reauth?next=${encodeURIComponent(back)}`, 303);
      }
    });
  },
  { name: 'access', dependencies: ['sessions'] },
);
