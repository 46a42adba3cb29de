import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are frozen in time, not typed against today's schema
export async function up(db: Kysely<any>): Promise<void> {
  // The account address a token belongs to; using it requires the account to still have that address.
  await db.schema.alterTable('user_tokens').addColumn('account_email', 'varchar(254)').execute();
  // An unused token is kept only when the account has not changed since it was issued (every address change
  // moves users.updated_at), so its address then was today's. Older ones may have gone to a previous address
  // (the corrected typo of an invitation): they are voided, and their owners ask for a new link.
  await db
    .updateTable('user_tokens')
    .set((eb) => ({
      account_email: eb
        .selectFrom('users')
        .select('users.email')
        .whereRef('users.id', '=', 'user_tokens.user_id')
        .whereRef('users.updated_at', '<=', 'user_tokens.created_at')
        .where('users.disabled_at', 'is', null),
    }))
    .where('used_at', 'is', null)
    .execute();
  await db
    .updateTable('user_tokens')
    .set({ used_at: sql`created_at` })
    .where('used_at', 'is', null)
    .where('account_email', 'is', null)
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('user_tokens').dropColumn('account_email').execute();
}
