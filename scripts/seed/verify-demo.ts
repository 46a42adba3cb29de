// Sanity checks for a seeded database, and timings of the app's own list/search/thread queries on it.
//   npx tsx scripts/seed/verify-demo.ts [--database-url URL]      (DATA_DIR / DATABASE_URL as for the app)
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { loadConfig, loadDotEnv } from '../../src/config.ts';
import { connect } from '../../src/db/connect.ts';
import { toUser, type User } from '../../src/db/database.ts';
import { createArgon2Hasher } from '../../src/lib/password-hasher.ts';
import { listTickets, loadThread, type TicketFilters } from '../../src/features/tickets/ticket.repository.ts';
import { createTwoFactorKeys, openTotpSecret } from '../../src/features/two-factor/two-factor.service.ts';

const { values } = parseArgs({
  options: { 'database-url': { type: 'string' }, password: { type: 'string', default: 'parapet demo password' } },
});
loadDotEnv();
if (values['database-url']) {
  process.env.DATABASE_URL = values['database-url'];
}
const config = loadConfig(process.env, { warn: () => {} });
const conn = connect(config.database);
const { db, dialect } = conn;
const TIMEOUT_MS = 30_000;
if (conn.raw.kind === 'postgres') {
  // Some searches are pathological on PostgreSQL at this size: give up on them instead of waiting for hours.
  conn.raw.pool.on('connect', (client) => {
    client.query(`set statement_timeout = ${TIMEOUT_MS}`).catch(() => {});
  });
}
let failures = 0;

async function timed<T>(label: string, run: () => Promise<T>, show: (result: T) => string): Promise<T | undefined> {
  const started = performance.now();
  try {
    const result = await run();
    console.log(`  ${label.padEnd(58)} ${(performance.now() - started).toFixed(0).padStart(6)} ms  ${show(result)}`);
    return result;
  } catch (error) {
    console.log(
      `  ${label.padEnd(58)} ${(performance.now() - started).toFixed(0).padStart(6)} ms  ERROR ${error instanceof Error ? error.message : String(error)}`,
    );
    return undefined;
  }
}

