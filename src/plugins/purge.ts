import type { FastifyInstance } from 'fastify';
import { purgeExpiredSessions } from './sessions.ts';

const DAY = 24 * 3_600_000;

/** Housekeeping run periodically by every process; each statement is idempotent, so overlap is harmless. */
export async function purgeExpired(app: FastifyInstance): Promise<void> {
  const now = app.clock.now();
  await purgeExpiredSessions(app);
  await app.db.deleteFrom('user_tokens').where('expires_at', '<', now - DAY).execute();
  await app.db.deleteFrom('rate_limits').where('expire', '<', Date.now() - 3_600_000).execute();
  await app.db.deleteFrom('failed_logins').where('created_at', '<', now - 30 * DAY).execute();
  await app.db.deleteFrom('login_throttles').where('last_failure_at', '<', now - DAY).execute();
  await app.db.deleteFrom('audit_events').where('created_at', '<', now - app.config.env.AUDIT_RETENTION_DAYS * DAY).execute();
  await app.db.deleteFrom('mail_outbox').where('status', '=', 'sent').where('sent_at', '<', now - 30 * DAY).execute();
  await app.db.deleteFrom('mail_outbox').where('status', '=', 'discarded').where('next_attempt_at', '<', now - 30 * DAY).execute();
}
