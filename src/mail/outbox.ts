import { randomUUID } from 'node:crypto';
import type { DB, OutboxMail } from '../db/database.ts';
import { insertOutboxMail, recordFailedAttempt } from './outbox.repository.ts';
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

/**
 * Queues an email. Call it with the transaction that makes the change the email reports, so the two
 * are committed together or not at all.
 */
export async function enqueueMail(
  db: DB,
  now: number,
  to: string,
  mail: RenderedMail,
  messageDomain: string,
): Promise<void> {
  await insertOutboxMail(db, {
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
  });
}

/** 1 min, 2, 4, … capped at 6 hours. */
export function retryDelayMs(attempts: number): number {
  return Math.min(60_000 * 2 ** Math.max(0, attempts - 1), 6 * 3_600_000);
}

/** Returns true when the email has now failed for good. */
export async function markFailedAttempt(db: DB, mail: OutboxMail, now: number, error: string): Promise<boolean> {
  const final = mail.attempts >= MAX_ATTEMPTS;
  await recordFailedAttempt(db, mail.id, final, now + retryDelayMs(mail.attempts), error.slice(0, 500));
  return final;
}
