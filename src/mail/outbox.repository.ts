import type { Insertable } from 'kysely';
import type { Connection } from '../db/connect.ts';
import type { DB, MailOutboxTable, OutboxMail } from '../db/database.ts';

const LEASE_MS = 2 * 60_000;

export async function insertOutboxMail(db: DB, mail: Insertable<MailOutboxTable>): Promise<void> {
  await db.insertInto('mail_outbox').values(mail).execute();
}

/**
 * Claims up to `limit` due emails for this worker with a lease. On PostgreSQL `FOR UPDATE SKIP LOCKED`
 * keeps concurrent workers off each other's rows; SQLite serialises writers, so the single UPDATE is
 * already atomic. A claim whose worker died is taken over when its lease runs out.
 */
export async function claimDueMail(conn: Connection, now: number, limit = 10): Promise<OutboxMail[]> {
  return conn.db
    .updateTable('mail_outbox')
    .set((eb) => ({ status: 'sending', locked_until: now + LEASE_MS, attempts: eb('attempts', '+', 1) }))
    .where('id', 'in', (eb) => {
      const due = eb
        .selectFrom('mail_outbox')
        .select('id')
        .where((w) =>
          w.or([
            w.and([w('status', '=', 'pending'), w('next_attempt_at', '<=', now)]),
            w.and([w('status', '=', 'sending'), w('locked_until', '<', now)]),
          ]),
        )
        .orderBy('id')
        .limit(limit);
      return conn.dialect === 'postgres' ? due.forUpdate().skipLocked() : due;
    })
    .returningAll()
    .execute();
}

export async function markSent(db: DB, id: number, now: number): Promise<void> {
  // Bodies hold one-time links; once delivered they are dropped, so a database backup carries no live link.
  await db
    .updateTable('mail_outbox')
    .set({ status: 'sent', sent_at: now, locked_until: null, last_error: null, text_body: '', html_body: '' })
    .where('id', '=', id)
    .execute();
}

/** MAIL_TRANSPORT=disabled: the email is not sent, and its bodies (with any one-time link) are dropped at once. */
export async function markDiscarded(db: DB, id: number, now: number): Promise<void> {
  await db
    .updateTable('mail_outbox')
    .set({
      status: 'discarded',
      sent_at: null,
      next_attempt_at: now,
      locked_until: null,
      last_error: 'not sent: MAIL_TRANSPORT=disabled',
      text_body: '',
      html_body: '',
    })
    .where('id', '=', id)
    .execute();
}

/** After a failed attempt: try again at `nextAttemptAt`, or (`final`) give up and drop the bodies. */
export async function recordFailedAttempt(
  db: DB,
  id: number,
  final: boolean,
  nextAttemptAt: number,
  error: string,
): Promise<void> {
  await db
    .updateTable('mail_outbox')
    .set({
      status: final ? 'failed' : 'pending',
      next_attempt_at: nextAttemptAt,
      locked_until: null,
      last_error: error,
      // An email that failed for good is never sent: its one-time links are not kept either.
      ...(final ? { text_body: '', html_body: '' } : {}),
    })
    .where('id', '=', id)
    .execute();
}
