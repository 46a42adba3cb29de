// The load generator: one scenario, run with autocannon in its own process so that its CPU time and event loop
// are not the app's. Started by bench/run.ts as `node --import tsx bench/load.ts '<json spec>'`; prints one JSON
// result on stdout.
//
// Latencies are recorded here from every response (autocannon's own histogram keeps whole milliseconds and only
// 2xx), and requests whose body carries `{id}` get a unique id each, so the caller can check that every
// acknowledged write reached the database.
import autocannon, { type Context, type Request } from 'autocannon';

export interface LoadSpec {
  /** Base URL, e.g. http://127.0.0.1:3900 */
  url: string;
  path: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** `{id}` is replaced by a unique id per request; `{rotate}` by the next of `rotate`. */
  body?: string;
  rotate?: string[];
  connections: number;
  /** Seconds measured. */
  duration: number;
  /** Seconds run first and thrown away (acknowledged ids are still reported). */
  warmup?: number;
  /** Requests per second over all connections (a steady background load); unlimited when absent. */
  rate?: number;
  /** The status that counts as success (e.g. 303); any 2xx or 3xx when absent. */
  expectStatus?: number;
  /** With expectStatus: the Location header must start with this. */
  expectLocation?: string;
}

export interface LoadResult {
  durationS: number;
  /** Responses to requests sent within the measured window (the latency sample). */
  responses: number;
  /** Responses that count as success. */
  ok: number;
  /** Requests per second that succeeded. */
  rps: number;
  /** Connection errors and timeouts, plus responses that were not a success. */
  failures: number;
  errors: number;
  timeouts: number;
  /** Requests still unanswered when the time was up (not counted anywhere else). */
  incomplete: number;
  statusCodes: Record<string, number>;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** Mean response body size in bytes. */
  bytesPerResponse: number;
  /** Ids (from `{id}`) of requests acknowledged with a success, warm-up included. */
  acknowledged?: string[];
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) {
    return 0;
  }
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

const round = (n: number) => Math.round(n * 100) / 100;

/**
 * One autocannon run of warm-up + measured seconds over the same connections. Only requests sent after the warm-up
 * count: new connections' first requests can wait far longer than the rest while the app is saturated (see
 * bench/PERFORMANCE.md), and that start-up effect is not the steady state this measures.
 */
export function runLoad(spec: LoadSpec, onMeasure: () => void = () => {}): Promise<LoadResult> {
  const warmupMs = (spec.warmup ?? 0) * 1000;
  const runId = Date.now().toString(36);
  let next = 0;
  let rotate = 0;
  const acknowledged: string[] | undefined = spec.body?.includes('{id}') ? [] : undefined;
  const dynamic = spec.body !== undefined && (spec.body.includes('{id}') || spec.body.includes('{rotate}'));
  const isSuccess = (status: number, headers: Record<string, string | string[]>) => {
    if (spec.expectStatus === undefined) {
      return status >= 200 && status < 400;
    }
    if (status !== spec.expectStatus) {
      return false;
    }
    const location = headers.location ?? headers.Location;
    return (
      spec.expectLocation === undefined || (typeof location === 'string' && location.startsWith(spec.expectLocation))
    );
  };
  let started = 0;
  let measureFrom = Number.POSITIVE_INFINITY;
  const measured = (sentAt: number) => sentAt >= measureFrom;
  let ok = 0;
  let statusOnlyFailures = 0;
  const statusCodes: Record<string, number> = {};
  const latencies: number[] = [];
  let bytes = 0;
  let lastSuccess = false;
  const request: Request = {
    method: spec.method ?? 'GET',
    path: spec.path,
    headers: spec.headers ?? {},
    ...(spec.body !== undefined ? { body: spec.body } : {}),
    // Called for each request; `context` belongs to the connection, and with one request in flight per
    // connection the response that follows answers exactly this request.
    ...(dynamic
      ? {
          setupRequest: (req: Request, context: Context) => {
            const id = `${runId}-${next++}`;
            const rotated =
              spec.rotate && spec.rotate.length > 0 ? (spec.rotate[rotate++ % spec.rotate.length] as string) : '';
            context.id = id;
            return {
              ...req,
              body: (spec.body as string).replaceAll('{id}', id).replaceAll('{rotate}', encodeURIComponent(rotated)),
            };
          },
        }
      : {}),
    // Runs just before the 'response' event of the same response.
    onResponse: (status, _body, context, headers) => {
      lastSuccess = isSuccess(status, headers);
      if (lastSuccess && acknowledged && typeof context.id === 'string') {
        acknowledged.push(context.id);
      }
    },
  };
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: spec.url,
        connections: spec.connections,
        duration: spec.duration + warmupMs / 1000,
        timeout: 10,
        pipelining: 1,
        requests: [request],
        ...(spec.rate ? { overallRate: spec.rate } : {}),
      },
      (error, result) => {
        clearTimeout(timer);
        if (error) {
          reject(error);
          return;
        }
        const durationS = Math.max(0.001, (performance.now() - measureFrom) / 1000);
        const sorted = Float64Array.from(latencies).sort();
        resolve({
          durationS: round(durationS),
          responses: latencies.length,
          ok,
          rps: round(ok / durationS),
          failures: result.errors + statusOnlyFailures,
          errors: result.errors - result.timeouts,
          timeouts: result.timeouts,
          incomplete: Math.max(0, result.requests.sent - result.requests.total),
          statusCodes,
          latencyMs: {
            p50: round(percentile(sorted, 50)),
            p90: round(percentile(sorted, 90)),
            p99: round(percentile(sorted, 99)),
            max: round(sorted.length ? (sorted[sorted.length - 1] as number) : 0),
            mean: round(latencies.reduce((sum, v) => sum + v, 0) / Math.max(1, latencies.length)),
          },
          bytesPerResponse: Math.round(bytes / Math.max(1, latencies.length)),
          ...(acknowledged ? { acknowledged } : {}),
        });
      },
    );
    started = performance.now();
    const timer = setTimeout(() => {
      measureFrom = performance.now();
      onMeasure();
    }, warmupMs);
    if (warmupMs === 0) {
      measureFrom = started;
    }
    instance.on('response', (_client: unknown, status: number, resBytes: number, responseTime: number) => {
      const now = performance.now();
      if (now < measureFrom) {
        return;
      }
      // Throughput: every answer within the window. Latency: the requests sent within it.
      statusCodes[status] = (statusCodes[status] ?? 0) + 1;
      if (lastSuccess) {
        ok++;
      } else {
        statusOnlyFailures++;
      }
      if (measured(now - responseTime)) {
        latencies.push(responseTime);
        bytes += resBytes;
      }
    });
  });
}

if (import.meta.filename === process.argv[1]) {
  const spec = JSON.parse(process.argv[2] ?? '') as LoadSpec;
  // The caller starts its own measurement window (the app's probe) on this line.
  const result = await runLoad(spec, () => process.stderr.write('measure\n'));
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
