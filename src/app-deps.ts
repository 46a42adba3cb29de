import type { FastifyInstance } from 'fastify';
import type { Dialect } from './db/connect.ts';
import type { DB } from './db/database.ts';
import type { Clock } from './lib/clock.ts';
import type { PasswordHasher } from './lib/password-hasher.ts';
import type { Mailer } from './mail/mailer.ts';
import type { Limits } from './plugins/rate-limit.ts';

/**
 * Everything a feature's service may be given, taken from the app in one place. Each service's deps type is a
 * `Pick` of this (plus its own extras, such as the ticket settings), so a route passes `serviceDeps(app)`.
 */
export interface ServiceDeps {
  db: DB;
  dialect: Dialect;
  clock: Clock;
  /** `clock.now()` when the deps were built: build them per request where a service reads it. */
  now: number;
  hasher: PasswordHasher;
  mail: Mailer;
  limits: Limits;
  /** SECRET_KEY: sessions are named in pages by an HMAC of their id; two-factor keys derive from it. */
  secretKey: string;
  /** PASSWORD_MIN_LENGTH. */
  minLength: number;
  /** SESSION_IDLE_MINUTES in milliseconds. */
  sessionIdleMs: number;
  /** LOGIN_LOCK_MINUTES: how long a locked IP waits (for the audit record). */
  ipLockMinutes: number;
  /** REQUIRE_2FA: a right password without a second factor leads to setting one up. */
  requireTwoFactor: boolean;
  /** TOTP_ISSUER (by default PORTAL_NAME): the name authenticator apps show. */
  issuer: string;
}

/** The service deps of this app, with `now` read from its clock at the call. */
export function serviceDeps(app: FastifyInstance): ServiceDeps {
  const { config } = app;
  return {
    db: app.db,
    dialect: app.conn.dialect,
    clock: app.clock,
    now: app.clock.now(),
    hasher: app.hasher,
    mail: app.mail,
    limits: app.limits,
    secretKey: config.secretKey,
    minLength: config.env.PASSWORD_MIN_LENGTH,
    sessionIdleMs: config.session.idleMs,
    ipLockMinutes: config.env.LOGIN_LOCK_MINUTES,
    requireTwoFactor: config.env.REQUIRE_2FA,
    issuer: config.totpIssuer,
  };
}
