// Resilience under load, against the real server process (src/server.ts): 200 connections without a 5xx or a lost
// reply, a PostgreSQL outage (through a TCP proxy that cuts every connection, never by stopping the shared server)
// answered with 503 and recovered from without a restart, and SIGTERM finishing the requests in flight.
// The load generator, the proxy and the classification live in test/support/load.ts; bench/resilience.ts runs the same
// checks longer.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Browser } from '../../bench/lib/http.ts';
import { connect } from '../../src/db/connect.ts';
import { TEST_ENV, createTestDatabase, type TestDatabase } from '../helpers/build-app.ts';
import { dialects } from '../helpers/dialects.ts';
import { databaseUrlOf, startAppProcess, type AppProcess } from '../support/app-process.ts';
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
} from '../support/load.ts';

const ADMIN = { email: 'admin@example.test', password: 'resilience admin passphrase' };
const CLIENT_EMAIL = 'client@example.test';
const CONNECTIONS = 200;
const STEADY_MS = 5_000;
// Every connection has a request in flight at the signal, and all of them must finish within the 10 s grace; on a
// busy 2-core CI machine 200 of them (replies, searches) can take most of that, so the shutdown runs at half the load.
const SIGTERM_CONNECTIONS = 100;

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const codes = (counts: Record<string, number>) => JSON.stringify(counts);

