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
// The load generator, the proxy and the /readyz monitor are exported for test/integration/resilience.test.ts.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BENCH_PASSWORD, BENCH_SUBJECT_PREFIX, BENCH_TOTP_SECRET, cleanUp, connectTo, findUsers, prepareDataset } from './lib/dataset.ts';
import { Browser } from './lib/http.ts';
import { ROOT, TSX, freePort } from './lib/processes.ts';

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** For Promise.race deadlines: a timer that does not keep the process alive once the race is decided. */
export const deadline = (ms: number) => new Promise<null>((resolve) => setTimeout(() => resolve(null), ms).unref());
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/** The body of every reply this script sends: `${REPLY_PREFIX}${id}`, with an id unique to the run and request. */
export const REPLY_PREFIX = 'Resilience reply ';

export interface LoadRequest {
  kind: string;
  method: 'GET' | 'POST';
  path: string;
  /** application/x-www-form-urlencoded */
  body?: string;
  /** The unique id a reply carries, to find it in the database afterwards. */
  replyId?: string;
}

export interface Outcome {
  kind: string;
  replyId?: string;
  /** performance.now() when the request was issued, when it was fully written, and when it ended. */
  start: number;
  sent: number | null;
  end: number;
  /** null when no response arrived (refused, reset, timeout). */
  status: number | null;
  /** The whole body arrived. */
  complete: boolean;
  location?: string;
  /** The response said `Connection: close`. */
  close: boolean;
  error?: string;
  /** Slow requests: when the server answered `100 Continue`, i.e. had read the headers and started the request. */
  inFlightAt?: number;
  /** Sent on a keep-alive connection that had already carried an answer (so the server had accepted it). */
  reused: boolean;
}

function errorCode(error: unknown): string {
  const e = error as { code?: string; message?: string };
  return e.code ?? e.message ?? String(error);
}

/**
 * One HTTP request, its body written at once or, with `hold`, with `Expect: 100-continue`: once the server has read
 * the headers (and started the request) half the body, and the rest when `hold` resolves.
 */
function send(base: URL, agent: http.Agent | false, cookie: string, spec: LoadRequest, timeoutMs: number, hold?: { release: Promise<void>; inFlight(): void }): Promise<Outcome> {
  return new Promise((resolve) => {
    const outcome: Outcome = { kind: spec.kind, start: performance.now(), sent: null, end: 0, status: null, complete: false, close: false, reused: false };
    if (spec.replyId) {
      outcome.replyId = spec.replyId;
    }
    let settled = false;
    const finish = (error?: unknown) => {
      if (settled) {
        return;
      }
      settled = true;
      outcome.end = performance.now();
      if (error !== undefined) {
        outcome.error = errorCode(error);
      }
      resolve(outcome);
    };
    const headers: Record<string, string> = { accept: 'text/html' };
    if (cookie) {
      headers.cookie = cookie;
    }
    if (spec.body !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers['content-length'] = String(Buffer.byteLength(spec.body));
      if (hold) {
        headers.expect = '100-continue';
      }
    }
    const req = http.request({ host: base.hostname, port: base.port, path: spec.path, method: spec.method, headers, agent, timeout: timeoutMs });
    req.on('finish', () => {
      outcome.sent = performance.now();
      outcome.reused = req.reusedSocket;
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', finish);
    req.on('response', (res) => {
      outcome.status = res.statusCode ?? null;
      outcome.close = /close/i.test(res.headers.connection ?? '');
      if (typeof res.headers.location === 'string') {
        outcome.location = res.headers.location;
      }
      res.on('data', () => {});
      res.on('end', () => {
        outcome.complete = res.complete;
        finish(res.complete ? undefined : new Error('incomplete body'));
      });
      res.on('error', finish);
      res.on('close', () => finish(res.complete ? undefined : new Error('closed before the end of the body')));
    });
    if (hold && spec.body !== undefined) {
      const body = spec.body;
      const half = Math.floor(body.length / 2);
      req.once('continue', () => {
        outcome.inFlightAt = performance.now();
        req.write(body.slice(0, half));
        hold.inFlight();
        void hold.release.then(() => req.end(body.slice(half)));
      });
      req.flushHeaders();
    } else {
      req.end(spec.body);
    }
  });
}

/**
 * A closed-loop load: `connections` loops, each sending its next request once the previous one ended, over keep-alive
 * sockets (one per loop). Every request's outcome is kept, so callers can classify them by time.
 */
export class LoadGenerator {
  readonly outcomes: Outcome[] = [];
  private readonly agent: http.Agent;
  private readonly base: URL;
  private running = false;
  private loops: Promise<void>[] = [];
  private counter = 0;

  constructor(private readonly opts: { url: string; connections: number; cookie: string; next: (n: number) => LoadRequest; timeoutMs?: number }) {
    this.base = new URL(opts.url);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: opts.connections, maxFreeSockets: opts.connections });
  }

  start(): void {
    this.running = true;
    this.loops = Array.from({ length: this.opts.connections }, () => this.loop());
  }

  /** Stops sending and waits for the requests in flight. */
  async stop(): Promise<Outcome[]> {
    this.running = false;
    await Promise.all(this.loops);
    this.agent.destroy();
    return this.outcomes;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const outcome = await send(this.base, this.agent, this.opts.cookie, this.opts.next(this.counter++), this.opts.timeoutMs ?? 30_000);
      this.outcomes.push(outcome);
      if (outcome.status === null) {
        // Refused or reset (the app is stopping or gone): do not spin.
        await delay(25);
      }
    }
  }
}

