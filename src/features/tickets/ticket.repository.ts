import { sql, type Insertable, type SelectQueryBuilder, type SqlBool } from 'kysely';
import type { Dialect } from '../../db/connect.ts';
import type {
  Attachment,
  Database,
  DB,
  MessageKind,
  Priority,
  Role,
  Ticket,
  TicketStatus,
  TicketsTable,
  User,
} from '../../db/database.ts';
import type { AcceptedFile } from './attachments.ts';
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

/**
 * Counting looks this far past the page's first row and stops: the list then says "More than N" instead of scanning a
 * million rows for an exact figure. Counting to 10,000 was a third of a ticket list's CPU time on SQLite; 1,000 rows
 * (40 pages ahead) costs a tenth of that.
 */
export const COUNT_CAP = 1_000;

/** One word of a search; a prefix when typed with a trailing * (`pay*` finds "payment"). */
export interface SearchWord {
  text: string;
  prefix: boolean;
}

/** Shorter prefixes match as whole words: `a*` would read the matches of thousands of words. */
export const MIN_PREFIX = 3;
const MAX_WORDS = 8;
const MAX_WORD = 40;

/**
 * The words of a search as typed, every one required: runs of letters and digits, each a whole word unless followed
 * by *. Anything else (quotes, operators, column names, punctuation) only separates words, so no query syntax
 * reaches FTS5 or PostgreSQL. Case and Latin diacritics are ignored by both databases' indexes.
 */
export function searchWords(q: string): SearchWord[] {
  const words = new Map<string, SearchWord>();
  for (const [, word = '', star] of q.normalize('NFKC').matchAll(/([\p{L}\p{N}]+)(\*?)/gu)) {
    // A word cut to MAX_WORD characters can only match as the beginning of the word typed.
    const text = word.slice(0, MAX_WORD);
    const prefix = (star === '*' || word.length > MAX_WORD) && text.length >= MIN_PREFIX;
    const key = `${text.toLowerCase()}${prefix ? '*' : ''}`;
    if (!words.has(key)) {
      words.set(key, { text, prefix });
    }
    if (words.size === MAX_WORDS) {
      break;
    }
  }
  return [...words.values()];
}

/** FTS5: the words in the text column, quoted (they hold letters and digits only). */
export function ftsQuery(words: SearchWord[]): string {
  return `text : (${words.map((w) => `"${w.text}"${w.prefix ? '*' : ''}`).join(' ')})`;
}

/** PostgreSQL: a tsquery literal of the words, quoted; folded like the indexed text by the search_fold() function. */
export function tsQuery(words: SearchWord[]): string {
  return words.map((w) => `'${w.text}'${w.prefix ? ':*' : ''}`).join(' & ');
}

/** What both indexes hold on the rows a client may find (subjects and messages, never notes). */
export const ownerToken = (clientId: number) => `c${clientId}`;
const ownerLexeme = (clientId: number) => `'@${ownerToken(clientId)}'`;

/** A client sees only its own tickets; staff see all. Anything else is not found. */
export function findVisibleTicket(db: DB, user: User, id: number): Promise<Ticket | undefined> {
  let query = db.selectFrom('tickets').selectAll().where('id', '=', id);
  if (!isStaff(user)) {
    query = query.where('client_id', '=', user.id);
  }
  return query.executeTakeFirst();
}

/**
 * Staff searches look at the newest matches only: at most this many matching messages and notes, and as many
 * matching subjects, newest first. A common word matches a good part of a large database; reading every match to
 * sort them by activity cost tens of milliseconds at 100,000 tickets and grew with the database. The window keeps
 * a search's cost flat; when it is full the list says "More than N" and the oldest matches are left out. Clients
 * search only their own tickets, which the window could miss, so their searches read every one of their matches.
 */
export const SEARCH_WINDOW = 500;

/** PostgreSQL: the words as a tsquery, folded as search_words() folds the indexed text. */
const pgWords = (words: SearchWord[]) => sql`search_fold(${tsQuery(words)})::tsquery`;

