// The one way to run Parapet as a separate process (src/server.ts under tsx, or the compiled dist/server.js), and to
// find a free port, for the integration tests, the e2e suite, the security scan, the benchmark and the resilience run.
// No test framework here: callers that are tests tie stop() to their own hooks.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
/** `--import tsx`, resolved here so that children can run with another working directory. */
export const TSX = import.meta.resolve('tsx');
const SERVER_SOURCE = path.join(ROOT, 'src/server.ts');
const SERVER_DIST = path.join(ROOT, 'dist/server.js');

/** A port that is free on 127.0.0.1 right now (e.g. so that APP_URL can name it before the app listens on it). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** The DATABASE_URL a server process needs for a test database (PostgreSQL: with its schema on the search path). */
export function databaseUrlOf(
  database: { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string; schema?: string | undefined },
): string {
  if (database.kind === 'sqlite') {
    return `sqlite:${database.file}`;
  }
  return `${database.url}${database.url.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${database.schema ?? 'public'}`)}`;
}

/**
 * When the process counts as started: 'listening' once it logs "Server listening at <url>" (needs LOG_LEVEL=info;
 * the URL comes from that line, so port 0 works), 'readyz' once GET /readyz answers 200 (needs a known port), or
 * `{ workers: n }` once n cluster workers logged that they listen (WORKERS=n, LOG_LEVEL=info).
 */
export type Readiness = 'listening' | 'readyz' | { workers: number };

export interface AppProcessOptions {
  /**
   * The process's whole environment: nothing else is inherited, except PATH when `env` has none. HOST is set to
   * 127.0.0.1 and PORT to `port`; under tsx, TSX_TSCONFIG_PATH points at the project's tsconfig.json.
   */
  env: NodeJS.ProcessEnv;
  /** 'source' (default): `node --import tsx src/server.ts`; 'dist': `node dist/server.js`, as `npm start` runs it (build it first). */
  entry?: 'source' | 'dist';
  /** Node options before the entry, e.g. `--import <probe>` or `--cpu-prof`. */
  nodeArgs?: string[];
  /** The whole node command line instead of nodeArgs and entry (e.g. what a measurement was asked to start). */
  args?: string[];
  /** Default: the project's root. */
  cwd?: string;
  /** A number (0: the OS picks, which only 'listening' and workers readiness can find out) or 'free' (default: chosen by freePort). */
  port?: number | 'free';
  /** Default 'readyz' with a known port, 'listening' with port 0. */
  ready?: Readiness;
  /** Append stdout and stderr to this file instead of keeping them in memory. */
  logFile?: string;
  /** Open an IPC channel (child.send / 'message'), e.g. for the benchmark's probe. */
  ipc?: boolean;
  /** How long to wait for readiness (default 60 s); how often to look (default 50 ms; the benchmark times start-up in 5 ms steps). */
  timeoutMs?: number;
  pollMs?: number;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** performance.now() at the exit. */
  at: number;
}

/** A spawned server process, ready or not. */
export interface SpawnedApp {
  child: ChildProcess;
  pid: number;
  /** performance.now() at the spawn. */
  spawnedAt: number;
  exited: Promise<ProcessExit>;
  /** Everything it wrote so far (empty with a logFile): both streams in order, or each one. */
  output(): string;
  stdout(): string;
  stderr(): string;
  /** Resolves with its base URL (http://127.0.0.1:<port>) once it is ready; rejects if it exits first or takes too long (and kills it). */
  whenReady(ready?: Readiness): Promise<string>;
  /** SIGTERM, SIGKILL after `graceMs` (default 15 s); resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

export interface AppProcess extends SpawnedApp {
  url: string;
  /** From the spawn to readiness, in ms. */
  startupMs: number;
}

const LISTENING = /Server listening at (https?:\/\/127\.0\.0\.1:\d+)/;
const WORKER_LISTENING = /"worker":\d+,"pid":\d+,"msg":"worker is listening"/g;

/**
 * Spawns the app and returns at once (synchronously: a caller can set the umask around it). Most callers want
 * startAppProcess; this is for those that expect the process to fail, or set something up around the spawn.
 * A numeric `port` is required here ('free' needs an await: use startAppProcess).
 */
export function spawnApp(opts: AppProcessOptions & { port: number }): SpawnedApp {
  const entry = opts.entry ?? 'source';
  const args = opts.args ?? [
    ...(opts.nodeArgs ?? []),
    ...(entry === 'source' ? ['--import', TSX, SERVER_SOURCE] : [SERVER_DIST]),
  ];
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '',
    ...(entry === 'source' ? { TSX_TSCONFIG_PATH: path.join(ROOT, 'tsconfig.json') } : {}),
    // JSON log lines, which the tests read (development's one-line format is for people); a test may override it.
    NODE_ENV: 'test',
    ...opts.env,
    HOST: '127.0.0.1',
    PORT: String(opts.port),
  };
  const log = opts.logFile ? openSync(opts.logFile, 'a') : undefined;
  const stdio: StdioOptions = ['ignore', log ?? 'pipe', log ?? 'pipe', ...(opts.ipc ? (['ipc'] as const) : [])];
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, args, { cwd: opts.cwd ?? ROOT, env, stdio });
  if (log !== undefined) {
    closeSync(log);
  }
  let all = '';
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
    all += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
    all += d.toString();
  });
  const exited = new Promise<ProcessExit>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode, at: performance.now() });
    }
    child.once('exit', (code, signal) => resolve({ code, signal, at: performance.now() }));
  });
  let gone = false;
  void exited.then(() => (gone = true));
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const pollMs = opts.pollMs ?? 50;
  const described = () => (opts.logFile ? `see ${opts.logFile}` : all);

  const readyUrl = async (ready: Readiness): Promise<string | null> => {
    if (ready === 'readyz') {
      const url = `http://127.0.0.1:${opts.port}`;
      try {
        const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5_000) });
        await response.arrayBuffer();
        return response.status === 200 ? url : null;
      } catch {
        return null; // not listening yet
      }
    }
    if (typeof ready === 'object' && [...all.matchAll(WORKER_LISTENING)].length < ready.workers) {
      return null;
    }
    return LISTENING.exec(all)?.[1] ?? null;
  };

  return {
    child,
    pid: child.pid ?? 0,
    spawnedAt,
    exited,
    output: () => all,
    stdout: () => out,
    stderr: () => err,
    async whenReady(ready = opts.port === 0 ? 'listening' : 'readyz') {
      const giveUpAt = performance.now() + timeoutMs;
      for (;;) {
        const url = await readyUrl(ready);
        if (url) {
          return url;
        }
        if (gone || performance.now() > giveUpAt) {
          child.kill('SIGKILL');
          throw new Error(
            `the app ${gone ? `exited (code ${child.exitCode}, signal ${child.signalCode})` : `was not ready within ${timeoutMs} ms`}: ${described()}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, pollMs));
      }
    },
    async stop(graceMs = 15_000) {
      if (gone) {
        return child.exitCode;
      }
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const { code } = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Spawns the app (see AppProcessOptions) and waits until it is ready. */
export async function startAppProcess(opts: AppProcessOptions): Promise<AppProcess> {
  const port = opts.port === undefined || opts.port === 'free' ? await freePort() : opts.port;
  const app = spawnApp({ ...opts, port });
  const url = await app.whenReady(opts.ready);
  return Object.assign(app, { url, startupMs: performance.now() - app.spawnedAt });
}
