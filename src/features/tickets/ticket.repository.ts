import { sql, type Expression, type SqlBool } from 'kysely';
import type { Dialect } from '../../db/connect.ts';
import type { Attachment, DB, Priority, Role, Ticket, TicketStatus, User } from '../../db/database.ts';
import { isStaff } from './ticket.policy.ts';
import { PAGE_SIZE } from './ticket.schemas.ts';

export interface TicketFilters {
  q?: string | undefined;
  status?: TicketStatus | 'open' | undefined;
  priority?: Priority | undefined;
  category?: string | undefined;
  /** 'me', 'none' or a user id (staff only). */
  assignee?: string | undefined;
}

export interface TicketListRow {
  id: number;
  subject: string;
  status: TicketStatus;
  priority: Priority;
  category: string | null;
  updated_at: number;
  created_at: number;
  message_count: number;
  client_email: string | null;
  assignee_email: string | null;
  assignee_name: string | null;
}

/** Counting stops here: past it a list says "10,000+" instead of scanning a million rows for an exact figure. */
export const COUNT_CAP = 10_000;

/** Search words for FTS5: letters and digits only, each quoted and prefix-matched, so no query syntax gets through. */
export function ftsQuery(q: string): string | null {
  const words = (q.normalize('NFKC').match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, 8).map((w) => w.slice(0, 40));
  return words.length === 0 ? null : words.map((w) => `"${w}"*`).join(' ');
}

/** A client sees only its own tickets; staff see all. Anything else is not found. */
export function findVisibleTicket(db: DB, user: User, id: number): Promise<Ticket | undefined> {
  let query = db.selectFrom('tickets').selectAll().where('id', '=', id);
  if (!isStaff(user)) {
    query = query.where('client_id', '=', user.id);
  }
  return query.executeTakeFirst();
}

export async function listTickets(db: DB, dialect: Dialect, user: User, filters: TicketFilters, page: number) {
  const staff = isStaff(user);
  let query = db.selectFrom('tickets as t');
  if (!staff) {
    query = query.where('t.client_id', '=', user.id);
  }
  if (filters.status === 'open') {
    query = query.where('t.status', '!=', 'resolved');
  } else if (filters.status) {
    query = query.where('t.status', '=', filters.status);
  }
  if (staff && filters.priority) {
    query = query.where('t.priority', '=', filters.priority);
  }
  if (staff && filters.category) {
    query = query.where('t.category', '=', filters.category);
  }
  if (staff && filters.assignee) {
    query =
      filters.assignee === 'none'
        ? query.where('t.assignee_id', 'is', null)
        : query.where('t.assignee_id', '=', filters.assignee === 'me' ? user.id : Number(filters.assignee));
  }
  const search = filters.q?.trim();
  if (search) {
    if (dialect === 'sqlite') {
      const match = ftsQuery(search);
      if (!match) {
        return { rows: [], total: 0, capped: false };
      }
      // Notes are indexed with visible = 0 and never searched for clients.
      query = query.where('t.id', 'in', (eb) => {
        let fts = eb.selectFrom('ticket_fts').select('ticket_fts.ticket_id').where(sql<SqlBool>`ticket_fts match ${match}`);
        if (!staff) {
          fts = fts.where('ticket_fts.visible', '=', 1);
        }
        return fts;
      });
    } else {
      const tsquery = sql`websearch_to_tsquery('simple', ${search})`;
      query = query.where((eb) =>
        eb.or([
          sql<SqlBool>`t.search @@ ${tsquery}`,
          eb('t.id', 'in', (sub) => {
            let messages = sub.selectFrom('ticket_messages as m').select('m.ticket_id').where(sql<SqlBool>`m.search @@ ${tsquery}`).where('m.kind', '!=', 'event');
            if (!staff) {
              messages = messages.where('m.kind', '=', 'message');
            }
            return messages;
          }) as Expression<SqlBool>,
        ]),
      );
    }
  }

  const countRow = await db
    .selectFrom(query.select(sql.lit(1).as('one')).limit(COUNT_CAP + 1).as('capped'))
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  const counted = Number(countRow.n);

  const rows = await query
    .leftJoin('users as c', 'c.id', 't.client_id')
    .leftJoin('users as a', 'a.id', 't.assignee_id')
    .select([
      't.id',
      't.subject',
      't.status',
      't.priority',
      't.category',
      't.updated_at',
      't.created_at',
      't.message_count',
      'c.email as client_email',
      'a.email as assignee_email',
      'a.name as assignee_name',
    ])
    .orderBy('t.updated_at', 'desc')
    .orderBy('t.id', 'desc')
    .limit(PAGE_SIZE)
    .offset((page - 1) * PAGE_SIZE)
    .execute();
  return { rows: rows as TicketListRow[], total: Math.min(counted, COUNT_CAP), capped: counted > COUNT_CAP };
}

