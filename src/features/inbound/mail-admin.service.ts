import { simpleParser, type AddressObject } from 'mailparser';
import type { ServiceDeps } from '../../app-deps.ts';
import { recordAudit } from '../../audit/audit.repository.ts';
import type { Config } from '../../config.ts';
import type { InboxSource, InboxStatus, User } from '../../db/database.ts';
import type { Origin } from '../../lib/origin.ts';
import {
  approveHeldRow,
  countInboxByStatus,
  deleteUndeliverable,
  findInboxRaw,
  findUndeliverable,
  listHeld,
  listInboundSources,
  listRecentActivity,
  listUndeliverable,
  listUnprocessed,
  rejectHeldRow,
  retryInboxRow,
  ticketExists,
  type InboundSourceRow,
  type InboxRow,
  type UndeliverableRow,
} from './mail-admin.repository.ts';

const HELD_PAGE_SIZE = 25;
/** A message still pending or processing this long after it arrived is shown as unprocessed. */
export const STALE_AFTER_MS = 10 * 60_000;
const UNPROCESSED_SHOWN = 100;
const UNDELIVERABLE_SHOWN = 100;
const ACTIVITY_SHOWN = 50;
/** The original's text is shown up to this many characters (the message itself is capped by INBOUND_MAX_BYTES). */
const TEXT_SHOWN_MAX = 200_000;

/** How inbound mail is configured, as the Mail page may show it: never a password or a key. */
export interface InboundSettings {
  supportAddress: string | null;
  /** IMAP_URL's scheme, host and port (no user, no password), or null when IMAP is not configured. */
  imapServer: string | null;
  imapFolder: string | null;
  mailgunWebhook: boolean;
  unknownSenders: 'hold' | 'invite' | 'reject';
}

