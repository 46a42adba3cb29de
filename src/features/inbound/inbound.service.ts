import type { ServiceDeps } from '../../app-deps.ts';
import type { DB, InboxMessage, Ticket, User } from '../../db/database.ts';
import { recordAudit } from '../../audit/audit.repository.ts';
import { randomToken, sha256Hex } from '../../lib/crypto.ts';
import { inboundInvitationMail } from './inbound.mail.tsx';
import { ticketIdFromReplyAddress, ticketIdFromSubject, ticketIdFromThreadId } from '../../mail/thread.ts';
import { issueToken } from '../accounts/token.repository.ts';
import { acceptUploads, type AcceptedFile } from '../tickets/attachments.ts';
import { isStaff } from '../tickets/ticket.policy.ts';
import { findTicket } from '../tickets/ticket.repository.ts';
import { addEmailToTicket, openTicketFromEmail, type TicketDeps } from '../tickets/ticket.service.ts';
import { findUserByEmail, findUserById, insertUserIfAbsent } from '../users/user.repository.ts';
import type { ParsedInbound } from './inbound-message.ts';
import { finishInboxMessage, type InboxOutcome } from './inbox.repository.ts';
import { ticketIdOfMessageIds } from './thread.repository.ts';
import { recordUndeliverable } from './undeliverable.repository.ts';

export interface InboundSettings {
  secretKey: string;
  /** SUPPORT_ADDRESS: per-ticket reply addresses are made from it. */
  supportAddress: string;
  /** INBOUND_UNKNOWN_SENDERS. */
  unknownSenders: 'hold' | 'invite' | 'reject';
}

export type InboundDeps = Pick<ServiceDeps, 'db' | 'clock' | 'hasher' | 'mail' | 'limits'> & {
  tickets: TicketDeps;
  settings: InboundSettings;
};

/** Ticket subjects are at most 200 characters (the new-ticket form's limit). */
const SUBJECT_MAX = 200;

type Match = { ticket: Ticket; by: 'address' | 'references' | 'subject' } | { ticket: null; missing: number | null };

/**
 * The ticket a message answers: its per-ticket recipient address (the MAC checks out), then a Message-ID it quotes
 * (our thread root, an email we sent about the ticket, or an email already added to it), then the `[#000123]` subject
 * tag. The first that names a ticket decides; a ticket named but since deleted is `missing`.
 */
async function matchTicket(deps: InboundDeps, parsed: ParsedInbound): Promise<Match> {
  const { secretKey, supportAddress } = deps.settings;
  const candidates: { id: number; by: 'address' | 'references' | 'subject' }[] = [];
  for (const address of parsed.recipients) {
    const id = ticketIdFromReplyAddress(secretKey, supportAddress, address);
    if (id !== null) {
      candidates.push({ id, by: 'address' });
      break;
    }
  }
  if (candidates.length === 0) {
    const ids = [...parsed.inReplyTo, ...[...parsed.references].reverse()];
    const fromRoot = ids.map((m) => ticketIdFromThreadId(secretKey, m)).find((id) => id !== null);
    const id = fromRoot ?? (await ticketIdOfMessageIds(deps.db, ids));
    if (id !== null && id !== undefined) {
      candidates.push({ id, by: 'references' });
    }
  }
  if (candidates.length === 0) {
    const id = ticketIdFromSubject(parsed.subject);
    if (id !== null) {
      candidates.push({ id, by: 'subject' });
    }
  }
  const first = candidates[0];
  if (!first) {
    return { ticket: null, missing: null };
  }
  const ticket = await findTicket(deps.db, first.id);
  return ticket ? { ticket, by: first.by } : { ticket: null, missing: first.id };
}

/** A new ticket's subject: without reply and forward prefixes, never empty, within the form's limit. */
function newTicketSubject(subject: string): string {
  const cleaned = subject
    .replace(/^\s*((re|fw|fwd|aw|wg|sv|vs|tr|rv)\s*(\[\d+\])?\s*:\s*)+/i, '')
    .replace(/\s+/g, ' ')
    .trim();
  const chars = [...(cleaned || '(no subject)')];
  return chars.length <= SUBJECT_MAX ? chars.join('') : `${chars.slice(0, SUBJECT_MAX - 1).join('')}…`;
}

