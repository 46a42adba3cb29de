import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, sql } from 'kysely';
import type pg from 'pg';
import type { Config } from '../config.ts';
import type { Database, DB } from './database.ts';
import { ParapetSqliteDialect, withStatementCache } from './sqlite-statements.ts';

let pgModule: typeof pg | undefined;

/** pg (about 15 MB of memory) is loaded only for a PostgreSQL database; synchronously, as connect() is. */
function loadPg(): typeof pg {
  if (!pgModule) {
    pgModule = createRequire(import.meta.url)('pg') as typeof pg;
    // int8 (bigint: epoch-millisecond timestamps, count(*)) would arrive as strings; every value we store fits in 2^53.
    pgModule.types.setTypeParser(pgModule.types.builtins.INT8, (value) => Number(value));
  }
  return pgModule;
}

export type Dialect = 'sqlite' | 'postgres';

export interface Connection {
  db: DB;
  dialect: Dialect;
  /** The driver underneath, for libraries that need it (rate-limiter-flexible's stores). */
  raw: { kind: 'sqlite'; sqlite: SQLite.Database } | { kind: 'postgres'; pool: pg.Pool; schema: string | undefined };
  /** Cheap round trip for readiness checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export function connect(database: Config['database'], opts: { poolSize?: number } = {}): Connection {
  if (database.kind === 'sqlite') {
    mkdirSync(path.dirname(database.file), { recursive: true });
    const sqlite = new SQLite(database.file);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('synchronous = NORMAL');
    const db = new Kysely<Database>({ dialect: new ParapetSqliteDialect({ database: withStatementCache(sqlite) }) });
    return {
      db,
      dialect: 'sqlite',
      raw: { kind: 'sqlite', sqlite },
      ping: async () => {
        await sql`select 1`.execute(db);
      },
      close: () => db.destroy(),
    };
  }
  const pool = new (loadPg().Pool)({
    connectionString: database.url,
    max: opts.poolSize ?? 10,
    connectionTimeoutMillis: 5000,
    ...(database.schema ? { options: `-c search_path=${database.schema}` } : {}),
  });
  // An idle client that loses its server (restart, failover) must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    dialect: 'postgres',
    raw: { kind: 'postgres', pool, schema: database.schema },
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: () => db.destroy(),
  };
}
