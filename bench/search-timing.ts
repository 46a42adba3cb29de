// Per-call timings of ticket search (listTickets with q) on a benchmark dataset, without HTTP: staff and the busiest
// client, a few words (common, rare, prefix, two words), median and p99 of N calls each, wall and CPU time.
//
//   npx tsx bench/search-timing.ts [--db sqlite|postgres] [--tickets 100000] [--iterations 200] [--words "payment,okta,pay*"]
//                                  [--database-url URL]
//
// The dataset is the benchmark's (bench/.data-sqlite-<tickets>, or parapet_bench_<tickets>), seeded first when it does not have
// that many tickets, exactly as `npm run bench -- --reuse` would. Migrations are applied first (and timed).
// "cpu/call" is this process's CPU time (on SQLite the whole cost); "server" the PostgreSQL backends' (from /proc).
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { toUser } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { listTickets } from '../src/features/tickets/ticket.repository.ts';
import { connectTo, findUsers, prepareDataset } from './lib/dataset.ts';

const { values } = parseArgs({
  options: {
    db: { type: 'string', default: 'sqlite' },
    tickets: { type: 'string', default: '100000' },
    iterations: { type: 'string', default: '200' },
    words: { type: 'string', default: 'payment,invoice,okta,pay*,invoice payment' },
    'database-url': { type: 'string' },
  },
});
const db = values.db === 'postgres' ? 'postgres' : 'sqlite';
const tickets = Number(values.tickets.replace(/[_,]/g, ''));
const iterations = Number(values.iterations);
const words = values.words
  .split(',')
  .map((w) => w.trim())
  .filter(Boolean);

const dataset = await prepareDataset({
  db,
  tickets,
  messagesPerTicket: 5,
  reuse: true,
  databaseUrl: values['database-url'],
});
const conn = connectTo(dataset);
const migrating = performance.now();
const migrated = (await migrateToLatest(conn)).results ?? [];
if (migrated.length > 0) {
  process.stdout.write(
    `migrated (${migrated.map((m) => m.migrationName).join(', ')}) in ${((performance.now() - migrating) / 1000).toFixed(1)} s\n`,
  );
}
const users = await findUsers(conn);
const admin = toUser(
  await conn.db.selectFrom('users').selectAll().where('id', '=', users.admins[0]!.id).executeTakeFirstOrThrow(),
);
const client = toUser(
  await conn.db.selectFrom('users').selectAll().where('id', '=', users.client.id).executeTakeFirstOrThrow(),
);

/** CPU time (ms) of this database's PostgreSQL backends, read from /proc (the server runs on this machine). */
async function serverCpuMs(): Promise<number> {
  if (conn.dialect !== 'postgres') {
    return 0;
  }
  const { rows } = await sql<{
    pid: number;
  }>`select pid from pg_stat_activity where datname = current_database() and backend_type = 'client backend'`.execute(
    conn.db,
  );
  let ticks = 0;
  for (const { pid } of rows) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
  }
  return (ticks * 1000) / 100;
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
const ms = (n: number) => n.toFixed(2).padStart(8);

process.stdout.write(
  `${db} ${dataset.tickets.toLocaleString('en')} tickets; busiest client has ${users.client.tickets} tickets; ${iterations} calls each\n`,
);
process.stdout.write(
  `${'who'.padEnd(7)} ${'query'.padEnd(18)} ${'rows'.padStart(5)} ${'total'.padStart(6)}  ${'median'.padStart(8)} ${'p99'.padStart(8)} ${'cpu/call'.padStart(8)}${db === 'postgres' ? ` ${'server'.padStart(8)}` : ''}  (ms)\n`,
);
for (const [who, user] of [
  ['staff', admin],
  ['client', client],
] as const) {
  for (const q of words) {
    const first = await listTickets(conn.db, conn.dialect, user, { q }, 1);
    const times: number[] = [];
    const server = await serverCpuMs();
    const cpu = process.cpuUsage();
    for (let i = 0; i < iterations; i++) {
      const started = performance.now();
      await listTickets(conn.db, conn.dialect, user, { q }, 1);
      times.push(performance.now() - started);
    }
    const used = process.cpuUsage(cpu);
    const serverUsed = (await serverCpuMs()) - server;
    times.sort((a, b) => a - b);
    const total = `${first.total}${first.capped ? '+' : ''}`;
    process.stdout.write(
      `${who.padEnd(7)} ${q.padEnd(18)} ${String(first.rows.length).padStart(5)} ${total.padStart(6)}  ${ms(quantile(times, 0.5))} ${ms(quantile(times, 0.99))} ${ms((used.user + used.system) / 1000 / iterations)}${db === 'postgres' ? ` ${ms(serverUsed / iterations)}` : ''}\n`,
    );
  }
}
await conn.close();
