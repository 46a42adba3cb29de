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
  /** Responses received. */
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

function runOnce(spec: LoadSpec, duration: number, state: { next: number; rotate: number; acknowledged: string[] | undefined; runId: string }): Promise<LoadResult> {
  const dynamic = spec.body !== undefined && (spec.body.includes('{id}') || spec.body.includes('{rotate}'));
  const isSuccess = (status: number, headers: Record<string, string | string[]>) => {
    if (spec.expectStatus === undefined) {
      return status >= 200 && status < 400;
    }
    if (status !== spec.expectStatus) {
      return false;
    }
    const location = headers.location ?? headers.Location;
    return spec.expectLocation === undefined || (typeof location === 'string' && location.startsWith(spec.expectLocation));
  };
  let ok = 0;
  let statusOnlyFailures = 0;
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
            const id = `${state.runId}-${state.next++}`;
            const rotated = spec.rotate && spec.rotate.length > 0 ? (spec.rotate[state.rotate++ % spec.rotate.length] as string) : '';
            context.id = id;
            return { ...req, body: (spec.body as string).replaceAll('{id}', id).replaceAll('{rotate}', encodeURIComponent(rotated)) };
          },
        }
      : {}),
    onResponse: (status, _body, context, headers) => {
      if (isSuccess(status, headers)) {
        ok++;
        if (state.acknowledged && typeof context.id === 'string') {
          state.acknowledged.push(context.id);
        }
      } else {
        statusOnlyFailures++;
      }
    },
  };
  const latencies: number[] = [];
  let bytes = 0;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: spec.url,
        connections: spec.connections,
        duration,
        timeout: 10,
        pipelining: 1,
        requests: [request],
        ...(spec.rate ? { overallRate: spec.rate } : {}),
      },
      (error, result) => {
        if (error) {
          reject(error);
          return;
        }
        const sorted = Float64Array.from(latencies).sort();
        const statusCodes: Record<string, number> = {};
        for (const [code, { count }] of Object.entries(result.statusCodeStats)) {
          statusCodes[code] = count;
        }
        const durationS = result.duration;
        resolve({
          durationS,
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
            mean: round(latencies.reduce((s, v) => s + v, 0) / Math.max(1, latencies.length)),
          },
          bytesPerResponse: Math.round(bytes / Math.max(1, latencies.length)),
        });
      },
    );
    instance.on('response', (_client: unknown, _status: number, resBytes: number, responseTime: number) => {
      latencies.push(responseTime);
      bytes += resBytes;
    });
  });
}

export async function runLoad(spec: LoadSpec, onMeasure: () => void = () => {}): Promise<LoadResult> {
  const state = { next: 0, rotate: 0, acknowledged: spec.body?.includes('{id}') ? ([] as string[]) : undefined, runId: Date.now().toString(36) };
  if (spec.warmup && spec.warmup > 0) {
    await runOnce(spec, spec.warmup, state);
  }
  onMeasure();
  const result = await runOnce(spec, spec.duration, state);
  return state.acknowledged ? { ...result, acknowledged: state.acknowledged } : result;
}

if (import.meta.filename === process.argv[1]) {
  const spec = JSON.parse(process.argv[2] ?? '') as LoadSpec;
  // The caller starts its own measurement window (the app's probe) on this line.
  const result = await runLoad(spec, () => process.stderr.write('measure\n'));
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
