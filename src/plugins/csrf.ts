import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { csrfError } from '../lib/errors.ts';
import { hmac, randomToken, safeEqual } from '../lib/crypto.ts';
import type { Config } from '../config.ts';
import { cookieSettings } from '../lib/cookies.ts';

declare module 'fastify' {
  interface FastifyReply {
    /** The CSRF token for forms on this page, bound to the session (or, before login, to a random cookie). */
    csrfToken(): string;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const ANON_PATTERN = /^[A-Za-z0-9_-]{43}$/;

function binding(config: Config, request: FastifyRequest): string | null {
  if (request.session) {
    return `s:${request.session.id}`;
  }
  const anon = request.cookies[cookieSettings(config).names.csrf];
  return anon && ANON_PATTERN.test(anon) ? `a:${anon}` : null;
}

function sameOrigin(config: Config, request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    return false;
  }
  const origin = request.headers.origin;
  if (origin === undefined) {
    return true;
  }
  // Pages that carry a token in their URL send Referrer-Policy: no-referrer, and browsers then submit their
  // forms with "Origin: null". Sec-Fetch-Site still vouches that the request came from this site.
  if (origin === 'null') {
    return site === 'same-origin';
  }
  const ownOrigin = `${request.protocol}://${request.host}`;
  return origin === config.appUrl.origin || origin === ownOrigin;
}

/**
 * Whether `sent` is this request's CSRF token and the request comes from this site. Also used by the uploads
 * plugin, which checks the token (from the header or the form's first part) before it reads any file.
 */
export function isCsrfValid(config: Config, request: FastifyRequest, sent: unknown): boolean {
  const bound = binding(config, request);
  return (
    sameOrigin(config, request) &&
    typeof sent === 'string' &&
    bound !== null &&
    safeEqual(sent, hmac(config.secretKey, 'csrf', bound))
  );
}

/**
 * Synchroniser tokens: HMAC(SECRET_KEY, session id) once signed in, HMAC(SECRET_KEY, random cookie) before,
 * so login and registration are protected without writing a session row on GET. Checked in preValidation,
 * after the body is parsed and before the schema or handler sees it; plus a Sec-Fetch-Site/Origin check.
 * Routes with the 'webhook' access level are exempt: they authenticate every request by its signature.
 */
export default fp(
  (app: FastifyInstance) => {
    const { config } = app;
    const { names, options } = cookieSettings(config);

    app.decorateReply('csrfToken', function (this: FastifyReply) {
      let bound = binding(config, this.request);
      if (bound === null) {
        const anon = randomToken(32);
        // Visible to this request's later calls too, so every form on the page gets the same token.
        this.request.cookies[names.csrf] = anon;
        this.setCookie(names.csrf, anon, options);
        bound = `a:${anon}`;
      }
      return hmac(config.secretKey, 'csrf', bound);
    });

    app.addHook('preValidation', async (request) => {
      // Webhooks are called by a server, not a browser: no cookie binds them to a session, and each request is
      // authenticated by its signature instead (access level 'webhook', see access.ts).
      if (SAFE_METHODS.has(request.method) || request.routeOptions.config.access === 'webhook') {
        return;
      }
      const body = request.body as Record<string, unknown> | null | undefined;
      const sent =
        (typeof body === 'object' && body !== null ? body._csrf : undefined) ?? request.headers['x-csrf-token'];
      if (!isCsrfValid(config, request, sent)) {
        request.log.warn({ event: 'csrf.rejected' }, 'CSRF check failed');
        throw csrfError();
      }
    });
  },
  { name: 'csrf', dependencies: ['sessions'] },
);
