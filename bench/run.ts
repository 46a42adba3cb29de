// Parapet's benchmark. Seeds (or reuses) a dataset, starts the app as its own process with bench/probe.ts preloaded,
// and drives it with autocannon from other processes (bench/load.ts). Prints a table and writes the same figures as
// JSON (bench/results.json by default).
//
//   npm run bench -- [--tickets 1000000] [--messages-per-ticket 5] [--db sqlite|postgres] [--database-url URL]
//                    [--duration 10] [--warmup 2] [--connections 50] [--reuse] [--quick] [--out bench/results.json]
//                    [--search WORD]
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Argon2Result, Argon2Spec } from './argon2-baseline.ts';
import {
  ARGON2,
  BENCH_PASSWORD,
  BENCH_PEPPER,
  BENCH_SUBJECT_PREFIX,
  BENCH_TOTP_SECRET,
  cleanUp,
  connectTo,
  findUsers,
  prepareDataset,
  type Dataset,
  storedReplies,
} from './lib/dataset.ts';
import { Browser } from './lib/http.ts';
import { ROOT, freePort } from '../test/support/app-process.ts';
import { runJsonChild, startApp, startCeiling, type BenchApp } from './lib/processes.ts';
import type { LoadResult, LoadSpec } from './load.ts';
import type { ProbeReport } from './probe.ts';

const USAGE = `Usage: npm run bench -- [options]
  --tickets N               tickets in the dataset (default 1000000; 100k and 1e6 work too)
  --messages-per-ticket M   average thread entries per ticket for the seed script (default 5)
  --db sqlite|postgres      database (default sqlite)
  --database-url URL        PostgreSQL database to use (default postgres://postgres@127.0.0.1:5432/parapet_bench_<tickets>)
  --reuse                   do not seed when the dataset already has N tickets
  --duration S              seconds measured per scenario (default 10)
  --warmup S                seconds of warm-up before each scenario (default 2)
  --quick                   --duration 3 --warmup 1, fewer start-up samples: a smoke test, not for the record
  --connections C           concurrent connections per scenario (default 50)
  --search WORD             the full-text search term (default "payment", in ~6% of tickets)
  --uv-threadpool N         UV_THREADPOOL_SIZE for the app and the argon2 baseline (default: Node's, 4)
  --workers N               app processes (WORKERS, node:cluster; default 1); the ceiling runs as many
  --out FILE                JSON results (default bench/results.json)`;

function count(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) {
    return fallback;
  }
  const match = /^(\d+(?:\.\d+)?(?:e\d+)?)([km]?)$/i.exec(value.replace(/[_,]/g, ''));
  const n = match ? Number(match[1]) * ({ k: 1e3, m: 1e6 }[(match[2] ?? '').toLowerCase()] ?? 1) : Number.NaN;
  if (!Number.isFinite(n) || n <= 0) {
    throw new Error(`--${name} must be a positive number, not "${value}"`);
  }
  return n;
}