export function inboundSettings(env: Config['env']): InboundSettings {
  let imapServer: string | null = null;
  let imapFolder: string | null = null;
  if (env.IMAP_URL) {
    try {
      const url = new URL(env.IMAP_URL);
      imapServer = `${url.protocol}//${url.host}`;
      imapFolder = decodeURIComponent(url.pathname.replace(/^\//, '')) || 'INBOX';
    } catch {
      imapServer = '(not a valid URL)';
    }
  }
  return {
    supportAddress: env.SUPPORT_ADDRESS ?? null,
    imapServer,
    imapFolder,
    mailgunWebhook: Boolean(env.MAILGUN_WEBHOOK_SIGNING_KEY),
    unknownSenders: env.INBOUND_UNKNOWN_SENDERS,
  };
}

export type MailAdminDeps = Pick<ServiceDeps, 'db' | 'clock'> & {
  settings: InboundSettings;
  /** Wakes the inbound worker after a decision, when the app runs one (else it finds the row on its next poll). */
  wakeWorker(): void;
};

export interface Actor {
  user: User;
  origin: Origin;
}

export interface SourceStatus {
  name: InboxSource;
  configured: boolean;
  /** What is configured, in words (the server, or "webhook on"). */
  detail: string;
  state: InboundSourceRow | null;
}

/** What only administrators see on the Mail page. */
export interface MailAdminSections {
  settings: InboundSettings;
  sources: SourceStatus[];
  counts: Array<{ status: InboxStatus; n: number }>;
  unprocessed: InboxRow[];
  staleAfterMinutes: number;
  undeliverable: UndeliverableRow[];
  undeliverableCapped: boolean;
  activity: InboxRow[];
}

export interface MailPageData {
  held: InboxRow[];
  page: number;
  hasNext: boolean;
  /** Null for agents: they see and decide held mail only. */
  admin: MailAdminSections | null;
}

export async function mailPage(deps: MailAdminDeps, viewer: User, page: number): Promise<MailPageData> {
  const held = await listHeld(deps.db, { limit: HELD_PAGE_SIZE + 1, offset: (page - 1) * HELD_PAGE_SIZE });
  const base = { held: held.slice(0, HELD_PAGE_SIZE), page, hasNext: held.length > HELD_PAGE_SIZE };
  if (viewer.role !== 'administrator') {
    return { ...base, admin: null };
  }
  const now = deps.clock.now();
  const [states, counts, unprocessed, undeliverable, activity] = await Promise.all([
    listInboundSources(deps.db),
    countInboxByStatus(deps.db),
    listUnprocessed(deps.db, now - STALE_AFTER_MS, UNPROCESSED_SHOWN),
    listUndeliverable(deps.db, { limit: UNDELIVERABLE_SHOWN + 1, offset: 0 }),
    listRecentActivity(deps.db, ACTIVITY_SHOWN),
  ]);
  const { settings } = deps;
  const sources: SourceStatus[] = [
    {
      name: 'imap',
      configured: settings.imapServer !== null,
      detail: settings.imapServer
        ? `${settings.imapServer}, folder ${settings.imapFolder ?? 'INBOX'}`
        : 'IMAP_URL is not set',
      state: states.find((s) => s.name === 'imap') ?? null,
    },
    {
      name: 'mailgun',
      configured: settings.mailgunWebhook,
      detail: settings.mailgunWebhook
        ? 'Webhook on: POST /inbound/mailgun, signed with MAILGUN_WEBHOOK_SIGNING_KEY'
        : 'Webhook off: MAILGUN_WEBHOOK_SIGNING_KEY is not set',
      state: states.find((s) => s.name === 'mailgun') ?? null,
    },
  ];
  return {
    ...base,
    admin: {
      settings,
      sources,
      counts,
      unprocessed,
      staleAfterMinutes: STALE_AFTER_MS / 60_000,
      undeliverable: undeliverable.slice(0, UNDELIVERABLE_SHOWN),
      undeliverableCapped: undeliverable.length > UNDELIVERABLE_SHOWN,
      activity,
    },
  };
}

/** 'decided': someone decided (or the worker moved it) first; the page they saw is stale. */
export type DecisionResult = 'ok' | 'decided';

/** Approves a held message (audited): the worker then applies it as approved by `actor`. */
export async function approveHeldMail(deps: MailAdminDeps, actor: Actor, message: InboxRow): Promise<DecisionResult> {
  const now = deps.clock.now();
  const approved = await deps.db.transaction().execute(async (trx) => {
    if (!(await approveHeldRow(trx, message.id, actor.user.id, now))) {
      return false;
    }
    await recordAudit(trx, now, actor.origin, {
      event: 'mail.approved',
      actorUserId: actor.user.id,
      targetUserId: message.sender_user_id,
      details: { inboxId: message.id, from: message.from_address, ticketId: message.ticket_id },
    });
    return true;
  });
  if (!approved) {
    return 'decided';
  }
  deps.wakeWorker();
  return 'ok';
}

/** Rejects a held message (audited): it is kept, and never reaches a ticket. */
export async function rejectHeldMail(deps: MailAdminDeps, actor: Actor, message: InboxRow): Promise<DecisionResult> {
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    if (!(await rejectHeldRow(trx, message.id, actor.user.id, now))) {
      return 'decided';
    }
    await recordAudit(trx, now, actor.origin, {
      event: 'mail.rejected',
      actorUserId: actor.user.id,
      targetUserId: message.sender_user_id,
      details: { inboxId: message.id, from: message.from_address, ticketId: message.ticket_id },
    });
    return 'ok';
  });
}

/** Gives a failed (or long pending) message to the worker again with fresh attempts (audited). */
export async function retryMail(deps: MailAdminDeps, actor: Actor, message: InboxRow): Promise<DecisionResult> {
  const now = deps.clock.now();
  const retried = await deps.db.transaction().execute(async (trx) => {
    if (!(await retryInboxRow(trx, message.id, now))) {
      return false;
    }
    await recordAudit(trx, now, actor.origin, {
      event: 'mail.retried',
      actorUserId: actor.user.id,
      details: { inboxId: message.id, from: message.from_address, was: message.status, error: message.last_error },
    });
    return true;
  });
  if (!retried) {
    return 'decided';
  }
  deps.wakeWorker();
  return 'ok';
}

/** Forgets that an address bounced (audited); false when it was not listed (cleared meanwhile). */
export async function clearUndeliverable(deps: MailAdminDeps, actor: Actor, address: string): Promise<boolean> {
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const row = await findUndeliverable(trx, address);
    if (!row || !(await deleteUndeliverable(trx, address))) {
      return false;
    }
    await recordAudit(trx, now, actor.origin, {
      event: 'mail.undeliverable_cleared',
      actorUserId: actor.user.id,
      details: { address, reason: row.reason.slice(0, 500), bounces: row.bounces },
    });
    return true;
  });
}

export interface OriginalAttachment {
  name: string;
  contentType: string;
  size: number;
  inline: boolean;
}

