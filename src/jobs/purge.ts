import type { FastifyInstance } from 'fastify';
import { purgeExpiredSessions } from '../plugins/sessions.ts';

const DAY = 24 * 3_600_000;
const PURGE_INTERVAL_MS = 10 * 60_000;

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

/** Runs `purgeExpired` every ten minutes while the app is up (from onReady until close). */
export function schedulePurge(app: FastifyInstance): void {
  let timer: NodeJS.Timeout | undefined;
  app.addHook('onReady', async () => {
    timer = setInterval(() => {
      purgeExpired(app).catch((err: unknown) => app.log.error({ err }, 'purge failed'));
    }, PURGE_INTERVAL_MS).unref();
  });
  app.addHook('onClose', async () => {
    clearInterval(timer);
  });
}