for (const dialect of dialects()) {
  describe(`resilience under load [${dialect}]`, { timeout: 180_000 }, () => {
    let testDb: TestDatabase;
    let proxy: TcpProxy | undefined;
    let server: AppProcess;
    let browser: Browser;
    let csrf = '';
    const ticketIds: number[] = [];
    /** Every request of every phase, for the final check that each acknowledged reply is stored. */
    const outcomes: Outcome[] = [];

    const storedReplies = async (): Promise<Set<string>> => {
      const conn = connect(testDb.database);
      try {
        const rows = await conn.db
          .selectFrom('ticket_messages')
          .select('body')
          .where('body', 'like', `${REPLY_PREFIX}%`)
          .execute();
        return new Set(rows.map((r) => r.body.slice(REPLY_PREFIX.length)));
      } finally {
        await conn.close();
      }
    };
    const mix = (runId: string) => mixedRequests({ runId, csrf, pageIds: ticketIds, replyIds: ticketIds });
    const alive = () => server.child.exitCode === null && server.child.signalCode === null;

    before(async () => {
      testDb = await createTestDatabase(dialect);
      let databaseUrl: string;
      if (testDb.database.kind === 'sqlite') {
        databaseUrl = databaseUrlOf(testDb.database);
      } else {
        const target = new URL(testDb.database.url);
        proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
        target.hostname = '127.0.0.1';
        target.port = String(proxy.port);
        target.searchParams.set('options', `-c search_path=${testDb.database.schema ?? 'public'}`);
        databaseUrl = target.href;
      }
      server = await startAppProcess({
        env: {
          PATH: process.env.PATH ?? '',
          NODE_ENV: 'test',
          SECRET_KEY: TEST_ENV.SECRET_KEY,
          PEPPER: TEST_ENV.PEPPER,
          DATA_DIR: testDb.dataDir,
          DATABASE_URL: databaseUrl,
          DEFAULT_USER: ADMIN.email,
          DEFAULT_PASSWORD: ADMIN.password,
          REQUIRE_2FA: 'false',
          LOG_LEVEL: 'warn',
        },
      });

      const conn = connect(testDb.database);
      const now = Date.now();
      await conn.db
        .insertInto('users')
        .values({
          email: CLIENT_EMAIL,
          name: 'Client',
          password_hash: 'not a hash: this client never signs in',
          role: 'client',
          email_verified_at: now,
          disabled_at: null,
          created_at: now,
          updated_at: now,
          last_login_at: null,
        })
        .execute();
      await conn.close();

      browser = new Browser(server.url);
      const login = await browser.request('/login', { form: { _csrf: await browser.csrfToken('/login'), ...ADMIN } });
      assert.equal(login.status, 303, `sign-in answered ${login.status}`);
      csrf = await browser.csrfToken('/tickets/new');
      for (let i = 1; i <= 10; i++) {
        const created = await browser.request('/tickets', {
          form: {
            _csrf: csrf,
            subject: `Resilience ticket ${i}`,
            message: 'The printer is on fire.',
            priority: 'normal',
            client_email: CLIENT_EMAIL,
          },
        });
        const id = Number(/^\/tickets\/(\d+)$/.exec(created.location ?? '')?.[1]);
        assert.ok(created.status === 303 && id > 0, `opening a ticket answered ${created.status}`);
        ticketIds.push(id);
      }
    });

    after(async () => {
      if (server && alive()) {
        server.child.kill('SIGKILL');
        await server.exited;
      }
      await proxy?.close();
      await testDb?.cleanup();
    });

    test(`${CONNECTIONS} connections for ${STEADY_MS / 1000} s of lists, ticket pages and replies: no 5xx, no failed request`, async (t) => {
      const load = new LoadGenerator({
        url: server.url,
        connections: CONNECTIONS,
        cookie: browser.cookieHeader(),
        next: mix('steady'),
      });
      load.start();
      await delay(STEADY_MS);
      const steady = await load.stop();
      outcomes.push(...steady);
      const result = tally(steady);
      t.diagnostic(
        `${result.requests} requests, ${codes(result.statusCodes)}, p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms`,
      );

      assert.equal(result.fiveXx, 0, `5xx under load: ${codes(result.statusCodes)}\n${server.output().slice(-3000)}`);
      assert.deepEqual(result.errors, {}, 'requests without an answer');
      assert.equal(result.incomplete, 0, 'answers cut short');
      // Not only "no 5xx": every request did what it should, so a broken set-up (403s, 404s) cannot pass.
      assert.deepEqual(Object.keys(result.byKind.list?.statusCodes ?? {}), ['200']);
      assert.deepEqual(Object.keys(result.byKind.page?.statusCodes ?? {}), ['200']);
      assert.deepEqual(Object.keys(result.byKind.reply?.statusCodes ?? {}), ['303']);
      assert.ok(
        (result.byKind.reply?.requests ?? 0) >= 20,
        `only ${result.byKind.reply?.requests ?? 0} replies were sent`,
      );
    });

    test(
      'PostgreSQL goes away and comes back: /readyz answers 503 meanwhile and 200 after, requests fail with 503 (never 500), and pages work again in the same process',
      { skip: dialect !== 'postgres' && 'PostgreSQL only (set TEST_DATABASE_URL)' },
      async (t) => {
        assert.ok(proxy);
        const pid = server.child.pid;
        const load = new LoadGenerator({
          url: server.url,
          connections: CONNECTIONS,
          cookie: browser.cookieHeader(),
          next: mix('outage'),
        });
        const monitor = new ReadyzMonitor(server.url, 100, { keepAlive: true });
        monitor.start();
        await delay(200);
        load.start();
        await delay(1_500);
        const cutAt = performance.now();
        proxy.cut();
        await delay(4_000);
        const restoreAt = performance.now();
        await proxy.restore();
        const deadline = performance.now() + 20_000;
        while (!monitor.samples.some((s) => s.at >= restoreAt && s.status === 200) && performance.now() < deadline) {
          await delay(50);
        }
        await delay(2_000);
        const [during, samples] = await Promise.all([load.stop(), monitor.stop()]);
        outcomes.push(...during);

        assert.ok(
          alive() && server.child.pid === pid,
          `the app died during the outage:\n${server.output().slice(-3000)}`,
        );
        const down = samples.filter((s) => s.at >= cutAt + 100 && s.at + s.ms <= restoreAt);
        t.diagnostic(`/readyz while down: ${down.map((s) => s.status ?? s.error).join(' ')}`);
        assert.ok(down.length >= 1, 'no /readyz probe completed during the outage');
        assert.ok(
          down.every((s) => s.status === 503),
          `/readyz during the outage: ${down.map((s) => s.status ?? s.error).join(' ')}`,
        );
        const recovered = samples.find((s) => s.at >= restoreAt && s.status === 200);
        assert.ok(recovered, '/readyz never answered 200 after PostgreSQL came back');
        const readyAgainAt = recovered.at + recovered.ms;
        t.diagnostic(`/readyz 200 again ${Math.round(readyAgainAt - restoreAt)} ms after PostgreSQL came back`);
        const later = samples.filter((s) => s.at >= readyAgainAt);
        assert.ok(
          later.every((s) => s.status === 200),
          `/readyz after recovery: ${later.map((s) => s.status ?? s.error).join(' ')}`,
        );

        const whileDown = tally(during.filter((o) => o.start >= cutAt && o.start < restoreAt));
        t.diagnostic(`requests while down: ${codes(whileDown.statusCodes)}`);
        assert.ok((whileDown.statusCodes['503'] ?? 0) > 0, 'no request saw the outage');
        assert.deepEqual(
          Object.keys(whileDown.statusCodes).filter((code) => Number(code) >= 500 && code !== '503'),
          [],
          `the outage must answer 503, not 500: ${codes(whileDown.statusCodes)}`,
        );
        assert.deepEqual(whileDown.errors, {}, 'the app stopped answering during the outage');
        const afterwards = tally(during.filter((o) => o.start >= readyAgainAt));
        t.diagnostic(`requests once ready again: ${codes(afterwards.statusCodes)}`);
        assert.ok(afterwards.ok > 0, 'no request was answered after recovery');
        assert.equal(afterwards.fiveXx, 0, `5xx after recovery: ${codes(afterwards.statusCodes)}`);
        assert.deepEqual(afterwards.errors, {});

        const page = await browser.request(`/tickets/${ticketIds[0]}`);
        assert.equal(page.status, 200);
        assert.match(page.body, /Resilience ticket 1/);
      },
    );

    test('SIGTERM under load: requests in flight are answered, nothing is cut off, and the process exits 0 within its grace period', async (t) => {
      assert.ok(alive(), 'the app is not running');
      // In flight for certain: the server has read their headers (100 Continue) and waits for the rest of the body,
      // which is sent only after the signal. Started before the load, which slows down new connections. Their
      // keep-alive connections then stay open, as a browser's would: the server must still exit.
      const slow = ticketIds
        .slice(0, 5)
        .map((id, i) =>
          startSlowRequest(server.url, browser.cookieHeader(), replyRequest(id, csrf, `slow-${i}`, 'slow reply')),
        );
      await Promise.race([Promise.all(slow.map((s) => s.inFlight)), deadline(15_000)]);
      const load = new LoadGenerator({
        url: server.url,
        connections: SIGTERM_CONNECTIONS,
        cookie: browser.cookieHeader(),
        next: mix('sigterm'),
      });
      load.start();
      await delay(2_000);
      const signalAt = performance.now();
      server.child.kill('SIGTERM');
      // The rest of the slow bodies goes out only once the server has stopped listening.
      assert.ok(await waitUntilRefused(server.url, 10_000), 'the server did not stop listening after SIGTERM');
      for (const s of slow) {
        s.release();
      }
      const exit = await Promise.race([server.exited, deadline(20_000)]);
      const finished = [...(await load.stop()), ...(await Promise.all(slow.map((s) => s.outcome)))];
      for (const s of slow) {
        s.close();
      }
      outcomes.push(...finished);

      assert.ok(exit, 'the process was still running 20 s after SIGTERM');
      t.diagnostic(`exit code ${exit.code} after ${Math.round(exit.at - signalAt)} ms`);
      assert.equal(exit.code, 0, server.output().slice(-3000));
      assert.ok(exit.at - signalAt < 10_000, 'exit took longer than the 10 s grace period');

      const stored = await storedReplies();
      for (const o of finished.filter((f) => f.kind === 'slow reply')) {
        assert.ok(
          o.inFlightAt !== undefined && o.inFlightAt < signalAt,
          'a slow request was not in flight at the signal',
        );
        assert.equal(o.status, 303, `a reply in flight at SIGTERM got ${o.status ?? o.error}`);
        assert.ok(o.complete && stored.has(o.replyId ?? ''), 'a reply in flight at SIGTERM was not stored');
      }
      const report = classifyShutdown(finished, signalAt, stored);
      t.diagnostic(
        `sent before the signal: ${report.sentBefore}; answered ${report.completedNon5xx}, 503 ${report.unavailable503}, reset ${report.noResponse} (${report.noResponseOnOpenConnection} on open connections); after: ${codes(report.after.statusCodes)} ${codes(report.after.errors)}`,
      );
      assert.ok(report.completedNon5xx > 0, 'no request was answered around the signal');
      assert.equal(report.other5xx, 0, 'a 5xx other than 503 during shutdown');
      assert.equal(report.cutAfterProcessing, 0, 'a reply was stored but its request never answered');
      assert.equal(
        report.noResponseOnOpenConnection,
        0,
        'a request sent before the signal on an open connection was dropped',
      );
      // Anything answered at all was answered whole; a 503 only while closing, and it closes the connection.
      for (const o of finished.filter((f) => f.status !== null)) {
        assert.ok(o.complete, `a ${o.status} answer was cut short`);
        assert.ok([200, 303, 503].includes(o.status as number), `unexpected ${o.status} during shutdown`);
        if (o.status === 503) {
          assert.ok(o.close, '503 without Connection: close');
        }
      }
    });

    test('every reply acknowledged with a 303, in any phase, is in the database', async () => {
      const acknowledged = acknowledgedReplies(outcomes);
      assert.ok(acknowledged.length > 0, 'no reply was acknowledged');
      assert.equal(
        new Set(acknowledged).size,
        acknowledged.length,
        'reply ids must be unique for this check to mean anything',
      );
      const stored = await storedReplies();
      const missing = acknowledged.filter((id) => !stored.has(id));
      assert.deepEqual(missing, [], `${missing.length} of ${acknowledged.length} acknowledged replies are missing`);
    });
  });
}
