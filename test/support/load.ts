// Load against a running Parapet over real HTTP, as bench/resilience.ts and test/integration/resilience.test.ts run
// it: a closed-loop load generator that keeps every outcome, slow requests held in flight, a /readyz monitor, a TCP
// proxy that can cut PostgreSQL away, and the tallies that classify what happened (e.g. around a SIGTERM).
import http from 'node:http';
import net from 'node:net';
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
function send(
  base: URL,
  agent: http.Agent | false,
  cookie: string,
  spec: LoadRequest,
  timeoutMs: number,
  hold?: { release: Promise<void>; inFlight(): void },
): Promise<Outcome> {
  return new Promise((resolve) => {
    const outcome: Outcome = {
      kind: spec.kind,
      start: performance.now(),
      sent: null,
      end: 0,
      status: null,
      complete: false,
      close: false,
      reused: false,
    };
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
    const req = http.request({
      host: base.hostname,
      port: base.port,
      path: spec.path,
      method: spec.method,
      headers,
      agent,
      timeout: timeoutMs,
    });
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

  constructor(
    private readonly opts: {
      url: string;
      connections: number;
      cookie: string;
      next: (n: number) => LoadRequest;
      timeoutMs?: number;
    },
  ) {
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
      const outcome = await send(
        this.base,
        this.agent,
        this.opts.cookie,
        this.opts.next(this.counter++),
        this.opts.timeoutMs ?? 30_000,
      );
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
export function startSlowRequest(
  url: string,
  cookie: string,
  spec: LoadRequest,
): { outcome: Promise<Outcome>; inFlight: Promise<void>; release(): void; close(): void } {
  let release = () => {};
  let inFlight = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  const started = new Promise<void>((resolve) => (inFlight = resolve));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  return {
    outcome: send(new URL(url), agent, cookie, spec, 60_000, { release: released, inFlight }),
    inFlight: started,
    release,
    close: () => agent.destroy(),
  };
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
        const outcome = await send(
          new URL(this.url),
          this.agent,
          '',
          { kind: 'readyz', method: 'GET', path: '/readyz' },
          5_000,
        );
        this.samples.push({
          at: started,
          ms: round(outcome.end - started),
          status: outcome.status,
          ...(outcome.error ? { error: outcome.error } : {}),
        });
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
  const result: Tally = {
    requests: 0,
    ok: 0,
    statusCodes: {},
    fiveXx: 0,
    errors: {},
    incomplete: 0,
    byKind: {},
    latencyMs: { p50: 0, p99: 0, max: 0 },
  };
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
  const at = (p: number) =>
    round(latencies[Math.min(latencies.length - 1, Math.max(0, Math.ceil(p * latencies.length) - 1))] ?? 0);
  result.latencyMs = { p50: at(0.5), p99: at(0.99), max: round(latencies.at(-1) ?? 0) };
  return result;
}

/** A reply counts as acknowledged when the app answered 303 back to the ticket, with the whole response. */
export function acknowledgedReplies(outcomes: Outcome[]): string[] {
  return outcomes
    .filter((o) => o.replyId && o.status === 303 && o.complete && /^\/tickets\/\d+$/.test(o.location ?? ''))
    .map((o) => o.replyId as string);
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
  const isBefore = (o: Outcome) =>
    o.inFlightAt !== undefined ? o.inFlightAt < signalAt : o.sent !== null && o.sent < signalAt;
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
    noResponseErrors: noResponse.reduce<Record<string, number>>(
      (acc, o) => ({ ...acc, [o.error ?? '?']: (acc[o.error ?? '?'] ?? 0) + 1 }),
      {},
    ),
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
export function mixedRequests(opts: {
  runId: string;
  csrf: string;
  pageIds: number[];
  replyIds: number[];
  search?: string;
}): (n: number) => LoadRequest {
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
