import type SQLite from 'better-sqlite3';
import type { SqliteDatabase } from 'kysely';

/**
 * better-sqlite3 for Kysely with its prepared statements kept. Kysely's SQLite driver calls `prepare()` for every
 * query it runs, which made compiling SQL about a tenth of a ticket list's CPU time; the app runs a small, fixed set
 * of statements, so the most recently used `max` of them are kept (SQLite re-prepares a kept statement by itself
 * when a migration changes the schema). A statement still being iterated (`busy`) is never handed out twice.
 */
export function withStatementCache(sqlite: SQLite.Database, max = 500): SqliteDatabase {
  const statements = new Map<string, SQLite.Statement>();
  return {
    close: () => {
      statements.clear();
      sqlite.close();
    },
    prepare(text: string) {
      const kept = statements.get(text);
      if (kept && !kept.busy) {
        // Map order is insertion order: moving a hit to the end keeps the least recently used first.
        statements.delete(text);
        statements.set(text, kept);
        return kept;
      }
      const statement = sqlite.prepare(text);
      statements.set(text, statement);
      if (statements.size > max) {
        const oldest = statements.keys().next();
        if (!oldest.done) {
          statements.delete(oldest.value);
        }
      }
      return statement;
    },
  };
}
