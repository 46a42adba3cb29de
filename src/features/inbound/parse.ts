import {
  parseAddressHeader,
  simpleParser,
  type AddressObject,
  type Attachment,
  type EmailAddress,
  type ParsedMail,
} from 'mailparser';
import { messageIdsIn } from '../../mail/thread.ts';
import { authenticate } from './authentication.ts';
import { bounceReport, detectAutomatic } from './automatic.ts';
import type { InboundAttachment, InboundContext, ParsedInbound } from './inbound-message.ts';
import { cleanLine, cleanText, headerValues, type HeaderLine } from './mail-text.ts';
import { FORWARDED_MARKER, replyText } from './reply-text.ts';

export interface ParseOptions {
  /** INBOUND_AUTHSERV_ID: the only authserv-id whose Authentication-Results count (IMAP). */
  trustedAuthservId?: string | undefined;
  /** Our own addresses (SUPPORT_ADDRESS, MAIL_FROM's address): mail from them, or from their +sub-addresses, is ours. */
  ownAddresses: string[];
}

/** Characters of text kept (the rest replaced by TRUNCATED); a subject's and a name's. */
const MAX_TEXT = 100_000;
const TRUNCATED = '\n\n[… the rest of this message was cut: it was too long …]';
const MAX_SUBJECT = 300;
const MAX_NAME = 200;
const MAX_RECIPIENTS = 100;
const MAX_IDS = 100;
const MAX_ATTACHMENTS = 100;
/** HTML longer than this is not converted to text (the text stays empty): html-to-text is slow on huge documents. */
const MAX_HTML = 2 * 1024 * 1024;

/**
 * What one raw message says, for the service that applies it to a ticket. Pure: no database, no clock.
 *
 * - Text: the text/plain parts, or the HTML converted by html-to-text (scripts and styles dropped) for HTML-only mail;
 *   line breaks as `\n`, no control characters, at most MAX_TEXT characters. `reply` is `replyText(text)`.
 * - A forwarded message (message/rfc822) is not an attachment (.eml is not a type we accept): mailparser puts its
 *   headers (From, Subject, Date…) and text into the text, and its attachments among the attachments.
 * - Attachments are returned as the message carried them, names and types unchecked: the service puts them through
 *   the upload checks (acceptUploads). Inline images (with a Content-ID) are attachments with `inline: true`. The
 *   delivery-status part of a bounce is not an attachment.
 * - From must be exactly one mailbox in exactly one From header, else `from` is null.
 */
export async function parseInbound(raw: Buffer, ctx: InboundContext, opts: ParseOptions): Promise<ParsedInbound> {
  const mail = await simpleParser(raw, PARSER_OPTIONS);
  const headers: readonly HeaderLine[] = mail.headerLines;
  const content = await contentOf(mail, 0);

  const from = singleFrom(headers);
  const text = limitText(cleanText(content.text).trim());
  const automatic = detectAutomatic(headers, from?.address ?? null, opts.ownAddresses);
  const bounce =
    automatic?.kind === 'bounce'
      ? (mail.attachments
          .filter((a) => isDeliveryStatus(a.contentType))
          .map((part) => bounceReport(part.content.toString('utf8')))
          .find((r) => r !== null) ?? null)
      : null;

  return {
    messageId: messageIdsIn(headerValues(headers, 'message-id')[0] ?? '')[0] ?? null,
    from,
    recipients: recipientsOf(headers, ctx),
    subject: cleanLine(mail.subject ?? '', MAX_SUBJECT),
    inReplyTo: boundedIds(messageIdsIn(headerValues(headers, 'in-reply-to').join(' '))),
    references: boundedIds(messageIdsIn(headerValues(headers, 'references').join(' '))),
    text,
    reply: replyText(text),
    attachments: content.attachments.slice(0, MAX_ATTACHMENTS).map(toAttachment),
    auth: authenticate(headers, from?.address ?? null, ctx, opts.trustedAuthservId),
    automatic,
    bounce,
  };
}

const PARSER_OPTIONS = {
  keepDeliveryStatus: true,
  keepCidLinks: true,
  skipTextToHtml: true,
  skipTextLinks: true,
  skipImageLinks: true,
  maxHtmlLengthToParse: MAX_HTML,
} as const;

/** Forwarded messages inside forwarded messages are followed this deep, and this many per message; others are left out. */
const MAX_FORWARD_DEPTH = 3;
const MAX_FORWARDED = 20;

/**
 * A message's text and attachments, forwarded messages (message/rfc822 parts) included: their headers and text are
 * appended to the text under FORWARDED_MARKER, their attachments join the attachments.
 */