/**
 * The attachments that pass exactly the checks an upload in the portal passes (type, content, size, count); the
 * ones refused are named in a line under the text rather than refusing the whole message.
 */
function checkAttachments(
  deps: InboundDeps,
  parsed: ParsedInbound,
  text: string,
): { files: AcceptedFile[]; message: string } {
  const { maxFiles, maxBytes } = deps.tickets.settings;
  const files: AcceptedFile[] = [];
  const refused: string[] = [];
  for (const attachment of parsed.attachments) {
    const checked = acceptUploads([{ fileName: attachment.fileName, data: attachment.data }], {
      maxFiles: 1,
      maxBytes,
    });
    const file = checked.files[0];
    if (checked.error || !file) {
      refused.push(checked.error ?? attachment.fileName);
    } else if (files.length >= maxFiles) {
      refused.push(`“${file.fileName}”: at most ${maxFiles} files are attached.`);
    } else {
      files.push(file);
    }
  }
  const message = refused.length === 0 ? text : `${text}\n\n[Attachments not added: ${refused.join(' ')}]`;
  return { files, message };
}

const held = (outcome: string, reason: string, extra: Partial<InboxOutcome> = {}): InboxOutcome => ({
  status: 'held',
  outcome,
  reason,
  ...extra,
});

/** An active user who may sign in and be named as an author: not disabled, not the placeholder, address proven. */
function isActive(user: User): boolean {
  return user.disabled_at === null && !user.is_placeholder && user.email_verified_at !== null;
}

/**
 * Decides what one parsed inbound message does, and does it. The outcome is recorded through `finish`, in the same
 * transaction as the ticket change when there is one, so a message is applied exactly once even when a worker dies
 * in the middle or its lease runs out.
 *
 * The rules (SECURITY.md, "Inbound email"): automatic mail is never added or answered; a reply is added only when
 * its sender is the ticket's client or staff AND the message authenticates for its From domain (DMARC-aligned SPF or
 * DKIM pass; staff replies need DKIM); anything else is held for staff with the reason. Mail approved by staff
 * (`decided_by` set) skips the sender and authentication checks: the approver vouches for it.
 */
export async function applyInbound(
  deps: InboundDeps,
  row: InboxMessage,
  parsed: ParsedInbound,
): Promise<InboxOutcome & { applied: boolean }> {
  const now = deps.clock.now();
  const summary = {
    from_address: parsed.from?.address.slice(0, 320) ?? null,
    from_name: parsed.from?.name.slice(0, 200) ?? null,
    subject: [...parsed.subject].slice(0, 300).join('') || null,
  };
  const decided = await decide(deps, row, parsed, now);
  const outcome: InboxOutcome = { ...summary, ...decided.outcome };
  if (decided.apply) {
    const applied = await decided.apply(async (trx, ids) => {
      const recorded = await finishInboxMessage(trx, row, now, {
        ...outcome,
        ticket_id: ids.ticketId,
        entry_id: ids.entryId,
      });
      if (!recorded) {
        // Another worker took this message over (our lease ran out): roll the change back, theirs counts.
        throw new LeaseLost();
      }
      await recordAudit(trx, now, null, {
        event: 'mail.applied',
        actorUserId: decided.actorId ?? null,
        targetUserId: outcome.sender_user_id ?? null,
        details: { inboxId: row.id, outcome: outcome.outcome, ticketId: ids.ticketId, from: summary.from_address },
      });
    });
    return { ...outcome, applied };
  }
  await deps.db.transaction().execute(async (trx) => {
    Object.assign(outcome, await decided.before?.(trx));
    if (!(await finishInboxMessage(trx, row, now, outcome))) {
      throw new LeaseLost();
    }
    await recordAudit(trx, now, null, {
      event: `mail.${outcome.status}`,
      actorUserId: null,
      targetUserId: outcome.sender_user_id ?? null,
      details: { inboxId: row.id, outcome: outcome.outcome, from: summary.from_address },
    });
  });
  if (decided.before) {
    deps.mail.deliverSoon();
  }
  return { ...outcome, applied: false };
}