/**
 * A request in flight at the server for as long as the caller wants: `inFlight` resolves once the server has read its
 * headers and started it (its `100 Continue`), and half of the body has been sent; `release()` sends the rest. Its own
 * keep-alive connection, which stays open after the answer, as a browser's does, until `close()` (or until the server
 * closes it).
 */
export function startSlowRequest(url: string, cookie: string, spec: LoadRequest): { outcome: Promise<Outcome>; inFlight: Promise<void>; release(): void; close(): void } {
  let release = () => {};
  let inFlight = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  const started = new Promise<void>((resolve) => (inFlight = resolve));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  return { outcome: send(new URL(url), agent, cookie, spec, 60_000, { release: released, inFlight }), inFlight: started, release, close: () => agent.destroy() };
}

/** Waits until the server has stopped listening (a connection is refused); false after `timeoutMs`. */
export async function waitUntilRefused(url: string, timeoutMs: number): Promise<boolean> {
  const { hostname, port } = new URL(url);
  const until = performance.now() + timeoutMs;
  while (performance.now() < until) {
    const refused = await new Promise<boolean>((resolve) => {
      const socket = net.connect(Number(port), hostname);
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', () => resolve(true));
    });
    if (refused) {
      return true;
    }
    await delay(20);
  }
  return false;
}

/** A TCP proxy on 127.0.0.1 (random port) that can cut every connection and refuse new ones, then allow them again. */
export class TcpProxy {
  private readonly sockets = new Set<net.Socket>();
  private server: net.Server;
  port = 0;
  /** Connections cut by cut() and refused while down. */
  cutConnections = 0;

  private constructor(private readonly target: { host: string; port: number }) {
    this.server = this.makeServer();
  }

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const proxy = new TcpProxy(target);
    await proxy.listen(0);
    return proxy;
  }

  private makeServer(): net.Server {
    return net.createServer((client) => {
      const upstream = net.connect(this.target.port, this.target.host);
      client.setNoDelay(true);
      upstream.setNoDelay(true);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        this.port = (this.server.address() as net.AddressInfo).port;
        resolve();
      });
    });
  }

  /** PostgreSQL "goes away": every proxied connection is destroyed and the port refuses connections. */
  cut(): void {
    this.server.close();
    this.cutConnections += this.sockets.size / 2;
    for (const socket of this.sockets) {
      socket.destroy();
    }
  }

  /** PostgreSQL is back on the same port. */
  async restore(): Promise<void> {
    this.server = this.makeServer();
    await this.listen(this.port);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) {
      socket.destroy();
    }
    await new Promise<void>((resolve) => (this.server.listening ? this.server.close(() => resolve()) : resolve()));
  }
}

export interface ReadySample {
  /** performance.now() when the probe was sent, and its duration. */
  at: number;
  ms: number;
  status: number | null;
  error?: string;
}

/**
 * Polls /readyz as a load balancer's health check does: on a new connection each time, or (`keepAlive`) on one
 * connection opened before the load, which a saturated server serves much sooner than a new one.
 */
