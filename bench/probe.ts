// Preloaded into the app process by the benchmark (`node --import tsx --import bench/probe.ts src/server.ts`),
// so the app is measured from inside without a public route: event-loop delay (perf_hooks), RSS and CPU time,
// answered over the IPC channel the benchmark opens when it spawns the server. Without that channel it does nothing.
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
      eventLoopDelayMs: { p50: excess(delay.percentile(50)), p99: excess(delay.percentile(99)), max: excess(delay.max), mean: excess(delay.mean) },
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
    process.send?.(report);
  });
  // The channel must not keep the server alive once it has closed.
  process.channel?.unref();
}
