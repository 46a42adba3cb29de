// Fills the configured database with a realistic demo/benchmark dataset: demo users (all with one password and
// one TOTP secret) and tickets with threads whose text makes full-text search behave as it would for real.
//
//   npm run seed:demo -- --tickets 1000000 [--messages-per-ticket 5] [--db sqlite|postgres] [--database-url URL] [--reset]
//
// Run it while the app is stopped: ids are computed from the current maximum, so rows the app inserted at the
// same time could collide. Without --reset it appends.
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Secret, TOTP } from 'otpauth';
import { loadConfig, loadDotEnv, type Config } from '../src/config.ts';
import { connect, type Connection } from '../src/db/connect.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { createArgon2Hasher } from '../src/lib/password-hasher.ts';
import { currentTotp } from '../src/features/two-factor/totp.ts';
import { createTwoFactorKeys } from '../src/features/two-factor/two-factor.service.ts';
import { encrypt } from '../src/lib/crypto.ts';
import { SPAN_MS, TicketGenerator, type Cast, type GenTicket } from './seed/generate.ts';
import { createPostgresStore } from './seed/postgres-store.ts';
import { Progress, fmt, formatDuration } from './seed/progress.ts';
import { Rng, hashSeed } from './seed/random.ts';
import { createSqliteStore } from './seed/sqlite-store.ts';
import type { Store, UserRow } from './seed/store.ts';
import { ADMIN_COUNT, AGENT_COUNT, DEMO_DOMAIN, demoIdentities, isDemoEmail } from './seed/users.ts';

const DEFAULT_PASSWORD = 'parapet demo password';

const USAGE = `Usage: npm run seed:demo -- [options]

  --tickets N                tickets to add (default 10000; 1e6, 100k and 1_000_000 work too)
  --messages-per-ticket M    average thread entries (messages, notes, events) per ticket (default 5)
  --db sqlite|postgres       which database: sqlite ignores a postgres DATABASE_URL and uses DATA_DIR;
                             postgres requires DATABASE_URL or --database-url (default: as configured)
  --database-url URL         postgres://… or sqlite:<path>, instead of DATABASE_URL
  --reset                    first delete every ticket, message and attachment, and the demo users
  --seed S                   seed for the generated content (default 1)
  --password P               the password of every demo user (default "${DEFAULT_PASSWORD}")
  --totp-secret BASE32       the TOTP secret of every demo user (default: derived from --seed)
  --no-analyze               skip ANALYZE at the end
  --batch-size B             tickets per transaction (default 5000 on SQLite, 1000 on PostgreSQL)
  --concurrency C            PostgreSQL connections writing at once (default 3)

Environment: .env, DATABASE_URL, DATA_DIR, SECRET_KEY and PEPPER as for the app: start the app with the same
settings, or the demo users' passwords and TOTP secrets will not match its pepper and key.`;

