import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Dialect } from '../../db/connect.ts';
import type { DB, Priority, Ticket, TicketStatus, User } from '../../db/database.ts';
import { recordAudit } from '../../audit/audit.repository.ts';
import type { RenderedMail } from '../../mail/templates.tsx';
import type { AcceptedFile } from './attachments.ts';
import { ticketNotificationMail } from './ticket.mail.tsx';
import { isStaff } from './ticket.policy.ts';
import { releaseAttachmentBytes, reserveAttachmentBytes } from './quota.repository.ts';
import { indexText, ownerToken, subjectRowId } from './ticket.repository.ts';
import { formatTicketNumber } from './ticket.schemas.ts';
import { originOf } from '../../http/origin.ts';

export interface TicketEvent {
  field: 'status' | 'assignee' | 'priority' | 'category';
  from: string | null;
  to: string | null;
}

type Trx = DB;

/** The user's attachment storage (ATTACHMENT_QUOTA_BYTES) has no room for these files; nothing was saved. */
export class StorageQuotaExceeded extends Error {
  constructor() {
    super('attachment storage quota exceeded');
    this.name = 'StorageQuotaExceeded';
  }
}

/**
 * Whether this event may email staff: always for staff authors; for a client, the first
 * STAFF_NOTIFICATIONS_PER_HOUR events of the hour are mailed, the next one sends one "further updates are
 * not emailed" notice, and later ones send nothing (they are in the portal, awaiting staff, as always).
 */
async function staffMailAllowance(app: FastifyInstance, author: User): Promise<'send' | 'notice' | 'none'> {
  if (isStaff(author)) {
    return 'send';
  }
  // Per-user hourly quotas: each is a limiter admit, one atomic statement in the shared store (database or Redis).
  const key = `user:${author.id}`;
  if ((await app.limits.staffMailPerClient.admit(key)).admitted) {
    return 'send';
  }
  return (await app.limits.staffMailNotice.admit(key)).admitted ? 'notice' : 'none';
}

async function reserveStorage(app: FastifyInstance, trx: Trx, author: User, files: AcceptedFile[]): Promise<void> {
  const bytes = files.reduce((sum, f) => sum + f.data.length, 0);
  if (bytes > 0 && !(await reserveAttachmentBytes(trx, author.id, bytes, app.config.env.ATTACHMENT_QUOTA_BYTES))) {
    throw new StorageQuotaExceeded();
  }
}

async function mailStaff(app: FastifyInstance, trx: Trx, allowance: 'send' | 'notice' | 'none', recipients: string[], author: User, mail: () => RenderedMail): Promise<void> {
  if (allowance === 'none') {
    return;
  }
  const rendered =
    allowance === 'send'
      ? mail()
      : ticketNotificationMail({
          kind: 'client_quieted',
          ticketLabel: `More than ${app.config.env.STAFF_NOTIFICATIONS_PER_HOUR} updates from ${author.email} in an hour`,
          link: app.mail.link('/tickets', { status: 'awaiting_staff' }),
          body: `${author.email} has opened or replied to tickets more than ${app.config.env.STAFF_NOTIFICATIONS_PER_HOUR} times in the last hour. Their further updates this hour are not emailed one by one; they are all in the portal, awaiting staff.`,
          by: author.email,
        });
  for (const to of recipients) {
    await app.mail.enqueue(trx, to, rendered);
  }
}
type Owned = Pick<Ticket, 'id' | 'client_id'>;

/** On PostgreSQL every thread entry carries its ticket's client, which the search index holds for the messages. */
const entryOwner = (dialect: Dialect, ticket: Owned) => (dialect === 'postgres' ? { client_id: ticket.client_id } : {});

