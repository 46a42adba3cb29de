// Resilience under load: the real server as a child process, a staff session, and three checks.
//   (a) steady load: C connections for D seconds of ticket lists, ticket pages and replies; no 5xx, and every
//       acknowledged reply (303) is in the database afterwards;
//   (b) PostgreSQL outage (--db postgres): the app reaches PostgreSQL through a TCP proxy here; while the load runs,
//       every proxied connection is cut and new ones refused for --outage-seconds, then allowed again. /readyz must
//       answer 503 in between and 200 after, and ordinary requests must succeed again, without restarting the app
//       (--real-restart stops and starts the real cluster with pg_ctlcluster instead);
//   (c) SIGTERM under load, with slow requests in flight (replies whose body is still being uploaded, searches):
//       every request sent before the signal gets a complete non-5xx answer and the process exits 0 in its grace.
// Prints a table and writes JSON (bench/resilience.json by default).
//
//   npm run bench:resilience -- [--db sqlite|postgres] [--duration 60] [--connections 200] [--database-url URL]
//                               [--tickets 2000] [--outage-seconds 5] [--real-restart] [--out bench/resilience.json]
//
// The load generator, the proxy and the /readyz monitor live in test/support/load.ts (test/integration/resilience.test.ts
// runs the same checks, shorter); the app process is started by test/support/app-process.ts.
import { execFileSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, startAppProcess } from '../test/support/app-process.ts';
import {
  LoadGenerator,
  REPLY_PREFIX,
  ReadyzMonitor,
  TcpProxy,
  acknowledgedReplies,
  classifyShutdown,
  deadline,
  mixedRequests,
  replyRequest,
  startSlowRequest,
  tally,
  waitUntilRefused,
  type Outcome,
  type ShutdownReport,
  type Tally,
} from '../test/support/load.ts';
import {
  BENCH_PASSWORD,
  BENCH_SUBJECT_PREFIX,
  BENCH_TOTP_SECRET,
  cleanUp,
  connectTo,
  findUsers,
  prepareDataset,
  storedReplies,
} from './lib/dataset.ts';
import { Browser } from './lib/http.ts';

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

function options() {
  const { values } = parseArgs({
    options: {
      db: { type: 'string', default: 'sqlite' },
      duration: { type: 'string', default: '60' },
      connections: { type: 'string', default: '200' },
      'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/parapet_resilience' },
      tickets: { type: 'string', default: '2000' },
      'outage-seconds': { type: 'string', default: '5' },
      'real-restart': { type: 'boolean', default: false },
      'log-level': { type: 'string', default: 'warn' },
      out: { type: 'string', default: path.join(ROOT, 'bench/resilience.json') },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(`Usage: npm run bench:resilience -- [--db sqlite|postgres] [--duration 60] [--connections 200] [--database-url URL]
         [--tickets 2000] [--outage-seconds 5] [--real-restart] [--log-level warn] [--out bench/resilience.json]`);
    process.exit(0);
  }
  if (values.db !== 'sqlite' && values.db !== 'postgres') {
    throw new Error(`--db must be sqlite or postgres, not "${values.db}"`);
  }
  const positive = (name: string, value: string) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) {
      throw new Error(`--${name} must be a positive number, not "${value}"`);
    }
    return n;
  };
  const db: 'sqlite' | 'postgres' = values.db;
  return {
    db,
    duration: positive('duration', values.duration),
    connections: Math.round(positive('connections', values.connections)),
    databaseUrl: values['database-url'],
    tickets: Math.round(positive('tickets', values.tickets)),
    outageSeconds: positive('outage-seconds', values['outage-seconds']),
    realRestart: values['real-restart'],
    logLevel: values['log-level'],
    out: path.resolve(values.out),
  };
}

const log = (message: string) => process.stderr.write(`${message}\n`);

