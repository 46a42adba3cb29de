import { randomUUID } from 'node:crypto';
import type { Connection } from '../db/connect.ts';
import type { DB, OutboxMail } from '../db/database.ts';
import type { RenderedMail } from './templates.tsx';

export const MAX_ATTEMPTS = 8;
/** mail_outbox.subject is varchar(300), message_id varchar(200); PostgreSQL refuses longer values (SQLite does not). */
export const SUBJECT_MAX = 300;
const MESSAGE_ID_MAX = 200;

/**
 * Subjects are built from user text (a ticket's subject, an address of up to 254 characters): cut to the column's size
 * in code points (PostgreSQL counts characters; a surrogate pair is never split), with an ellipsis.
 */
export function fitSubject(subject: string): string {
  const chars = [...subject];
  return chars.length <= SUBJECT_MAX ? subject : `${chars.slice(0, SUBJECT_MAX - 1).join('')}…`;
}
const LEASE_MS = 2 * 60_000;

/**
 * Queues an email. Call it with the transaction that makes the change the email reports, so the two
 * are committed together or not at all.
 */
export async function enqueueMail(db: DB, now: number, to: string, mail: RenderedMail, messageDomain: string): Promise<void> {
  await db
    .insertInto('mail_outbox')
    .values({
      kind: mail.kind,
      to_address: to,
      subject: fitSubject(mail.subject),
      text_body: mail.text,
      html_body: mail.html,
      // A host name may be up to 253 characters: a Message-ID only needs a domain of ours, not the whole one.
      message_id: `<${randomUUID()}@${messageDomain.length <= MESSAGE_ID_MAX - 40 ? messageDomain : 'parapet.local'}>`,
      status: 'pending',
      next_attempt_at: now,
      locked_until: null,
      last_error: null,
      created_at: now,
      sent_at: null,
    })
    .execute();
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

/** 1 min, 2, 4, … capped at 6 hours. */
export function retryDelayMs(attempts: number): number {
  return Math.min(60_000 * 2 ** Math.max(0, attempts - 1), 6 * 3_600_000);
}

export async function markSent(db: DB, id: number, now: number): Promise<void> {
  // Bodies hold one-time links; once delivered they are dropped, so a database backup carries no live link.
  await db.updateTable('mail_outbox').set({ status: 'sent', sent_at: now, locked_until: null, last_error: null, text_body: '', html_body: '' }).where('id', '=', id).execute();
}

/** MAIL_TRANSPORT=disabled: the email is not sent, and its bodies (with any one-time link) are dropped at once. */
export async function markDiscarded(db: DB, id: number, now: number): Promise<void> {
  await db
    .updateTable('mail_outbox')
    .set({ status: 'discarded', sent_at: null, next_attempt_at: now, locked_until: null, last_error: 'not sent: MAIL_TRANSPORT=disabled', text_body: '', html_body: '' })
    .where('id', '=', id)
    .execute();
}

/** Returns true when the email has now failed for good. */
export async function markFailedAttempt(db: DB, mail: OutboxMail, now: number, error: string): Promise<boolean> {
  const final = mail.attempts >= MAX_ATTEMPTS;
  await db
    .updateTable('mail_outbox')
    .set({
      status: final ? 'failed' : 'pending',
      next_attempt_at: now + retryDelayMs(mail.attempts),
      locked_until: null,
      last_error: error.slice(0, 500),
      // An email that failed for good is never sent: its one-time links are not kept either.
      ...(final ? { text_body: '', html_body: '' } : {}),
    })
    .where('id', '=', mail.id)
    .execute();
  return final;
}
