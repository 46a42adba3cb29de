import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';

export interface RunResult {
  /** Exit code; none of the scanners signals its findings through it, so callers parse reports instead. */
  code: number | null;
  timedOut: boolean;
  seconds: number;
  /** stdout and stderr together, as written to the log file. */
  output: string;
}

/** Whether a program is on PATH (`command -v`). Returns its path or null. */
export function which(program: string): string | null {
  const res = spawnSync('sh', ['-c', `command -v "$1"`, 'sh', program], { encoding: 'utf8' });
  const found = res.stdout.trim();
  return res.status === 0 && found ? found : null;
}

/**
 * Runs a scanner, writing its output to `logFile` as it goes (so a hung run can be inspected) and killing its
 * process group after `timeoutMs`. Never rejects on a non-zero exit.
 */
export function run(
  command: string,
  args: string[],
  opts: { logFile: string; timeoutMs: number; cwd?: string; env?: NodeJS.ProcessEnv },
): Promise<RunResult> {
  const started = performance.now();
  const log = createWriteStream(opts.logFile);
  log.write(
    `$ ${[command, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ')}\n\n`,
  );
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const chunks: Buffer[] = [];
    const collect = (c: Buffer) => {
      chunks.push(c);
      log.write(c);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        // The scanners start helpers (testssl runs openssl); end the whole group this run started.
        process.kill(-(child.pid ?? 0), 'SIGTERM');
      } catch {
        child.kill('SIGTERM');
      }
    }, opts.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      log.end();
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const output = Buffer.concat(chunks).toString('utf8');
      log.end(() => resolve({ code, timedOut, seconds: (performance.now() - started) / 1000, output }));
    });
  });
}
