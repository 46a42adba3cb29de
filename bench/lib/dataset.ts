// The benchmark's dataset: a dedicated SQLite DATA_DIR (bench/.data-sqlite-<tickets>) or PostgreSQL database
// (parapet_bench_<tickets>), seeded with scripts/seed-demo.ts under fixed benchmark secrets, or reused when it already has
// the requested number of tickets.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { EnvSchema, loadConfig } from '../../src/config.ts';
import { connect, type Connection } from '../../src/db/connect.ts';
import { ROOT, TSX } from '../../test/support/app-process.ts';
import { runInherited } from './processes.ts';

// Benchmark-only secrets: the seeded password hashes and TOTP secrets are made with them, and the app runs with them.
export const BENCH_SECRET_KEY = 'parapet-benchmark-secret-key-never-use-in-production';
export const BENCH_PEPPER = 'parapet-benchmark-pepper-never-use-in-production-0';
export const BENCH_PASSWORD = 'parapet demo password';
export const BENCH_TOTP_SECRET = 'PARAPETBENCHMARKTOTPSECRETAAAAAA';
export const ARGON2 = { memoryCost: 19456, timeCost: 2 };
/** Tickets the benchmark itself opens start with this; they are removed before each run and not counted. */
export const BENCH_SUBJECT_PREFIX = 'Benchmark: ';

export interface DatasetOptions {
  db: 'sqlite' | 'postgres';
  tickets: number;
  messagesPerTicket: number;
  reuse: boolean;
  /** PostgreSQL only; default postgres://postgres@127.0.0.1:5432/parapet_bench_<tickets> (one database per size) */
  databaseUrl?: string | undefined;
}

export interface Dataset {
  kind: 'sqlite' | 'postgres';
  dataDir: string;
  databaseUrl: string;
  /** What the app and the seed script see: the environment without Parapet's variables, plus the benchmark's. */
  env: NodeJS.ProcessEnv;
  seeded: boolean;
  seedSeconds: number | null;
  tickets: number;
  messages: number;
}

function cleanEnvironment(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(EnvSchema.properties)) {
    delete env[key];
  }
  return env;
}

export function connectTo(dataset: Pick<Dataset, 'env'>): Connection {
  return connect(loadConfig(dataset.env, { warn: () => {} }).database);
}

function ensurePostgresDatabase(url: string): void {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) {
    throw new Error(`the benchmark database name must be a plain identifier, not "${name}"`);
  }
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const exists = execFileSync('psql', [admin.href, '-tAc', `select 1 from pg_database where datname = '${name}'`], {
    encoding: 'utf8',
  }).trim();
  if (exists !== '1') {
    execFileSync('psql', [admin.href, '-qc', `create database ${name}`], { stdio: ['ignore', 'ignore', 'inherit'] });
    process.stderr.write(`Created PostgreSQL database ${name}\n`);
  }
}

async function countTickets(conn: Connection): Promise<{ tickets: number; messages: number }> {
  try {
    const row = await sql<{ tickets: number; messages: number }>`select
        (select count(*) from tickets where subject not like ${`${BENCH_SUBJECT_PREFIX}%`}) as tickets,
        (select count(*) from ticket_messages) as messages`.execute(conn.db);
    return { tickets: Number(row.rows[0]?.tickets ?? 0), messages: Number(row.rows[0]?.messages ?? 0) };
  } catch {
    return { tickets: 0, messages: 0 };
  }
}

export async function prepareDataset(opts: DatasetOptions): Promise<Dataset> {
  const dataDir = path.join(ROOT, 'bench', `.data-${opts.db}-${opts.tickets}`);
  mkdirSync(dataDir, { recursive: true });
  const databaseUrl =
    opts.db === 'sqlite'
      ? `sqlite:${path.join(dataDir, 'parapet.sqlite')}`
      : (opts.databaseUrl ?? `postgres://postgres@127.0.0.1:5432/parapet_bench_${opts.tickets}`);
  if (opts.db === 'postgres') {
    ensurePostgresDatabase(databaseUrl);
  }
  const env: NodeJS.ProcessEnv = {
    ...cleanEnvironment(),
    NODE_ENV: 'development',
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    SECRET_KEY: BENCH_SECRET_KEY,
    PEPPER: BENCH_PEPPER,
    ARGON2_MEMORY_KIB: String(ARGON2.memoryCost),
    ARGON2_TIME_COST: String(ARGON2.timeCost),
    LOG_LEVEL: 'warn',
  };

  let conn = connectTo({ env });
  let counts = await countTickets(conn);
  await conn.close();
  let seeded = false;
  let seedSeconds: number | null = null;
  if (!opts.reuse || counts.tickets !== opts.tickets) {
    if (opts.reuse) {
      process.stderr.write(
        `--reuse: the dataset has ${counts.tickets.toLocaleString('en')} tickets, not ${opts.tickets.toLocaleString('en')}: seeding again\n`,
      );
    }
    const started = performance.now();
    // `npm run seed:demo`, run directly so that no .env of the working tree leaks into the benchmark's settings.
    await runInherited(
      process.execPath,
      [
        '--import',
        TSX,
        path.join(ROOT, 'scripts/seed-demo.ts'),
        '--tickets',
        String(opts.tickets),
        '--messages-per-ticket',
        String(opts.messagesPerTicket),
        '--db',
        opts.db,
        '--database-url',
        databaseUrl,
        '--reset',
        '--password',
        BENCH_PASSWORD,
        '--totp-secret',
        BENCH_TOTP_SECRET,
      ],
      { cwd: dataDir, env: { TSX_TSCONFIG_PATH: path.join(ROOT, 'tsconfig.json'), ...env } },
    );
    if (opts.db === 'postgres') {
      // The seed runs ANALYZE only. VACUUM as well, as autovacuum would soon: it moves the rows just inserted out of
      // the GIN indexes' pending lists (which every search otherwise scans) and sets the visibility map.
      execFileSync('psql', [databaseUrl, '-qc', 'vacuum (analyze) users, tickets, ticket_messages'], {
        stdio: ['ignore', 'ignore', 'inherit'],
      });
    }
    seedSeconds = Math.round((performance.now() - started) / 100) / 10;
    seeded = true;
    conn = connectTo({ env });
    counts = await countTickets(conn);
    await conn.close();
  }
  return {
    kind: opts.db,
    dataDir,
    databaseUrl,
    env,
    seeded,
    seedSeconds,
    tickets: counts.tickets,
    messages: counts.messages,
  };
}