/** This worker's claim on the message ran out and another took it over: what it did is rolled back. */
export class LeaseLost extends Error {
  constructor() {
    super('the inbox lease was taken over by another worker');
    this.name = 'LeaseLost';
  }
}

type Finish = (trx: DB, ids: { ticketId: number; entryId: number }) => Promise<void>;

interface Decision {
  outcome: InboxOutcome;
  /** Writes the ticket change, calling `finish` inside its transaction; resolves true when written. */
  apply?: (finish: Finish) => Promise<boolean>;
  /** Work done in the outcome's transaction for messages that are not applied (an invitation). */
  before?: (trx: DB) => Promise<Partial<InboxOutcome> | undefined>;
  actorId?: number;
}

async function decide(deps: InboundDeps, row: InboxMessage, parsed: ParsedInbound, now: number): Promise<Decision> {
  if (parsed.automatic) {
    if (parsed.bounce) {
      const bounce = parsed.bounce;
      return {
        outcome: { status: 'ignored', outcome: 'bounce', reason: `Delivery failed: ${bounce.reason}`.slice(0, 1000) },
        before: async (trx) => {
          for (const address of bounce.recipients) {
            await recordUndeliverable(trx, { address, reason: bounce.reason, source: row.source, now });
          }
          return undefined;
        },
      };
    }
    return { outcome: { status: 'ignored', outcome: parsed.automatic.kind, reason: parsed.automatic.reason } };
  }
  const from = parsed.from;
  if (!from) {
    return { outcome: held('no_sender', 'The message has no single From address.') };
  }
  const sender = await findUserByEmail(deps.db, from.address);
  const match = await matchTicket(deps, parsed);
  const ticketId = match.ticket?.id ?? null;
  if (row.decided_by !== null) {
    return decideApproved(deps, row, parsed, sender, match);
  }
  if (match.ticket === null && match.missing !== null) {
    return { outcome: held('ticket_gone', `It answers ticket ${match.missing}, which no longer exists.`) };
  }
  if (!parsed.auth.aligned) {
    return {
      outcome: held(
        'unauthenticated',
        `The message did not authenticate for ${domainOf(from.address)}: ${parsed.auth.summary}. A forged From: looks like this.`,
        { ticket_id: ticketId, sender_user_id: sender?.id ?? null },
      ),
    };
  }
  // Counted for authenticated mail (the rest is held anyway), before anything is written: a flood from one address
  // is held, not applied, and a forger cannot spend a real sender's allowance.
  const admitted = await deps.limits.inboundSender.admit(sha256Hex(from.address));
  if (!admitted.admitted) {
    return {
      outcome: held(
        'sender_flood',
        'More emails from this sender in an hour than INBOUND_PER_SENDER_PER_HOUR allows.',
        {
          ticket_id: ticketId,
          sender_user_id: sender?.id ?? null,
        },
      ),
    };
  }
  if (!sender) {
    return decideUnknownSender(deps, parsed, from, ticketId, now);
  }
  if (sender.disabled_at !== null || sender.is_placeholder) {
    return {
      outcome: held('sender_disabled', 'The sender’s account is disabled.', {
        ticket_id: ticketId,
        sender_user_id: sender.id,
      }),
    };
  }
  if (sender.email_verified_at === null) {
    return {
      outcome: held('awaiting_sender', 'Waiting for the sender to confirm their address and finish signing up.', {
        ticket_id: ticketId,
        sender_user_id: sender.id,
      }),
    };
  }
  if (match.ticket) {
    return decideReply(deps, row, parsed, sender, match.ticket);
  }
  if (isStaff(sender)) {
    return {
      outcome: held('staff_without_ticket', 'A staff member wrote to the support address without naming a ticket.', {
        sender_user_id: sender.id,
      }),
    };
  }
  if (!(await deps.limits.ticketsPerClient.admit(`user:${sender.id}`)).admitted) {
    return {
      outcome: held('over_quota', 'The client has opened as many tickets this hour as TICKETS_PER_HOUR allows.', {
        sender_user_id: sender.id,
      }),
    };
  }
  return openFor(deps, row, parsed, sender, 'new_ticket');
}

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1);
}

