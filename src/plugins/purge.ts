import type { FastifyInstance } from 'fastify';
import { purgeExpiredSessions } from './sessions.ts';

const DAY = 24 * 3_600_000;

/** Housekeeping run periodically by every process; each statement is idempotent, so overlap is harmless. */
export async function purgeExpired(app: FastifyInstance): Promise<void> {
  const now = app.clock.now();
  await purgeExpiredSessions(app);
  await app.db.deleteFrom('user_tokens').where('expires_at', '<', now - DAY).execute();
  await app.db.deleteFrom('rate_limits').where('expire', '<', Date.now() - 3_600_000).execute();
}