function pgCluster(action: 'stop' | 'start'): void {
  const version = readdirSync('/etc/postgresql')[0];
  if (!version) {
    throw new Error('--real-restart: no cluster under /etc/postgresql');
  }
  execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', action], { stdio: 'inherit' });
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map(
      (r, ri) =>
        r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ') +
        (ri === 0 ? `\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : ''),
    )
    .join('\n');
}

const codes = (counts: Record<string, number>) =>
  Object.entries(counts)
    .map(([k, v]) => `${k}×${v}`)
    .join(' ') || '—';

async function main(): Promise<void> {
  const opts = options();
  const started = performance.now();
  log(
    `Resilience: ${opts.db}, ${opts.connections} connections, ${opts.duration} s steady load; load average ${os
      .loadavg()
      .map((l) => round(l, 2))
      .join(' ')}`,
  );

  const dataset = await prepareDataset({
    db: opts.db,
    tickets: opts.tickets,
    messagesPerTicket: 5,
    reuse: true,
    databaseUrl: opts.databaseUrl,
  });
  const conn = connectTo(dataset);
  const users = await findUsers(conn);
  const staff = users.admins[0] as { id: number; email: string };
  await cleanUp(conn, [staff.id]);
  const pageIds = (await conn.db.selectFrom('tickets').select('id').orderBy('id').limit(200).execute()).map(
    (r) => r.id,
  );
  await conn.close();

  let proxy: TcpProxy | undefined;
  let appUrl = dataset.databaseUrl;
  if (opts.db === 'postgres' && !opts.realRestart) {
    const target = new URL(dataset.databaseUrl);
    proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
    target.hostname = '127.0.0.1';
    target.port = String(proxy.port);
    appUrl = target.href;
  }
  const logFile = path.join(dataset.dataDir, 'resilience-app.log');
  writeFileSync(logFile, '');
  const server = await startAppProcess({
    env: { ...dataset.env, DATABASE_URL: appUrl, LOG_LEVEL: opts.logLevel, LOGIN_MAX_ATTEMPTS: '1000' },
    cwd: dataset.dataDir,
    logFile,
  });
  log(
    `App pid ${server.child.pid} at ${server.url}${proxy ? `, PostgreSQL through the proxy on port ${proxy.port}` : ''}; log ${path.relative(ROOT, logFile)}`,
  );
  const runId = Date.now().toString(36);
  const results: Record<string, unknown> = {};
  const verdicts: Array<{ check: string; measured: string; met: boolean }> = [];
  const allOutcomes: Outcome[] = [];
  try {
    const browser = new Browser(server.url);
    await browser.signIn(staff.email, BENCH_PASSWORD, BENCH_TOTP_SECRET);
    const csrf = await browser.csrfToken('/tickets/new');
    const replyIds: number[] = [];
    for (let i = 0; i < 20; i++) {
      const subject = `${BENCH_SUBJECT_PREFIX}resilience ${i + 1}`;
      const created = await browser.request('/tickets', {
        form: {
          _csrf: csrf,
          subject,
          message: `Opened by bench/resilience.ts. ${subject}`,
          priority: 'normal',
          client_email: users.client.email,
        },
      });
      const id = Number(/^\/tickets\/(\d+)$/.exec(created.location ?? '')?.[1]);
      if (created.status !== 303 || !id) {
        throw new Error(`opening a ticket answered ${created.status} ${created.location ?? ''}`);
      }
      replyIds.push(id);
    }
    const cookie = browser.cookieHeader();
    // Reply ids are `<run><phase>-<n>`: each phase's generator counts from 0 again.
    const mix = (phase: string) =>
      mixedRequests({ runId: `${runId}${phase}`, csrf, pageIds: [...pageIds, ...replyIds], replyIds });

    // (a) Steady load.
    log(`(a) steady load: ${opts.connections} connections for ${opts.duration} s`);
    const steady = new LoadGenerator({ url: server.url, connections: opts.connections, cookie, next: mix('a') });
    // A load balancer's health check on a new connection each time, during the load.
    const steadyReady = new ReadyzMonitor(server.url, 1000);
    const steadyStart = performance.now();
    steady.start();
    steadyReady.start();
    await delay(opts.duration * 1000);
    const [steadyOutcomes, steadySamples] = await Promise.all([steady.stop(), steadyReady.stop()]);
    const steadySeconds = (performance.now() - steadyStart) / 1000;
    allOutcomes.push(...steadyOutcomes);
    const steadyTally = tally(steadyOutcomes);
    const readyCounts = steadySamples.reduce<Record<string, number>>(
      (acc, r) => ({ ...acc, [r.status ?? r.error ?? '?']: (acc[r.status ?? r.error ?? '?'] ?? 0) + 1 }),
      {},
    );
    const readyMs = steadySamples.map((r) => r.ms).sort((a, b) => a - b);
    results.steady = {
      seconds: round(steadySeconds),
      rps: round(steadyTally.requests / steadySeconds),
      ...steadyTally,
      acknowledgedReplies: acknowledgedReplies(steadyOutcomes).length,
      readyzNewConnection: {
        statuses: readyCounts,
        p50Ms: readyMs[Math.floor(readyMs.length / 2)] ?? 0,
        maxMs: readyMs.at(-1) ?? 0,
      },
    };

    // (b) PostgreSQL outage.
    if (opts.db === 'postgres') {
      const outageMs = opts.outageSeconds * 1000;
      log(
        `(b) PostgreSQL outage of ${opts.outageSeconds} s under load (${proxy ? 'TCP proxy cut' : 'pg_ctlcluster stop/start'})`,
      );
      const load = new LoadGenerator({ url: server.url, connections: opts.connections, cookie, next: mix('b') });
      // On one keep-alive connection opened before the load: a saturated server is slow to accept new ones.
      const monitor = new ReadyzMonitor(server.url, 200, { keepAlive: true });
      const pid = server.child.pid;
      monitor.start();
      await delay(200);
      load.start();
      await delay(5_000);
      const cutAt = performance.now();
      if (proxy) {
        proxy.cut();
      } else {
        pgCluster('stop');
      }
      await delay(outageMs - (performance.now() - cutAt));
      const restoreAt = performance.now();
      if (proxy) {
        await proxy.restore();
      } else {
        pgCluster('start');
      }
      const recoveryDeadline = performance.now() + 30_000;
      while (
        !monitor.samples.some((s) => s.at >= restoreAt && s.status === 200) &&
        performance.now() < recoveryDeadline
      ) {
        await delay(50);
      }
      const recovered = monitor.samples.find((s) => s.at >= restoreAt && s.status === 200);
      await delay(10_000);
      const endAt = performance.now();
      const [outcomes, samples] = await Promise.all([load.stop(), monitor.stop()]);
      allOutcomes.push(...outcomes);
      const after = recovered ? recovered.at + recovered.ms : Number.POSITIVE_INFINITY;
      const during = samples.filter((s) => s.at >= cutAt + 200 && s.at + s.ms <= restoreAt);
      const readyAfter = samples.filter((s) => s.at >= after);
      const alive = server.child.exitCode === null && server.child.signalCode === null && server.child.pid === pid;
      const page = alive ? await browser.request(`/tickets/${replyIds[0]}`) : { status: 0 };
      const windows = {
        before: tally(outcomes.filter((o) => o.start < cutAt)),
        during: tally(outcomes.filter((o) => o.start >= cutAt && o.start < restoreAt)),
        recovering: tally(outcomes.filter((o) => o.start >= restoreAt && o.start < after)),
        after: tally(outcomes.filter((o) => o.start >= after)),
      };
      results.outage = {
        seconds: round((endAt - cutAt) / 1000),
        cutConnections: proxy?.cutConnections ?? null,
        readyz: {
          during: codes(
            during.reduce<Record<string, number>>(
              (acc, s) => ({ ...acc, [s.status ?? s.error ?? '?']: (acc[s.status ?? s.error ?? '?'] ?? 0) + 1 }),
              {},
            ),
          ),
          duringSamples: during.length,
          during503: during.filter((s) => s.status === 503).length,
          duringMaxMs: Math.max(0, ...during.map((s) => s.ms)),
          firstReadyAfterRestoreMs: recovered ? round(recovered.at + recovered.ms - restoreAt, 0) : null,
          afterSamples: readyAfter.length,
          after200: readyAfter.filter((s) => s.status === 200).length,
          timeline: samples.map((s) => ({ t: round((s.at - cutAt) / 1000, 2), status: s.status, ms: s.ms })),
        },
        requests: windows,
        sameProcess: alive,
        pageAfterRecovery: page.status,
      };
      verdicts.push(
        {
          check: '/readyz 503 throughout the outage',
          measured: `${during.filter((s) => s.status === 503).length} of ${during.length} probes 503`,
          met: during.length > 0 && during.every((s) => s.status === 503),
        },
        {
          check: '/readyz 200 after PostgreSQL is back',
          measured: recovered
            ? `${round(recovered.at + recovered.ms - restoreAt, 0)} ms after restore; ${readyAfter.filter((s) => s.status === 200).length} of ${readyAfter.length} 200 after`
            : 'never',
          met: !!recovered && readyAfter.every((s) => s.status === 200),
        },
        {
          check: 'No 5xx once ready again (same process)',
          measured: `${windows.after.fiveXx} of ${windows.after.requests}; pid ${alive ? 'unchanged' : 'GONE'}; page ${page.status}`,
          met:
            alive &&
            windows.after.fiveXx === 0 &&
            Object.keys(windows.after.errors).length === 0 &&
            page.status === 200,
        },
        {
          check: 'Outage errors are 503, never 500',
          measured: codes(windows.during.statusCodes),
          met: !Object.keys(windows.during.statusCodes).some((c) => Number(c) >= 500 && c !== '503'),
        },
      );
    }

    // (c) SIGTERM under load with slow requests in flight.
    log('(c) SIGTERM under load, with slow requests in flight');
    if (server.child.exitCode !== null || server.child.signalCode !== null) {
      throw new Error(
        `the app exited (code ${server.child.exitCode}, signal ${server.child.signalCode}) before the SIGTERM phase; see ${logFile}`,
      );
    }
    // The slow requests start before the load: a saturated server accepts new connections only slowly (see the
    // report), and these must be in flight, started by the server, when the signal arrives.
    const slow = replyIds
      .slice(0, 10)
      .map((id, i) => startSlowRequest(server.url, cookie, replyRequest(id, csrf, `${runId}s-${i}`, 'slow reply')));
    await Promise.race([Promise.all(slow.map((s) => s.inFlight)), deadline(20_000)]);
    const load = new LoadGenerator({
      url: server.url,
      connections: opts.connections,
      cookie,
      next: mixedRequests({
        runId: `${runId}t`,
        csrf,
        pageIds: [...pageIds, ...replyIds],
        replyIds,
        search: 'payment',
      }),
    });
    load.start();
    await delay(5_000);
    const signalAt = performance.now();
    server.child.kill('SIGTERM');
    // The rest of the slow bodies goes out once the server has stopped listening: their requests must still be
    // finished, and their keep-alive connections must not keep the process from exiting.
    const stoppedListening = await waitUntilRefused(server.url, 10_000);
    const releasedAt = performance.now();
    for (const s of slow) {
      s.release();
    }
    const exit = await Promise.race([server.exited, deadline(20_000)]);
    await delay(500);
    const outcomes = [...(await load.stop()), ...(await Promise.all(slow.map((s) => s.outcome)))];
    for (const s of slow) {
      s.close();
    }
    allOutcomes.push(...outcomes);
    if (!exit) {
      server.child.kill('SIGKILL');
    }

    // Every acknowledged reply must be in the database.
    const stored = await storedReplies(dataset, replyIds, REPLY_PREFIX, runId);
    const shutdown = classifyShutdown(outcomes, signalAt, stored);
    const slowOutcomes = outcomes.filter((o) => o.kind === 'slow reply');
    const slowDone = slowOutcomes.filter(
      (o) =>
        o.inFlightAt !== undefined &&
        o.inFlightAt < signalAt &&
        o.status === 303 &&
        o.complete &&
        stored.has(o.replyId ?? ''),
    ).length;
    results.shutdown = {
      ...shutdown,
      stoppedListeningBeforeSlowBodies: stoppedListening,
      slowBodiesSentMsAfterSignal: round(releasedAt - signalAt, 0),
      exitCode: exit?.code ?? null,
      exitSignal: exit?.signal ?? null,
      exitMs: exit ? round(exit.at - signalAt, 0) : null,
      slowReplies: {
        sent: slowOutcomes.length,
        answered303AndStored: slowDone,
        outcomes: slowOutcomes.map(
          (o) =>
            `${o.status ?? o.error ?? '?'} after ${round(o.end - signalAt, 0)} ms, in flight ${o.inFlightAt === undefined ? 'never' : `${round(signalAt - o.inFlightAt, 0)} ms before the signal`}`,
        ),
      },
      before: tally(outcomes.filter((o) => o.start < signalAt)),
    };
    const acknowledged = acknowledgedReplies(allOutcomes);
    if (new Set(acknowledged).size !== acknowledged.length) {
      throw new Error('two replies carried the same id: the stored-reply check would not be sound');
    }
    const missing = acknowledged.filter((id) => !stored.has(id));
    const unacknowledgedStored = [...stored].filter((id) => !acknowledged.includes(id)).length;
    results.replies = {
      acknowledged: acknowledged.length,
      stored: stored.size,
      missing: missing.length,
      storedWithoutAcknowledgement: unacknowledgedStored,
    };

    verdicts.unshift(
      {
        check: `No 5xx under ${opts.connections} connections for ${opts.duration} s`,
        measured: `${steadyTally.fiveXx} of ${steadyTally.requests}`,
        met: steadyTally.fiveXx === 0,
      },
      {
        check: 'Every request answered, whole, within 30 s',
        measured: `${steadyTally.requests - steadyTally.fiveXx - Object.values(steadyTally.errors).reduce((a, b) => a + b, 0) - steadyTally.incomplete} of ${steadyTally.requests - steadyTally.fiveXx} (no answer: ${codes(steadyTally.errors)})`,
        met: Object.keys(steadyTally.errors).length === 0 && steadyTally.incomplete === 0,
      },
      {
        check: '/readyz 200 under steady load (new connection each 1 s)',
        measured: `${codes(readyCounts)}, p50 ${readyMs[Math.floor(readyMs.length / 2)] ?? 0} ms, max ${readyMs.at(-1) ?? 0} ms`,
        met: steadySamples.length > 0 && steadySamples.every((r) => r.status === 200),
      },
      {
        check: 'Every acknowledged reply is stored (all phases)',
        measured: `${acknowledged.length - missing.length} of ${acknowledged.length}`,
        met: missing.length === 0 && acknowledged.length > 0,
      },
    );
    verdicts.push(
      {
        check: 'Slow replies in flight at SIGTERM answered 303 and stored',
        measured: `${slowDone} of ${slowOutcomes.length}`,
        met: slowDone === slowOutcomes.length,
      },
      {
        check: 'Requests sent before SIGTERM: complete, non-5xx',
        measured: `${shutdown.completedNon5xx} of ${shutdown.sentBefore} (503: ${shutdown.unavailable503}, other 5xx: ${shutdown.other5xx}, reset: ${shutdown.noResponse - shutdown.noResponseOnOpenConnection} never accepted + ${shutdown.noResponseOnOpenConnection} on open connections, answered-less but stored: ${shutdown.cutAfterProcessing})`,
        // Connections the server had not accepted yet when it stopped listening are refused, which is allowed.
        met:
          shutdown.other5xx === 0 &&
          shutdown.cutAfterProcessing === 0 &&
          shutdown.noResponseOnOpenConnection === 0 &&
          shutdown.completedNon5xx + shutdown.unavailable503 + shutdown.noResponse === shutdown.sentBefore,
      },
      {
        check: 'Exit 0 within the 10 s grace period',
        measured: exit
          ? `code ${exit.code}${exit.signal ? ` signal ${exit.signal}` : ''} after ${round(exit.at - signalAt, 0)} ms`
          : 'still running after 20 s',
        met: exit?.code === 0 && exit.at - signalAt < 10_000,
      },
    );
  } finally {
    if (server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGKILL');
    }
    await proxy?.close();
  }

  const steadyResult = results.steady as ReturnType<typeof tally> & {
    seconds: number;
    rps: number;
    acknowledgedReplies: number;
  };
  const rows = [['phase', 'requests', 'req/s', 'p50 ms', 'p99 ms', '5xx', 'errors', 'status codes']];
  rows.push([
    'steady',
    String(steadyResult.requests),
    String(steadyResult.rps),
    String(steadyResult.latencyMs.p50),
    String(steadyResult.latencyMs.p99),
    String(steadyResult.fiveXx),
    codes(steadyResult.errors),
    codes(steadyResult.statusCodes),
  ]);
  const outage = results.outage as { requests: Record<string, Tally> } | undefined;
  for (const [name, t] of Object.entries(outage?.requests ?? {})) {
    rows.push([
      `outage: ${name}`,
      String(t.requests),
      '',
      String(t.latencyMs.p50),
      String(t.latencyMs.p99),
      String(t.fiveXx),
      codes(t.errors),
      codes(t.statusCodes),
    ]);
  }
  const shutdown = results.shutdown as ShutdownReport & { before: Tally };
  rows.push([
    'SIGTERM: sent before',
    String(shutdown.sentBefore),
    '',
    String(shutdown.before.latencyMs.p50),
    String(shutdown.before.latencyMs.p99),
    String(shutdown.other5xx + shutdown.unavailable503),
    String(shutdown.noResponse),
    '',
  ]);
  rows.push([
    'SIGTERM: issued after',
    String(shutdown.after.requests),
    '',
    '',
    '',
    '',
    codes(shutdown.after.errors),
    codes(shutdown.after.statusCodes),
  ]);
  console.log(`\n${table(rows)}\n`);
  console.log(
    table([['check', 'measured', 'met'], ...verdicts.map((v) => [v.check, v.measured, v.met ? 'yes' : 'NO'])]),
  );
  const report = {
    date: new Date().toISOString(),
    db: opts.db,
    connections: opts.connections,
    durationS: opts.duration,
    tickets: opts.tickets,
    realRestart: opts.realRestart,
    loadAverage: os.loadavg().map((l) => round(l, 2)),
    totalSeconds: round((performance.now() - started) / 1000),
    verdicts,
    ...results,
  };
  writeFileSync(opts.out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nWritten to ${path.relative(process.cwd(), opts.out)} (${report.totalSeconds} s)`);
  if (verdicts.some((v) => !v.met)) {
    process.exitCode = 1;
  }
}

if (import.meta.filename === process.argv[1]) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.stack : error);
    process.exit(1);
  });
}