export interface ThreadEntry {
  id: number;
  kind: 'message' | 'note' | 'event';
  body: string;
  created_at: number;
  author_id: number | null;
  author_email: string | null;
  author_name: string | null;
  author_role: Role | null;
  attachments: Attachment[];
}

/** Bounds the page for very long threads; older entries are summarised as a count. */
export const THREAD_LIMIT = 1000;

/** The thread as the viewer may see it, oldest first: two queries whatever its length. */
export async function loadThread(db: DB, ticketId: number, staff: boolean): Promise<{ entries: ThreadEntry[]; hidden: number }> {
  let query = db
    .selectFrom('ticket_messages as m')
    .leftJoin('users as u', 'u.id', 'm.author_id')
    .select(['m.id', 'm.kind', 'm.body', 'm.created_at', 'm.author_id', 'u.email as author_email', 'u.name as author_name', 'u.role as author_role'])
    .where('m.ticket_id', '=', ticketId);
  if (!staff) {
    query = query.where('m.kind', '!=', 'note');
  }
  const newest = await query.orderBy('m.id', 'desc').limit(THREAD_LIMIT + 1).execute();
  const hidden = newest.length > THREAD_LIMIT ? 1 : 0;
  const rows = newest.slice(0, THREAD_LIMIT).reverse();
  const ids = rows.map((r) => r.id);
  const files = ids.length === 0 ? [] : await db.selectFrom('attachments').selectAll().where('ticket_id', '=', ticketId).where('message_id', 'in', ids).orderBy('id').execute();
  const byMessage = new Map<number, Attachment[]>();
  for (const file of files) {
    byMessage.set(file.message_id, [...(byMessage.get(file.message_id) ?? []), file]);
  }
  return { entries: rows.map((r) => ({ ...r, attachments: byMessage.get(r.id) ?? [] })), hidden };
}

export function listStaff(db: DB): Promise<Array<Pick<User, 'id' | 'email' | 'name' | 'role'>>> {
  return db
    .selectFrom('users')
    .select(['id', 'email', 'name', 'role'])
    .where('role', 'in', ['agent', 'administrator'])
    .where('disabled_at', 'is', null)
    .orderBy('email')
    .limit(500)
    .execute();
}

/** Adds text to the SQLite full-text index (PostgreSQL indexes generated columns by itself). */
export async function indexText(db: DB, dialect: Dialect, entry: { rowid: number; ticketId: number; text: string; visible: boolean }): Promise<void> {
  if (dialect !== 'sqlite') {
    return;
  }
  await db.insertInto('ticket_fts').values({ rowid: entry.rowid, text: entry.text, ticket_id: entry.ticketId, visible: entry.visible ? 1 : 0 }).execute();
}

/** FTS rows are keyed so they can be deleted without scanning: messages by their id, subjects by minus the ticket id. */
export const subjectRowId = (ticketId: number) => -ticketId;
