import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

/**
 * Security headers on every response, and in production: HTTP → HTTPS redirect and HSTS.
 * Whether a request came over HTTPS is Fastify's `request.protocol`, which believes X-Forwarded-Proto
 * only from a peer that TRUST_PROXY names.
 */
export default fp(
  (app: FastifyInstance) => {
    const { config } = app;

    if (config.isProduction) {
      app.addHook('onRequest', async (request, reply) => {
        if (request.protocol === 'https' || request.url === '/healthz' || request.url === '/readyz') {
          return;
        }
        // The host comes from APP_URL when it is https, so a forged Host header cannot pick the redirect target.
        const host =
          config.appUrl.protocol === 'https:' ? config.appUrl.host : request.host.replace(/[^A-Za-z0-9.:[\]-]/g, '');
        return reply.redirect(`https://${host}${request.url}`, 308);
      });
    }

    app.addHook('onSend', async (request, reply, payload) => {
      if (!reply.hasHeader('content-security-policy')) {
        // Attachment downloads set a stricter, sandboxing policy of their own.
        reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
      }
      reply.header('x-content-type-options', 'nosniff');
      reply.header('x-frame-options', 'DENY');
      if (!reply.hasHeader('referrer-policy')) {
        // Pages whose URL holds a token set no-referrer themselves.
        reply.header('referrer-policy', 'same-origin');
      }
      reply.header('cross-origin-opener-policy', 'same-origin');
      reply.header('cross-origin-resource-policy', 'same-origin');
      reply.header(
        'permissions-policy',
        'camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()',
      );
      if (config.isProduction) {
        reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
      }
      if (!reply.hasHeader('cache-control')) {
        reply.header('cache-control', 'no-store');
      }
      return payload;
    });
  },
  { name: 'security-headers', dependencies: ['core'] },
);
