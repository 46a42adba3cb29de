import type { ServiceDeps } from '../../app-deps.ts';
import type { Dialect } from '../../db/connect.ts';
import type { DB, Priority, Ticket, TicketStatus, User } from '../../db/database.ts';
import { recordAudit } from '../../audit/audit.repository.ts';
import type { FieldErrors, FormResult } from '../../http/forms.ts';
import { authorize } from '../../http/policy.ts';
import { notFound } from '../../lib/errors.ts';
import type { Origin } from '../../lib/origin.ts';
import type { MailDraft } from '../../mail/layout.tsx';
import type { Upload } from '../../plugins/uploads.ts';
import { acceptUploads, type AcceptedFile } from './attachments.ts';
import { findUserByEmail } from '../users/user.repository.ts';
import { releaseAttachmentBytes, reserveAttachmentBytes } from './quota.repository.ts';
import { clientQuietedMail, ticketNotificationMail } from './ticket.mail.tsx';
import { isStaff, messagePolicy, ticketPolicy } from './ticket.policy.ts';
import {
  clientEmailOf,
  clientRecipient,
  deleteClientTicketRows,
  deleteTicketRows,
  findAttachmentFile,
  findTicket,
  insertEntry,
  insertEvents,
  insertTicket,
  listStaff,
  listTickets,
  loadThread,
  moveClientTicketRows,
  otherTicketsOfClient,
  staffRecipients,
  updateTicket,
  type AttachmentFile,
  type TicketEvent,
} from './ticket.repository.ts';
import {
  type ListQuery,
  type NewTicketForm,
  type NoteForm,
  type PropertiesForm,
  type ReplyForm,
} from './ticket.schemas.ts';

/** A per-user hourly quota: one atomic admit in the shared store (database or Redis). */
interface Quota {
  admit(key: string): Promise<{ admitted: boolean }>;
}

interface TicketSettings {
  /** The configured categories (TICKET_CATEGORIES). */
  categories: string[];
  maxFiles: number;
  maxBytes: number;
  storageQuotaBytes: number;
  ticketsPerHour: number;
  messagesPerHour: number;
  staffNotificationsPerHour: number;
}

/** Everything the ticket service works with, built once per app (see ticketDeps in ticket.routes.ts). */
export type TicketDeps = Pick<ServiceDeps, 'db' | 'dialect' | 'clock' | 'mail'> & {
  limits: Record<'ticketsPerClient' | 'messagesPerClient' | 'staffMailPerClient' | 'staffMailNotice', Quota>;
  settings: TicketSettings;
};

/** The user's attachment storage (ATTACHMENT_QUOTA_BYTES) has no room for these files; nothing was saved. */
class StorageQuotaExceeded extends Error {
  constructor() {
    super('attachment storage quota exceeded');
    this.name = 'StorageQuotaExceeded';
  }
}

const storageFull = (settings: TicketSettings) =>
  `Your attachments would pass your storage allowance of ${Math.floor(settings.storageQuotaBytes / 1024 / 1024)} MB. Your text is kept: send it without the files, or ask support to remove old ones.`;

/**
 * Whether this event may email staff: always for staff authors; for a client, the first
 * STAFF_NOTIFICATIONS_PER_HOUR events of the hour are mailed, the next one sends one "further updates are
 * not emailed" notice, and later ones send nothing (they are in the portal, awaiting staff, as always).
 */
async function staffMailAllowance(deps: TicketDeps, author: User): Promise<'send' | 'notice' | 'none'> {
  if (isStaff(author)) {
    return 'send';
  }
  const key = `user:${author.id}`;
  if ((await deps.limits.staffMailPerClient.admit(key)).admitted) {
    return 'send';
  }
  return (await deps.limits.staffMailNotice.admit(key)).admitted ? 'notice' : 'none';
}

async function reserveStorage(deps: TicketDeps, trx: DB, author: User, files: AcceptedFile[]): Promise<void> {
  const bytes = files.reduce((sum, f) => sum + f.data.length, 0);
  if (bytes > 0 && !(await reserveAttachmentBytes(trx, author.id, bytes, deps.settings.storageQuotaBytes))) {
    throw new StorageQuotaExceeded();
  }
}

