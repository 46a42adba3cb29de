import type { FastifyInstance } from 'fastify';
import { deleteExpiredRows } from '../db/purge.repository.ts';
import { purgeExpiredSessions } from '../db/session.repository.ts';

const PURGE_INTERVAL_MS = 10 * 60_000;

/** Housekeeping run periodically by every process; each statement is idempotent, so overlap is harmless. */
export async function purgeExpired(app: FastifyInstance): Promise<void> {
  const now = app.clock.now();
  await purgeExpiredSessions(app.db, now, app.config.session.idleMs);
  await deleteExpiredRows(app.db, now, {
    auditRetentionDays: app.config.env.AUDIT_RETENTION_DAYS,
    rateLimitsNow: Date.now(),
  });
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
