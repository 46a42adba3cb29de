// Start-up time and idle memory of the app: spawns `node <args>` in a scratch data folder (the working directory, as
// the benchmark does), polls /readyz, then reads VmRSS and VmHWM from /proc. The first start (which creates the
// database and the administrator) is not counted.
//
//   npx tsx bench/startup.ts [--runs 5] [--idle-ms 1000] [--env KEY=VALUE ...] -- <node arguments, e.g. --import tsx src/server.ts>
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, TSX, startAppProcess } from '../test/support/app-process.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    runs: { type: 'string', default: '5' },
    'idle-ms': { type: 'string', default: '1000' },
    env: { type: 'string', multiple: true, default: [] },
  },
});
if (positionals.length === 0) {
  console.error('Usage: npx tsx bench/startup.ts [--runs N] [--idle-ms MS] [--env K=V ...] -- <node arguments>');
  process.exit(2);
}
const dataDir = path.join(ROOT, 'bench/.scratch/startup');
mkdirSync(dataDir, { recursive: true });
const extraEnv = Object.fromEntries(
  values.env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
);

function status(pid: number): { rss: number; hwm: number; cpuMs: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? Number.NaN);
  // utime and stime (fields 14 and 15, in clock ticks of 10 ms): CPU time is steadier than wall time on a busy machine.
  const raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const stat = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
  const cpuMs = (Number(stat[11]) + Number(stat[12])) * 10;
  return { rss: kib('VmRSS') / 1024, hwm: kib('VmHWM') / 1024, cpuMs };
}

async function once(): Promise<{ ms: number; ready: ReturnType<typeof status>; idle: ReturnType<typeof status> }> {
  const app = await startAppProcess({
    args,
    cwd: dataDir,
    pollMs: 5,
    env: {
      NODE_ENV: 'development',
      SECRET_KEY: 'startup-measurement-secret-key-0123456789abcdef',
      PEPPER: 'startup-measurement-pepper-0123456789abcdefghij',
      DEFAULT_USER: 'admin@example.test',
      DEFAULT_PASSWORD: 'startup-measurement-password',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      // For runs under tsx: it looks for tsconfig.json from the working directory up.
      TSX_TSCONFIG_PATH: path.join(ROOT, 'tsconfig.json'),
      ...extraEnv,
    },
  });
  const ready = status(app.pid);
  await new Promise((resolve) => setTimeout(resolve, Number(values['idle-ms'])));
  const idle = status(app.pid);
  await app.stop();
  return { ms: app.startupMs, ready, idle };
}

// `tsx` and relative paths are resolved from the repository, since the app runs in the data folder.
const args = positionals.map((a) => (a === 'tsx' ? TSX : /^[\w.-]+\/.*\.[jt]sx?$/.test(a) ? path.join(ROOT, a) : a));
const f = (n: number) => n.toFixed(1);
await once();
const rows = [];
for (let i = 0; i < Number(values.runs); i++) {
  const r = await once();
  rows.push(r);
  console.log(
    `start-up ${Math.round(r.ms)} ms (CPU ${r.ready.cpuMs} ms); at ready RSS ${f(r.ready.rss)} MB; after ${values['idle-ms']} ms idle RSS ${f(r.idle.rss)} MB, peak (VmHWM) ${f(r.idle.hwm)} MB`,
  );
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
console.log(
  `median of ${rows.length}: start-up ${Math.round(median(rows.map((r) => r.ms)))} ms (CPU ${median(rows.map((r) => r.ready.cpuMs))} ms), idle RSS ${f(median(rows.map((r) => r.idle.rss)))} MB, VmHWM ${f(median(rows.map((r) => r.idle.hwm)))} MB`,
);