async function mailStaff(
  deps: TicketDeps,
  trx: DB,
  allowance: 'send' | 'notice' | 'none',
  recipients: string[],
  author: User,
  mail: () => MailDraft,
): Promise<void> {
  if (allowance === 'none') {
    return;
  }
  const perHour = deps.settings.staffNotificationsPerHour;
  const rendered =
    allowance === 'send'
      ? mail()
      : clientQuietedMail({
          link: deps.mail.link('/tickets', { status: 'awaiting_staff' }),
          email: author.email,
          perHour,
        });
  for (const to of recipients) {
    await deps.mail.enqueue(trx, to, rendered);
  }
}

/**
 * Emails the ticket's client, unless they turned ticket emails off or their account is disabled. `author` is who
 * caused the email; they are not mailed about their own action, except for the acknowledgement (`author` null).
 */
async function mailClient(
  deps: TicketDeps,
  trx: DB,
  ticket: Pick<Ticket, 'client_id'>,
  author: User | null,
  mail: () => MailDraft,
): Promise<void> {
  for (const to of await clientRecipient(trx, ticket, author?.id ?? null)) {
    await deps.mail.enqueue(trx, to, mail());
  }
}

/** One page of the tickets the viewer may see, with the staff list for the filters (staff only). */
export async function listTicketPage(deps: TicketDeps, viewer: User, query: ListQuery) {
  const page = query.page ?? 1;
  const filters = {
    q: query.q,
    status: query.status === '' || query.status === 'all' ? undefined : query.status,
    priority: query.priority || undefined,
    category: query.category || undefined,
    assignee: query.assignee || undefined,
  };
  const [result, staffMembers] = await Promise.all([
    listTickets(deps.db, deps.dialect, viewer, filters, page),
    isStaff(viewer) ? listStaff(deps.db) : Promise.resolve([]),
  ]);
  return { ...result, page, staffMembers };
}

/** How many of the client's other tickets staff see beside the thread. */
const OTHER_TICKETS = 5;

/**
 * What the ticket page shows besides the ticket: the thread as the viewer may see it, and for staff the people and
 * the client's other tickets.
 */
export async function loadTicketPage(deps: TicketDeps, viewer: User, ticket: Ticket) {
  const staff = isStaff(viewer);
  const [thread, staffMembers, clientEmail, otherTickets] = await Promise.all([
    loadThread(deps.db, ticket.id, staff),
    staff ? listStaff(deps.db) : Promise.resolve([]),
    staff ? clientEmailOf(deps.db, ticket) : Promise.resolve(null),
    staff ? otherTicketsOfClient(deps.db, ticket, OTHER_TICKETS) : Promise.resolve([]),
  ]);
  return { thread, staffMembers, clientEmail, otherTickets };
}
export type TicketPageData = Awaited<ReturnType<typeof loadTicketPage>>;

type OpenTicketResult =
  { ok: true; id: number } | { ok: false; status: 400 | 413 | 429; errors: FieldErrors<NewTicketForm> };

/**
 * Opens a ticket from the new-ticket form: a client for themselves, staff for the client they name. Invalid input
 * (400), the hourly ticket quota (429, clients only) and the storage allowance (413) refuse it with nothing saved.
 */
export async function openTicket(
  deps: TicketDeps,
  author: User,
  form: FormResult<NewTicketForm>,
  uploads: Upload[],
): Promise<OpenTicketResult> {
  const errors: FieldErrors<NewTicketForm> = form.ok ? {} : { ...form.errors };
  let client: User | undefined = author;
  if (isStaff(author)) {
    const found = form.values.client_email ? await findUserByEmail(deps.db, form.values.client_email) : undefined;
    client = found?.role === 'client' ? found : undefined;
    if (!client) {
      errors.client_email ??= 'There is no client account with this email. Only clients can be chosen.';
    }
  }
  const accepted = acceptUploads(uploads, deps.settings);
  if (accepted.error) {
    errors.attachments = `${accepted.error} Please choose the files again.`;
  }
  if (!form.ok || !client || Object.keys(errors).length > 0) {
    return { ok: false, status: accepted.status ?? 400, errors };
  }
  // Counted before the ticket is written; staff are exempt.
  if (!isStaff(author) && !(await deps.limits.ticketsPerClient.admit(`user:${author.id}`)).admitted) {
    const form = `You have opened ${deps.settings.ticketsPerHour} tickets in the last hour, the most we accept. Your text is kept below: please send it again later, or add it to one of your open tickets.`;
    return { ok: false, status: 429, errors: { form } };
  }
  const { subject, message, category, priority } = form.data;
  try {
    const id = await insertNewTicket(deps, author, {
      client,
      subject,
      message,
      category: category || null,
      priority: priority ?? 'normal',
      files: accepted.files,
    });
    return { ok: true, id };
  } catch (error) {
    if (!(error instanceof StorageQuotaExceeded)) {
      throw error;
    }
    return { ok: false, status: 413, errors: { attachments: storageFull(deps.settings) } };
  }
}

