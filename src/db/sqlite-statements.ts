import type SQLite from 'better-sqlite3';
import {
  CompiledQuery,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type Driver,
  type SqliteDatabase,
  type SqliteDialectConfig,
} from 'kysely';

/**
 * The app's SQLite driver. Transactions take SQLite's write lock when they begin (`begin immediate`). With the default deferred `begin`, a
 * transaction that reads and then writes while another process (WORKERS > 1) has written since its read cannot
 * upgrade its lock: SQLite answers "database is locked" at once, without waiting for busy_timeout. Every
 * transaction here writes, so nothing is lost by starting as a writer; a second process now waits its turn.
 */
const YIELD_AFTER_MS = 10;

class ImmediateTransactionDriver extends SqliteDriver {
  #lastTurn = performance.now();
  #watching = false;

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  /**
   * Lets the event loop turn while queries queue for the one connection. Kysely hands the connection from query to
   * query through promise resolutions and better-sqlite3 runs each query synchronously, so under load a whole queue
   * of queries ran in one macrotask: for hundreds of milliseconds the process read no request, accepted no
   * connection and answered no /readyz (a load balancer would have taken a busy, healthy process out). When the loop
   * has not turned for YIELD_AFTER_MS, the next query waits one turn first.
   */
  override async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await super.acquireConnection();
    if (performance.now() - this.#lastTurn > YIELD_AFTER_MS) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.#lastTurn = performance.now();
    }
    if (!this.#watching) {
      this.#watching = true;
      setImmediate(() => {
        this.#watching = false;
        this.#lastTurn = performance.now();
      });
    }
    return connection;
  }
}

export class ParapetSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;
  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }
  override createDriver(): Driver {
    return new ImmediateTransactionDriver(this.#config);
  }
}

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