function decideReply(
  deps: InboundDeps,
  row: InboxMessage,
  parsed: ParsedInbound,
  sender: User,
  ticket: Ticket,
): Promise<Decision> | Decision {
  const base = { ticket_id: ticket.id, sender_user_id: sender.id };
  if (isStaff(sender)) {
    if (!parsed.auth.dkimAligned) {
      return {
        outcome: held('staff_unsigned', `A staff reply must be DKIM-signed: ${parsed.auth.summary}.`, base),
      };
    }
  } else if (sender.id !== ticket.client_id) {
    return { outcome: held('not_on_ticket', 'The sender is not this ticket’s client.', base) };
  }
  return replyAs(deps, row, parsed, sender, ticket, false, 'reply');
}

async function replyAs(
  deps: InboundDeps,
  row: InboxMessage,
  parsed: ParsedInbound,
  author: User,
  ticket: Ticket,
  note: boolean,
  outcome: string,
  prefix = '',
): Promise<Decision> {
  if (!note && !isStaff(author) && !(await deps.limits.messagesPerClient.admit(`user:${author.id}`)).admitted) {
    return {
      outcome: held('over_quota', 'The client has sent as many messages this hour as MESSAGES_PER_HOUR allows.', {
        ticket_id: ticket.id,
        sender_user_id: author.id,
      }),
    };
  }
  const { files, message } = checkAttachments(deps, parsed, `${prefix}${parsed.reply}`);
  return {
    outcome: { status: 'applied', outcome, reason: null, ticket_id: ticket.id, sender_user_id: author.id },
    actorId: author.id,
    apply: async (finish) => {
      await addEmailToTicket(deps.tickets, author, ticket.id, {
        message,
        files,
        inboxId: row.id,
        inTransaction: finish,
        note,
      });
      return true;
    },
  };
}

function openFor(
  deps: InboundDeps,
  row: InboxMessage,
  parsed: ParsedInbound,
  client: User,
  outcome: string,
  extra: Partial<InboxOutcome> = {},
): Decision {
  const { files, message } = checkAttachments(deps, parsed, parsed.text);
  return {
    outcome: { status: 'applied', outcome, reason: null, sender_user_id: client.id, ...extra },
    actorId: client.id,
    apply: async (finish) => {
      await openTicketFromEmail(deps.tickets, client, newTicketSubject(parsed.subject), {
        message,
        files,
        inboxId: row.id,
        inTransaction: finish,
      });
      return true;
    },
  };
}

/**
 * Mail from an address without an account (it authenticated). INBOUND_UNKNOWN_SENDERS: `reject` keeps it as rejected;
 * `hold` holds it for staff; `invite` holds it and creates a client account for the address with one email: a link
 * that proves the address and lets them choose a password (and set up two-factor authentication when they sign in),
 * after which their mail is released (releaseMailOfActivatedSenders). One invitation per address: a second message
 * from it finds the account and waits with the first.
 */
async function decideUnknownSender(
  deps: InboundDeps,
  parsed: ParsedInbound,
  from: { address: string; name: string },
  ticketId: number | null,
  now: number,
): Promise<Decision> {
  const mode = deps.settings.unknownSenders;
  if (mode === 'reject') {
    return {
      outcome: {
        status: 'rejected',
        outcome: 'unknown_sender',
        reason: 'No account has this address (INBOUND_UNKNOWN_SENDERS=reject).',
        ticket_id: ticketId,
      },
    };
  }
  if (mode === 'hold' || ticketId !== null) {
    // A stranger answering an existing ticket is never invited into it: staff decide.
    return {
      outcome: held('unknown_sender', 'No account has this address.', { ticket_id: ticketId }),
    };
  }
  // Hashed before the transaction: argon2 must not run while the database's write lock is held.
  const passwordHash = await deps.hasher.hash(randomToken(32));
  return {
    outcome: held('awaiting_sender', 'A new sender: invited to confirm their address and sign up.'),
    before: async (trx) => {
      const user = await inviteSender(deps, trx, from, parsed.subject, now, passwordHash);
      return { sender_user_id: user?.id ?? null };
    },
  };
}

