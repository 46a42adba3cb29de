import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import cookie from '@fastify/cookie';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyServerOptions } from 'fastify';
import type { Config } from './config.ts';
import { devLogStream } from './lib/dev-log.ts';
import type { Connection } from './db/connect.ts';
import type { App } from './http/app-types.ts';
import accountRoutes from './features/accounts/account.routes.ts';
import invitationRoutes from './features/accounts/invitation.routes.ts';
import passwordResetRoutes from './features/accounts/password-reset.routes.ts';
import registrationRoutes from './features/accounts/registration.routes.ts';
import verificationRoutes from './features/accounts/verification.routes.ts';
import loginRoutes from './features/auth/login.routes.ts';
import homeRoutes from './features/home/home.routes.ts';
import unlockRoutes from './features/auth/unlock.routes.ts';
import adminSecurityRoutes from './features/admin/security.routes.ts';
import adminUserRoutes from './features/admin/users.routes.ts';
import mailAdminRoutes from './features/inbound/mail-admin.routes.ts';
import ticketRoutes from './features/tickets/ticket.routes.ts';
import twoFactorRoutes from './features/two-factor/two-factor.routes.ts';
import { issueDeviceCookie } from './features/auth/device-cookie.ts';
import { createArgon2Hasher, type PasswordHasher } from './lib/password-hasher.ts';
import healthRoutes from './features/health/health.routes.ts';
import mailgunRoutes from './features/inbound/mailgun.routes.ts';
import inbound from './features/inbound/inbound.plugin.ts';
import { recordWebhookDelivery } from './features/inbound/inbound-source.repository.ts';
import { systemClock, type Clock } from './lib/clock.ts';
import type { MailTransport } from './mail/transports.ts';
import access from './plugins/access.ts';
import assets from './plugins/assets.ts';
import core from './plugins/core.ts';
import csrf from './plugins/csrf.ts';
import errors from './plugins/errors.ts';
import formBody from './plugins/form-body.ts';
import mail from './plugins/mail.ts';
import rateLimit from './plugins/rate-limit.ts';
import securityHeaders from './plugins/security-headers.ts';
import uploads from './plugins/uploads.ts';
import sessions from './plugins/sessions.ts';
import views from './plugins/views.ts';
import { schedulePurge } from './jobs/purge.ts';

export interface AppOptions {
  conn: Connection;
  clock?: Clock;
  hasher?: PasswordHasher;
  logger?: FastifyServerOptions['logger'];
  /** Mail delivery; defaults to the transport chosen by configuration. */
  mailTransport?: MailTransport;
  /** Run the outbox worker in the background (the server does; tests call `app.mail.worker.runOnce()`). */
  startMailWorker?: boolean;
}

/** TLS 1.3 suites and TLS 1.2 with forward secrecy and AEAD only: no CBC (LUCKY13) and no RSA key exchange. */
const TLS_CIPHERS = [
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'TLS_AES_128_GCM_SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
].join(':');

/** JSON lines in production (and tests); in development, short readable lines for a person at the console. */
export function loggerOptions(config: Config): FastifyServerOptions['logger'] {
  return {
    ...(config.env.NODE_ENV === 'development' ? { stream: devLogStream() } : {}),
    level: config.env.LOG_LEVEL,
    redact: {
      paths: [
        'req.headers.cookie',
        'req.headers.authorization',
        'req.headers["x-csrf-token"]',
        'res.headers["set-cookie"]',
      ],
      remove: true,
    },
    serializers: {
      // Query strings can carry tokens (verification and reset links): never log them.
      req: (req: { method: string; url: string; ip?: string; id?: string }) => ({
        method: req.method,
        url: req.url.replace(/\?.*$/, '?…'),
        ip: req.ip,
      }),
    },
  };
}

/** The one app factory, shared by the server, the tests and the benchmark. The caller owns `conn` until close. */
export async function buildApp(config: Config, opts: AppOptions): Promise<App> {
  const https =
    config.env.TLS_CERT_FILE && config.env.TLS_KEY_FILE
      ? {
          cert: readFileSync(config.env.TLS_CERT_FILE),
          key: readFileSync(config.env.TLS_KEY_FILE),
          minVersion: 'TLSv1.2' as const,
          ciphers: TLS_CIPHERS,
          honorCipherOrder: true,
        }
      : null;
  // Typed as an http server also when TLS is on: server.ts uses only what https.Server has as well.
  // The type provider only types handlers from their schemas; validation stays Fastify's default ajv.
  const app = Fastify({
    ...(https ? { https } : {}),
    logger: opts.logger ?? loggerOptions(config),
    // A hop count is supported at runtime (proxy-addr) though Fastify's types omit it.
    trustProxy: config.trustProxy as boolean | string[],
    bodyLimit: config.env.BODY_LIMIT_BYTES,
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    routerOptions: { maxParamLength: 200, ignoreTrailingSlash: true },
    return503OnClosing: true,
    connectionTimeout: 30_000,
    requestTimeout: 30_000,
  }).withTypeProvider<TypeBoxTypeProvider>();

  // External plugins first, then the app's own, then the features (the fastify/demo order).
  await app.register(cookie, { secret: config.secretKey, hook: 'onRequest' });
  await app.register(formBody, { bodyLimit: config.env.BODY_LIMIT_BYTES });

  await app.register(core, {
    config,
    conn: opts.conn,
    clock: opts.clock ?? systemClock,
    hasher: opts.hasher ?? createArgon2Hasher({ pepper: config.pepper, ...config.argon2 }),
  });
  await app.register(uploads);
  await app.register(securityHeaders);
  await app.register(rateLimit);
  await app.register(mail, { transport: opts.mailTransport, startWorker: opts.startMailWorker ?? false });
  await app.register(sessions, {
    onFullSession: (reply, user, now) => {
      issueDeviceCookie(reply, config, user, now);
      // Mail held until this user finished signing up is released by the inbox worker's next pass: run it now.
      app.inbound.worker.kick();
    },
  });
  await app.register(access);
  await app.register(csrf);
  await app.register(assets);
  await app.register(views);
  await app.register(errors);

  await app.register(healthRoutes);
  await app.register(homeRoutes);
  await app.register(loginRoutes);
  await app.register(registrationRoutes);
  await app.register(verificationRoutes);
  await app.register(passwordResetRoutes);
  await app.register(unlockRoutes);
  await app.register(accountRoutes);
  await app.register(twoFactorRoutes);
  await app.register(ticketRoutes);
  await app.register(adminUserRoutes);
  await app.register(invitationRoutes);
  await app.register(adminSecurityRoutes);
  await app.register(inbound, { start: opts.startMailWorker ?? false });
  await app.register(mailgunRoutes, {
    onStored: () => {
      app.inbound.worker.kick();
      recordWebhookDelivery(app.db, 'mailgun', app.clock.now()).catch((err: unknown) =>
        app.log.warn({ err }, 'could not record the Mailgun delivery on the Mail page'),
      );
    },
  });
  await app.register(mailAdminRoutes);

  schedulePurge(app);
  return app;
}
