import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, sql, type PostgresPool, type PostgresPoolClient } from 'kysely';
import type pg from 'pg';
import type { Config } from '../config.ts';
import type { Database, DB } from './database.ts';
import { statement } from './pg-statements.ts';
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

/**
 * The SQLite file holds password hashes, sessions and tickets: its directory is created 0700 and the file 0600
 * before SQLite opens it. SQLite creates the -wal and -shm files with the database file's permissions, so they
 * are 0600 too. A file from an older version that others can read loses its group and other bits here.
 */
export function createPrivateSqliteFile(file: string): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  closeSync(openSync(file, 'a', 0o600));
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    if (existsSync(f) && (statSync(f).mode & 0o077) !== 0) {
      chmodSync(f, statSync(f).mode & 0o700);
    }
  }
}

export function connect(database: Config['database'], opts: { poolSize?: number } = {}): Connection {
  if (database.kind === 'sqlite') {
    if (database.file !== ':memory:') {
      createPrivateSqliteFile(database.file);
    }
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
    // Notices a server that vanished without closing the connection (host down, network partition).
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    ...(database.schema ? { options: `-c search_path=${database.schema}` } : {}),
  });
  // An idle client that loses its server (restart, failover) must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  // A checked-out client emits 'error' too, and pg-pool listens only while a client is idle: without this, PostgreSQL
  // going away during a query crashed the process. The query still rejects; the pool drops the client on release.
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: reportingUnavailable(pool) }) });
  // Readiness asks on a connection of its own: behind a queue of busy requests in the shared pool, a loaded but
  // healthy process would look unready. Opened at the first check.
  const pingPool = new (loadPg().Pool)({
    connectionString: database.url,
    max: 1,
    connectionTimeoutMillis: 2000,
    keepAlive: true,
    ...(database.schema ? { options: `-c search_path=${database.schema}` } : {}),
  });
  pingPool.on('error', () => {});
  pingPool.on('connect', (client) => client.on('error', () => {}));
  return {
    db,
    dialect: 'postgres',
    raw: { kind: 'postgres', pool, schema: database.schema },
    ping: async () => {
      await pingPool.query('select 1');
    },
    close: async () => {
      await Promise.all([db.destroy(), pingPool.end()]);
    },
  };
}

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
// SQLSTATE: admin/crash shutdown, cannot connect now (starting up or shutting down), too many connections.
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300']);

/**
 * Whether an error means the database cannot be reached right now (down, restarting, unreachable, no free
 * connection in time) rather than that a query was wrong: those are a 503 (try again), not a 500.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) {
    return false;
  }
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (
    typeof code === 'string' &&
    (UNREACHABLE.has(code) || UNAVAILABLE_STATES.has(code) || /^08[0-9A-Z]{3}$/.test(code))
  ) {
    return true;
  }
  return (
    typeof message === 'string' &&
    /^Connection terminated|timeout exceeded when trying to connect|is not queryable/.test(message)
  );
}

/** Gives database-unavailable errors `statusCode: 503`, which the error handler turns into a 503 page. */
export function markUnavailable(error: unknown): unknown {
  return isDatabaseUnavailable(error) ? Object.assign(error as Error, { statusCode: 503 }) : error;
}

/** The pool as Kysely sees it, with connection failures (at connect or during a query) marked as 503. */
function reportingUnavailable(pool: pg.Pool): PostgresPool {
  const rethrow = (error: unknown): never => {
    throw markUnavailable(error) as Error;
  };
  const clients = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  return {
    async connect() {
      const client = await pool.connect().catch(rethrow);
      let wrapped = clients.get(client);
      if (!wrapped) {
        wrapped = {
          // Kysely calls only query(sql, parameters) without a cursor.
          query: ((text: string, parameters: readonly unknown[]) =>
            client.query(statement(text, [...parameters])).catch(rethrow)) as unknown as PostgresPoolClient['query'],
          release: (destroy?: boolean) => client.release(destroy),
        };
        clients.set(client, wrapped);
      }
      return wrapped;
    },
    end: () => pool.end(),
  };
}