function count(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) {
    return fallback;
  }
  const match = /^(\d+(?:\.\d+)?(?:e\d+)?)([km]?)$/i.exec(value.replace(/[_,]/g, ''));
  const n = match ? Number(match[1]) * ({ k: 1e3, m: 1e6 }[(match[2] ?? '').toLowerCase()] ?? 1) : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a whole number from ${fmt(min)} to ${fmt(max)}, not "${value}"`);
  }
  return n;
}

class UsageError extends Error {}

function parseOptions(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      tickets: { type: 'string' },
      'messages-per-ticket': { type: 'string' },
      db: { type: 'string' },
      'database-url': { type: 'string' },
      reset: { type: 'boolean', default: false },
      seed: { type: 'string' },
      password: { type: 'string' },
      'totp-secret': { type: 'string' },
      'no-analyze': { type: 'boolean', default: false },
      'batch-size': { type: 'string' },
      concurrency: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.db !== undefined && values.db !== 'sqlite' && values.db !== 'postgres') {
    throw new UsageError(`--db must be sqlite or postgres, not "${values.db}"`);
  }
  const password = values.password ?? DEFAULT_PASSWORD;
  if (password.length < 12) {
    throw new UsageError('--password must be at least 12 characters');
  }
  return {
    help: values.help,
    tickets: count('tickets', values.tickets, 10_000, 0, 100_000_000),
    messagesPerTicket: count('messages-per-ticket', values['messages-per-ticket'], 5, 1, 1000),
    db: values.db,
    databaseUrl: values['database-url'],
    reset: values.reset,
    seed: count('seed', values.seed, 1, 0, 2 ** 31),
    password,
    totpSecret: values['totp-secret'],
    analyze: !values['no-analyze'],
    batchSize:
      values['batch-size'] === undefined ? undefined : count('batch-size', values['batch-size'], 0, 1, 100_000),
    concurrency: count('concurrency', values.concurrency, 3, 1, 16),
  };
}
type Options = ReturnType<typeof parseOptions>;

function resolveConfig(options: Options): { config: Config; devSecrets: boolean } {
  loadDotEnv();
  if (options.databaseUrl) {
    process.env.DATABASE_URL = options.databaseUrl;
  } else if (options.db === 'sqlite' && process.env.DATABASE_URL && !process.env.DATABASE_URL.startsWith('sqlite:')) {
    delete process.env.DATABASE_URL;
  }
  let devSecrets = false;
  const config = loadConfig(process.env, { warn: () => (devSecrets = true) });
  if (options.db && options.db !== config.database.kind) {
    throw new UsageError(
      options.db === 'postgres'
        ? '--db postgres needs a PostgreSQL URL: set DATABASE_URL or pass --database-url postgres://…'
        : `--db sqlite contradicts --database-url ${redact(options.databaseUrl ?? '')}`,
    );
  }
  return { config, devSecrets };
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

function describe(config: Config): string {
  return config.database.kind === 'sqlite'
    ? `SQLite ${config.database.file}`
    : `PostgreSQL ${redact(config.database.url)}`;
}

/** 160 bits from the seed, so every run with the same seed prints (and stores) the same secret. */
function demoTotpSecret(seed: number, given: string | undefined): string {
  if (given !== undefined) {
    try {
      const secret = Secret.fromBase32(given.replace(/\s/g, '').toUpperCase());
      if (secret.bytes.length < 10) {
        throw new Error('too short');
      }
      return secret.base32;
    } catch {
      throw new UsageError('--totp-secret must be base32 (A-Z, 2-7), at least 16 characters');
    }
  }
  const bytes = createHash('sha1').update(`parapet-demo-totp:${seed}`).digest();
  return new Secret({ buffer: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) }).base32;
}

const log = (message: string) => process.stderr.write(`${message}\n`);

async function main(): Promise<void> {
  const startedAt = performance.now();
  const options = parseOptions(process.argv.slice(2));
  if (options.help) {
    console.log(USAGE);
    return;
  }
  const { config, devSecrets } = resolveConfig(options);
  const now = Date.now();
  log(`Seeding ${describe(config)}`);
  if (devSecrets) {
    log(
      `Note: SECRET_KEY/PEPPER are not set; using the development secrets in ${config.dataDir}/dev-secrets.json. Start the app with the same DATA_DIR.`,
    );
  }

  const conn: Connection = connect(config.database, { poolSize: options.concurrency + 2 });
  let store: Store | undefined;
  let loading = false;
  try {
    await migrateToLatest(conn);
    store =
      conn.raw.kind === 'sqlite'
        ? createSqliteStore(conn.raw.sqlite, { batchSize: options.batchSize })
        : createPostgresStore(conn.raw.pool, { batchSize: options.batchSize, concurrency: options.concurrency });

    // 1. --reset
    if (options.reset) {
      const t0 = performance.now();
      const demo = (await store.usersWithDomain(DEMO_DOMAIN)).filter((u) => isDemoEmail(u.email));
      const removed = await store.reset(demo.map((u) => u.id));
      log(
        `Reset: deleted ${fmt(removed.tickets)} tickets, ${fmt(removed.messages)} messages, ${fmt(removed.attachments)} attachments ` +
          `and ${fmt(removed.users)} demo users in ${formatDuration(performance.now() - t0)}`,
      );
    }

    // 2. Users: about one client per 20 tickets (counting the ones already there), 10 agents, 2 administrators.
    const existingTickets = await store.countTickets();
    const clientCount = Math.max(10, Math.ceil((existingTickets + options.tickets) / 20));
    const identities = demoIdentities(clientCount);
    const known = new Map((await store.usersWithDomain(DEMO_DOMAIN)).map((u) => [u.email, u.id]));
    const totpSecret = demoTotpSecret(options.seed, options.totpSecret);
    const keys = createTwoFactorKeys(config);
    const t0 = performance.now();
    // One argon2 hash for everybody: hashing is deliberately slow, and the salt does not matter for demo data.
    const passwordHash = await createArgon2Hasher({ pepper: config.pepper, ...config.argon2 }).hash(options.password);
    const ids = await store.maxIds();
    let nextUserId = ids.users;
    const userRng = new Rng(hashSeed('parapet-demo-user-dates', options.seed));
    const inserts: UserRow[] = [];
    const updates: UserRow[] = [];
    const userIds: number[] = [];
    for (const identity of identities) {
      const existing = known.get(identity.email);
      const id = existing ?? ++nextUserId;
      userIds.push(id);
      const row: UserRow = {
        id,
        email: identity.email,
        name: identity.name,
        role: identity.role,
        createdAt: now - SPAN_MS - userRng.int(90) * 86_400_000 - userRng.int(86_400_000),
        totpSecretEnc: encrypt(keys.secret, totpSecret, `user:${id}`),
      };
      (existing === undefined ? inserts : updates).push(row);
    }
    await store.saveUsers(inserts, updates, passwordHash, now);
    log(
      `Users: ${fmt(inserts.length)} created, ${fmt(updates.length)} refreshed in ${formatDuration(performance.now() - t0)}`,
    );

    const person = (i: number) => ({
      id: userIds[i] as number,
      first: (identities[i] as (typeof identities)[number]).first,
    });
    const cast: Cast = {
      admins: Array.from({ length: ADMIN_COUNT }, (_, i) => person(i)),
      agents: Array.from({ length: AGENT_COUNT }, (_, i) => person(ADMIN_COUNT + i)),
      clients: Array.from({ length: clientCount }, (_, i) => person(ADMIN_COUNT + AGENT_COUNT + i)),
    };

    // 3. Tickets, in batches: one transaction each.
    const generator = new TicketGenerator({
      seed: options.seed,
      cast,
      categories: config.ticketCategories,
      messagesPerTicket: options.messagesPerTicket,
      total: options.tickets,
      firstTicketId: ids.tickets + 1,
      firstMessageId: ids.messages + 1,
      now,
    });
    let stop = false;
    process.once('SIGINT', () => {
      stop = true;
      log('\nInterrupted: finishing the current batch (press Ctrl-C again to abort at once)');
    });
    const loadStarted = performance.now();
    const progress = new Progress(conn.dialect === 'sqlite' ? 'SQLite' : 'PostgreSQL', options.tickets);
    let tickets = 0;
    let messages = 0;
    let indexed = 0;
    loading = true;
    await store.beginLoad();
    while (tickets < options.tickets && !stop) {
      const size = Math.min(store.batchSize, options.tickets - tickets);
      const batch: GenTicket[] = new Array<GenTicket>(size);
      for (let i = 0; i < size; i++) {
        const ticket = generator.next();
        batch[i] = ticket;
        messages += ticket.messages.length;
        for (const m of ticket.messages) {
          if (m.kind !== 'event') {
            indexed++;
          }
        }
      }
      await store.writeTickets(batch);
      tickets += size;
      progress.update(tickets, tickets + messages);
      // SQLite writes synchronously: let the event loop run, or Ctrl-C (SIGINT) would wait for the very end.
      await new Promise((resolve) => setImmediate(resolve));
    }
    await store.flush();
    progress.finish();
    const loadMs = performance.now() - loadStarted;
    loading = false;
    const analyzeStarted = performance.now();
    await store.endLoad(options.analyze);
    const analyzeMs = performance.now() - analyzeStarted;

    // 4. The summary, on stdout.
    const totals = await conn.db
      .selectNoFrom((eb) => [
        eb.selectFrom('tickets').select(eb.fn.countAll<number>().as('n')).as('tickets'),
        eb.selectFrom('ticket_messages').select(eb.fn.countAll<number>().as('n')).as('messages'),
        eb.selectFrom('users').select(eb.fn.countAll<number>().as('n')).as('users'),
      ])
      .executeTakeFirstOrThrow();
    const rows = tickets + messages;
    const busiest = await store.busiestClient();
    const admin = identities[0];
    const agent = identities[ADMIN_COUNT];
    const uri = new TOTP({
      issuer: config.totpIssuer,
      label: admin?.email ?? 'demo',
      secret: Secret.fromBase32(totpSecret),
    }).toString();
    const lines = [
      `${stop ? 'Stopped early: seeded' : 'Seeded'} ${describe(config)}`,
      `  added     ${fmt(tickets)} tickets, ${fmt(messages)} messages${conn.dialect === 'sqlite' ? `, ${fmt(tickets + indexed)} full-text rows` : ''}; ` +
        `${fmt(inserts.length)} users created, ${fmt(updates.length)} refreshed`,
      `  totals    ${fmt(Number(totals.tickets))} tickets, ${fmt(Number(totals.messages))} messages, ${fmt(Number(totals.users))} users ` +
        `(${ADMIN_COUNT} administrators, ${AGENT_COUNT} agents, ${fmt(clientCount)} demo clients)`,
      `  time      load ${formatDuration(loadMs)} (${fmt((rows / loadMs) * 1000)} rows/s, ${fmt((tickets / loadMs) * 1000)} tickets/s)` +
        `${options.analyze ? `, analyze ${formatDuration(analyzeMs)}` : ''}, total ${formatDuration(performance.now() - startedAt)}`,
      '',
      'Every demo user (verified, 2FA enrolled) signs in with:',
      `  password       ${options.password}`,
      `  TOTP secret    ${totpSecret}   (code right now: ${currentTotp(totpSecret, Date.now())})`,
      `  otpauth URI    ${uri}`,
      `  administrator  ${admin?.email ?? ''}`,
      `  agent          ${agent?.email ?? ''}`,
      busiest
        ? `  client         ${busiest.email}   (owns ${fmt(busiest.tickets)} tickets)`
        : `  client         ${identities[ADMIN_COUNT + AGENT_COUNT]?.email ?? ''}`,
    ];
    console.log(lines.join('\n'));
  } finally {
    if (loading && store) {
      // A failed or interrupted load still gets its settings restored and (PostgreSQL) its sequences moved on.
      await store.endLoad(false).catch((error: unknown) => log(`Could not restore settings: ${String(error)}`));
    }
    await conn.close();
  }
}

try {
  await main();
} catch (error) {
  if (
    error instanceof UsageError ||
    (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))
  ) {
    console.error(`${error.message}\n\n${USAGE}`);
    process.exitCode = 2;
  } else {
    console.error(error);
    process.exitCode = 1;
  }
}