function check(label: string, ok: boolean, detail: string) {
  if (!ok) {
    failures++;
  }
  console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${label}: ${detail}`);
}

try {
  console.log(
    `Checking ${config.database.kind === 'sqlite' ? config.database.file : config.database.url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@')}`,
  );
  const roles = await db
    .selectFrom('users')
    .select(['role', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('role')
    .execute();
  const statuses = await db
    .selectFrom('tickets')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('status')
    .execute();
  const kinds = await db
    .selectFrom('ticket_messages')
    .select(['kind', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('kind')
    .execute();
  const fmtRows = (rows: Array<{ n: number } & Record<string, unknown>>, key: string) =>
    rows.map((r) => `${String(r[key])} ${Number(r.n).toLocaleString('en-US')}`).join(', ');
  console.log(
    `  users:    ${fmtRows(roles, 'role')}\n  tickets:  ${fmtRows(statuses, 'status')}\n  messages: ${fmtRows(kinds, 'kind')}`,
  );

  const started = performance.now();
  const consistency = await sql<{
    tickets: number;
    bad_count: number;
    bad_updated: number;
    bad_resolved: number;
    empty: number;
    bad_created: number;
  }>`
    select count(*) as tickets,
      sum(case when t.message_count <> coalesce(m.visible, 0) then 1 else 0 end) as bad_count,
      sum(case when t.updated_at <> m.last then 1 else 0 end) as bad_updated,
      sum(case when (t.status = 'resolved') <> (t.resolved_at is not null) then 1 else 0 end) as bad_resolved,
      sum(case when m.ticket_id is null then 1 else 0 end) as empty,
      sum(case when t.created_at <> m.first then 1 else 0 end) as bad_created
    from tickets t left join (
      select ticket_id, sum(case when kind = 'message' then 1 else 0 end) as visible, max(created_at) as last, min(created_at) as first
      from ticket_messages group by ticket_id
    ) m on m.ticket_id = t.id`.execute(db);
  const c = consistency.rows[0];
  console.log(`  (consistency query: ${(performance.now() - started).toFixed(0)} ms)`);
  if (c) {
    check(
      'message_count = client-visible messages',
      Number(c.bad_count) === 0,
      `${Number(c.bad_count)} of ${Number(c.tickets)} tickets differ`,
    );
    check('updated_at = last entry', Number(c.bad_updated) === 0, `${Number(c.bad_updated)} differ`);
    check('created_at = first entry', Number(c.bad_created) === 0, `${Number(c.bad_created)} differ`);
    check('resolved_at set exactly when resolved', Number(c.bad_resolved) === 0, `${Number(c.bad_resolved)} differ`);
    check('every ticket has a thread', Number(c.empty) === 0, `${Number(c.empty)} without`);
  }
  if (dialect === 'sqlite') {
    const fts = await sql<{ n: number }>`select count(*) as n from ticket_fts`.execute(db);
    const expected = await sql<{
      n: number;
    }>`select (select count(*) from tickets) + (select count(*) from ticket_messages where kind <> 'event') as n`.execute(
      db,
    );
    check(
      'one FTS row per subject and per message/note',
      Number(fts.rows[0]?.n) === Number(expected.rows[0]?.n),
      `${Number(fts.rows[0]?.n)} rows, expected ${Number(expected.rows[0]?.n)}`,
    );
    const hits = await sql<{
      n: number;
    }>`select count(*) as n from ticket_fts where ticket_fts match 'text : invoice'`.execute(db);
    const rare = await sql<{
      n: number;
    }>`select count(*) as n from ticket_fts where ticket_fts match 'text : okta'`.execute(db);
    check(
      `FTS match 'invoice'`,
      Number(hits.rows[0]?.n) > 0,
      `${Number(hits.rows[0]?.n)} rows ('okta', a rare word: ${Number(rare.rows[0]?.n)})`,
    );
  } else {
    const hits = await sql<{
      n: number;
    }>`select count(*) as n from ticket_messages where search @@ 'invoice'::tsquery`.execute(db);
    const rare = await sql<{
      n: number;
    }>`select count(*) as n from ticket_messages where search @@ 'okta'::tsquery`.execute(db);
    check(
      `tsvector match 'invoice'`,
      Number(hits.rows[0]?.n) > 0,
      `${Number(hits.rows[0]?.n)} messages ('okta', a rare word: ${Number(rare.rows[0]?.n)})`,
    );
  }

  const admin = toUser(
    await db
      .selectFrom('users')
      .selectAll()
      .where('role', '=', 'administrator')
      .orderBy('id')
      .executeTakeFirstOrThrow(),
  );
  const busiest = await sql<{
    client_id: number;
  }>`select client_id from tickets group by client_id order by count(*) desc limit 1`.execute(db);
  const clientRow = await db
    .selectFrom('users')
    .selectAll()
    .where('id', '=', busiest.rows[0]?.client_id ?? 0)
    .executeTakeFirst();
  const client = clientRow && toUser(clientRow);
  const agent = toUser(
    await db.selectFrom('users').selectAll().where('role', '=', 'agent').orderBy('id').executeTakeFirstOrThrow(),
  );
  // What the login needs: the password verifies under this configuration's pepper, the TOTP secret decrypts under its key.
  const hasher = createArgon2Hasher({ pepper: config.pepper, ...config.argon2 });
  const keys = createTwoFactorKeys(config);
  for (const user of [admin, agent, client].filter((u): u is User => Boolean(u))) {
    const passwordOk = await hasher.verify(user.password_hash, values.password);
    const secret = openTotpSecret(keys, user);
    check(
      `${user.role} ${user.email} can sign in`,
      passwordOk && Boolean(secret) && user.email_verified_at !== null && user.disabled_at === null,
      `password ${passwordOk ? 'verifies' : 'does NOT verify'}, TOTP secret ${secret ?? 'does NOT decrypt'}, verified ${user.email_verified_at !== null}`,
    );
  }
  const show = (r: { rows: unknown[]; total: number; capped: boolean }) =>
    `${r.rows.length} rows, total ${r.total}${r.capped ? '+' : ''}`;
  const list =
    (user: User, filters: TicketFilters, page = 1) =>
    () =>
      listTickets(db, dialect, user, filters, page);

  console.log(`App queries (listTickets / loadThread) as administrator ${admin.email}:`);
  const cases: Array<[string, TicketFilters, number?]> = [
    ['all, page 1', {}],
    ['all, page 400', {}, 400],
    ['status=open', { status: 'open' }],
    ['status=awaiting_staff', { status: 'awaiting_staff' }],
    ['priority=urgent', { priority: 'urgent' }],
    ['category=Feature request', { category: 'Feature request' }],
    ['assignee=none', { assignee: 'none' }],
    ['assignee=me (agent)', { assignee: 'me' }],
    ['q=refund', { q: 'refund' }],
    ['q=okta (rare word)', { q: 'okta' }],
    ['q=zurich (diacritics folded)', { q: 'zurich' }],
    ['q=webhook disabled', { q: 'webhook disabled' }],
    ['q=pay* (prefix)', { q: 'pay*' }],
    ['q=i* (too short for a prefix: the word i)', { q: 'i*' }],
    ['q=the', { q: 'the' }],
    ['q=invoice + status=open + priority=high', { q: 'invoice', status: 'open', priority: 'high' }],
  ];
  for (const [label, filters, page] of cases) {
    const user = label.includes('(agent)') ? agent : admin;
    await timed(label, list(user, filters, page ?? 1), show);
  }
  if (client) {
    console.log(`As client ${client.email}:`);
    await timed('own tickets, page 1', list(client, {}), show);
    await timed('own tickets, q=invoice', list(client, { q: 'invoice' }), show);
    await timed('own tickets, status=open', list(client, { status: 'open' }), show);
  }
  const newest = await db.selectFrom('tickets').select('id').orderBy('id', 'desc').executeTakeFirst();
  if (newest) {
    await timed(
      `loadThread(#${newest.id}) as staff`,
      () => loadThread(db, newest.id, true),
      (r) => `${r.entries.length} entries`,
    );
  }
} finally {
  await conn.close();
}
if (failures > 0) {
  console.log(`${failures} check(s) failed`);
  process.exitCode = 1;
}
