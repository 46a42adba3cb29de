import type { Kysely } from 'kysely';

// The placeholder that keeps a deleted user's tickets is marked by a flag, not recognised by its address, which
// anyone could register. Only the row the app created (disabled, never verified, a client) gets the flag; an account
// someone else registered with that address stays an ordinary account, visible to administrators.

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are frozen in time, not typed against today's schema
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').addColumn('is_placeholder', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db
    .updateTable('users')
    .set({ is_placeholder: 1 })
    .where('email', '=', 'deleted-user@parapet.invalid')
    .where('role', '=', 'client')
    .where('disabled_at', 'is not', null)
    .where('email_verified_at', 'is', null)
    .execute();
  // At most one placeholder: concurrent deletions that keep tickets agree on it.
  await db.schema.createIndex('users_one_placeholder_idx').on('users').column('is_placeholder').unique().where('is_placeholder', '=', 1).execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('users_one_placeholder_idx').execute();
  await db.schema.alterTable('users').dropColumn('is_placeholder').execute();
}