interface NewTicket {
  client: User;
  subject: string;
  message: string;
  category: string | null;
  priority: Priority;
  files: AcceptedFile[];
  /** The mail_inbox row the ticket was opened from by email. */
  inboxId?: number;
  /** Runs in the same transaction after the ticket is written (the inbox records its outcome: exactly once). */
  inTransaction?: (trx: DB, ids: { ticketId: number; entryId: number }) => Promise<void>;
}

async function insertNewTicket(deps: TicketDeps, author: User, input: NewTicket): Promise<number> {
  const now = deps.clock.now();
  const allowance = await staffMailAllowance(deps, author);
  const id = await deps.db.transaction().execute(async (trx) => {
    await reserveStorage(deps, trx, author, input.files);
    const id = await insertTicket(trx, deps.dialect, {
      client_id: input.client.id,
      created_by: author.id,
      assignee_id: null,
      subject: input.subject,
      status: 'awaiting_staff',
      priority: input.priority,
      category: input.category,
      message_count: 1,
      created_at: now,
      updated_at: now,
      client_updated_at: now,
      resolved_at: null,
    });
    const entryId = await insertEntry(
      trx,
      deps.dialect,
      { id, client_id: input.client.id },
      author.id,
      'message',
      input.message,
      input.files,
      now,
      input.inboxId ?? null,
    );
    await input.inTransaction?.(trx, { ticketId: id, entryId });
    const link = deps.mail.link(`/tickets/${id}`);
    const ticket = { id, subject: input.subject };
    const style = deps.mail.ticketMail;
    // Other staff hear of a ticket a colleague opened for a client as that, not as if the client had written it.
    const forClient = isStaff(author);
    await mailStaff(deps, trx, allowance, await staffRecipients(trx, { assignee_id: null }, author.id), author, () =>
      ticketNotificationMail({
        kind: forClient ? 'ticket_opened_by_staff' : 'ticket_opened',
        ticket,
        link,
        body: input.message,
        by: forClient ? `${author.name || author.email} for ${input.client.email}` : input.client.email,
        style,
      }),
    );
    // The client hears of every new ticket of theirs: staff opening one for them, or the acknowledgement of their own
    // request (which, like every ticket email, obeys their "ticket emails" setting).
    await mailClient(deps, trx, { client_id: input.client.id }, isStaff(author) ? author : null, () =>
      ticketNotificationMail({
        kind: isStaff(author) ? 'ticket_opened_for_you' : 'ticket_received',
        ticket,
        link,
        body: input.message,
        by: 'Support',
        style,
      }),
    );
    return id;
  });
  deps.mail.deliverSoon();
  return id;
}

/** The composer as the user left it (the reply or the note tab), with what went wrong: re-rendered under the thread. */
export interface ReplyState {
  message: string;
  /** The internal-note composer (staff only). */
  internal: boolean;
  error?: string | undefined;
  attachmentsError?: string | undefined;
}

type ReplyResult =
  { ok: true; internal: boolean; resolved: boolean } | { ok: false; status: 400 | 413 | 429; state: ReplyState };

/**
 * A reply to the other side. Replies move the status (client → awaiting staff, staff → awaiting client, reopening a
 * resolved ticket) and notify the other side; staff's "Send and resolve" (`then=resolve`) resolves the ticket in the
 * same transaction, with one email to the client. Invalid input (400), the hourly message quota (429, clients only)
 * and the storage allowance (413) refuse it with nothing saved; a ticket deleted meanwhile is not found.
 */
