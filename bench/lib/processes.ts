// Child processes of the benchmark: the app (with the probe preloaded), the ceiling server, load generators.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build as esbuild } from 'esbuild';
import { build } from '../../scripts/build.ts';
import { ROOT, TSX, freePort, startAppProcess, type AppProcess } from '../../test/support/app-process.ts';
import type { ProbeReport, ProbeRequest } from '../probe.ts';

/** The probe, compiled like the app so that the app's process loads no tsx (its loader thread costs ~35 MB). */
const PROBE = path.join(ROOT, 'bench/.scratch/probe.js');
let built: Promise<void> | undefined;

/** The app as `npm start` runs it: dist/, rebuilt once per benchmark process (so never stale), and the probe. */
export function compileApp(): Promise<void> {
  built ??= Promise.all([
    build(),
    esbuild({
      entryPoints: [path.join(ROOT, 'bench/probe.ts')],
      outfile: PROBE,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'warning',
    }),
  ]).then(() => undefined);
  return built;
}

function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve(child.exitCode)
    : new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Polls until `url` answers 200: the time from `since` to that answer, in ms. */
async function waitFor200(
  url: string,
  child: ChildProcess,
  since: number,
  timeoutMs: number,
  what: string,
): Promise<number> {
  let childExit: number | null | undefined;
  void exited(child).then((code) => (childExit = code));
  for (;;) {
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.status === 200) {
        return performance.now() - since;
      }
    } catch {
      // not listening yet
    }
    if (childExit !== undefined) {
      throw new Error(`${what} exited with code ${childExit} before answering`);
    }
    if (performance.now() - since > timeoutMs) {
      child.kill('SIGKILL');
      throw new Error(`${what} did not answer ${url} within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return child.exitCode;
  }
  const done = exited(child);
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const code = await done;
  clearTimeout(timer);
  return code;
}

export interface BenchApp extends AppProcess {
  probe(reset?: boolean): Promise<ProbeReport>;
}

/**
 * Starts `node [--import bench/probe.ts, compiled] dist/server.js` (compiled first, see compileApp) in `cwd` with
 * `env` (its PORT is the port), output to `logFile`, through test/support/app-process.ts. Start-up is timed from
 * the spawn to the first 200 from /readyz, without the build.
 */
export async function startApp(opts: {
  env: NodeJS.ProcessEnv;
  cwd: string;
  logFile: string;
  probe: boolean;
  nodeArgs?: string[];
}): Promise<BenchApp> {
  await compileApp();
  const app = await startAppProcess({
    entry: 'dist',
    env: opts.env,
    port: Number(opts.env.PORT),
    ready: 'readyz',
    pollMs: 5,
    cwd: opts.cwd,
    logFile: opts.logFile,
    ipc: opts.probe,
    nodeArgs: [...(opts.nodeArgs ?? []), ...(opts.probe ? ['--import', pathToFileURL(PROBE).href] : [])],
  });
  const child = app.child;
  let nextId = 1;
  const pending = new Map<number, (report: ProbeReport) => void>();
  child.on('message', (message: ProbeReport) => {
    pending.get(message.id)?.(message);
    pending.delete(message.id);
  });
  return Object.assign(app, {
    probe(reset = false) {
      if (!opts.probe || !child.send) {
        return Promise.reject(new Error('the app was started without the probe'));
      }
      const id = nextId++;
      return new Promise<ProbeReport>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the probe did not answer')), 10_000);
        pending.set(id, (report) => {
          clearTimeout(timer);
          resolve(report);
        });
        child.send({ type: 'probe', id, reset } satisfies ProbeRequest);
      });
    },
  });
}

export interface CeilingProcess {
  url: string;
  stop(): Promise<number | null>;
}

export async function startCeiling(bodyFile: string, workers = 1): Promise<CeilingProcess> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(
    process.execPath,
    ['--import', TSX, path.join(ROOT, 'bench/ceiling.ts'), bodyFile, String(port), String(workers)],
    {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor200(`${url}/`, child, started, 30_000, 'The ceiling server');
  return { url, stop: () => stop(child) };
}

/**
 * Runs a TypeScript file of bench/ in its own process and parses the JSON line it prints. `onLine` sees its stderr
 * lines (the load generator announces the end of its warm-up there).
 */
export function runJsonChild<T>(file: string, arg: unknown, onLine?: (line: string) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, path.join(ROOT, file), JSON.stringify(arg)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      err += chunk;
      let newline: number;
      while ((newline = err.indexOf('\n')) >= 0) {
        const line = err.slice(0, newline);
        err = err.slice(newline + 1);
        if (onLine) {
          onLine(line);
        } else {
          process.stderr.write(`${line}\n`);
        }
      }
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) {
        reject(new Error(`${file} exited with ${code}: ${err.trim()}`));
        return;
      }
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as T);
      } catch (error) {
        reject(new Error(`${file} printed no result: ${String(error)}; ${err.trim()}`));
      }
    });
  });
}

/** Runs a command with inherited output (the seed script's progress shows through). */
export function runInherited(
  command: string,
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', process.stderr, 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${[command, ...args].join(' ')} exited with code ${code}`)),
    );
  });
}
