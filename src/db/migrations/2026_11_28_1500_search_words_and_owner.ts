import { sql, type Kysely } from 'kysely';
import { isPostgres } from './helpers.ts';

// Search means the same on both databases: a word is a run of letters and digits, lowercased, Latin diacritics
// removed (as FTS5's unicode61 tokenizer with remove_diacritics 2 does), and the index also knows which client may
// find a row, so a client's search reads that client's rows only. Rebuilds the search index: on a large database
// this migration takes minutes (about 3 at a million tickets on SQLite).

// Lowercase; Latin letters lose their diacritics (NFD, then marks after a-z dropped, then NFC again so that other
// scripts keep theirs, as FTS5 does); the few letter variants FTS5 folds besides. Pure ASCII text skips the
// normalisation. Only built-in functions, so the generated columns never depend on the search_path.
const FOLD = `case when octet_length($1) = length($1) then lower($1)
  else translate(normalize(regexp_replace(normalize(lower($1), NFD), '([a-z])[\\u0300-\\u036f]+', '\\1', 'g'), NFC), 'ſςµϐϑϕϖϰϱϵẛ', 'sσμβθφπκρεs') end`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are frozen in time, not typed against today's schema
export async function up(db: Kysely<any>): Promise<void> {
  if (isPostgres(db)) {
    // search_fold: a query's words, folded as the text was. search_words: the text's words as lexemes without
    // positions (no phrase search), split on anything but letters and digits — never by the text-search parser,
    // which keeps e-mail addresses, paths and numbers like -2024 or 1e5x as tokens of their own.
    await sql
      .raw(
        `create function search_fold(text) returns text language sql immutable strict parallel safe as $f$ select ${FOLD} $f$`,
      )
      .execute(db);
    await sql
      .raw(
        `create function search_words(text) returns tsvector language sql immutable strict parallel safe as $f$
          select array_to_tsvector(array(select w from regexp_split_to_table(${FOLD}, '[^[:alnum:]]+') w where w <> '' and octet_length(w) < 2048)) $f$`,
      )
      .execute(db);
    // The owner as a lexeme no text can produce ('@c' and the client id) on the rows a client may find: subjects and
    // messages, never notes. A client's search is then one GIN lookup, `words & '@c<id>'`. ticket_messages gets a
    // copy of its ticket's client_id for that.
    await sql`alter table ticket_messages add column client_id integer`.execute(db);
    await sql`update ticket_messages m set client_id = t.client_id from tickets t where t.id = m.ticket_id`.execute(db);
    await sql`alter table ticket_messages alter column client_id set not null`.execute(db);
    await sql`alter table ticket_messages drop column search`.execute(db);
    await sql`alter table ticket_messages add column search tsvector generated always as (
        case when kind <> 'event' then search_words(left(body, 100000)) || case when kind = 'message' then array_to_tsvector(array['@c' || client_id::text]) else ''::tsvector end end
      ) stored`.execute(db);
    await sql`create index ticket_messages_search_idx on ticket_messages using gin (search) where kind <> 'event'`.execute(
      db,
    );
    await sql`alter table tickets drop column search`.execute(db);
    await sql`alter table tickets add column search tsvector generated always as (search_words(subject) || array_to_tsvector(array['@c' || client_id::text])) stored`.execute(
      db,
    );
    await sql`create index tickets_search_idx on tickets using gin (search)`.execute(db);
    // The planner chooses between walking the newest rows and the GIN index by the new columns' statistics.
    await sql`analyze tickets, ticket_messages`.execute(db);
    return;
  }
  // Contentless: the text is in tickets and ticket_messages already, and a match's ticket is -rowid for a subject or
  // the message's ticket_id; rows can still be deleted by rowid (contentless_delete). owner holds 'c<client id>' on
  // the rows a client may find (subjects and messages) and nothing on notes.
  await sql`drop table ticket_fts`.execute(db);
  await sql`create virtual table ticket_fts using fts5(text, owner, content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2')`.execute(
    db,
  );
  // Smaller leaf pages (default 4,050 bytes): a client's search seeks a common word's long list once per row of the
  // client's, and each seek decodes on average half a page; 1,000 makes that up to twice as fast for 2% more pages.
  await sql`insert into ticket_fts (ticket_fts, rank) values ('pgsz', 1000)`.execute(db);
  await sql`insert into ticket_fts (rowid, text, owner) select -id, subject, 'c' || client_id from tickets`.execute(db);
  await sql`insert into ticket_fts (rowid, text, owner)
      select m.id, m.body, case when m.kind = 'message' then 'c' || t.client_id else '' end
      from ticket_messages m join tickets t on t.id = m.ticket_id where m.kind <> 'event' order by m.id`.execute(db);
  // One b-tree instead of the many segments a bulk load leaves: lookups that combine words are about 3 times faster.
  await sql`insert into ticket_fts (ticket_fts) values ('optimize')`.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  if (isPostgres(db)) {
    await sql`alter table tickets drop column search`.execute(db);
    await sql`alter table tickets add column search tsvector generated always as (to_tsvector('simple', subject)) stored`.execute(
      db,
    );
    await sql`create index tickets_search_idx on tickets using gin (search)`.execute(db);
    await sql`alter table ticket_messages drop column search`.execute(db);
    await sql`alter table ticket_messages add column search tsvector generated always as (to_tsvector('simple', left(body, 100000))) stored`.execute(
      db,
    );
    await sql`create index ticket_messages_search_idx on ticket_messages using gin (search) where kind <> 'event'`.execute(
      db,
    );
    await sql`alter table ticket_messages drop column client_id`.execute(db);
    await sql`drop function search_words(text)`.execute(db);
    await sql`drop function search_fold(text)`.execute(db);
    return;
  }
  await sql`drop table ticket_fts`.execute(db);
  await sql`create virtual table ticket_fts using fts5(text, ticket_id unindexed, visible unindexed, tokenize = 'unicode61 remove_diacritics 2')`.execute(
    db,
  );
  await sql`insert into ticket_fts (rowid, text, ticket_id, visible) select -id, subject, id, 1 from tickets`.execute(
    db,
  );
  await sql`insert into ticket_fts (rowid, text, ticket_id, visible) select id, body, ticket_id, case when kind = 'message' then 1 else 0 end from ticket_messages where kind <> 'event'`.execute(
    db,
  );
}