function options() {
  const { values } = parseArgs({
    options: {
      tickets: { type: 'string' },
      'messages-per-ticket': { type: 'string' },
      db: { type: 'string', default: 'sqlite' },
      'database-url': { type: 'string' },
      reuse: { type: 'boolean', default: false },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      quick: { type: 'boolean', default: false },
      connections: { type: 'string' },
      search: { type: 'string', default: 'payment' },
      'uv-threadpool': { type: 'string' },
      workers: { type: 'string' },
      out: { type: 'string', default: path.join(ROOT, 'bench/results.json') },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (values.db !== 'sqlite' && values.db !== 'postgres') {
    throw new Error(`--db must be sqlite or postgres, not "${values.db}"`);
  }
  const db: 'sqlite' | 'postgres' = values.db;
  return {
    tickets: Math.round(count('tickets', values.tickets, 1_000_000)),
    messagesPerTicket: Math.round(count('messages-per-ticket', values['messages-per-ticket'], 5)),
    db,
    databaseUrl: values['database-url'],
    reuse: values.reuse,
    duration: count('duration', values.duration, values.quick ? 3 : 10),
    warmup: values.warmup === '0' ? 0 : count('warmup', values.warmup, values.quick ? 1 : 2),
    quick: values.quick,
    connections: Math.round(count('connections', values.connections, 50)),
    search: values.search,
    uvThreadpool:
      values['uv-threadpool'] === undefined
        ? undefined
        : Math.round(count('uv-threadpool', values['uv-threadpool'], 4)),
    workers: Math.round(count('workers', values.workers, 1)),
    out: path.resolve(values.out),
  };
}

const log = (message: string) => process.stderr.write(`${message}\n`);
const loadAverage = () => os.loadavg().map((l) => Math.round(l * 100) / 100);
const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

interface ScenarioResult {
  id: string;
  name: string;
  connections: number;
  rps: number;
  ratioToCeiling: number | null;
  p50Ms: number;
  p99Ms: number;
  failures: number;
  /** Requests still in flight when the time was up. */
  incomplete: number;
  statusCodes: Record<string, number>;
  bytesPerResponse: number;
  /** The app process during the measured seconds (absent for the ceiling, which is another process). */
  app?: { cpuPercent: number; eventLoopDelayP99Ms: number; peakRssMb: number };
  loadAverage: number[];
}

function summarise(
  id: string,
  name: string,
  spec: LoadSpec,
  result: LoadResult,
  ceilingRps: number | null,
  probe?: ProbeReport,
): ScenarioResult {
  return {
    id,
    name,
    connections: spec.connections,
    rps: result.rps,
    ratioToCeiling: ceilingRps ? Math.round((result.rps / ceilingRps) * 1000) / 1000 : null,
    // Nothing answered within the time: every request took longer than the whole run.
    p50Ms: result.ok === 0 ? spec.duration * 1000 : result.latencyMs.p50,
    p99Ms: result.ok === 0 ? spec.duration * 1000 : result.latencyMs.p99,
    failures: result.failures,
    incomplete: result.incomplete,
    statusCodes: result.statusCodes,
    bytesPerResponse: result.bytesPerResponse,
    ...(probe
      ? {
          app: {
            cpuPercent: Math.round((probe.cpuMs / probe.wallMs) * 1000) / 10,
            eventLoopDelayP99Ms: probe.eventLoopDelayMs.p99,
            peakRssMb: mb(probe.peakRssBytes),
          },
        }
      : {}),
    loadAverage: loadAverage(),
  };
}

/** Runs one load process; the app's probe window starts when the load generator's warm-up ends. */
async function measure(spec: LoadSpec, app?: BenchApp): Promise<{ result: LoadResult; probe?: ProbeReport }> {
  let window: Promise<ProbeReport> | undefined;
  const result = await runJsonChild<LoadResult>('bench/load.ts', spec, (line) => {
    if (line === 'measure') {
      window = app?.probe(true);
    } else {
      log(line);
    }
  });
  await window;
  return { result, ...(app ? { probe: await app.probe(true) } : {}) };
}

async function main(): Promise<void> {
  const opts = options();
  if (opts.uvThreadpool !== undefined) {
    // Inherited by the app, the load generators and the argon2 baseline.
    process.env.UV_THREADPOOL_SIZE = String(opts.uvThreadpool);
  }
  const started = performance.now();
  const loadAtStart = loadAverage();
  log(
    `Parapet benchmark: ${opts.db}, ${opts.tickets.toLocaleString('en')} tickets, ${opts.connections} connections, ${opts.duration} s per scenario (+${opts.warmup} s warm-up)`,
  );
  log(
    `Load average at start: ${loadAtStart.join(' ')} on ${os.cpus().length} CPUs${loadAtStart[0]! > 1.5 ? ' (busy machine: figures will be low and noisy)' : ''}`,
  );

  // 1. The dataset.
  const dataset: Dataset = await prepareDataset({
    db: opts.db,
    tickets: opts.tickets,
    messagesPerTicket: opts.messagesPerTicket,
    reuse: opts.reuse,
    databaseUrl: opts.databaseUrl,
  });
  log(
    `Dataset: ${dataset.tickets.toLocaleString('en')} tickets, ${dataset.messages.toLocaleString('en')} messages (${dataset.seeded ? `seeded in ${dataset.seedSeconds} s` : 'reused'})`,
  );
  const conn = connectTo(dataset);
  const users = await findUsers(conn);
  const [admin, replier] = users.admins as [{ id: number; email: string }, { id: number; email: string }];
  await cleanUp(conn, [admin.id, replier.id, users.client.id]);
  await conn.close();

  // The development mail outbox keeps every email in DATA_DIR/mail: start each run with an empty one, and a new log.
  rmSync(path.join(dataset.dataDir, 'mail'), { recursive: true, force: true });
  const logFile = path.join(dataset.dataDir, 'app.log');
  writeFileSync(logFile, '');
  const appEnv = async (): Promise<NodeJS.ProcessEnv> => ({
    ...dataset.env,
    HOST: '127.0.0.1',
    PORT: String(await freePort()),
    LOGIN_MAX_ATTEMPTS: '1000',
    WORKERS: String(opts.workers),
    ...(opts.uvThreadpool !== undefined ? { UV_THREADPOOL_SIZE: String(opts.uvThreadpool) } : {}),
  });

  // 2. Start-up time: spawn → first 200 from /readyz, a few times (the last start is the one measured below).
  const startupSamples: number[] = [];
  for (let i = 0; i < (opts.quick ? 1 : 2); i++) {
    const app = await startApp({ env: await appEnv(), cwd: dataset.dataDir, logFile, probe: false });
    startupSamples.push(Math.round(app.startupMs));
    await app.stop();
  }
  const app = await startApp({ env: await appEnv(), cwd: dataset.dataDir, logFile, probe: true });
  startupSamples.push(Math.round(app.startupMs));
  log(`Start-up to /readyz: ${startupSamples.join(', ')} ms (app pid ${app.pid}, log ${path.relative(ROOT, logFile)})`);

  const results: ScenarioResult[] = [];
  let replies: { acknowledged: number; found: number; missing: number } | undefined;
  let concurrent:
    { login: ScenarioResult; list: ScenarioResult; eventLoopDelayMs: ProbeReport['eventLoopDelayMs'] } | undefined;
  let peakRss = 0;
  let argon2: Argon2Result | undefined;
  try {
    // 3. Sessions: a different user for each (a TOTP code works once per user and 30-second step).
    const adminBrowser = new Browser(app.url);
    await adminBrowser.signIn(admin.email, BENCH_PASSWORD, BENCH_TOTP_SECRET);
    const replierBrowser = new Browser(app.url);
    await replierBrowser.signIn(replier.email, BENCH_PASSWORD, BENCH_TOTP_SECRET);
    const clientBrowser = new Browser(app.url);
    await clientBrowser.signIn(users.client.email, BENCH_PASSWORD, BENCH_TOTP_SECRET);

    // 4. The benchmark's own tickets, through the app: a 20-message thread, and the ticket the reply scenario answers.
    const clientCsrf = await clientBrowser.csrfToken('/tickets/new');
    const openTicket = async (subject: string) => {
      const created = await clientBrowser.request('/tickets', {
        form: { _csrf: clientCsrf, subject, message: `Opened by the benchmark. ${subject}`, priority: 'normal' },
      });
      const id = Number(/^\/tickets\/(\d+)$/.exec(created.location ?? '')?.[1]);
      if (created.status !== 303 || !id) {
        throw new Error(`opening a ticket answered ${created.status} ${created.location ?? ''}`);
      }
      return id;
    };
    const threadId = await openTicket(`${BENCH_SUBJECT_PREFIX}a thread of 20 messages`);
    const adminCsrf = await adminBrowser.csrfToken('/tickets/new');
    for (let i = 2; i <= 20; i++) {
      const [browser, csrf] = i % 2 === 0 ? [adminBrowser, adminCsrf] : [clientBrowser, clientCsrf];
      const reply = await browser.request(`/tickets/${threadId}/messages`, {
        form: {
          _csrf: csrf,
          message: `Message ${i} of 20. Thank you, we are looking into this and will come back to you with more details shortly.`,
        },
      });
      if (reply.status !== 303) {
        throw new Error(`replying to #${threadId} answered ${reply.status}`);
      }
    }
    const replyTargetId = await openTicket(`${BENCH_SUBJECT_PREFIX}the ticket the reply scenario answers`);
    const replierCsrf = await replierBrowser.csrfToken('/tickets/new');

    // 5. The ceiling: a bare Fastify route answering with the bytes of the administrator's ticket list page.
    const listPage = await adminBrowser.request('/tickets');
    if (listPage.status !== 200 || !listPage.body.includes(`/tickets/${threadId}`)) {
      throw new Error(`GET /tickets as administrator answered ${listPage.status} without the newest ticket`);
    }
    const pageFile = path.join(dataset.dataDir, 'ticket-list-page.html');
    writeFileSync(pageFile, listPage.body);
    const pageBytes = Buffer.byteLength(listPage.body);
    const base = { connections: opts.connections, duration: opts.duration, warmup: opts.warmup };
    const ceiling = await startCeiling(pageFile, opts.workers);
    let ceilingRps: number;
    try {
      log(`Scenario: ceiling (bare Fastify, ${pageBytes.toLocaleString('en')}-byte response)`);
      const spec: LoadSpec = { ...base, url: ceiling.url, path: '/' };
      const { result } = await measure(spec);
      ceilingRps = result.rps;
      results.push(
        summarise(
          'ceiling',
          `Ceiling: bare Fastify, static ${Math.round(pageBytes / 1024)} KB`,
          spec,
          result,
          ceilingRps,
        ),
      );
    } finally {
      await ceiling.stop();
    }

    // 6. The app's scenarios.
    const adminCookie = adminBrowser.cookieHeader(['parapet_session']);
    const clientCookie = clientBrowser.cookieHeader(['parapet_session']);
    const get = (pathname: string, cookie?: string): Omit<LoadSpec, 'connections' | 'duration'> => ({
      url: app.url,
      path: pathname,
      ...(cookie ? { headers: { cookie } } : {}),
    });
    const anonymous = new Browser(app.url);
    const loginCsrf = await anonymous.csrfToken('/login');
    const loginSpec: LoadSpec = {
      ...base,
      url: app.url,
      path: '/login',
      method: 'POST',
      headers: {
        cookie: anonymous.cookieHeader(['parapet_csrf']),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: `_csrf=${encodeURIComponent(loginCsrf)}&email={rotate}&password=${encodeURIComponent(BENCH_PASSWORD)}`,
      rotate: users.loginEmails,
      expectStatus: 303,
      expectLocation: '/login/two-factor',
    };
    const scenarios: Array<{ id: string; name: string; spec: LoadSpec }> = [
      { id: 'login-page', name: 'GET /login', spec: { ...base, ...get('/login') } },
      {
        id: 'list-admin-1',
        name: 'GET /tickets, administrator, page 1',
        spec: { ...base, ...get('/tickets', adminCookie) },
      },
      {
        id: 'list-admin-1000',
        name: 'GET /tickets?page=1000, administrator',
        spec: { ...base, ...get('/tickets?page=1000', adminCookie) },
      },
      {
        id: 'list-client',
        name: `GET /tickets, client (${users.client.tickets.toLocaleString('en')} tickets)`,
        spec: { ...base, ...get('/tickets', clientCookie) },
      },
      {
        id: 'ticket-20',
        name: 'GET /tickets/:id, 20 messages, administrator',
        spec: { ...base, ...get(`/tickets/${threadId}`, adminCookie) },
      },
      {
        id: 'search',
        name: `GET /tickets?q=${opts.search}, administrator`,
        spec: { ...base, ...get(`/tickets?q=${encodeURIComponent(opts.search)}`, adminCookie) },
      },
      {
        id: 'search-client',
        name: `GET /tickets?q=${opts.search}, client`,
        spec: { ...base, ...get(`/tickets?q=${encodeURIComponent(opts.search)}`, clientCookie) },
      },
      {
        id: 'reply',
        name: 'POST /tickets/:id/messages (reply, 303)',
        spec: {
          ...base,
          url: app.url,
          path: `/tickets/${replyTargetId}/messages`,
          method: 'POST',
          headers: {
            cookie: replierBrowser.cookieHeader(['parapet_session']),
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: `_csrf=${encodeURIComponent(replierCsrf)}&message=Benchmark+reply+{id}`,
          expectStatus: 303,
          expectLocation: `/tickets/${replyTargetId}`,
        },
      },
      { id: 'login', name: 'POST /login, password step (argon2id, 303)', spec: loginSpec },
    ];
    let acknowledged: string[] = [];
    for (const scenario of scenarios) {
      log(`Scenario: ${scenario.name}`);
      const { result, probe } = await measure(scenario.spec, app);
      results.push(summarise(scenario.id, scenario.name, scenario.spec, result, ceilingRps, probe));
      if (result.acknowledged) {
        acknowledged = result.acknowledged;
      }
      peakRss = Math.max(peakRss, probe?.maxRssBytes ?? 0);
    }

    // 7. Logins saturating the app while a light ticket-list load measures what everyone else would see.
    log('Scenario: POST /login saturating, with 20 ticket lists per second alongside');
    const listSpec: LoadSpec = {
      ...get('/tickets', adminCookie),
      connections: 4,
      rate: 20,
      duration: opts.duration + opts.warmup,
      warmup: 0,
    };
    await app.probe(true);
    const [loginRun, listRun] = await Promise.all([
      measure(loginSpec, app),
      runJsonChild<LoadResult>('bench/load.ts', listSpec, () => {}),
    ]);
    const duringLogin = loginRun.probe as ProbeReport;
    concurrent = {
      login: summarise(
        'login-saturated',
        'POST /login (with lists alongside)',
        loginSpec,
        loginRun.result,
        ceilingRps,
        duringLogin,
      ),
      list: summarise('list-during-login', 'GET /tickets at 20/s while logins saturate', listSpec, listRun, null),
      eventLoopDelayMs: duringLogin.eventLoopDelayMs,
    };
    peakRss = Math.max(peakRss, (await app.probe()).maxRssBytes);

    // 8. Every acknowledged reply must be in the database (checked after a clean stop).
    await app.stop();
    const stored = await storedReplies(dataset, [replyTargetId], 'Benchmark reply ');
    const missing = acknowledged.filter((id) => !stored.has(id)).length;
    replies = { acknowledged: acknowledged.length, found: acknowledged.length - missing, missing };
    log(
      `Replies: ${replies.acknowledged} acknowledged with 303, ${replies.found} found in the database, ${replies.missing} missing`,
    );

    // 9. What argon2id alone allows, with the app stopped.
    log('Baseline: argon2id verifications per second');
    argon2 = await runJsonChild<Argon2Result>('bench/argon2-baseline.ts', {
      ...ARGON2,
      pepper: BENCH_PEPPER,
      seconds: opts.quick ? 3 : 8,
    } satisfies Argon2Spec);
  } finally {
    await app.stop();
  }

  // 10. Report.
  const byId = (id: string) => results.find((r) => r.id === id);
  const startupMedian = [...startupSamples].sort((a, b) => a - b)[Math.floor(startupSamples.length / 2)] as number;
  const login = byId('login');
  const targets: Array<{ target: string; measured: string; met: boolean }> = [];
  for (const id of ['list-admin-1', 'list-admin-1000', 'list-client', 'ticket-20']) {
    const r = byId(id);
    if (r) {
      targets.push({
        target: `${r.name}: ≥ 50% of the ceiling, p99 < 50 ms`,
        measured: `${Math.round((r.ratioToCeiling ?? 0) * 100)}%, p99 ${r.p99Ms} ms`,
        met: r.rps > 0 && (r.ratioToCeiling ?? 0) >= 0.5 && r.p99Ms < 50 && r.failures === 0,
      });
    }
  }
  for (const search of [byId('search'), byId('search-client')]) {
    if (search) {
      targets.push({
        target: `${search.name}: p99 < 100 ms`,
        measured: `p99 ${search.p99Ms} ms`,
        met: search.rps > 0 && search.p99Ms < 100 && search.failures === 0,
      });
    }
  }
  if (login && argon2) {
    const share = login.rps / argon2.perSecond;
    targets.push({
      target: 'Login: ≥ 80% of argon2id alone',
      measured: `${login.rps}/s of ${argon2.perSecond}/s = ${Math.round(share * 100)}%`,
      met: share >= 0.8 && login.failures === 0,
    });
  }
  if (concurrent) {
    targets.push({
      target: 'Ticket list while logins saturate: p99 < 100 ms',
      measured: `p99 ${concurrent.list.p99Ms} ms (event loop p99 ${concurrent.eventLoopDelayMs.p99} ms)`,
      met: concurrent.list.rps > 0 && concurrent.list.p99Ms < 100 && concurrent.list.failures === 0,
    });
  }
  targets.push({
    target: 'Peak RSS < 250 MB',
    measured: `${mb(peakRss)} MB`,
    met: peakRss > 0 && peakRss < 250 * 1024 * 1024,
  });
  targets.push({
    target: 'Start-up to /readyz < 2 s',
    measured: `median ${startupMedian} ms (${startupSamples.join(', ')})`,
    met: startupMedian < 2000,
  });
  if (replies) {
    targets.push({
      target: 'Every acknowledged reply is stored',
      measured: `${replies.found} of ${replies.acknowledged}`,
      met: replies.missing === 0 && replies.acknowledged > 0,
    });
  }

  const loadAtEnd = loadAverage();
  const output = {
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      model: os.cpus()[0]?.model ?? '',
      memoryGb: Math.round(os.totalmem() / 1024 ** 3),
      node: process.version,
      platform: `${os.type()} ${os.release()}`,
    },
    settings: {
      db: opts.db,
      tickets: opts.tickets,
      messagesPerTicket: opts.messagesPerTicket,
      connections: opts.connections,
      durationS: opts.duration,
      warmupS: opts.warmup,
      search: opts.search,
      uvThreadpoolSize: opts.uvThreadpool ?? null,
      workers: opts.workers,
      quick: opts.quick,
    },
    loadAverage: { start: loadAtStart, end: loadAtEnd },
    dataset: {
      tickets: dataset.tickets,
      messages: dataset.messages,
      seeded: dataset.seeded,
      seedSeconds: dataset.seedSeconds,
    },
    scenarios: results,
    loginSaturation: concurrent ?? null,
    argon2: argon2 ?? null,
    startupMs: { median: startupMedian, samples: startupSamples },
    peakRssMb: mb(peakRss),
    replies: replies ?? null,
    targets,
    totalSeconds: Math.round((performance.now() - started) / 1000),
  };
  mkdirSync(path.dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, `${JSON.stringify(output, null, 2)}\n`);
  console.log(formatReport(output));
  log(`Results written to ${path.relative(ROOT, opts.out)} in ${output.totalSeconds} s`);
}

function formatReport(o: {
  settings: { db: string; tickets: number; connections: number; durationS: number };
  loadAverage: { start: number[]; end: number[] };
  scenarios: ScenarioResult[];
  loginSaturation: {
    login: ScenarioResult;
    list: ScenarioResult;
    eventLoopDelayMs: ProbeReport['eventLoopDelayMs'];
  } | null;
  argon2: Argon2Result | null;
  startupMs: { median: number; samples: number[] };
  peakRssMb: number;
  targets: Array<{ target: string; measured: string; met: boolean }>;
}): string {
  const rows = [...o.scenarios, ...(o.loginSaturation ? [o.loginSaturation.login, o.loginSaturation.list] : [])];
  const header = ['Scenario', 'req/s', 'vs ceiling', 'p50 ms', 'p99 ms', 'errors', 'app CPU', 'loop p99 ms'];
  const table = rows.map((r) => [
    r.name,
    r.rps.toLocaleString('en', { maximumFractionDigits: 0 }),
    r.ratioToCeiling === null ? '' : `${(r.ratioToCeiling * 100).toFixed(1)}%`,
    r.p50Ms.toFixed(1),
    r.p99Ms.toFixed(1),
    String(r.failures),
    r.app ? `${r.app.cpuPercent.toFixed(0)}%` : '',
    r.app ? r.app.eventLoopDelayP99Ms.toFixed(1) : '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  const out = [
    `Parapet on ${o.settings.db}, ${o.settings.tickets.toLocaleString('en')} tickets; ${o.settings.connections} connections, ${o.settings.durationS} s per scenario; load average ${o.loadAverage.start.join(' ')} → ${o.loadAverage.end.join(' ')}`,
    '',
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...table.map(line),
    '',
  ];
  if (o.argon2) {
    out.push(
      `argon2id alone: ${o.argon2.perSecond} verifications/s (m=${o.argon2.memoryCost} t=${o.argon2.timeCost} p=1, ${o.argon2.concurrency} at once, ${o.argon2.meanMs} ms each)`,
    );
  }
  if (o.loginSaturation) {
    out.push(
      `Event-loop delay while logins saturate: p50 ${o.loginSaturation.eventLoopDelayMs.p50} ms, p99 ${o.loginSaturation.eventLoopDelayMs.p99} ms, max ${o.loginSaturation.eventLoopDelayMs.max} ms`,
    );
  }
  out.push(
    `Peak RSS ${o.peakRssMb} MB; start-up to /readyz median ${o.startupMs.median} ms (${o.startupMs.samples.join(', ')})`,
    '',
    'Targets:',
  );
  for (const t of o.targets) {
    out.push(`  ${t.met ? 'met   ' : 'MISSED'}  ${t.target}: ${t.measured}`);
  }
  return out.join('\n');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