export class ReadyzMonitor {
  readonly samples: ReadySample[] = [];
  private running = false;
  private done: Promise<void> = Promise.resolve();
  private readonly agent: http.Agent | false;

  constructor(
    private readonly url: string,
    private readonly everyMs = 200,
    opts: { keepAlive?: boolean } = {},
  ) {
    this.agent = opts.keepAlive ? new http.Agent({ keepAlive: true, maxSockets: 1 }) : false;
  }

  start(): void {
    this.running = true;
    this.done = (async () => {
      while (this.running) {
        const started = performance.now();
        const outcome = await send(new URL(this.url), this.agent, '', { kind: 'readyz', method: 'GET', path: '/readyz' }, 5_000);
        this.samples.push({ at: started, ms: round(outcome.end - started), status: outcome.status, ...(outcome.error ? { error: outcome.error } : {}) });
        await delay(Math.max(0, this.everyMs - (performance.now() - started)));
      }
    })();
  }

  async stop(): Promise<ReadySample[]> {
    this.running = false;
    await this.done;
    if (this.agent) {
      this.agent.destroy();
    }
    return this.samples;
  }
}

export interface Tally {
  requests: number;
  /** 2xx and 3xx with a complete body. */
  ok: number;
  statusCodes: Record<string, number>;
  fiveXx: number;
  /** No response at all, by error code. */
  errors: Record<string, number>;
  /** A response whose body did not arrive whole. */
  incomplete: number;
  byKind: Record<string, { requests: number; statusCodes: Record<string, number> }>;
  latencyMs: { p50: number; p99: number; max: number };
}

export function tally(outcomes: Outcome[]): Tally {
  const result: Tally = { requests: 0, ok: 0, statusCodes: {}, fiveXx: 0, errors: {}, incomplete: 0, byKind: {}, latencyMs: { p50: 0, p99: 0, max: 0 } };
  const latencies: number[] = [];
  for (const o of outcomes) {
    result.requests++;
    const kind = (result.byKind[o.kind] ??= { requests: 0, statusCodes: {} });
    kind.requests++;
    const key = o.status === null ? `error:${o.error ?? '?'}` : String(o.status);
    kind.statusCodes[key] = (kind.statusCodes[key] ?? 0) + 1;
    if (o.status === null) {
      result.errors[o.error ?? '?'] = (result.errors[o.error ?? '?'] ?? 0) + 1;
      continue;
    }
    result.statusCodes[o.status] = (result.statusCodes[o.status] ?? 0) + 1;
    latencies.push(o.end - o.start);
    if (o.status >= 500) {
      result.fiveXx++;
    } else if (!o.complete) {
      result.incomplete++;
    } else if (o.status < 400) {
      result.ok++;
    }
  }
  latencies.sort((a, b) => a - b);
  const at = (p: number) => round(latencies[Math.min(latencies.length - 1, Math.max(0, Math.ceil(p * latencies.length) - 1))] ?? 0);
  result.latencyMs = { p50: at(0.5), p99: at(0.99), max: round(latencies.at(-1) ?? 0) };
  return result;
}

/** A reply counts as acknowledged when the app answered 303 back to the ticket, with the whole response. */
export function acknowledgedReplies(outcomes: Outcome[]): string[] {
  return outcomes.filter((o) => o.replyId && o.status === 303 && o.complete && /^\/tickets\/\d+$/.test(o.location ?? '')).map((o) => o.replyId as string);
}

export interface ShutdownReport {
  /** Requests fully written before the signal (slow ones: started by the server before it), and what became of them. */
  sentBefore: number;
  completedNon5xx: number;
  /** 503 + Connection: close: read by the server after closing began. */
  unavailable503: number;
  other5xx: number;
  /** No response, or a partial one. */
  noResponse: number;
  /** Their error codes. */
  noResponseErrors: Record<string, number>;
  /**
   * Of those, the ones on connections that had carried an answer before: the server had accepted them, so a reset
   * there is the server closing a connection it should have answered on. The others were new connections the server
   * had not accepted yet (still in the listen backlog when it stopped listening).
   */
  noResponseOnOpenConnection: number;
  /** Of those without a response, replies that are in the database: processed and then cut off (a real failure). */
  cutAfterProcessing: number;
  /** Issued after the signal: refused or closed connections are expected. */
  after: { requests: number; statusCodes: Record<string, number>; errors: Record<string, number> };
}

