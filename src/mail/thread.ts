import { createHmac } from 'node:crypto';
import { safeEqual } from '../lib/crypto.ts';

/**
 * How ticket email threads: one stable subject tag, a thread root Message-ID per ticket, and a per-ticket Reply-To
 * address. The address and the root id carry an HMAC of the ticket number under SECRET_KEY, so nobody can make up an
 * address or a reference that points at another ticket: inbound mail is matched by them only when the MAC checks out.
 */

const MAC_CHARS = 12;

function ticketMac(secretKey: string, purpose: string, ticketId: number): string {
  // Hex, not base64: some mail systems lower-case local parts.
  return createHmac('sha256', secretKey).update(`${purpose}\0${ticketId}`).digest('hex').slice(0, MAC_CHARS);
}

/** `#000123` */
export function ticketTag(ticketId: number): string {
  return `#${String(ticketId).padStart(6, '0')}`;
}

/** The subject every email about a ticket has, whatever the event: `[#000123] Printer on fire`. */
export function ticketMailSubject(ticketId: number, subject: string): string {
  return `[${ticketTag(ticketId)}] ${subject}`;
}

/** The ticket number in a subject's `[#000123]` tag (anywhere, after any Re:/Fwd:), or null. */
export function ticketIdFromSubject(subject: string): number | null {
  const match = /\[#(\d{1,12})\]/.exec(subject);
  if (!match) {
    return null;
  }
  const id = Number(match[1]);
  return Number.isSafeInteger(id) && id > 0 ? id : null;
}

function splitAddress(address: string): { local: string; domain: string } | null {
  const at = address.lastIndexOf('@');
  return at > 0 ? { local: address.slice(0, at), domain: address.slice(at + 1).toLowerCase() } : null;
}

/** `support+123.5f2c9a0b1d3e@example.com` for SUPPORT_ADDRESS `support@example.com`. */
export function ticketReplyAddress(secretKey: string, supportAddress: string, ticketId: number): string {
  const parts = splitAddress(supportAddress);
  if (!parts) {
    throw new Error('SUPPORT_ADDRESS is not an address');
  }
  return `${parts.local}+${ticketId}.${ticketMac(secretKey, 'reply-address', ticketId)}@${parts.domain}`;
}

/**
 * The ticket a recipient address names, when it is one of our per-ticket addresses with a valid MAC; otherwise null.
 * Case-insensitive (a relay may change the case of a local part).
 */
export function ticketIdFromReplyAddress(secretKey: string, supportAddress: string, address: string): number | null {
  const ours = splitAddress(supportAddress);
  const theirs = splitAddress(address.trim().toLowerCase());
  if (!ours || !theirs || theirs.domain !== ours.domain) {
    return null;
  }
  const match = /^(.+)\+(\d{1,12})\.([0-9a-f]+)$/.exec(theirs.local);
  if (!match || match[1] !== ours.local.toLowerCase()) {
    return null;
  }
  const id = Number(match[2]);
  if (!Number.isSafeInteger(id) || id <= 0) {
    return null;
  }
  return safeEqual(match[3] ?? '', ticketMac(secretKey, 'reply-address', id)) ? id : null;
}

/** The Message-ID (without brackets) every email of a ticket refers to: `ticket.123.<mac>@domain`. */
export function ticketThreadId(secretKey: string, domain: string, ticketId: number): string {
  return `ticket.${ticketId}.${ticketMac(secretKey, 'thread-id', ticketId)}@${domain}`;
}

/** The ticket named by one of our thread root ids, checked by its MAC; otherwise null. */
export function ticketIdFromThreadId(secretKey: string, messageId: string): number | null {
  const match = /^<?ticket\.(\d{1,12})\.([0-9a-f]+)@[^>\s]+>?$/i.exec(messageId.trim());
  if (!match) {
    return null;
  }
  const id = Number(match[1]);
  if (!Number.isSafeInteger(id) || id <= 0) {
    return null;
  }
  return safeEqual((match[2] ?? '').toLowerCase(), ticketMac(secretKey, 'thread-id', id)) ? id : null;
}

/** Message-IDs in an In-Reply-To or References header value, without brackets, in order. */
export function messageIdsIn(header: string | undefined): string[] {
  return [...(header ?? '').matchAll(/<([^<>\s]{1,500})>/g)].map((m) => m[1] ?? '').filter(Boolean);
}

/**
 * The first line of every ticket email when replies by email are read: what a client writes above it is their reply,
 * the rest is quoted history. Inbound parsing may cut a reply at this line.
 */
export const REPLY_ABOVE_LINE = '##- Please type your reply above this line -##';
