import { Migrator, sql, type MigrationResultSet } from 'kysely';
import type { Connection } from './connect.ts';
import { migrations } from './migrations/index.ts';

// Any fixed 64-bit number; it only has to be the same in every Parapet process.
export const MIGRATION_LOCK_KEY = 720_411_881_399_133;

/**
 * Brings the schema up to date. On PostgreSQL an advisory lock serialises processes that start together,
 * so the second waits and then finds nothing left to do.
 */
export async function migrateToLatest(conn: Connection): Promise<MigrationResultSet> {
  const provider = { getMigrations: () => Promise.resolve(migrations) };
  if (conn.dialect === 'sqlite') {
    // SQLite has no advisory lock; each run is one transaction, so a run that lost a race rolled back
    // completely and simply tries again, then finds the work done.
    for (let attempt = 1; ; attempt++) {
      const result = await new Migrator({ db: conn.db, provider }).migrateToLatest();
      if (!result.error || attempt === 5) {
        return assertMigrated(result);
      }
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    }
  }
  return conn.db.connection().execute(async (single) => {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`.execute(single);
    try {
      // Kysely looks for its bookkeeping tables in every schema unless told which one: name ours.
      const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(single);
      const migrationTableSchema = rows[0]?.schema ?? 'public';
      return assertMigrated(await new Migrator({ db: single, provider, migrationTableSchema }).migrateToLatest());
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.execute(single);
    }
  });
}

function assertMigrated(result: MigrationResultSet): MigrationResultSet {
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    throw new Error(
      `Migration ${failed?.migrationName ?? '(unknown)'} failed: ${result.error instanceof Error ? result.error.message : 'unknown error'}`,
      { cause: result.error },
    );
  }
  return result;
}