export function replyToTicket(
  deps: TicketDeps,
  author: User,
  ticket: Ticket,
  form: FormResult<ReplyForm>,
  uploads: Upload[],
): Promise<ReplyResult> {
  // Only staff resolve with a reply; a client's form has no such button (a forged one is an ordinary reply).
  const resolve = form.values.then === 'resolve' && isStaff(author);
  // An older page's note checkbox is refused by the form; its text comes back in the note composer.
  const meantAsNote = form.values.internal === '1' && isStaff(author);
  return writeEntry(deps, author, ticket, form, uploads, { internal: false, resolve, meantAsNote });
}

/**
 * An internal note (staff only: the route and the policy refuse anyone else): it changes no status and notifies no
 * one. Refused with nothing saved as a reply is.
 */
export function addNote(
  deps: TicketDeps,
  author: User,
  ticket: Ticket,
  form: FormResult<NoteForm>,
  uploads: Upload[],
): Promise<ReplyResult> {
  authorize(ticketPolicy, author, 'addNote', ticket);
  return writeEntry(deps, author, ticket, form, uploads, { internal: true, resolve: false });
}

async function writeEntry(
  deps: TicketDeps,
  author: User,
  ticket: Ticket,
  form: FormResult<NoteForm>,
  uploads: Upload[],
  how: { internal: boolean; resolve: boolean; meantAsNote?: boolean },
): Promise<ReplyResult> {
  const state: ReplyState = { message: form.values.message ?? '', internal: how.internal || how.meantAsNote === true };
  const accepted = acceptUploads(uploads, deps.settings);
  if (!form.ok || accepted.error) {
    const error = form.ok ? undefined : (form.errors.message ?? form.errors.form ?? Object.values(form.errors)[0]);
    return {
      ok: false,
      status: accepted.status ?? 400,
      state: { ...state, error: error ?? 'A file could not be attached.', attachmentsError: accepted.error },
    };
  }
  // Counted before the message is written; staff are exempt.
  if (!isStaff(author) && !(await deps.limits.messagesPerClient.admit(`user:${author.id}`)).admitted) {
    const error = `You have sent ${deps.settings.messagesPerHour} messages in the last hour, the most we accept. Your text is kept below: please send it again later.`;
    return { ok: false, status: 429, state: { ...state, error } };
  }
  try {
    await insertReply(deps, author, ticket.id, {
      message: form.data.message,
      internal: how.internal,
      resolve: how.resolve,
      files: accepted.files,
    });
  } catch (failure) {
    if (!(failure instanceof StorageQuotaExceeded)) {
      throw failure;
    }
    return {
      ok: false,
      status: 413,
      state: { ...state, error: 'A file could not be attached.', attachmentsError: storageFull(deps.settings) },
    };
  }
  return { ok: true, internal: how.internal, resolved: how.resolve };
}

interface NewEntry {
  message: string;
  internal: boolean;
  /** Staff only: the reply also resolves the ticket. */
  resolve?: boolean;
  files: AcceptedFile[];
  /** The mail_inbox row the message came from by email. */
  inboxId?: number;
  /** Runs in the same transaction after the entry is written (the inbox records its outcome: exactly once). */
  inTransaction?: (trx: DB, ids: { ticketId: number; entryId: number }) => Promise<void>;
}