async function insertEntry(app: FastifyInstance, trx: Trx, ticket: Owned, author: User, kind: 'message' | 'note', body: string, files: AcceptedFile[], now: number) {
  const message = await trx
    .insertInto('ticket_messages')
    .values({ ticket_id: ticket.id, author_id: author.id, kind, body, created_at: now, ...entryOwner(app.conn.dialect, ticket) })
    .returning('id')
    .executeTakeFirstOrThrow();
  for (const file of files) {
    const row = await trx
      .insertInto('attachments')
      .values({ ticket_id: ticket.id, message_id: message.id, file_name: file.fileName, content_type: file.contentType, size: file.data.length, sha256: file.sha256, created_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    await trx.insertInto('attachment_blobs').values({ attachment_id: row.id, data: file.data }).execute();
  }
  await indexText(trx, app.conn.dialect, { rowid: message.id, text: body, clientId: kind === 'message' ? ticket.client_id : null });
  return message.id;
}

async function insertEvents(app: FastifyInstance, trx: Trx, ticket: Owned, author: User, events: TicketEvent[], now: number) {
  if (events.length > 0) {
    const owner = entryOwner(app.conn.dialect, ticket);
    await trx
      .insertInto('ticket_messages')
      .values(events.map((e) => ({ ticket_id: ticket.id, author_id: author.id, kind: 'event' as const, body: JSON.stringify(e), created_at: now, ...owner })))
      .execute();
  }
}

/** Everyone who should hear about a client's message: the assignee, or all active staff when unassigned. */
async function staffRecipients(trx: Trx, ticket: Pick<Ticket, 'assignee_id'>, except: number): Promise<string[]> {
  let query = trx.selectFrom('users').select('email').where('notify_tickets', '=', 1).where('disabled_at', 'is', null).where('id', '!=', except);
  query = ticket.assignee_id ? query.where('id', '=', ticket.assignee_id) : query.where('role', 'in', ['agent', 'administrator']);
  return (await query.limit(200).execute()).map((r) => r.email);
}

async function clientRecipient(trx: Trx, ticket: Pick<Ticket, 'client_id'>, except: number): Promise<string[]> {
  const client = await trx.selectFrom('users').select('email').where('id', '=', ticket.client_id).where('id', '!=', except).where('notify_tickets', '=', 1).where('disabled_at', 'is', null).executeTakeFirst();
  return client ? [client.email] : [];
}

export interface NewTicket {
  client: User;
  subject: string;
  message: string;
  category: string | null;
  priority: Priority;
  files: AcceptedFile[];
}

export async function createTicket(app: FastifyInstance, request: FastifyRequest, author: User, input: NewTicket): Promise<number> {
  const now = app.clock.now();
  const allowance = await staffMailAllowance(app, author);
  const id = await app.db.transaction().execute(async (trx) => {
    await reserveStorage(app, trx, author, input.files);
    const ticket = await trx
      .insertInto('tickets')
      .values({
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
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const owned = { id: ticket.id, client_id: input.client.id };
    await indexText(trx, app.conn.dialect, { rowid: subjectRowId(ticket.id), text: input.subject, clientId: input.client.id });
    await insertEntry(app, trx, owned, author, 'message', input.message, input.files, now);
    const link = app.mail.link(`/tickets/${ticket.id}`);
    const label = `${formatTicketNumber(ticket.id)} ${input.subject}`;
    await mailStaff(app, trx, allowance, await staffRecipients(trx, { assignee_id: null }, author.id), author, () =>
      ticketNotificationMail({ kind: 'ticket_opened', ticketLabel: label, link, body: input.message, by: input.client.email }),
    );
    if (isStaff(author)) {
      for (const to of await clientRecipient(trx, { client_id: input.client.id }, author.id)) {
        await app.mail.enqueue(trx, to, ticketNotificationMail({ kind: 'ticket_opened_for_you', ticketLabel: label, link, body: input.message, by: 'Support' }));
      }
    }
    return ticket.id;
  });
  app.mail.deliverSoon();
  request.log.info({ ticketId: id }, 'ticket opened');
  return id;
}

/**
 * A reply or an internal note. Replies move the status (client → awaiting staff, staff → awaiting client,
 * reopening a resolved ticket) and notify the other side; notes change nothing and notify no one.
 * Returns false when the ticket was deleted meanwhile.
 */
export async function addReply(app: FastifyInstance, author: User, ticketId: number, input: { message: string; internal: boolean; files: AcceptedFile[] }): Promise<boolean> {
  const now = app.clock.now();
  const staff = isStaff(author);
  const allowance = input.internal && staff ? 'none' : await staffMailAllowance(app, author);
  const gone = new Error('ticket deleted meanwhile');
  const done = await app.db.transaction().execute(async (trx) => {
    await reserveStorage(app, trx, author, input.files);
    const ticket = await trx.selectFrom('tickets').selectAll().where('id', '=', ticketId).executeTakeFirst();
    if (!ticket) {
      // Rolls the storage reservation back with the rest.
      throw gone;
    }
    const kind = input.internal && staff ? 'note' : 'message';
    await insertEntry(app, trx, ticket, author, kind, input.message, input.files, now);
    if (kind === 'note') {
      // Staff see the note as activity; the client, who cannot see it, does not (client_updated_at stays).
      await trx.updateTable('tickets').set({ updated_at: now }).where('id', '=', ticket.id).execute();
      return true;
    }
    const status: TicketStatus = staff ? 'awaiting_client' : 'awaiting_staff';
    if (status !== ticket.status) {
      await insertEvents(app, trx, ticket, author, [{ field: 'status', from: ticket.status, to: status }], now);
    }
    await trx
      .updateTable('tickets')
      .set((eb) => ({ status, updated_at: now, client_updated_at: now, resolved_at: null, message_count: eb('message_count', '+', 1) }))
      .where('id', '=', ticket.id)
      .execute();
    const link = app.mail.link(`/tickets/${ticket.id}`);
    const label = `${formatTicketNumber(ticket.id)} ${ticket.subject}`;
    const recipients = staff ? await clientRecipient(trx, ticket, author.id) : await staffRecipients(trx, ticket, author.id);
    await mailStaff(app, trx, allowance, recipients, author, () =>
      ticketNotificationMail({ kind: staff ? 'staff_replied' : 'client_replied', ticketLabel: label, link, body: input.message, by: staff ? 'Support' : author.email }),
    );
    return true;
  }).catch((error: unknown) => {
    if (error === gone) {
      return false;
    }
    throw error;
  });
  app.mail.deliverSoon();
  return done;
}

export async function resolveTicket(app: FastifyInstance, author: User, ticket: Ticket): Promise<void> {
  if (ticket.status === 'resolved') {
    return;
  }
  const now = app.clock.now();
  await app.db.transaction().execute(async (trx) => {
    await insertEvents(app, trx, ticket, author, [{ field: 'status', from: ticket.status, to: 'resolved' }], now);
    await trx.updateTable('tickets').set({ status: 'resolved', resolved_at: now, updated_at: now, client_updated_at: now }).where('id', '=', ticket.id).execute();
    if (isStaff(author)) {
      for (const to of await clientRecipient(trx, ticket, author.id)) {
        await app.mail.enqueue(
          trx,
          to,
          ticketNotificationMail({ kind: 'resolved', ticketLabel: `${formatTicketNumber(ticket.id)} ${ticket.subject}`, link: app.mail.link(`/tickets/${ticket.id}`), body: null, by: 'Support' }),
        );
      }
    }
  });
  app.mail.deliverSoon();
}

export async function updateProperties(
  app: FastifyInstance,
  author: User,
  ticket: Ticket,
  changes: { assigneeId?: number | null; priority?: Priority; category?: string | null },
  assigneeLabel: (id: number | null) => Promise<string | null>,
): Promise<number> {
  const events: TicketEvent[] = [];
  const set: { assignee_id?: number | null; priority?: Priority; category?: string | null } = {};
  if (changes.assigneeId !== undefined && changes.assigneeId !== ticket.assignee_id) {
    events.push({ field: 'assignee', from: await assigneeLabel(ticket.assignee_id), to: await assigneeLabel(changes.assigneeId) });
    set.assignee_id = changes.assigneeId;
  }
  if (changes.priority !== undefined && changes.priority !== ticket.priority) {
    events.push({ field: 'priority', from: ticket.priority, to: changes.priority });
    set.priority = changes.priority;
  }
  if (changes.category !== undefined && changes.category !== ticket.category) {
    events.push({ field: 'category', from: ticket.category, to: changes.category });
    set.category = changes.category;
  }
  if (events.length === 0) {
    return 0;
  }
  const now = app.clock.now();
  await app.db.transaction().execute(async (trx) => {
    await insertEvents(app, trx, ticket, author, events, now);
    // Status, assignee, priority and category events are part of the thread the client sees.
    await trx.updateTable('tickets').set({ ...set, updated_at: now, client_updated_at: now }).where('id', '=', ticket.id).execute();
  });
  return events.length;
}

export async function deleteTicket(app: FastifyInstance, request: FastifyRequest, admin: User, ticket: Ticket): Promise<void> {
  const now = app.clock.now();
  await app.db.transaction().execute(async (trx) => {
    if (app.conn.dialect === 'sqlite') {
      const ids = await trx.selectFrom('ticket_messages').select('id').where('ticket_id', '=', ticket.id).execute();
      const rowids = [subjectRowId(ticket.id), ...ids.map((r) => r.id)];
      for (let i = 0; i < rowids.length; i += 500) {
        await trx.deleteFrom('ticket_fts').where('rowid', 'in', rowids.slice(i, i + 500)).execute();
      }
    }
    await releaseAttachmentBytes(trx, { ticketId: ticket.id });
    await trx.deleteFrom('tickets').where('id', '=', ticket.id).execute();
    await recordAudit(trx, now, originOf(request), {
      event: 'ticket.deleted',
      actorUserId: admin.id,
      targetUserId: ticket.client_id,
      details: { ticketId: ticket.id, subject: ticket.subject.slice(0, 200) },
    });
  });
}

/** Deletes every ticket a client owns (and, on SQLite, their search rows) inside the caller's transaction. */
export async function deleteTicketsOfClient(trx: DB, dialect: 'sqlite' | 'postgres', clientId: number): Promise<number> {
  if (dialect === 'sqlite') {
    const owned = trx.selectFrom('tickets').select('id').where('client_id', '=', clientId);
    await trx.deleteFrom('ticket_fts').where('rowid', 'in', trx.selectFrom('ticket_messages').select('id').where('ticket_id', 'in', owned)).execute();
    await trx
      .deleteFrom('ticket_fts')
      .where('rowid', 'in', trx.selectFrom('tickets').select((eb) => eb.neg(eb.ref('id')).as('rid')).where('client_id', '=', clientId))
      .execute();
  }
  await releaseAttachmentBytes(trx, { clientId });
  const result = await trx.deleteFrom('tickets').where('client_id', '=', clientId).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * Gives every ticket of one client to another (the placeholder that keeps a deleted user's tickets) inside the
 * caller's transaction, and the search index's owner of their subjects and messages with them.
 */
export async function moveTicketsOfClient(trx: DB, dialect: Dialect, fromId: number, toId: number): Promise<number> {
  const owned = trx.selectFrom('tickets').select('id').where('client_id', '=', fromId);
  if (dialect === 'sqlite') {
    // A contentless FTS5 row cannot be changed in part: the rows are written again, their text read from the tables.
    const owner = ownerToken(toId);
    await trx
      .insertInto('ticket_fts')
      .orReplace()
      .columns(['rowid', 'text', 'owner'])
      .expression(trx.selectFrom('tickets').select((eb) => [eb.neg(eb.ref('id')).as('rowid'), 'subject as text', eb.val(owner).as('owner')]).where('client_id', '=', fromId))
      .execute();
    await trx
      .insertInto('ticket_fts')
      .orReplace()
      .columns(['rowid', 'text', 'owner'])
      .expression(
        trx
          .selectFrom('ticket_messages')
          .select((eb) => ['id as rowid', 'body as text', eb.val(owner).as('owner')])
          .where('ticket_id', 'in', owned)
          .where('kind', '=', 'message'),
      )
      .execute();
  } else {
    await trx.updateTable('ticket_messages').set({ client_id: toId }).where('ticket_id', 'in', owned).execute();
  }
  const moved = await trx.updateTable('tickets').set({ client_id: toId }).where('client_id', '=', fromId).executeTakeFirst();
  return Number(moved.numUpdatedRows);
}