/** The stored original as staff read it: its headers, its text (never its HTML), its attachments' names. */
export interface OriginalMail {
  parsed: boolean;
  /** Why it could not be parsed (then `text` is the raw message as text). */
  parseError: string | null;
  /** `ms`: a date, shown in the app's one format. */
  headers: Array<{ name: string; value: string; ms?: number | undefined }>;
  text: string;
  truncated: boolean;
  attachments: OriginalAttachment[];
  rawBytes: number;
}

export interface MailMessageData {
  message: InboxRow;
  original: OriginalMail;
  /** The ticket it matched or opened, when it still exists. */
  ticketId: number | null;
  /** What the source said beside the message (Mailgun's envelope sender, recipient, SPF and DKIM verdicts). */
  envelope: Array<{ name: string; value: string }>;
}

function envelopeOf(json: string | null): Array<{ name: string; value: string }> {
  if (!json) {
    return [];
  }
  try {
    const parsed = JSON.parse(json) as unknown;
    if (typeof parsed !== 'object' || parsed === null) {
      return [];
    }
    return Object.entries(parsed as Record<string, unknown>)
      .filter((e): e is [string, string | number | boolean] => ['string', 'number', 'boolean'].includes(typeof e[1]))
      .map(([name, value]) => ({ name: name.slice(0, 60), value: String(value).slice(0, 1000) }));
  } catch {
    return [];
  }
}

function addresses(value: AddressObject | AddressObject[] | undefined): string {
  return [value ?? []]
    .flat()
    .map((a) => a.text)
    .join(', ');
}

function clip(text: string): { text: string; truncated: boolean } {
  return text.length > TEXT_SHOWN_MAX
    ? { text: text.slice(0, TEXT_SHOWN_MAX), truncated: true }
    : { text, truncated: false };
}

/**
 * The text of an HTML-only message. mailparser converts HTML to text (html-to-text, with its depth and length limits)
 * only when the HTML is the message's root, so an HTML body beside attachments is parsed again as a message of its own.
 */
async function htmlAsText(html: string | false | undefined): Promise<string> {
  if (!html) {
    return '';
  }
  const alone = Buffer.concat([Buffer.from('Content-Type: text/html; charset=utf-8\r\n\r\n'), Buffer.from(html)]);
  return (await simpleParser(alone, { skipImageLinks: true, skipTextToHtml: true, skipTextLinks: true })).text ?? '';
}

async function readOriginal(raw: Buffer): Promise<OriginalMail> {
  try {
    const mail = await simpleParser(raw, { skipImageLinks: true, skipTextToHtml: true, skipTextLinks: true });
    const validDate = mail.date && Number.isFinite(mail.date.getTime()) ? mail.date : undefined;
    const headers = [
      { name: 'From', value: addresses(mail.from) },
      { name: 'To', value: addresses(mail.to) },
      { name: 'Cc', value: addresses(mail.cc) },
      { name: 'Date', value: validDate ? validDate.toISOString() : '', ms: validDate?.getTime() },
      { name: 'Subject', value: mail.subject ?? '' },
      { name: 'Message-ID', value: mail.messageId ?? '' },
      { name: 'In-Reply-To', value: mail.inReplyTo ?? '' },
    ].filter((h) => h.value !== '');
    const { text, truncated } = clip(mail.text?.trim() ? mail.text : await htmlAsText(mail.html));
    return {
      parsed: true,
      parseError: null,
      headers,
      text,
      truncated,
      attachments: mail.attachments.map((a) => ({
        name: a.filename ?? '(no name)',
        contentType: a.contentType,
        size: a.size,
        inline: a.contentDisposition === 'inline' || a.related === true,
      })),
      rawBytes: raw.length,
    };
  } catch (error) {
    const { text, truncated } = clip(raw.toString('utf8'));
    return {
      parsed: false,
      parseError: (error as Error).message.slice(0, 500),
      headers: [],
      text,
      truncated,
      attachments: [],
      rawBytes: raw.length,
    };
  }
}

export async function mailMessage(deps: MailAdminDeps, message: InboxRow): Promise<MailMessageData> {
  const [raw, ticketFound] = await Promise.all([
    findInboxRaw(deps.db, message.id),
    message.ticket_id === null ? false : ticketExists(deps.db, message.ticket_id),
  ]);
  return {
    message,
    original: await readOriginal(raw ?? Buffer.alloc(0)),
    ticketId: ticketFound ? message.ticket_id : null,
    envelope: envelopeOf(message.envelope),
  };
}
