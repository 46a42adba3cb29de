import { sql, type Kysely } from 'kysely';
import { isPostgres, withId } from './helpers.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are frozen in time, not typed against today's schema
export async function up(db: Kysely<any>): Promise<void> {
  const pg = isPostgres(db);
  await db.schema
    .alterTable('users')
    .addColumn('notify_tickets', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();

  await withId(db, db.schema.createTable('tickets'))
    .addColumn('client_id', 'integer', (c) => c.notNull().references('users.id'))
    .addColumn('created_by', 'integer', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('assignee_id', 'integer', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('subject', 'varchar(200)', (c) => c.notNull())
    .addColumn('status', 'varchar(20)', (c) =>
      c.notNull().check(sql`status in ('awaiting_staff', 'awaiting_client', 'resolved')`),
    )
    .addColumn('priority', 'varchar(10)', (c) =>
      c.notNull().check(sql`priority in ('low', 'normal', 'high', 'urgent')`),
    )
    .addColumn('category', 'varchar(40)')
    .addColumn('message_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('resolved_at', 'bigint')
    .execute();
  // Lists are "newest activity first", filtered by owner, status or assignee: each has its own ordered index.
  await db.schema.createIndex('tickets_updated_idx').on('tickets').columns(['updated_at', 'id']).execute();
  await db.schema
    .createIndex('tickets_client_updated_idx')
    .on('tickets')
    .columns(['client_id', 'updated_at', 'id'])
    .execute();
  await db.schema
    .createIndex('tickets_status_updated_idx')
    .on('tickets')
    .columns(['status', 'updated_at', 'id'])
    .execute();
  await db.schema
    .createIndex('tickets_assignee_updated_idx')
    .on('tickets')
    .columns(['assignee_id', 'updated_at', 'id'])
    .execute();
  await db.schema
    .createIndex('tickets_client_status_updated_idx')
    .on('tickets')
    .columns(['client_id', 'status', 'updated_at', 'id'])
    .execute();

  await withId(db, db.schema.createTable('ticket_messages'))
    .addColumn('ticket_id', 'integer', (c) => c.notNull().references('tickets.id').onDelete('cascade'))
    .addColumn('author_id', 'integer', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('kind', 'varchar(10)', (c) => c.notNull().check(sql`kind in ('message', 'note', 'event')`))
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('ticket_messages_ticket_idx')
    .on('ticket_messages')
    .columns(['ticket_id', 'id'])
    .execute();

  await withId(db, db.schema.createTable('attachments'))
    .addColumn('ticket_id', 'integer', (c) => c.notNull().references('tickets.id').onDelete('cascade'))
    .addColumn('message_id', 'integer', (c) => c.notNull().references('ticket_messages.id').onDelete('cascade'))
    .addColumn('file_name', 'varchar(255)', (c) => c.notNull())
    .addColumn('content_type', 'varchar(100)', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('sha256', 'char(64)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('attachments_message_idx').on('attachments').column('message_id').execute();
  await db.schema.createIndex('attachments_ticket_idx').on('attachments').column('ticket_id').execute();
  // File contents apart from their metadata, so listing attachments never reads the bytes.
  await db.schema
    .createTable('attachment_blobs')
    .addColumn('attachment_id', 'integer', (c) => c.primaryKey().references('attachments.id').onDelete('cascade'))
    .addColumn('data', pg ? 'bytea' : 'blob', (c) => c.notNull())
    .execute();

  if (pg) {
    await sql`alter table tickets add column search tsvector generated always as (to_tsvector('simple', subject)) stored`.execute(
      db,
    );
    await sql`create index tickets_search_idx on tickets using gin (search)`.execute(db);
    await sql`alter table ticket_messages add column search tsvector generated always as (to_tsvector('simple', left(body, 100000))) stored`.execute(
      db,
    );
    await sql`create index ticket_messages_search_idx on ticket_messages using gin (search) where kind <> 'event'`.execute(
      db,
    );
  } else {
    // One full-text row per subject and per message; `visible` says whether clients may find it (notes: no).
    await sql`create virtual table ticket_fts using fts5(text, ticket_id unindexed, visible unindexed, tokenize = 'unicode61 remove_diacritics 2')`.execute(
      db,
    );
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  if (!isPostgres(db)) {
    await sql`drop table ticket_fts`.execute(db);
  }
  for (const table of ['attachment_blobs', 'attachments', 'ticket_messages', 'tickets']) {
    await db.schema.dropTable(table).execute();
  }
  await db.schema.alterTable('users').dropColumn('notify_tickets').execute();
}
