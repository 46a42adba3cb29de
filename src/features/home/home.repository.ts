import { sql, type SelectQueryBuilder } from 'kysely';
import type { Database, DB, TicketStatus, TicketsTable } from '../../db/database.ts';
import type { TicketListRow } from '../tickets/ticket.repository.ts';

/**
 * The reads behind the home pages. Every one is a short walk of an index: lists stop at `limit` rows, and counts stop
 * at HOME_COUNT_CAP + 1 rows (a LIMIT subquery), so a page with a million tickets costs what one with a hundred does.
 * The open-ticket lists use the partial indexes of 2026_12_06_1030_home_indexes (`status <> 'resolved'`): the
 * condition is written as a literal here so that SQLite and PostgreSQL can prove the index applies.
 */

/** Counts on the home pages stop here: beyond it they read "99+". */
export const HOME_COUNT_CAP = 99;

type TicketQuery = SelectQueryBuilder<Database & { t: TicketsTable }, 't', object>;

/** A count that stops after HOME_COUNT_CAP + 1 rows: the index walk ends there whatever the table holds. */
async function cappedCount<D, T extends keyof D>(db: DB, query: SelectQueryBuilder<D, T, object>) {
  const row = await db
    .selectFrom(
      query
        .select(sql.lit(1).as('one'))
        .limit(HOME_COUNT_CAP + 1)
        .as('capped'),
    )
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Statuses as SQL literals, not parameters: the planners match them against the partial indexes' condition. */
const status = (value: TicketStatus) => sql.lit(value);
const RESOLVED = status('resolved');

/** List rows for the ids, in the given order (a handful: at most one short list). */
async function rowsOf(
  db: DB,
  ids: number[],
  activity: 't.updated_at' | 't.client_updated_at',
): Promise<TicketListRow[]> {
  if (ids.length === 0) {
    return [];
  }
  const rows = await db
    .selectFrom('tickets as t')
    .where('t.id', 'in', ids)
    .leftJoin('users as c', 'c.id', 't.client_id')
    .leftJoin('users as a', 'a.id', 't.assignee_id')
    .select([
      't.id',
      't.subject',
      't.status',
      't.priority',
      't.category',
      `${activity} as updated_at`,
      't.created_at',
      't.message_count',
      'c.email as client_email',
      'a.email as assignee_email',
      'a.name as assignee_name',
    ])
    .execute();
  const byId = new Map(rows.map((r) => [r.id, { ...r, updated_at: Number(r.updated_at) }]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

export interface HomeList {
  rows: TicketListRow[];
  /** How many there are, up to HOME_COUNT_CAP + 1 (more than the cap: show "99+"). */
  count: number;
}

async function listAndCount(
  db: DB,
  query: TicketQuery,
  order: { column: 't.updated_at' | 't.client_updated_at'; direction: 'asc' | 'desc' },
  limit: number,
): Promise<HomeList> {
  const [ids, count] = await Promise.all([
    query.select('t.id').orderBy(order.column, order.direction).orderBy('t.id', order.direction).limit(limit).execute(),
    cappedCount(db, query),
  ]);
  return {
    rows: await rowsOf(
      db,
      ids.map((r) => r.id),
      order.column,
    ),
    count,
  };
}

const tickets = (db: DB): TicketQuery => db.selectFrom('tickets as t');

/** A client's tickets that wait for their reply, newest activity (as the client sees it) first. */
export function clientWaiting(db: DB, clientId: number, limit: number): Promise<HomeList> {
  const query = tickets(db).where('t.client_id', '=', clientId).where('t.status', '=', status('awaiting_client'));
  return listAndCount(db, query, { column: 't.client_updated_at', direction: 'desc' }, limit);
}

/** A client's open (not resolved) tickets, newest activity first. */
export function clientOpen(db: DB, clientId: number, limit: number): Promise<HomeList> {
  const query = tickets(db).where('t.client_id', '=', clientId).where('t.status', '<>', RESOLVED);
  return listAndCount(db, query, { column: 't.client_updated_at', direction: 'desc' }, limit);
}

/** Whether the client has any ticket at all (a brand-new client gets the explanation instead of empty lists). */
export async function clientHasTickets(db: DB, clientId: number): Promise<boolean> {
  // Ordered as the client's index is, so that PostgreSQL walks it rather than scanning the table for a client with none.
  const row = await tickets(db)
    .select('t.id')
    .where('t.client_id', '=', clientId)
    .orderBy('t.client_updated_at', 'desc')
    .orderBy('t.id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Open tickets nobody is assigned to, least recently active first. */
export function unassignedOpen(db: DB, limit: number): Promise<HomeList> {
  const query = tickets(db).where('t.assignee_id', 'is', null).where('t.status', '<>', RESOLVED);
  return listAndCount(db, query, { column: 't.updated_at', direction: 'asc' }, limit);
}

/** Open tickets assigned to this staff member, least recently active first. */
export function assignedOpen(db: DB, assigneeId: number, limit: number): Promise<HomeList> {
  const query = tickets(db).where('t.assignee_id', '=', assigneeId).where('t.status', '<>', RESOLVED);
  return listAndCount(db, query, { column: 't.updated_at', direction: 'asc' }, limit);
}

/** Tickets awaiting a staff reply, least recently active first. */
export function awaitingStaff(db: DB, limit: number): Promise<HomeList> {
  const query = tickets(db).where('t.status', '=', status('awaiting_staff'));
  return listAndCount(db, query, { column: 't.updated_at', direction: 'asc' }, limit);
}

/** Failed sign-in attempts since `since` (failed_logins_created_idx), capped. */
export function countFailedLoginsSince(db: DB, since: number): Promise<number> {
  return cappedCount(db, db.selectFrom('failed_logins').where('created_at', '>', since));
}

/**
 * Sign-in counters paused right now (per email tried, known or not, and per trusted device). A pause ends at most
 * `maxPauseMs` after the failure that started it, so only keys that failed since then are read (login_throttles_last_idx).
 */
export function countPausedSignIns(db: DB, now: number, maxPauseMs: number): Promise<number> {
  return cappedCount(
    db,
    db
      .selectFrom('login_throttles')
      .where('last_failure_at', '>', now - maxPauseMs)
      .where('locked_until', '>', now),
  );
}

/**
 * The IP addresses of the newest failed sign-ins since `since` (at most `rows` attempts read, newest first, through
 * failed_logins_created_idx), without repeats: the only addresses whose sign-in limit can be blocked now; `more` when
 * older attempts were left unread.
 */
export async function recentFailedLoginIps(
  db: DB,
  since: number,
  rows: number,
): Promise<{ ips: string[]; more: boolean }> {
  const recent = await db
    .selectFrom('failed_logins')
    .select('ip')
    .where('created_at', '>', since)
    .orderBy('created_at', 'desc')
    .limit(rows)
    .execute();
  return { ips: [...new Set(recent.map((r) => r.ip))], more: recent.length === rows };
}

/** Addresses a bounce reported as undeliverable, capped. */
export function countUndeliverable(db: DB): Promise<number> {
  return cappedCount(db, db.selectFrom('undeliverable_addresses'));
}

/** Inbound mail held for staff (mail_inbox_due_idx), capped. */
export function countHeldMail(db: DB): Promise<number> {
  return cappedCount(db, db.selectFrom('mail_inbox').where('status', '=', sql.lit('held')));
}
