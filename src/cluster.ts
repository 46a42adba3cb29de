import cluster, { type Worker } from 'node:cluster';

/** How long the primary waits for its workers to finish their requests after SIGTERM/SIGINT. */
const STOP_GRACE_MS = 15_000;
/** A worker that dies is replaced; this many deaths within a minute means something is wrong, and the primary stops. */
const MAX_RESTARTS_PER_MINUTE = 5;

export interface PrimaryLog {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * The primary of `WORKERS=N`: it serves nothing itself. It starts N workers that share the listening socket (the
 * primary hands connections out round-robin), replaces one that dies, and on SIGTERM/SIGINT asks every worker to
 * finish its in-flight requests and exits when they have (non-zero if any of them failed to). Sessions, CSRF secrets,
 * rate limits, lockouts and the mail outbox all live in the database (or Redis), so any worker serves any request.
 */
export function runPrimary(count: number, log: PrimaryLog): Promise<number> {
  let stopping = false;
  let worstExit = 0;
  const deaths: number[] = [];

  const fork = () => {
    const worker = cluster.fork();
    worker.once('listening', () => log.info({ worker: worker.id, pid: worker.process.pid }, 'worker is listening'));
    return worker;
  };

  return new Promise((resolve) => {
    cluster.on('exit', (worker: Worker, code: number | null, signal: string | null) => {
      if (stopping) {
        if (code !== 0) {
          worstExit = 1;
        }
        if (Object.keys(cluster.workers ?? {}).length === 0) {
          resolve(worstExit);
        }
        return;
      }
      log.error({ worker: worker.id, pid: worker.process.pid, code, signal }, 'worker exited unexpectedly');
      const now = Date.now();
      deaths.push(now);
      while (deaths.length > 0 && (deaths[0] as number) < now - 60_000) {
        deaths.shift();
      }
      if (deaths.length > MAX_RESTARTS_PER_MINUTE) {
        log.error({ deaths: deaths.length }, 'workers keep dying; stopping');
        stop(1);
        return;
      }
      setTimeout(() => {
        if (!stopping) {
          fork();
        }
      }, 500).unref();
    });

    const stop = (exitCode = 0) => {
      if (stopping) {
        return;
      }
      stopping = true;
      worstExit = exitCode;
      const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
      log.info({ workers: workers.length }, 'stopping workers: finishing in-flight requests');
      if (workers.length === 0) {
        resolve(worstExit);
        return;
      }
      for (const worker of workers) {
        worker.process.kill('SIGTERM');
      }
      setTimeout(() => {
        log.error({}, 'workers took too long to stop');
        for (const worker of Object.values(cluster.workers ?? {})) {
          worker?.process.kill('SIGKILL');
        }
        resolve(1);
      }, STOP_GRACE_MS).unref();
    };
    process.on('SIGTERM', () => stop());
    process.on('SIGINT', () => stop());

    for (let i = 0; i < count; i++) {
      fork();
    }
  });
}