async function insertReply(deps: TicketDeps, author: User, ticketId: number, input: NewEntry): Promise<void> {
  const now = deps.clock.now();
  const staff = isStaff(author);
  const allowance = input.internal && staff ? 'none' : await staffMailAllowance(deps, author);
  await deps.db.transaction().execute(async (trx) => {
    await reserveStorage(deps, trx, author, input.files);
    const ticket = await findTicket(trx, ticketId);
    if (!ticket) {
      // Deleted meanwhile: throwing rolls the storage reservation back with the rest.
      throw notFound();
    }
    const kind = input.internal && staff ? 'note' : 'message';
    const entryId = await insertEntry(
      trx,
      deps.dialect,
      ticket,
      author.id,
      kind,
      input.message,
      input.files,
      now,
      input.inboxId ?? null,
    );
    await input.inTransaction?.(trx, { ticketId: ticket.id, entryId });
    if (kind === 'note') {
      // Staff see the note as activity; the client, who cannot see it, does not (client_updated_at stays).
      await updateTicket(trx, ticket.id, { updated_at: now });
      return;
    }
    const resolve = staff && input.resolve === true;
    const status: TicketStatus = resolve ? 'resolved' : staff ? 'awaiting_client' : 'awaiting_staff';
    if (status !== ticket.status) {
      await insertEvents(
        trx,
        deps.dialect,
        ticket,
        author.id,
        [{ field: 'status', from: ticket.status, to: status }],
        now,
      );
    }
    await updateTicket(
      trx,
      ticket.id,
      { status, updated_at: now, client_updated_at: now, resolved_at: resolve ? now : null },
      true,
    );
    const link = deps.mail.link(`/tickets/${ticket.id}`);
    const recipients = staff
      ? await clientRecipient(trx, ticket, author.id)
      : await staffRecipients(trx, ticket, author.id);
    await mailStaff(deps, trx, allowance, recipients, author, () =>
      // One email for "Send and resolve": the reply, saying the ticket is resolved.
      ticketNotificationMail({
        kind: resolve ? 'staff_replied_resolved' : staff ? 'staff_replied' : 'client_replied',
        ticket,
        link,
        body: input.message,
        by: staff ? 'Support' : author.email,
        style: deps.mail.ticketMail,
      }),
    );
  });
  deps.mail.deliverSoon();
}

/** A message that arrived by email, already checked by the inbound service (who wrote it, and that it authenticated). */
export interface EmailEntry {
  message: string;
  files: AcceptedFile[];
  inboxId: number;
  inTransaction: (trx: DB, ids: { ticketId: number; entryId: number }) => Promise<void>;
}

/**
 * Files over the sender's storage allowance are left out of an emailed message rather than refusing it: the text is
 * kept, with a line saying which files were not added.
 */
async function withoutFilesWhenFull<T>(entry: EmailEntry, write: (entry: EmailEntry) => Promise<T>): Promise<T> {
  try {
    return await write(entry);
  } catch (error) {
    if (!(error instanceof StorageQuotaExceeded) || entry.files.length === 0) {
      throw error;
    }
    const names = entry.files.map((f) => f.fileName).join(', ');
    const message = `${entry.message}\n\n[Not attached, over the sender's storage allowance: ${names}]`;
    return write({ ...entry, message, files: [] });
  }
}

/** Opens a ticket for a client from their email (subject and text as they wrote them). */
export async function openTicketFromEmail(
  deps: TicketDeps,
  client: User,
  subject: string,
  entry: EmailEntry,
): Promise<number> {
  return withoutFilesWhenFull(entry, (e) =>
    insertNewTicket(deps, client, {
      client,
      subject,
      message: e.message,
      category: null,
      priority: 'normal',
      files: e.files,
      inboxId: e.inboxId,
      inTransaction: e.inTransaction,
    }),
  );
}

/**
 * Adds an emailed message to a ticket as its author's reply (moving the status and notifying the other side, as a
 * reply in the portal does), or as an internal note when staff approved mail from someone who is not on the ticket.
 */
export async function addEmailToTicket(
  deps: TicketDeps,
  author: User,
  ticketId: number,
  entry: EmailEntry & { note: boolean },
): Promise<void> {
  await withoutFilesWhenFull(entry, (e) =>
    insertReply(deps, author, ticketId, {
      message: e.message,
      internal: entry.note,
      files: e.files,
      inboxId: e.inboxId,
      inTransaction: e.inTransaction,
    }),
  );
}

export async function resolveTicket(deps: TicketDeps, author: User, ticket: Ticket): Promise<void> {
  if (ticket.status === 'resolved') {
    return;
  }
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    await insertEvents(
      trx,
      deps.dialect,
      ticket,
      author.id,
      [{ field: 'status', from: ticket.status, to: 'resolved' }],
      now,
    );
    await updateTicket(trx, ticket.id, {
      status: 'resolved',
      resolved_at: now,
      updated_at: now,
      client_updated_at: now,
    });
    if (isStaff(author)) {
      await mailClient(deps, trx, ticket, author, () =>
        ticketNotificationMail({
          kind: 'resolved',
          ticket,
          link: deps.mail.link(`/tickets/${ticket.id}`),
          body: null,
          by: 'Support',
          style: deps.mail.ticketMail,
        }),
      );
    }
  });
  deps.mail.deliverSoon();
}