async function contentOf(mail: ParsedMail, depth: number): Promise<{ text: string; attachments: Attachment[] }> {
  const texts = [mail.text?.trim() || (await htmlAsText(mail))];
  const attachments: Attachment[] = [];
  for (const attachment of mail.attachments) {
    if (isDeliveryStatus(attachment.contentType) || /^text\/rfc822-headers$/i.test(attachment.contentType)) {
      continue; // the machine-readable parts of a bounce: read by bounceReport, never shown
    }
    if (!/^message\/(rfc822|global)$/i.test(attachment.contentType)) {
      attachments.push(attachment);
      continue;
    }
    if (depth >= MAX_FORWARD_DEPTH || texts.length > MAX_FORWARDED) {
      continue;
    }
    const inner = await simpleParser(attachment.content, PARSER_OPTIONS);
    const content = await contentOf(inner, depth + 1);
    const lines = [FORWARDED_MARKER];
    for (const key of ['from', 'date', 'subject', 'to', 'cc']) {
      const value = headerValues(inner.headerLines, key)[0];
      if (value !== undefined) {
        const decoded = key === 'subject' ? (inner.subject ?? value) : key === 'date' ? value : addressText(inner, key);
        lines.push(`${key[0]?.toUpperCase()}${key.slice(1)}: ${cleanLine(decoded ?? value, 1000)}`);
      }
    }
    texts.push(`${lines.join('\n')}\n\n${content.text}`);
    attachments.push(...content.attachments);
  }
  return { text: texts.filter(Boolean).join('\n\n'), attachments };
}

function addressText(mail: ParsedMail, key: string): string | undefined {
  const value = mail.headers.get(key);
  if (!value || typeof value !== 'object' || !('text' in value)) {
    return undefined;
  }
  return (value as AddressObject).text;
}

/**
 * mailparser converts HTML to text only for an HTML-only message, not for an HTML part without a text part inside a
 * multipart/mixed: that HTML goes through the same conversion (html-to-text, scripts and styles dropped) here, as a
 * message of its own.
 */
async function htmlAsText(mail: ParsedMail): Promise<string> {
  if (!mail.html) {
    return '';
  }
  const wrapped = Buffer.from(
    `Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${Buffer.from(mail.html).toString('base64')}\r\n`,
  );
  return ((await simpleParser(wrapped, PARSER_OPTIONS)).text ?? '').trim();
}

function isDeliveryStatus(contentType: string): boolean {
  return /^message\/(global-)?delivery-status$/i.test(contentType);
}

function limitText(text: string): string {
  return text.length > MAX_TEXT ? text.slice(0, MAX_TEXT) + TRUNCATED : text;
}

/** The first and the last ids of a very long list: the thread's root is first, the message answered last. */
function boundedIds(ids: string[]): string[] {
  return ids.length > MAX_IDS ? [...ids.slice(0, MAX_IDS / 2), ...ids.slice(-MAX_IDS / 2)] : ids;
}

const ADDRESS = /^[^\s@<>()[\]\\,;:"]{1,64}@[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?$/;

/** An address as we compare it: lower-cased, ASCII domain (punycode), or null when it is not a plain address. */
function normalAddress(address: string | undefined): string | null {
  const value = (address ?? '').trim().toLowerCase();
  const at = value.lastIndexOf('@');
  if (at <= 0) {
    return null;
  }
  const domain = value.slice(at + 1);
  const ascii = /^[\x21-\x7e]+$/.test(domain) ? domain : new URL(`http://${encodeURIComponent(domain)}`).hostname;
  const normal = `${value.slice(0, at)}@${ascii}`;
  return normal.length <= 254 && ADDRESS.test(normal) ? normal : null;
}

function safeAddress(address: string | undefined): string | null {
  try {
    return normalAddress(address);
  } catch {
    return null;
  }
}

function mailboxes(values: string[]): EmailAddress[] {
  return values.length ? parseAddressHeader(values, { flatten: true, decodePunycode: false }).value : [];
}

function singleFrom(headers: readonly HeaderLine[]): ParsedInbound['from'] {
  const values = headerValues(headers, 'from');
  if (values.length !== 1) {
    return null;
  }
  const [only, ...more] = parseAddressHeader(values[0], { decodePunycode: false }).value;
  if (!only || more.length > 0 || only.group) {
    return null;
  }
  const address = safeAddress(only.address);
  return address ? { address, name: cleanLine(only.name, MAX_NAME) } : null;
}

/** The envelope recipient first, then To, Cc, Delivered-To and X-Original-To; each once. */
function recipientsOf(headers: readonly HeaderLine[], ctx: InboundContext): string[] {
  const found = new Set<string>();
  const add = (address: string | undefined): void => {
    const normal = safeAddress(address);
    if (normal && found.size < MAX_RECIPIENTS) {
      found.add(normal);
    }
  };
  for (const envelope of (ctx.envelope?.recipient ?? '').split(',')) {
    add(envelope.replace(/^\s*<|>\s*$/g, ''));
  }
  for (const key of ['to', 'cc', 'delivered-to', 'x-original-to']) {
    for (const mailbox of mailboxes(headerValues(headers, key))) {
      add(mailbox.address);
    }
  }
  return [...found];
}

const EXTENSIONS: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'application/pdf': 'pdf',
  'text/plain': 'txt',
  'text/csv': 'csv',
};

function toAttachment(attachment: Attachment, index: number): InboundAttachment {
  const inline = attachment.contentDisposition !== 'attachment' && Boolean(attachment.cid);
  const ext = EXTENSIONS[attachment.contentType.toLowerCase()];
  const fallback = `${inline ? 'inline-image' : 'attachment'}-${index + 1}${ext ? `.${ext}` : ''}`;
  const named = cleanLine(attachment.filename ?? '', 255);
  return {
    fileName: named || fallback,
    contentType: cleanLine(attachment.contentType, 100),
    data: attachment.content,
    inline,
  };
}
