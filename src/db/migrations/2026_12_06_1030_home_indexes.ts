import { sql, type Kysely } from 'kysely';

// The home pages (issue 15): the open tickets of a client (newest activity first) and of the staff queue (unassigned or
// assigned to one person, least recently active first), and their counts. Partial indexes on the open tickets only,
// so neither the lists nor the counts walk past the resolved ones, which are most of a large database. The queries
// write the condition as the literal `status <> 'resolved'` (home.repository.ts) so that both planners use them.

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are frozen in time, not typed against today's schema
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index tickets_open_assignee_idx on tickets (assignee_id, updated_at, id) where status <> 'resolved'`.execute(
    db,
  );
  await sql`create index tickets_open_client_idx on tickets (client_id, client_updated_at, id) where status <> 'resolved'`.execute(
    db,
  );
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('tickets_open_client_idx').execute();
  await db.schema.dropIndex('tickets_open_assignee_idx').execute();
}