type PropertiesResult = { ok: true; changed: number } | { ok: false; error: string };

/**
 * Staff change a ticket's assignee, priority and category; each change is an event in the thread. Assignees must be
 * active staff; a category must be a configured one, or the one the ticket has (a retired category may stay).
 */
export async function changeTicketProperties(
  deps: TicketDeps,
  author: User,
  ticket: Ticket,
  form: FormResult<PropertiesForm>,
): Promise<PropertiesResult> {
  if (!form.ok) {
    return { ok: false, error: Object.values(form.errors)[0] ?? 'Nothing was changed.' };
  }
  const { assignee, priority, category } = form.data;
  const staffMembers = await listStaff(deps.db);
  const label = (id: number | null) => {
    const member = staffMembers.find((m) => m.id === id);
    return id === null ? null : member ? member.name || member.email : `user ${id}`;
  };
  const events: TicketEvent[] = [];
  const set: { assignee_id?: number | null; priority?: Priority; category?: string | null } = {};
  if (assignee !== undefined) {
    const id = assignee === '' ? null : Number(assignee);
    if (id !== null && !staffMembers.some((m) => m.id === id)) {
      return { ok: false, error: 'Tickets can only be assigned to active agents and administrators.' };
    }
    if (id !== ticket.assignee_id) {
      events.push({ field: 'assignee', from: label(ticket.assignee_id), to: label(id) });
      set.assignee_id = id;
    }
  }
  if (priority !== undefined && priority !== ticket.priority) {
    events.push({ field: 'priority', from: ticket.priority, to: priority });
    set.priority = priority;
  }
  if (category !== undefined) {
    if (category !== '' && !deps.settings.categories.includes(category) && category !== ticket.category) {
      return { ok: false, error: 'Choose a category from the list.' };
    }
    if ((category || null) !== ticket.category) {
      events.push({ field: 'category', from: ticket.category, to: category || null });
      set.category = category || null;
    }
  }
  if (events.length === 0) {
    return { ok: true, changed: 0 };
  }
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    await insertEvents(trx, deps.dialect, ticket, author.id, events, now);
    // Status, assignee, priority and category events are part of the thread the client sees.
    await updateTicket(trx, ticket.id, { ...set, updated_at: now, client_updated_at: now });
  });
  return { ok: true, changed: events.length };
}

/** Deletes a ticket with its messages and files, gives the uploaders their storage back, and audits it. */
export async function deleteTicket(deps: TicketDeps, admin: User, ticket: Ticket, origin: Origin): Promise<void> {
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    await releaseAttachmentBytes(trx, { ticketId: ticket.id });
    await deleteTicketRows(trx, deps.dialect, ticket.id);
    await recordAudit(trx, now, origin, {
      event: 'ticket.deleted',
      actorUserId: admin.id,
      targetUserId: ticket.client_id,
      details: { ticketId: ticket.id, subject: ticket.subject.slice(0, 200) },
    });
  });
}

/** An attachment of the ticket the viewer may download (a note's files are staff-only), or not found. */
export async function downloadAttachment(
  deps: TicketDeps,
  viewer: User,
  ticket: Ticket,
  attachmentId: number,
): Promise<AttachmentFile> {
  const file = await findAttachmentFile(deps.db, ticket.id, attachmentId);
  authorize(messagePolicy, viewer, 'see', file);
  return file;
}

/** Deletes every ticket a client owns, giving the uploaders their storage back, inside the caller's transaction. */
export async function deleteTicketsOfClient(trx: DB, dialect: Dialect, clientId: number): Promise<number> {
  await releaseAttachmentBytes(trx, { clientId });
  return deleteClientTicketRows(trx, dialect, clientId);
}

/**
 * Gives every ticket of one client to another (the placeholder that keeps a deleted user's tickets) inside the
 * caller's transaction, and the search index's owner of their subjects and messages with them.
 */
export function moveTicketsOfClient(trx: DB, dialect: Dialect, fromId: number, toId: number): Promise<number> {
  return moveClientTicketRows(trx, dialect, fromId, toId);
}
