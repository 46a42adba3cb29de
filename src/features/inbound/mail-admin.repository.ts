import type { DB, InboxSource, InboxStatus } from '../../db/database.ts';

/** Reads and staff decisions behind the Mail page; the worker's own writes are in inbox.repository.ts. */

/** A mail_inbox row without its raw message: what lists, buttons and the audit need. */
export interface InboxRow {
  id: number;
  source: InboxSource;
  message_id: string;
  status: InboxStatus;
  outcome: string | null;
  reason: string | null;
  attempts: number;
  last_error: string | null;
  from_address: string | null;
  from_name: string | null;
  subject: string | null;
  ticket_id: number | null;
  sender_user_id: number | null;
  decided_by: number | null;
  decided_by_email: string | null;
  decided_at: number | null;
  received_at: number;
  processed_at: number | null;
  envelope: string | null;
}

const ROW_COLUMNS = [
  'i.id',
  'i.source',
  'i.message_id',
  'i.status',
  'i.outcome',
  'i.reason',
  'i.attempts',
  'i.last_error',
  'i.from_address',
  'i.from_name',
  'i.subject',
  'i.ticket_id',
  'i.sender_user_id',
  'i.decided_by',
  'i.decided_at',
  'i.received_at',
  'i.processed_at',
  'i.envelope',
  'd.email as decided_by_email',
] as const;

function rows(db: DB) {
  return db.selectFrom('mail_inbox as i').leftJoin('users as d', 'd.id', 'i.decided_by').select(ROW_COLUMNS);
}

function toRow<R extends { attempts: number | string }>(r: R): R & { attempts: number } {
  return { ...r, attempts: Number(r.attempts) };
}

export async function findInboxRow(db: DB, id: number): Promise<InboxRow | undefined> {
  const row = await rows(db).where('i.id', '=', id).executeTakeFirst();
  return row && toRow(row);
}

/** The stored original, for the staff view. */
export async function findInboxRaw(db: DB, id: number): Promise<Buffer | undefined> {
  const row = await db.selectFrom('mail_inbox').select('raw').where('id', '=', id).executeTakeFirst();
  return row?.raw;
}

/** Whether the ticket still exists (a held message may point at one deleted since). */
export async function ticketExists(db: DB, id: number): Promise<boolean> {
  return (await db.selectFrom('tickets').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
}

type Page = { limit: number; offset: number };

/** Held mail, newest first. */
export async function listHeld(db: DB, page: Page): Promise<InboxRow[]> {
  const list = await rows(db)
    .where('i.status', '=', 'held')
    .orderBy('i.received_at', 'desc')
    .orderBy('i.id', 'desc')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  return list.map(toRow);
}

/** Failed messages, and pending or processing ones received before `staleBefore`: oldest first. */
export async function listUnprocessed(db: DB, staleBefore: number, limit: number): Promise<InboxRow[]> {
  const list = await rows(db)
    .where((eb) =>
      eb.or([
        eb('i.status', '=', 'failed'),
        eb.and([eb('i.status', 'in', ['pending', 'processing']), eb('i.received_at', '<', staleBefore)]),
      ]),
    )
    .orderBy('i.received_at', 'asc')
    .orderBy('i.id', 'asc')
    .limit(limit)
    .execute();
  return list.map(toRow);
}

/** The last messages that reached an end (applied, ignored, rejected), newest first. */
export async function listRecentActivity(db: DB, limit: number): Promise<InboxRow[]> {
  const list = await rows(db)
    .where('i.status', 'in', ['applied', 'ignored', 'rejected'])
    .orderBy('i.processed_at', 'desc')
    .orderBy('i.id', 'desc')
    .limit(limit)
    .execute();
  return list.map(toRow);
}

export async function countInboxByStatus(db: DB): Promise<Array<{ status: InboxStatus; n: number }>> {
  const list = await db
    .selectFrom('mail_inbox')
    .select((eb) => ['status', eb.fn.countAll<number>().as('n')])
    .groupBy('status')
    .execute();
  return list.map((r) => ({ status: r.status, n: Number(r.n) }));
}

export interface InboundSourceRow {
  name: InboxSource;
  last_poll_at: number | null;
  last_success_at: number | null;
  last_error: string | null;
  last_error_at: number | null;
  received_count: number;
}

export async function listInboundSources(db: DB): Promise<InboundSourceRow[]> {
  const list = await db
    .selectFrom('inbound_sources')
    .select(['name', 'last_poll_at', 'last_success_at', 'last_error', 'last_error_at', 'received_count'])
    .execute();
  return list.map((r) => ({ ...r, received_count: Number(r.received_count) }));
}

export interface UndeliverableRow {
  address: string;
  reason: string;
  source: string;
  bounces: number;
  first_at: number;
  last_at: number;
}

export async function listUndeliverable(db: DB, page: Page): Promise<UndeliverableRow[]> {
  const list = await db
    .selectFrom('undeliverable_addresses')
    .selectAll()
    .orderBy('last_at', 'desc')
    .orderBy('address')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  return list.map((r) => ({ ...r, bounces: Number(r.bounces) }));
}

export async function findUndeliverable(db: DB, address: string): Promise<UndeliverableRow | undefined> {
  const row = await db
    .selectFrom('undeliverable_addresses')
    .selectAll()
    .where('address', '=', address)
    .executeTakeFirst();
  return row && { ...row, bounces: Number(row.bounces) };
}

/** Deletes the address's row; whether there was one. */
export async function deleteUndeliverable(db: DB, address: string): Promise<boolean> {
  const result = await db.deleteFrom('undeliverable_addresses').where('address', '=', address).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

/**
 * Staff approve a held message: it goes back to the worker, due now, with who decided (the worker applies it as
 * approved). Only a row that is still held changes, so of two staff deciding at once exactly one wins.
 */
export async function approveHeldRow(db: DB, id: number, staffId: number, now: number): Promise<boolean> {
  const result = await db
    .updateTable('mail_inbox')
    .set({ status: 'pending', next_attempt_at: now, locked_until: null, decided_by: staffId, decided_at: now })
    .where('id', '=', id)
    .where('status', '=', 'held')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Staff reject a held message: it ends there, kept with who decided. */
export async function rejectHeldRow(db: DB, id: number, staffId: number, now: number): Promise<boolean> {
  const result = await db
    .updateTable('mail_inbox')
    .set({
      status: 'rejected',
      outcome: 'rejected_by_staff',
      decided_by: staffId,
      decided_at: now,
      processed_at: now,
    })
    .where('id', '=', id)
    .where('status', '=', 'held')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * An administrator retries a failed message (or one pending since long): the worker takes it again now, with all its
 * attempts. A message being processed under a live lease is not touched (its worker finishes or its lease runs out).
 */
export async function retryInboxRow(db: DB, id: number, now: number): Promise<boolean> {
  const result = await db
    .updateTable('mail_inbox')
    .set({ status: 'pending', outcome: null, reason: null, attempts: 0, next_attempt_at: now, locked_until: null })
    .where('id', '=', id)
    .where('status', 'in', ['failed', 'pending'])
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
