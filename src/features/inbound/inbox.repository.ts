import { createHash } from 'node:crypto';
import type { Connection } from '../../db/connect.ts';
import type { DB, InboxMessage, InboxSource, InboxStatus } from '../../db/database.ts';

/** How long a worker may hold a claimed message before another process takes it over. */
export const INBOX_LEASE_MS = 2 * 60_000;

/** The Message-ID header's value without brackets, or a digest of the whole message when it has none. */
export function inboxMessageKey(raw: Buffer, messageId: string | null): string {
  const id = messageId?.trim().replace(/^<|>$/g, '');
  return id && id.length <= 490 ? id : `sha256:${createHash('sha256').update(raw).digest('hex')}`;
}

export interface NewInboxMessage {
  source: InboxSource;
  sourceId: string;
  messageId: string;
  raw: Buffer;
  envelope: string | null;
  receivedAt: number;
}

/**
 * Stores a received message before anything else happens to it. A message already stored (the same source id, or the
 * same Message-ID through any source) is not stored again: `stored` is false and the caller acknowledges it as done.
 */
export async function storeInboxMessage(
  db: DB,
  message: NewInboxMessage,
): Promise<{ stored: true; id: number } | { stored: false }> {
  const row = await db
    .insertInto('mail_inbox')
    .values({
      source: message.source,
      source_id: message.sourceId.slice(0, 300),
      message_id: message.messageId,
      raw: message.raw,
      envelope: message.envelope,
      status: 'pending',
      next_attempt_at: message.receivedAt,
      received_at: message.receivedAt,
    })
    .onConflict((oc) => oc.doNothing())
    .returning('id')
    .executeTakeFirst();
  return row ? { stored: true, id: row.id } : { stored: false };
}

/**
 * Claims due messages with a lease, oldest first, as the outbox does: `FOR UPDATE SKIP LOCKED` on PostgreSQL, one
 * UPDATE (atomic under SQLite's single writer) otherwise. A claim whose worker died is taken over when it expires.
 */
export async function claimDueInbox(conn: Connection, now: number, limit = 5): Promise<InboxMessage[]> {
  return conn.db
    .updateTable('mail_inbox')
    .set((eb) => ({ status: 'processing', locked_until: now + INBOX_LEASE_MS, attempts: eb('attempts', '+', 1) }))
    .where('id', 'in', (eb) => {
      const due = eb
        .selectFrom('mail_inbox')
        .select('id')
        .where((w) =>
          w.or([
            w.and([w('status', '=', 'pending'), w('next_attempt_at', '<=', now)]),
            w.and([w('status', '=', 'processing'), w('locked_until', '<', now)]),
          ]),
        )
        .orderBy('id')
        .limit(limit);
      return conn.dialect === 'postgres' ? due.forUpdate().skipLocked() : due;
    })
    .returningAll()
    .execute();
}

/** What the parser learnt, kept for lists and the Mail page even when the message is not applied. */
export interface InboxSummary {
  from_address: string | null;
  from_name: string | null;
  subject: string | null;
}

export interface InboxOutcome extends Partial<InboxSummary> {
  status: Exclude<InboxStatus, 'pending' | 'processing'>;
  outcome: string;
  reason?: string | null;
  ticket_id?: number | null;
  entry_id?: number | null;
  sender_user_id?: number | null;
  decided_by?: number | null;
  decided_at?: number | null;
}

/**
 * Records how a claimed message ended. Only the claim that is still current may record it (`status = 'processing'`
 * and the lease it took), so a worker whose lease ran out cannot overwrite the outcome of the one that took over.
 * Returns whether it was recorded.
 */
export async function finishInboxMessage(
  db: DB,
  claim: Pick<InboxMessage, 'id' | 'locked_until'>,
  now: number,
  result: InboxOutcome,
): Promise<boolean> {
  const updated = await db
    .updateTable('mail_inbox')
    .set({ ...result, processed_at: now, locked_until: null, last_error: null })
    .where('id', '=', claim.id)
    .where('status', '=', 'processing')
    .where('locked_until', '=', claim.locked_until)
    .executeTakeFirst();
  return Number(updated.numUpdatedRows) === 1;
}

/** After a failed attempt: try again at `nextAttemptAt`, or (`final`) keep it as failed for administrators. */
export async function recordInboxFailure(
  db: DB,
  claim: Pick<InboxMessage, 'id' | 'locked_until'>,
  final: boolean,
  nextAttemptAt: number,
  error: string,
): Promise<void> {
  await db
    .updateTable('mail_inbox')
    .set({
      status: final ? 'failed' : 'pending',
      outcome: final ? 'failed' : null,
      reason: final ? 'It could not be processed; see the error.' : null,
      next_attempt_at: nextAttemptAt,
      locked_until: null,
      last_error: error.slice(0, 1000),
    })
    .where('id', '=', claim.id)
    .where('status', '=', 'processing')
    .where('locked_until', '=', claim.locked_until)
    .execute();
}

/**
 * Mail held until its sender finished signing up (INBOUND_UNKNOWN_SENDERS=invite, or an account not yet confirmed):
 * once the account is confirmed and not disabled (and has two-factor authentication when it is required), the mail
 * goes back to the worker, which now finds an active sender. Returns how many were released.
 */
export async function releaseMailOfActivatedSenders(db: DB, now: number, requireTwoFactor: boolean): Promise<number> {
  const result = await db
    .updateTable('mail_inbox')
    .set({ status: 'pending', next_attempt_at: now })
    .where('status', '=', 'held')
    .where('outcome', '=', 'awaiting_sender')
    .where('sender_user_id', 'in', (eb) => {
      const active = eb
        .selectFrom('users')
        .select('id')
        .where('email_verified_at', 'is not', null)
        .where('disabled_at', 'is', null);
      return requireTwoFactor ? active.where('totp_enabled_at', 'is not', null) : active;
    })
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
