import { sql, type Kysely } from 'kysely';
import { isPostgres } from './helpers.ts';

// The placeholder that keeps a deleted user's tickets is marked by a flag, not recognised by its address, which
// anyone could register. Only the row the app created (disabled, never verified, a client) gets the flag; an account
// someone else registered with that address stays an ordinary account, visible to administrators.

// tickets.client_updated_at: the last activity the client sees (messages and events, not internal notes). A client's
// list shows and sorts by it, so a staff note no longer moves the "Updated" time clients see. Filled from the newest
// entry that is not a note (or the ticket's creation); the client list's two indexes move to the new column.

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are frozen in time, not typed against today's schema
export async function up(db: Kysely<any>): Promise<void> {
  const pg = isPostgres(db);
  await db.schema
    .alterTable('tickets')
    .addColumn('client_updated_at', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await sql`update tickets set client_updated_at = coalesce(
      (select max(m.created_at) from ticket_messages m where m.ticket_id = tickets.id and m.kind <> 'note'), tickets.created_at)`.execute(
    db,
  );
  if (pg) {
    // SQLite cannot drop a column default; on PostgreSQL an insert that forgets the column fails instead of sorting last.
    await db.schema
      .alterTable('tickets')
      .alterColumn('client_updated_at', (c) => c.dropDefault())
      .execute();
  }
  await db.schema.dropIndex('tickets_client_updated_idx').execute();
  await db.schema.dropIndex('tickets_client_status_updated_idx').execute();
  await db.schema
    .createIndex('tickets_client_activity_idx')
    .on('tickets')
    .columns(['client_id', 'client_updated_at', 'id'])
    .execute();
  await db.schema
    .createIndex('tickets_client_status_activity_idx')
    .on('tickets')
    .columns(['client_id', 'status', 'client_updated_at', 'id'])
    .execute();

  await db.schema
    .alterTable('users')
    .addColumn('is_placeholder', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db
    .updateTable('users')
    .set({ is_placeholder: 1 })
    .where('email', '=', 'deleted-user@parapet.invalid')
    .where('role', '=', 'client')
    .where('disabled_at', 'is not', null)
    .where('email_verified_at', 'is', null)
    .execute();
  // At most one placeholder: concurrent deletions that keep tickets agree on it.
  await db.schema
    .createIndex('users_one_placeholder_idx')
    .on('users')
    .column('is_placeholder')
    .unique()
    .where('is_placeholder', '=', 1)
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('tickets_client_status_activity_idx').execute();
  await db.schema.dropIndex('tickets_client_activity_idx').execute();
  await db.schema
    .createIndex('tickets_client_updated_idx')
    .on('tickets')
    .columns(['client_id', 'updated_at', 'id'])
    .execute();
  await db.schema
    .createIndex('tickets_client_status_updated_idx')
    .on('tickets')
    .columns(['client_id', 'status', 'updated_at', 'id'])
    .execute();
  await db.schema.alterTable('tickets').dropColumn('client_updated_at').execute();
  await db.schema.dropIndex('users_one_placeholder_idx').execute();
  await db.schema.alterTable('users').dropColumn('is_placeholder').execute();
}