export function classifyShutdown(outcomes: Outcome[], signalAt: number, stored: Set<string>): ShutdownReport {
  const isBefore = (o: Outcome) => (o.inFlightAt !== undefined ? o.inFlightAt < signalAt : o.sent !== null && o.sent < signalAt);
  const before = outcomes.filter(isBefore);
  const after = outcomes.filter((o) => !isBefore(o));
  const noResponse = before.filter((o) => o.status === null || (o.status < 500 && !o.complete));
  const afterTally = tally(after);
  return {
    sentBefore: before.length,
    completedNon5xx: before.filter((o) => o.status !== null && o.status < 500 && o.complete).length,
    unavailable503: before.filter((o) => o.status === 503).length,
    other5xx: before.filter((o) => o.status !== null && o.status >= 500 && o.status !== 503).length,
    noResponse: noResponse.length,
    noResponseOnOpenConnection: noResponse.filter((o) => o.reused).length,
    noResponseErrors: noResponse.reduce<Record<string, number>>((acc, o) => ({ ...acc, [o.error ?? '?']: (acc[o.error ?? '?'] ?? 0) + 1 }), {}),
    cutAfterProcessing: noResponse.filter((o) => o.replyId && stored.has(o.replyId)).length,
    after: { requests: afterTally.requests, statusCodes: afterTally.statusCodes, errors: afterTally.errors },
  };
}

/** A form POST for a reply with a unique id. */
export function replyRequest(ticketId: number, csrf: string, replyId: string, kind = 'reply'): LoadRequest {
  return {
    kind,
    method: 'POST',
    path: `/tickets/${ticketId}/messages`,
    body: new URLSearchParams({ _csrf: csrf, message: `${REPLY_PREFIX}${replyId}` }).toString(),
    replyId,
  };
}

/** The steady mix: 40% ticket list (pages 1–4), 30% ticket pages, 30% replies. */
export function mixedRequests(opts: { runId: string; csrf: string; pageIds: number[]; replyIds: number[]; search?: string }): (n: number) => LoadRequest {
  return (n) => {
    const slot = n % 10;
    if (opts.search && slot === 0) {
      return { kind: 'search', method: 'GET', path: `/tickets?q=${encodeURIComponent(opts.search)}` };
    }
    if (slot < 4) {
      return { kind: 'list', method: 'GET', path: `/tickets?page=${1 + (n % 4)}` };
    }
    if (slot < 7) {
      return { kind: 'page', method: 'GET', path: `/tickets/${opts.pageIds[n % opts.pageIds.length]}` };
    }
    return replyRequest(opts.replyIds[n % opts.replyIds.length] as number, opts.csrf, `${opts.runId}-${n}`);
  };
}

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  /** The last 64 KB of its output. */
  output(): string;
}

/** `node --import tsx src/server.ts` with exactly `env` (HOST/PORT chosen here), ready once /readyz answers 200. */
export async function startServer(opts: { env: NodeJS.ProcessEnv; cwd?: string; logFile?: string }): Promise<ServerProcess> {
  const port = await freePort();
  const env = { TSX_TSCONFIG_PATH: path.join(ROOT, 'tsconfig.json'), ...opts.env, HOST: '127.0.0.1', PORT: String(port) };
  const log = opts.logFile ? openSync(opts.logFile, 'a') : undefined;
  const child = spawn(process.execPath, ['--import', TSX, path.join(ROOT, 'src/server.ts')], {
    cwd: opts.cwd ?? ROOT,
    env,
    stdio: ['ignore', log ?? 'pipe', log ?? 'pipe'],
  });
  if (log !== undefined) {
    closeSync(log);
  }
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-65_536));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: performance.now() })),
  );
  const url = `http://127.0.0.1:${port}`;
  let gone = false;
  void exited.then(() => (gone = true));
  const giveUpAt = performance.now() + 60_000;
  for (;;) {
    const probe = await send(new URL(url), false, '', { kind: 'readyz', method: 'GET', path: '/readyz' }, 5_000);
    if (probe.status === 200) {
      break;
    }
    if (gone || performance.now() > giveUpAt) {
      child.kill('SIGKILL');
      throw new Error(`the server ${gone ? 'exited' : 'did not become ready'}: ${opts.logFile ? `see ${opts.logFile}` : output}`);
    }
    await delay(50);
  }
  return { child, url, exited, output: () => output };
}

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
  return rows.map((r, ri) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ') + (ri === 0 ? `\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : '')).join('\n');
}

