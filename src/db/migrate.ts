import { Migrator, sql, type MigrationResultSet } from 'kysely';
import type { Connection } from './connect.ts';
import { migrations } from './migrations/index.ts';

// Any fixed 64-bit number; it only has to be the same in every Parapet process.
const MIGRATION_LOCK_KEY = 720_411_881_399_133;

/**
 * Brings the schema up to date. On PostgreSQL an advisory lock serialises processes that start together,
 * so the second waits and then finds nothing left to do.
 */
export async function migrateToLatest(conn: Connection): Promise<MigrationResultSet> {
  const provider = { getMigrations: () => Promise.resolve(migrations) };
  if (conn.dialect === 'sqlite') {
    return assertMigrated(await new Migrator({ db: conn.db, provider }).migrateToLatest());
  }
  return conn.db.connection().execute(async (single) => {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`.execute(single);
    try {
      return assertMigrated(await new Migrator({ db: single, provider }).migrateToLatest());
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.execute(single);
    }
  });
}

function assertMigrated(result: MigrationResultSet): MigrationResultSet {
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    throw new Error(`Migration ${failed?.migrationName ?? '(unknown)'} failed: ${result.error instanceof Error ? result.error.message : 'unknown error'}`, { cause: result.error });
  }
  return result;
}