/**
 * Creates a client account for an address that wrote to us, with an unusable password, and mails one invitation: the
 * link proves the address and lets them choose a password. Returns the account (the one created meanwhile by another
 * message from the same address, which sent the invitation, when the address is taken).
 */
async function inviteSender(
  deps: InboundDeps,
  trx: DB,
  from: { address: string; name: string },
  subject: string,
  now: number,
  /** An unusable password's hash (of random bytes nobody keeps), made before the caller's transaction. */
  passwordHash: string,
): Promise<User | undefined> {
  const user = await insertUserIfAbsent(trx, {
    email: from.address,
    name: cleanName(from.name),
    password_hash: passwordHash,
    role: 'client',
    email_verified_at: null,
    disabled_at: null,
    created_at: now,
    updated_at: now,
    last_login_at: null,
  });
  if (!user) {
    return findUserByEmail(trx, from.address);
  }
  const token = await issueToken(trx, now, user.id, 'invite', null, user.email);
  await deps.mail.enqueue(
    trx,
    user.email,
    inboundInvitationMail(deps.mail.link('/invitation', { token }), newTicketSubject(subject)),
  );
  await recordAudit(trx, now, null, {
    event: 'user.created',
    targetUserId: user.id,
    details: { email: user.email, role: 'client', via: 'inbound_email' },
  });
  return user;
}

function cleanName(name: string): string {
  return [
    ...name
      .replace(/[\p{Cc}\p{Cf}]/gu, '')
      .replace(/\s+/g, ' ')
      .trim(),
  ]
    .slice(0, 100)
    .join('');
}

/** Staff approved a held message: the approver vouches for the sender and the content. */
async function decideApproved(
  deps: InboundDeps,
  row: InboxMessage,
  parsed: ParsedInbound,
  sender: User | undefined,
  match: Match,
): Promise<Decision> {
  const approver = row.decided_by === null ? undefined : await findUserById(deps.db, row.decided_by);
  if (!approver || !isStaff(approver) || approver.disabled_at !== null) {
    return { outcome: held('approver_gone', 'The staff member who approved it can no longer act: decide again.') };
  }
  const from = parsed.from;
  if (match.ticket) {
    const onTicket = sender && isActive(sender) && (isStaff(sender) || sender.id === match.ticket.client_id);
    if (sender && onTicket) {
      return replyAs(deps, row, parsed, sender, match.ticket, false, 'reply');
    }
    // Someone who is not on the ticket: staff see it as a note, the client does not.
    const who = from ? `${from.name ? `${from.name} ` : ''}<${from.address}>` : 'an unknown sender';
    return replyAs(
      deps,
      row,
      parsed,
      approver,
      match.ticket,
      true,
      'note',
      `Email from ${who}, approved by staff:\n\n`,
    );
  }
  if (!from) {
    return { outcome: held('no_sender', 'The message has no single From address: it cannot open a ticket.') };
  }
  if (sender && (sender.role !== 'client' || sender.disabled_at !== null || sender.is_placeholder)) {
    return {
      outcome: held(
        'approved_not_client',
        'Approved, but the sender’s account cannot open tickets (staff or disabled).',
        {
          sender_user_id: sender.id,
          decided_by: null,
          decided_at: null,
        },
      ),
    };
  }
  if (sender) {
    return openFor(deps, row, parsed, sender, 'new_ticket');
  }
  // A stranger's mail approved by staff: they get a client account and its invitation, and the ticket opens now.
  const passwordHash = await deps.hasher.hash(randomToken(32));
  const client = await deps.db
    .transaction()
    .execute((trx) => inviteSender(deps, trx, from, parsed.subject, deps.clock.now(), passwordHash));
  if (!client) {
    throw new Error('the sender’s account could not be created');
  }
  deps.mail.deliverSoon();
  return openFor(deps, row, parsed, client, 'new_ticket');
}