const codes = (counts: Record<string, number>) =>
  Object.entries(counts)
    .map(([k, v]) => `${k}×${v}`)
    .join(' ') || '—';

async function main(): Promise<void> {
  const opts = options();
  const started = performance.now();
  log(`Resilience: ${opts.db}, ${opts.connections} connections, ${opts.duration} s steady load; load average ${os.loadavg().map((l) => round(l, 2)).join(' ')}`);

  const dataset = await prepareDataset({ db: opts.db, tickets: opts.tickets, messagesPerTicket: 5, reuse: true, databaseUrl: opts.databaseUrl });
  let conn = connectTo(dataset);
  const users = await findUsers(conn);
  const staff = users.admins[0] as { id: number; email: string };
  await cleanUp(conn, [staff.id]);
  const pageIds = (await conn.db.selectFrom('tickets').select('id').orderBy('id').limit(200).execute()).map((r) => r.id);
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
  const server = await startServer({ env: { ...dataset.env, DATABASE_URL: appUrl, LOG_LEVEL: opts.logLevel, LOGIN_MAX_ATTEMPTS: '1000' }, cwd: dataset.dataDir, logFile });
  log(`App pid ${server.child.pid} at ${server.url}${proxy ? `, PostgreSQL through the proxy on port ${proxy.port}` : ''}; log ${path.relative(ROOT, logFile)}`);
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
      const created = await browser.request('/tickets', { form: { _csrf: csrf, subject, message: `Opened by bench/resilience.ts. ${subject}`, priority: 'normal', client_email: users.client.email } });
      const id = Number(/^\/tickets\/(\d+)$/.exec(created.location ?? '')?.[1]);
      if (created.status !== 303 || !id) {
        throw new Error(`opening a ticket answered ${created.status} ${created.location ?? ''}`);
      }
      replyIds.push(id);
    }
    const cookie = browser.cookieHeader();
    // Reply ids are `<run><phase>-<n>`: each phase's generator counts from 0 again.
    const mix = (phase: string) => mixedRequests({ runId: `${runId}${phase}`, csrf, pageIds: [...pageIds, ...replyIds], replyIds });

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
    const readyCounts = steadySamples.reduce<Record<string, number>>((acc, r) => ({ ...acc, [r.status ?? r.error ?? '?']: (acc[r.status ?? r.error ?? '?'] ?? 0) + 1 }), {});
    const readyMs = steadySamples.map((r) => r.ms).sort((a, b) => a - b);
    results.steady = {
      seconds: round(steadySeconds),
      rps: round(steadyTally.requests / steadySeconds),
      ...steadyTally,
      acknowledgedReplies: acknowledgedReplies(steadyOutcomes).length,
      readyzNewConnection: { statuses: readyCounts, p50Ms: readyMs[Math.floor(readyMs.length / 2)] ?? 0, maxMs: readyMs.at(-1) ?? 0 },
    };

    // (b) PostgreSQL outage.
    if (opts.db === 'postgres') {
      const outageMs = opts.outageSeconds * 1000;
      log(`(b) PostgreSQL outage of ${opts.outageSeconds} s under load (${proxy ? 'TCP proxy cut' : 'pg_ctlcluster stop/start'})`);
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
      while (!monitor.samples.some((s) => s.at >= restoreAt && s.status === 200) && performance.now() < recoveryDeadline) {
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
          during: codes(during.reduce<Record<string, number>>((acc, s) => ({ ...acc, [s.status ?? s.error ?? '?']: (acc[s.status ?? s.error ?? '?'] ?? 0) + 1 }), {})),
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
        { check: '/readyz 503 throughout the outage', measured: `${during.filter((s) => s.status === 503).length} of ${during.length} probes 503`, met: during.length > 0 && during.every((s) => s.status === 503) },
        { check: '/readyz 200 after PostgreSQL is back', measured: recovered ? `${round(recovered.at + recovered.ms - restoreAt, 0)} ms after restore; ${readyAfter.filter((s) => s.status === 200).length} of ${readyAfter.length} 200 after` : 'never', met: !!recovered && readyAfter.every((s) => s.status === 200) },
        { check: 'No 5xx once ready again (same process)', measured: `${windows.after.fiveXx} of ${windows.after.requests}; pid ${alive ? 'unchanged' : 'GONE'}; page ${page.status}`, met: alive && windows.after.fiveXx === 0 && Object.keys(windows.after.errors).length === 0 && page.status === 200 },
        { check: 'Outage errors are 503, never 500', measured: codes(windows.during.statusCodes), met: !Object.keys(windows.during.statusCodes).some((c) => Number(c) >= 500 && c !== '503') },
      );
    }

    // (c) SIGTERM under load with slow requests in flight.
    log('(c) SIGTERM under load, with slow requests in flight');
    if (server.child.exitCode !== null || server.child.signalCode !== null) {
      throw new Error(`the app exited (code ${server.child.exitCode}, signal ${server.child.signalCode}) before the SIGTERM phase; see ${logFile}`);
    }
    // The slow requests start before the load: a saturated server accepts new connections only slowly (see the
    // report), and these must be in flight, started by the server, when the signal arrives.
    const slow = replyIds.slice(0, 10).map((id, i) => startSlowRequest(server.url, cookie, replyRequest(id, csrf, `${runId}s-${i}`, 'slow reply')));
    await Promise.race([Promise.all(slow.map((s) => s.inFlight)), deadline(20_000)]);
    const load = new LoadGenerator({ url: server.url, connections: opts.connections, cookie, next: mixedRequests({ runId: `${runId}t`, csrf, pageIds: [...pageIds, ...replyIds], replyIds, search: 'payment' }) });
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
    conn = connectTo(dataset);
    const stored = new Set(
      (await conn.db.selectFrom('ticket_messages').select('body').where('ticket_id', 'in', replyIds).where('body', 'like', `${REPLY_PREFIX}${runId}%`).execute()).map((r) => r.body.slice(REPLY_PREFIX.length)),
    );
    await conn.close();
    const shutdown = classifyShutdown(outcomes, signalAt, stored);
    const slowOutcomes = outcomes.filter((o) => o.kind === 'slow reply');
    const slowDone = slowOutcomes.filter((o) => o.inFlightAt !== undefined && o.inFlightAt < signalAt && o.status === 303 && o.complete && stored.has(o.replyId ?? '')).length;
    results.shutdown = { ...shutdown, stoppedListeningBeforeSlowBodies: stoppedListening, slowBodiesSentMsAfterSignal: round(releasedAt - signalAt, 0), exitCode: exit?.code ?? null, exitSignal: exit?.signal ?? null, exitMs: exit ? round(exit.at - signalAt, 0) : null, slowReplies: { sent: slowOutcomes.length, answered303AndStored: slowDone, outcomes: slowOutcomes.map((o) => `${o.status ?? o.error ?? '?'} after ${round(o.end - signalAt, 0)} ms, in flight ${o.inFlightAt === undefined ? 'never' : `${round(signalAt - o.inFlightAt, 0)} ms before the signal`}`) }, before: tally(outcomes.filter((o) => o.start < signalAt)) };
    const acknowledged = acknowledgedReplies(allOutcomes);
    if (new Set(acknowledged).size !== acknowledged.length) {
      throw new Error('two replies carried the same id: the stored-reply check would not be sound');
    }
    const missing = acknowledged.filter((id) => !stored.has(id));
    const unacknowledgedStored = [...stored].filter((id) => !acknowledged.includes(id)).length;
    results.replies = { acknowledged: acknowledged.length, stored: stored.size, missing: missing.length, storedWithoutAcknowledgement: unacknowledgedStored };

    verdicts.unshift(
      { check: `No 5xx under ${opts.connections} connections for ${opts.duration} s`, measured: `${steadyTally.fiveXx} of ${steadyTally.requests}`, met: steadyTally.fiveXx === 0 },
      { check: 'Every request answered, whole, within 30 s', measured: `${steadyTally.requests - steadyTally.fiveXx - Object.values(steadyTally.errors).reduce((a, b) => a + b, 0) - steadyTally.incomplete} of ${steadyTally.requests - steadyTally.fiveXx} (no answer: ${codes(steadyTally.errors)})`, met: Object.keys(steadyTally.errors).length === 0 && steadyTally.incomplete === 0 },
      { check: '/readyz 200 under steady load (new connection each 1 s)', measured: `${codes(readyCounts)}, p50 ${readyMs[Math.floor(readyMs.length / 2)] ?? 0} ms, max ${readyMs.at(-1) ?? 0} ms`, met: steadySamples.length > 0 && steadySamples.every((r) => r.status === 200) },
      { check: 'Every acknowledged reply is stored (all phases)', measured: `${acknowledged.length - missing.length} of ${acknowledged.length}`, met: missing.length === 0 && acknowledged.length > 0 },
    );
    verdicts.push(
      { check: 'Slow replies in flight at SIGTERM answered 303 and stored', measured: `${slowDone} of ${slowOutcomes.length}`, met: slowDone === slowOutcomes.length },
      {
        check: 'Requests sent before SIGTERM: complete, non-5xx',
        measured: `${shutdown.completedNon5xx} of ${shutdown.sentBefore} (503: ${shutdown.unavailable503}, other 5xx: ${shutdown.other5xx}, reset: ${shutdown.noResponse - shutdown.noResponseOnOpenConnection} never accepted + ${shutdown.noResponseOnOpenConnection} on open connections, answered-less but stored: ${shutdown.cutAfterProcessing})`,
        // Connections the server had not accepted yet when it stopped listening are refused, which is allowed.
        met: shutdown.other5xx === 0 && shutdown.cutAfterProcessing === 0 && shutdown.noResponseOnOpenConnection === 0 && shutdown.completedNon5xx + shutdown.unavailable503 + shutdown.noResponse === shutdown.sentBefore,
      },
      { check: 'Exit 0 within the 10 s grace period', measured: exit ? `code ${exit.code}${exit.signal ? ` signal ${exit.signal}` : ''} after ${round(exit.at - signalAt, 0)} ms` : 'still running after 20 s', met: exit?.code === 0 && exit.at - signalAt < 10_000 },
    );
  } finally {
    if (server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGKILL');
    }
    await proxy?.close();
  }

  const steadyResult = results.steady as ReturnType<typeof tally> & { seconds: number; rps: number; acknowledgedReplies: number };
  const rows = [['phase', 'requests', 'req/s', 'p50 ms', 'p99 ms', '5xx', 'errors', 'status codes']];
  rows.push(['steady', String(steadyResult.requests), String(steadyResult.rps), String(steadyResult.latencyMs.p50), String(steadyResult.latencyMs.p99), String(steadyResult.fiveXx), codes(steadyResult.errors), codes(steadyResult.statusCodes)]);
  const outage = results.outage as { requests: Record<string, Tally> } | undefined;
  for (const [name, t] of Object.entries(outage?.requests ?? {})) {
    rows.push([`outage: ${name}`, String(t.requests), '', String(t.latencyMs.p50), String(t.latencyMs.p99), String(t.fiveXx), codes(t.errors), codes(t.statusCodes)]);
  }
  const shutdown = results.shutdown as ShutdownReport & { before: Tally };
  rows.push(['SIGTERM: sent before', String(shutdown.sentBefore), '', String(shutdown.before.latencyMs.p50), String(shutdown.before.latencyMs.p99), String(shutdown.other5xx + shutdown.unavailable503), String(shutdown.noResponse), '']);
  rows.push(['SIGTERM: issued after', String(shutdown.after.requests), '', '', '', '', codes(shutdown.after.errors), codes(shutdown.after.statusCodes)]);
  console.log(`\n${table(rows)}\n`);
  console.log(table([['check', 'measured', 'met'], ...verdicts.map((v) => [v.check, v.measured, v.met ? 'yes' : 'NO'])]));
  const report = { date: new Date().toISOString(), db: opts.db, connections: opts.connections, durationS: opts.duration, tickets: opts.tickets, realRestart: opts.realRestart, loadAverage: os.loadavg().map((l) => round(l, 2)), totalSeconds: round((performance.now() - started) / 1000), verdicts, ...results };
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
