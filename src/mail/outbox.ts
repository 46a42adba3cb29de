import { randomUUID } from 'node:crypto';
import type { DB, OutboxMail } from '../db/database.ts';
import { AUTO_SUBMITTED, formatAddress, headerSafe, type StoredHeaders } from './headers.ts';
import { insertOutboxMail, recordFailedAttempt } from './outbox.repository.ts';
import type { RenderedMail } from './templates.tsx';
import { ticketReplyAddress, ticketThreadId } from './thread.ts';

export const MAX_ATTEMPTS = 8;
/** mail_outbox.subject is varchar(300), message_id varchar(200); PostgreSQL refuses longer values (SQLite does not). */
export const SUBJECT_MAX = 300;
const MESSAGE_ID_MAX = 200;

/**
 * Subjects are built from user text (a ticket's subject, an address of up to 254 characters): cut to the column's size
 * in code points (PostgreSQL counts characters; a surrogate pair is never split), with an ellipsis.
 */
export function fitSubject(subject: string): string {
  const chars = [...headerSafe(subject)];
  return chars.length <= SUBJECT_MAX ? chars.join('') : `${chars.slice(0, SUBJECT_MAX - 1).join('')}…`;
}

/** What the outbox needs to address and thread an email, from the configuration. */
export interface OutboxSettings {
  /** The APP_URL host: Message-IDs and ticket thread ids are under it. */
  domain: string;
  /** SECRET_KEY, for the per-ticket thread id and Reply-To address. */
  secretKey: string;
  /** SUPPORT_ADDRESS and SUPPORT_NAME, when set: ticket mail is sent from there and answered to the ticket's address. */
  support: { address: string; name: string } | null;
}

/** A host name may be up to 253 characters: a Message-ID only needs a domain of ours, not the whole one. */
export function messageDomain(host: string): string {
  return host && host.length <= MESSAGE_ID_MAX - 40 ? host : 'parapet.local';
}

/**
 * The headers stored with an email: always `Auto-Submitted`; for ticket mail the thread (In-Reply-To and References
 * name the ticket's root id, so every email of a ticket is one conversation in the client's mail program) and, with
 * SUPPORT_ADDRESS, the sender and the ticket's own reply address.
 */
function headersFor(mail: RenderedMail, settings: OutboxSettings): StoredHeaders {
  const headers: StoredHeaders = { 'Auto-Submitted': AUTO_SUBMITTED };
  if (mail.ticketId === undefined) {
    return headers;
  }
  const root = `<${ticketThreadId(settings.secretKey, settings.domain, mail.ticketId)}>`;
  headers['In-Reply-To'] = root;
  headers.References = root;
  if (settings.support) {
    const { address, name } = settings.support;
    headers.From = formatAddress(name, address);
    headers['Reply-To'] = formatAddress(name, ticketReplyAddress(settings.secretKey, address, mail.ticketId));
  }
  return headers;
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
  settings: OutboxSettings,
): Promise<void> {
  await insertOutboxMail(db, {
    kind: mail.kind,
    to_address: to,
    subject: fitSubject(mail.subject),
    text_body: mail.text,
    html_body: mail.html,
    message_id: `<${randomUUID()}@${settings.domain}>`,
    status: 'pending',
    next_attempt_at: now,
    locked_until: null,
    last_error: null,
    created_at: now,
    sent_at: null,
    ticket_id: mail.ticketId ?? null,
    headers: JSON.stringify(headersFor(mail, settings)),
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