/** Ids of the tickets among the newest matches for staff, and whether older matches were left out. */
async function staffSearchWindow(
  db: DB,
  dialect: Dialect,
  words: SearchWord[],
): Promise<{ ids: number[]; full: boolean }> {
  let rows: Array<{ ticket_id: number; subject: number }>;
  if (dialect === 'sqlite') {
    const match = ftsQuery(words);
    // FTS5 walks its rowids in order and stops at the limit; subject rows are keyed by minus the ticket id, so the
    // newest subjects come first in ascending order and need no lookup of their ticket.
    rows = (
      await sql<{ ticket_id: number; subject: number }>`
        select m.ticket_id, 0 as subject from (select rowid from ticket_fts where ticket_fts match ${match} and rowid > 0 order by rowid desc limit ${SEARCH_WINDOW}) f
          join ticket_messages m on m.id = f.rowid
        union all
        select -rowid as ticket_id, 1 as subject from (select rowid from ticket_fts where ticket_fts match ${match} and rowid < 0 order by rowid limit ${SEARCH_WINDOW})`.execute(
        db,
      )
    ).rows;
  } else {
    // GIN returns matches in no order: for a common word the planner walks the primary key backwards until it has
    // the window (a cost set by the word's frequency, not the table's size), for a rare one it reads every match.
    const tsquery = pgWords(words);
    rows = (
      await sql<{ ticket_id: number; subject: number }>`
        (select m.ticket_id, 0 as subject from ticket_messages m where m.search @@ ${tsquery} and m.kind <> 'event' order by m.id desc limit ${SEARCH_WINDOW})
        union all
        (select t.id as ticket_id, 1 as subject from tickets t where t.search @@ ${tsquery} order by t.id desc limit ${SEARCH_WINDOW})`.execute(
        db,
      )
    ).rows;
  }
  const subjects = rows.reduce((n, r) => n + Number(r.subject), 0);
  return {
    ids: [...new Set(rows.map((r) => Number(r.ticket_id)))],
    full: subjects >= SEARCH_WINDOW || rows.length - subjects >= SEARCH_WINDOW,
  };
}

/**
 * The tickets with a client's matches: both indexes hold the owner on the rows a client may find (subjects and
 * messages, never notes), looked up together with the words, so only that client's matches are read — never every
 * match in the database. Read once here (at most the client's own tickets), then counted and paged by id.
 */
async function clientMatches(db: DB, dialect: Dialect, clientId: number, words: SearchWord[]): Promise<number[]> {
  let query;
  if (dialect === 'sqlite') {
    const match = `owner : "${ownerToken(clientId)}" AND ${ftsQuery(words)}`;
    query = sql<{
      id: number;
    }>`select case when rowid < 0 then -rowid else (select m.ticket_id from ticket_messages m where m.id = ticket_fts.rowid) end as id
      from ticket_fts where ticket_fts match ${match}`;
  } else {
    const tsquery = sql`(${pgWords(words)} && ${ownerLexeme(clientId)}::tsquery)`;
    query = sql<{
      id: number;
    }>`select m.ticket_id as id from ticket_messages m where m.search @@ ${tsquery} and m.kind = 'message'
      union select s.id from tickets s where s.search @@ ${tsquery}`;
  }
  return [...new Set((await query.execute(db)).rows.map((r) => Number(r.id)))];
}

/** How far newestOfWindow() walks the activity index before giving up. */
const NEWEST_WALK = 2_000;

/**
 * SQLite, a staff search without filters: a common word's window is mostly tickets with recent activity, so its page
 * is usually found by walking the activity index from the newest (index only, about 0.4 ms) rather than by reading
 * the activity of every ticket in the window and sorting them (1.5–2.5 ms). Null when the walk ends first.
 */
