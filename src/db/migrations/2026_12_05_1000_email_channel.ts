import type { Kysely } from 'kysely';
import { isPostgres, withId } from './helpers.ts';

// The email channel (issue 14).
// - mail_inbox: every inbound message, raw, written before anything else happens to it. Unique on the source's own id
//   and on the Message-ID, so a redelivery (by Mailgun, by an IMAP server, or the same message through both) is a no-op.
//   A worker claims rows with a lease, as the outbox does, and records the outcome; nothing is ever deleted by it.
// - mail_outbox.ticket_id and headers: ticket mail carries threading headers (In-Reply-To, References, Reply-To,
//   Auto-Submitted) and remembers its ticket, so an answer that quotes one of our Message-IDs finds its ticket.
// - ticket_messages.inbox_id: a message that came by email points at its original, which staff can open.
// - inbound_sources: one row per source (imap, mailgun): the IMAP poller's lease and what the Mail page shows.
// - webhook_replays: Mailgun webhook tokens already seen, refused if sent again until they expire.
// - undeliverable_addresses: addresses a bounce reported, shown to administrators.

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are frozen in time, not typed against today's schema
export async function up(db: Kysely<any>): Promise<void> {
  const pg = isPostgres(db);
  await withId(db, db.schema.createTable('mail_inbox'))
    .addColumn('source', 'varchar(20)', (c) => c.notNull())
    .addColumn('source_id', 'varchar(300)', (c) => c.notNull())
    .addColumn('message_id', 'varchar(500)', (c) => c.notNull())
    .addColumn('raw', pg ? 'bytea' : 'blob', (c) => c.notNull())
    .addColumn('envelope', 'text')
    .addColumn('status', 'varchar(20)', (c) => c.notNull())
    .addColumn('outcome', 'varchar(40)')
    .addColumn('reason', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    .addColumn('locked_until', 'bigint')
    .addColumn('last_error', 'text')
    .addColumn('from_address', 'varchar(320)')
    .addColumn('from_name', 'varchar(200)')
    .addColumn('subject', 'varchar(300)')
    .addColumn('ticket_id', 'integer')
    .addColumn('entry_id', 'integer')
    .addColumn('sender_user_id', 'integer')
    .addColumn('decided_by', 'integer')
    .addColumn('decided_at', 'bigint')
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .addColumn('processed_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('mail_inbox_source_idx')
    .on('mail_inbox')
    .columns(['source', 'source_id'])
    .unique()
    .execute();
  await db.schema.createIndex('mail_inbox_message_id_idx').on('mail_inbox').column('message_id').unique().execute();
  await db.schema.createIndex('mail_inbox_due_idx').on('mail_inbox').columns(['status', 'next_attempt_at']).execute();
  await db.schema
    .createIndex('mail_inbox_sender_idx')
    .on('mail_inbox')
    .columns(['from_address', 'received_at'])
    .execute();

  await db.schema.alterTable('mail_outbox').addColumn('ticket_id', 'integer').execute();
  await db.schema.alterTable('mail_outbox').addColumn('headers', 'text').execute();
  await db.schema.createIndex('mail_outbox_message_id_idx').on('mail_outbox').column('message_id').execute();

  await db.schema.alterTable('ticket_messages').addColumn('inbox_id', 'integer').execute();

  await db.schema
    .createTable('inbound_sources')
    .addColumn('name', 'varchar(20)', (c) => c.primaryKey())
    .addColumn('lease_owner', 'varchar(100)')
    .addColumn('lease_until', 'bigint')
    .addColumn('last_poll_at', 'bigint')
    .addColumn('last_success_at', 'bigint')
    .addColumn('last_error', 'text')
    .addColumn('last_error_at', 'bigint')
    .addColumn('received_count', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable('webhook_replays')
    .addColumn('key', 'varchar(200)', (c) => c.primaryKey())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('undeliverable_addresses')
    .addColumn('address', 'varchar(320)', (c) => c.primaryKey())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('source', 'varchar(20)', (c) => c.notNull())
    .addColumn('bounces', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('first_at', 'bigint', (c) => c.notNull())
    .addColumn('last_at', 'bigint', (c) => c.notNull())
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('undeliverable_addresses').execute();
  await db.schema.dropTable('webhook_replays').execute();
  await db.schema.dropTable('inbound_sources').execute();
  await db.schema.alterTable('ticket_messages').dropColumn('inbox_id').execute();
  await db.schema.dropIndex('mail_outbox_message_id_idx').execute();
  await db.schema.alterTable('mail_outbox').dropColumn('headers').execute();
  await db.schema.alterTable('mail_outbox').dropColumn('ticket_id').execute();
  await db.schema.dropTable('mail_inbox').execute();
}