/**
 * Leftovers of earlier runs: the benchmark's own tickets (with their search rows on SQLite), sessions, queued mail,
 * login counters, and the TOTP replay guard of the accounts the benchmark signs in with. Run while the app is stopped.
 */
export async function cleanUp(conn: Connection, userIds: number[]): Promise<void> {
  const { db } = conn;
  const own = await db
    .selectFrom('tickets')
    .select('id')
    .where('subject', 'like', `${BENCH_SUBJECT_PREFIX}%`)
    .execute();
  for (const { id } of own) {
    if (conn.dialect === 'sqlite') {
      const messages = await db.selectFrom('ticket_messages').select('id').where('ticket_id', '=', id).execute();
      const rowids = [-id, ...messages.map((m) => m.id)];
      for (let i = 0; i < rowids.length; i += 500) {
        await db
          .deleteFrom('ticket_fts')
          .where('rowid', 'in', rowids.slice(i, i + 500))
          .execute();
      }
    }
    await db.deleteFrom('tickets').where('id', '=', id).execute();
  }
  await db.deleteFrom('sessions').execute();
  await db.deleteFrom('mail_outbox').execute();
  await db.deleteFrom('login_throttles').execute();
  await db.deleteFrom('rate_limits').execute();
  if (userIds.length > 0) {
    await db.updateTable('users').set({ totp_last_step: null }).where('id', 'in', userIds).execute();
  }
}

export interface BenchUsers {
  admins: Array<{ id: number; email: string }>;
  /** The client who owns the most tickets. */
  client: { id: number; email: string; tickets: number };
  /** Clients whose emails the login scenario rotates through. */
  loginEmails: string[];
}

export async function findUsers(conn: Connection): Promise<BenchUsers> {
  const { db } = conn;
  const admins = await db
    .selectFrom('users')
    .select(['id', 'email'])
    .where('role', '=', 'administrator')
    .where('email', 'like', '%@example.com')
    .where('disabled_at', 'is', null)
    .orderBy('id')
    .limit(2)
    .execute();
  const busiest = await sql<{ id: number; email: string; tickets: number }>`
    select u.id, u.email, c.n as tickets
    from (select client_id, count(*) as n from tickets group by client_id order by n desc limit 1) c join users u on u.id = c.client_id`.execute(
    db,
  );
  const client = busiest.rows[0];
  const logins = await db
    .selectFrom('users')
    .select('email')
    .where('role', '=', 'client')
    .where('email', 'like', '%@example.com')
    .orderBy('id')
    .limit(200)
    .execute();
  if (admins.length < 2 || !client || logins.length === 0) {
    throw new Error('the dataset has no demo administrators or clients: seed it again (without --reuse)');
  }
  return {
    admins,
    client: { id: Number(client.id), email: client.email, tickets: Number(client.tickets) },
    loginEmails: logins.map((u) => u.email),
  };
}

/**
 * The replies on these tickets whose bodies start with `prefix` + `run`, as the rest of each body after `prefix` (the
 * reply's id): what the "every acknowledged reply is stored" checks compare against.
 */
export async function storedReplies(
  dataset: Pick<Dataset, 'env'>,
  ticketIds: number[],
  prefix: string,
  run = '',
): Promise<Set<string>> {
  const conn = connectTo(dataset);
  try {
    const rows = await conn.db
      .selectFrom('ticket_messages')
      .select('body')
      .where('ticket_id', 'in', ticketIds)
      .where('body', 'like', `${prefix}${run}%`)
      .execute();
    return new Set(rows.map((r) => r.body.slice(prefix.length)));
  } finally {
    await conn.close();
  }
}
