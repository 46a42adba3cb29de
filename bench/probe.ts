// Preloaded into the app process by the benchmark (`node --import <this file, compiled> dist/server.js`),
// so the app is measured from inside without a public route: event-loop delay (perf_hooks), RSS and CPU time,
// answered over the IPC channel the benchmark opens when it spawns the server. Without that channel it does nothing.
// With WORKERS > 1 the probe is preloaded into the primary and (through execArgv) into every worker: the primary
// asks each worker over the cluster channel and answers with the sum of their memory and CPU (its own included) and
// the worst event-loop delay.
import cluster, { type Worker } from 'node:cluster';
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface ProbeRequest {
  type: 'probe';
  id: number;
  /** Start a new measurement window after answering. */
  reset?: boolean;
}

export interface ProbeReport {
  type: 'probe';
  id: number;
  /** Event-loop delay beyond the sampling interval, in milliseconds, since the last reset. */
  eventLoopDelayMs: { p50: number; p99: number; max: number; mean: number };
  rssBytes: number;
  /** Highest RSS sampled (every 50 ms) since the last reset. */
  peakRssBytes: number;
  /** The kernel's peak resident set size for the whole life of the process (getrusage ru_maxrss). */
  maxRssBytes: number;
  /** User + system CPU time since the last reset, and the wall time it covers. */
  cpuMs: number;
  wallMs: number;
  /** Processes measured: 1, or a cluster's primary and its workers. */
  processes?: number;
}

function askWorker(worker: Worker, request: ProbeRequest): Promise<ProbeReport | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => done(undefined), 5000);
    const onMessage = (message: ProbeReport) => {
      if (message?.type === 'probe' && message.id === request.id) {
        done(message);
      }
    };
    const done = (report: ProbeReport | undefined) => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      resolve(report);
    };
    worker.on('message', onMessage);
    worker.send(request);
  });
}

/** The processes' reports as one: memory and CPU add up, the event loop is the worst one's. */
function combine(id: number, reports: ProbeReport[]): ProbeReport {
  const sum = (pick: (r: ProbeReport) => number) => reports.reduce((total, r) => total + pick(r), 0);
  const max = (pick: (r: ProbeReport) => number) => Math.max(...reports.map(pick));
  return {
    type: 'probe',
    id,
    eventLoopDelayMs: {
      p50: max((r) => r.eventLoopDelayMs.p50),
      p99: max((r) => r.eventLoopDelayMs.p99),
      max: max((r) => r.eventLoopDelayMs.max),
      mean: max((r) => r.eventLoopDelayMs.mean),
    },
    rssBytes: sum((r) => r.rssBytes),
    peakRssBytes: sum((r) => r.peakRssBytes),
    maxRssBytes: sum((r) => r.maxRssBytes),
    cpuMs: sum((r) => r.cpuMs),
    wallMs: max((r) => r.wallMs),
    processes: reports.length,
  };
}

const RESOLUTION_MS = 5;

if (typeof process.send === 'function') {
  const delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  delay.enable();
  let peak = process.memoryUsage.rss();
  let cpuStart = process.cpuUsage();
  let wallStart = performance.now();
  const sample = () => {
    const rss = process.memoryUsage.rss();
    if (rss > peak) {
      peak = rss;
    }
    return rss;
  };
  setInterval(sample, 50).unref();
  const excess = (ns: number) => Math.max(0, Math.round((ns / 1e6 - RESOLUTION_MS) * 100) / 100);

  process.on('message', (message: ProbeRequest) => {
    if (message?.type !== 'probe') {
      return;
    }
    const rss = sample();
    const cpu = process.cpuUsage(cpuStart);
    const report: ProbeReport = {
      type: 'probe',
      id: message.id,
      eventLoopDelayMs: {
        p50: excess(delay.percentile(50)),
        p99: excess(delay.percentile(99)),
        max: excess(delay.max),
        mean: excess(delay.mean),
      },
      rssBytes: rss,
      peakRssBytes: peak,
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
      cpuMs: (cpu.user + cpu.system) / 1000,
      wallMs: performance.now() - wallStart,
    };
    if (message.reset) {
      delay.reset();
      peak = rss;
      cpuStart = process.cpuUsage();
      wallStart = performance.now();
    }
    const workers = cluster.isPrimary
      ? Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined)
      : [];
    if (workers.length === 0) {
      process.send?.({ ...report, processes: 1 });
      return;
    }
    void Promise.all(workers.map((worker) => askWorker(worker, message))).then((answers) => {
      // The primary's own memory counts: it is part of what a deployment runs.
      process.send?.(combine(message.id, [report, ...answers.filter((r): r is ProbeReport => r !== undefined)]));
    });
  });
  // The channel must not keep the server alive once it has closed (a worker's channel belongs to its cluster).
  if (!cluster.isWorker) {
    process.channel?.unref();
  }
}
