import type { DB } from './database.ts';

const DAY = 24 * 3_600_000;

export interface PurgeLimits {
  /** How long audit events are kept (AUDIT_RETENTION_DAYS). */
  auditRetentionDays: number;
  /** The wall clock for rate-limit windows, which @fastify/rate-limit writes with Date.now(). */
  rateLimitsNow: number;
}

/**
 * Deletes expired rows other than sessions (see session.repository.ts), table by table, in this order: used or stale
 * tokens, rate-limit windows, failed sign-ins, login throttles, old audit events, sent and discarded mail, webhook
 * tokens past their replay window.
 * Each statement is idempotent, so overlapping runs are harmless.
 */
export async function deleteExpiredRows(db: DB, now: number, limits: PurgeLimits): Promise<void> {
  await db
    .deleteFrom('user_tokens')
    .where('expires_at', '<', now - DAY)
    .execute();
  await db
    .deleteFrom('rate_limits')
    .where('expire', '<', limits.rateLimitsNow - 3_600_000)
    .execute();
  await db
    .deleteFrom('failed_logins')
    .where('created_at', '<', now - 30 * DAY)
    .execute();
  await db
    .deleteFrom('login_throttles')
    .where('last_failure_at', '<', now - DAY)
    .execute();
  await db
    .deleteFrom('audit_events')
    .where('created_at', '<', now - limits.auditRetentionDays * DAY)
    .execute();
  await db
    .deleteFrom('mail_outbox')
    .where('status', '=', 'sent')
    .where('sent_at', '<', now - 30 * DAY)
    .execute();
  await db
    .deleteFrom('mail_outbox')
    .where('status', '=', 'discarded')
    .where('next_attempt_at', '<', now - 30 * DAY)
    .execute();
  await db.deleteFrom('webhook_replays').where('expires_at', '<', now).execute();
}