async function newestOfWindow(db: DB, ids: number[], offset: number): Promise<number[] | null> {
  const { rows } = await sql<{
    id: number;
  }>`select id from (select id from tickets order by updated_at desc, id desc limit ${NEWEST_WALK})
    where id in (select value from json_each(${JSON.stringify(ids)})) limit ${PAGE_SIZE} offset ${offset}`.execute(db);
  return rows.length === PAGE_SIZE || offset + rows.length === ids.length ? rows.map((r) => r.id) : null;
}

const idIn = (dialect: Dialect, ids: number[]) =>
  dialect === 'sqlite'
    ? sql<SqlBool>`t.id in (select value from json_each(${JSON.stringify(ids)}))`
    : sql<SqlBool>`t.id = any(${ids}::int[])`;

type TicketIds = SelectQueryBuilder<Database & { t: TicketsTable }, 't', { id: number }> | number[];

/**
 * The activity a viewer may see: staff every entry (updated_at), a client only messages and events, never internal
 * notes (client_updated_at, indexed with client_id for the client's list).
 */
type ActivityColumn = 't.updated_at' | 't.client_updated_at';
const activityOf = (user: User): ActivityColumn => (isStaff(user) ? 't.updated_at' : 't.client_updated_at');

/** The list rows for the given ids (one page of them), with their people, newest activity (as the viewer sees it) first. */
async function pageRows(db: DB, ids: TicketIds, activity: ActivityColumn = 't.updated_at'): Promise<TicketListRow[]> {
  if (Array.isArray(ids) && ids.length === 0) {
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
    .orderBy(activity, 'desc')
    .orderBy('t.id', 'desc')
    .execute();
  return rows;
}

export async function listTickets(db: DB, dialect: Dialect, user: User, filters: TicketFilters, page: number) {
  const staff = isStaff(user);
  const activity = activityOf(user);
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
  const words = search ? searchWords(search) : [];
  const offset = (page - 1) * PAGE_SIZE;
  if (search && words.length === 0) {
    // Punctuation only: nothing to look for, nothing found.
    return { rows: [], total: 0, capped: false };
  }
  if (search && staff) {
    const window = await staffSearchWindow(db, dialect, words);
    if (window.ids.length === 0) {
      return { rows: [], total: 0, capped: false };
    }
    const filtered = Boolean(filters.status || filters.priority || filters.category || filters.assignee);
    const newest = !filtered && dialect === 'sqlite' ? await newestOfWindow(db, window.ids, offset) : null;
    if (newest) {
      return { rows: await pageRows(db, newest), total: window.ids.length, capped: window.full };
    }
    // The window's tickets that pass the filters are few (at most 2 × SEARCH_WINDOW): one query orders and counts
    // them (a page past the last counts none), then the page's rows are read.
    const ordered = await query
      .where(idIn(dialect, window.ids))
      .select(['t.id', sql<number>`count(*) over ()`.as('total')])
      .orderBy('t.updated_at', 'desc')
      .orderBy('t.id', 'desc')
      .limit(PAGE_SIZE)
      .offset(offset)
      .execute();
    const rows = await pageRows(
      db,
      ordered.map((r) => r.id),
    );
    return { rows, total: Number(ordered[0]?.total ?? 0), capped: window.full };
  }
  if (search) {
    const ids = await clientMatches(db, dialect, user.id, words);
    if (ids.length === 0) {
      return { rows: [], total: 0, capped: false };
    }
    query = query.where(idIn(dialect, ids));
  }

  // Counted from this page on, so a deep page knows whether there is a next one; the rows before it are all there.
  const countRow = await db
    .selectFrom(
      query
        .select(sql.lit(1).as('one'))
        .limit(COUNT_CAP + 1)
        .offset(offset)
        .as('capped'),
    )
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  const counted = Number(countRow.n);

  // The page's ids first, from the ordered index alone (no table rows are read for the skipped ones), then the
  // 25 rows with their people: a deep page costs an index scan instead of reading every row before it.
  const rows = await pageRows(
    db,
    query.select('t.id').orderBy(activity, 'desc').orderBy('t.id', 'desc').limit(PAGE_SIZE).offset(offset),
    activity,
  );
  return { rows, total: counted === 0 ? 0 : offset + Math.min(counted, COUNT_CAP), capped: counted > COUNT_CAP };
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
  /** The mail_inbox row the entry came from by email, or null (staff can open the original). */
  inbox_id: number | null;
  attachments: Attachment[];
}

/** Bounds the page for very long threads; older entries are summarised as a count. */
export const THREAD_LIMIT = 1000;

/** The thread as the viewer may see it, oldest first: two queries whatever its length. */
export async function loadThread(
  db: DB,
  ticketId: number,
  staff: boolean,
): Promise<{ entries: ThreadEntry[]; hidden: number }> {
  let query = db
    .selectFrom('ticket_messages as m')
    .leftJoin('users as u', 'u.id', 'm.author_id')
    .select([
      'm.id',
      'm.kind',
      'm.body',
      'm.created_at',
      'm.author_id',
      'u.email as author_email',
      'u.name as author_name',
      'u.role as author_role',
      'm.inbox_id',
    ])
    .where('m.ticket_id', '=', ticketId);
  if (!staff) {
    query = query.where('m.kind', '!=', 'note');
  }
  const newest = await query
    .orderBy('m.id', 'desc')
    .limit(THREAD_LIMIT + 1)
    .execute();
  const hidden = newest.length > THREAD_LIMIT ? 1 : 0;
  const rows = newest.slice(0, THREAD_LIMIT).reverse();
  const ids = rows.map((r) => r.id);
  const files =
    ids.length === 0
      ? []
      : await db
          .selectFrom('attachments')
          .selectAll()
          .where('ticket_id', '=', ticketId)
          .where('message_id', 'in', ids)
          .orderBy('id')
          .execute();
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

/**
 * Adds text to the SQLite full-text index (PostgreSQL indexes generated columns by itself). `clientId` is the client
 * who may find it (the ticket's), null for internal notes.
 */
export async function indexText(
  db: DB,
  dialect: Dialect,
  entry: { rowid: number; text: string; clientId: number | null },
): Promise<void> {
  if (dialect !== 'sqlite') {
    return;
  }
  await db
    .insertInto('ticket_fts')
    .values({ rowid: entry.rowid, text: entry.text, owner: entry.clientId === null ? '' : ownerToken(entry.clientId) })
    .execute();
}

/** FTS rows are keyed so they can be deleted without scanning: messages by their id, subjects by minus the ticket id. */
export const subjectRowId = (ticketId: number) => -ticketId;

/** A change of a ticket's property, stored as a thread entry of kind 'event' (its body is this, as JSON). */
export interface TicketEvent {
  field: 'status' | 'assignee' | 'priority' | 'category';
  from: string | null;
  to: string | null;
}

type Owned = Pick<Ticket, 'id' | 'client_id'>;

/** On PostgreSQL every thread entry carries its ticket's client, which the search index holds for the messages. */
const entryOwner = (dialect: Dialect, ticket: Owned) => (dialect === 'postgres' ? { client_id: ticket.client_id } : {});

export async function insertTicket(db: DB, dialect: Dialect, row: Insertable<TicketsTable>): Promise<number> {
  const ticket = await db.insertInto('tickets').values(row).returning('id').executeTakeFirstOrThrow();
  await indexText(db, dialect, { rowid: subjectRowId(ticket.id), text: row.subject, clientId: row.client_id });
  return ticket.id;
}

/** A message or note with its files, indexed for search (notes only for staff). */
export async function insertEntry(
  db: DB,
  dialect: Dialect,
  ticket: Owned,
  authorId: number,
  kind: 'message' | 'note',
  body: string,
  files: AcceptedFile[],
  now: number,
  inboxId: number | null = null,
): Promise<number> {
  const message = await db
    .insertInto('ticket_messages')
    .values({
      ticket_id: ticket.id,
      author_id: authorId,
      kind,
      body,
      created_at: now,
      inbox_id: inboxId,
      ...entryOwner(dialect, ticket),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  for (const file of files) {
    const row = await db
      .insertInto('attachments')
      .values({
        ticket_id: ticket.id,
        message_id: message.id,
        file_name: file.fileName,
        content_type: file.contentType,
        size: file.data.length,
        sha256: file.sha256,
        created_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db.insertInto('attachment_blobs').values({ attachment_id: row.id, data: file.data }).execute();
  }
  await indexText(db, dialect, {
    rowid: message.id,
    text: body,
    clientId: kind === 'message' ? ticket.client_id : null,
  });
  return message.id;
}

export async function insertEvents(
  db: DB,
  dialect: Dialect,
  ticket: Owned,
  authorId: number,
  events: TicketEvent[],
  now: number,
): Promise<void> {
  if (events.length > 0) {
    const owner = entryOwner(dialect, ticket);
    await db
      .insertInto('ticket_messages')
      .values(
        events.map((e) => ({
          ticket_id: ticket.id,
          author_id: authorId,
          kind: 'event' as const,
          body: JSON.stringify(e),
          created_at: now,
          ...owner,
        })),
      )
      .execute();
  }
}

export function findTicket(db: DB, id: number): Promise<Ticket | undefined> {
  return db.selectFrom('tickets').selectAll().where('id', '=', id).executeTakeFirst();
}

type TicketChanges = Partial<
  Pick<Ticket, 'status' | 'assignee_id' | 'priority' | 'category' | 'resolved_at' | 'updated_at' | 'client_updated_at'>
>;

/** Changes a ticket's columns; `countMessage` adds one to its message count in the same statement. */
export async function updateTicket(db: DB, id: number, changes: TicketChanges, countMessage = false): Promise<void> {
  await db
    .updateTable('tickets')
    .set((eb) => (countMessage ? { ...changes, message_count: eb('message_count', '+', 1) } : changes))
    .where('id', '=', id)
    .execute();
}

/** Everyone who should hear about a client's message: the assignee, or all active staff when unassigned. */
export async function staffRecipients(db: DB, ticket: Pick<Ticket, 'assignee_id'>, except: number): Promise<string[]> {
  let query = db
    .selectFrom('users')
    .select('email')
    .where('notify_tickets', '=', 1)
    .where('disabled_at', 'is', null)
    .where('id', '!=', except);
  query = ticket.assignee_id
    ? query.where('id', '=', ticket.assignee_id)
    : query.where('role', 'in', ['agent', 'administrator']);
  return (await query.limit(200).execute()).map((r) => r.email);
}

/** The ticket's client, when they are not `except` (null: anyone), want ticket emails and are active. */
export async function clientRecipient(
  db: DB,
  ticket: Pick<Ticket, 'client_id'>,
  except: number | null,
): Promise<string[]> {
  let query = db.selectFrom('users').select('email').where('id', '=', ticket.client_id);
  if (except !== null) {
    query = query.where('id', '!=', except);
  }
  const client = await query.where('notify_tickets', '=', 1).where('disabled_at', 'is', null).executeTakeFirst();
  return client ? [client.email] : [];
}

/**
 * Up to `limit` other tickets of a ticket's client, most recent client-visible activity first: read from
 * tickets_client_activity_idx (client_id, client_updated_at, id) alone, then the rows.
 */
export function otherTicketsOfClient(
  db: DB,
  ticket: Pick<Ticket, 'id' | 'client_id'>,
  limit: number,
): Promise<Array<Pick<Ticket, 'id' | 'subject' | 'status'>>> {
  return db
    .selectFrom('tickets')
    .select(['id', 'subject', 'status'])
    .where('client_id', '=', ticket.client_id)
    .where('id', '!=', ticket.id)
    .orderBy('client_updated_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

/** The email of a ticket's client, or null when the account is gone. */
export async function clientEmailOf(db: DB, ticket: Pick<Ticket, 'client_id'>): Promise<string | null> {
  const client = await db.selectFrom('users').select('email').where('id', '=', ticket.client_id).executeTakeFirst();
  return client?.email ?? null;
}

export interface AttachmentFile {
  file_name: string;
  content_type: string;
  size: number;
  /** The kind of the message the file is attached to (a note's files are staff-only). */
  kind: MessageKind;
  data: Uint8Array;
}

/** One attachment of the ticket with its bytes, or undefined. */
export function findAttachmentFile(
  db: DB,
  ticketId: number,
  attachmentId: number,
): Promise<AttachmentFile | undefined> {
  return db
    .selectFrom('attachments as a')
    .innerJoin('ticket_messages as m', 'm.id', 'a.message_id')
    .innerJoin('attachment_blobs as b', 'b.attachment_id', 'a.id')
    .select(['a.file_name', 'a.content_type', 'a.size', 'm.kind', 'b.data'])
    .where('a.id', '=', attachmentId)
    .where('a.ticket_id', '=', ticketId)
    .executeTakeFirst();
}

/** Deletes a ticket (its messages, files and blobs go with it) and, on SQLite, its search rows. */
export async function deleteTicketRows(db: DB, dialect: Dialect, ticketId: number): Promise<void> {
  if (dialect === 'sqlite') {
    const ids = await db.selectFrom('ticket_messages').select('id').where('ticket_id', '=', ticketId).execute();
    const rowids = [subjectRowId(ticketId), ...ids.map((r) => r.id)];
    for (let i = 0; i < rowids.length; i += 500) {
      await db
        .deleteFrom('ticket_fts')
        .where('rowid', 'in', rowids.slice(i, i + 500))
        .execute();
    }
  }
  await db.deleteFrom('tickets').where('id', '=', ticketId).execute();
}

/** Deletes every ticket a client owns (and, on SQLite, their search rows); returns how many. */
export async function deleteClientTicketRows(db: DB, dialect: Dialect, clientId: number): Promise<number> {
  if (dialect === 'sqlite') {
    const owned = db.selectFrom('tickets').select('id').where('client_id', '=', clientId);
    await db
      .deleteFrom('ticket_fts')
      .where('rowid', 'in', db.selectFrom('ticket_messages').select('id').where('ticket_id', 'in', owned))
      .execute();
    await db
      .deleteFrom('ticket_fts')
      .where(
        'rowid',
        'in',
        db
          .selectFrom('tickets')
          .select((eb) => eb.neg(eb.ref('id')).as('rid'))
          .where('client_id', '=', clientId),
      )
      .execute();
  }
  const result = await db.deleteFrom('tickets').where('client_id', '=', clientId).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * Gives every ticket of one client to another (the placeholder that keeps a deleted user's tickets), and the search
 * index's owner of their subjects and messages with them.
 */
export async function moveClientTicketRows(db: DB, dialect: Dialect, fromId: number, toId: number): Promise<number> {
  const owned = db.selectFrom('tickets').select('id').where('client_id', '=', fromId);
  if (dialect === 'sqlite') {
    // A contentless FTS5 row cannot be changed in part: the rows are written again, their text read from the tables.
    const owner = ownerToken(toId);
    await db
      .insertInto('ticket_fts')
      .orReplace()
      .columns(['rowid', 'text', 'owner'])
      .expression(
        db
          .selectFrom('tickets')
          .select((eb) => [eb.neg(eb.ref('id')).as('rowid'), 'subject as text', eb.val(owner).as('owner')])
          .where('client_id', '=', fromId),
      )
      .execute();
    await db
      .insertInto('ticket_fts')
      .orReplace()
      .columns(['rowid', 'text', 'owner'])
      .expression(
        db
          .selectFrom('ticket_messages')
          .select((eb) => ['id as rowid', 'body as text', eb.val(owner).as('owner')])
          .where('ticket_id', 'in', owned)
          .where('kind', '=', 'message'),
      )
      .execute();
  } else {
    await db.updateTable('ticket_messages').set({ client_id: toId }).where('ticket_id', 'in', owned).execute();
  }
  const moved = await db
    .updateTable('tickets')
    .set({ client_id: toId })
    .where('client_id', '=', fromId)
    .executeTakeFirst();
  return Number(moved.numUpdatedRows);
}
