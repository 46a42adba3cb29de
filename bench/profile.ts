// Where the app spends its CPU on one request: starts the app on an existing benchmark dataset with --cpu-prof,
// drives one URL with autocannon, and prints the functions and files with the most self time.
//   npx tsx bench/profile.ts [--db sqlite] [--tickets 100000] [--path /tickets] [--as admin|client|anonymous]
//                            [--duration 10] [--connections 50]
// The .cpuprofile is kept in the dataset's folder (open it in Chrome DevTools for the full picture).
import { readdirSync, readFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BENCH_PASSWORD, BENCH_TOTP_SECRET, cleanUp, connectTo, findUsers, prepareDataset } from './lib/dataset.ts';
import { Browser } from './lib/http.ts';
import { ROOT, freePort } from '../test/support/app-process.ts';
import { runJsonChild, startApp } from './lib/processes.ts';
import type { LoadResult, LoadSpec } from './load.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { values } = parseArgs({
  options: {
    db: { type: 'string', default: 'sqlite' },
    tickets: { type: 'string', default: '100000' },
    path: { type: 'string', default: '/tickets' },
    as: { type: 'string', default: 'admin' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    top: { type: 'string', default: '30' },
  },
});
const db = values.db === 'postgres' ? 'postgres' : 'sqlite';
const dataset = await prepareDataset({ db, tickets: Number(values.tickets), messagesPerTicket: 5, reuse: true });
const conn = connectTo(dataset);
const users = await findUsers(conn);
await cleanUp(conn, []);
await conn.close();

const profileDir = path.join(dataset.dataDir, 'profiles', new Date().toISOString().replace(/[:.]/g, '-'));
mkdirSync(profileDir, { recursive: true });
const app = await startApp({
  env: { ...dataset.env, HOST: '127.0.0.1', PORT: String(await freePort()), LOGIN_MAX_ATTEMPTS: '1000' },
  cwd: dataset.dataDir,
  logFile: path.join(dataset.dataDir, 'app.log'),
  probe: false,
  nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profileDir],
});
let result: LoadResult;
try {
  const headers: Record<string, string> = {};
  if (values.as !== 'anonymous') {
    const browser = new Browser(app.url);
    await browser.signIn(
      values.as === 'client' ? users.client.email : (users.admins[0]?.email ?? ''),
      BENCH_PASSWORD,
      BENCH_TOTP_SECRET,
    );
    headers.cookie = browser.cookieHeader(['parapet_session']);
  }
  const spec: LoadSpec = {
    url: app.url,
    path: values.path,
    headers,
    connections: Number(values.connections),
    duration: Number(values.duration),
    warmup: 2,
  };
  result = await runJsonChild<LoadResult>('bench/load.ts', spec, () => {});
} finally {
  await app.stop();
}
console.log(
  `${values.path} as ${values.as}: ${result.rps} req/s, p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, statuses ${JSON.stringify(result.statusCodes)}`,
);

const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
if (!file) {
  throw new Error(`no profile in ${profileDir}`);
}
const profile = JSON.parse(readFileSync(path.join(profileDir, file), 'utf8')) as CpuProfile;
const self = new Map<number, number>();
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...self.values()].reduce((a, b) => a + b, 0);
const byFunction = new Map<string, number>();
const byFile = new Map<string, number>();
for (const node of profile.nodes) {
  const t = self.get(node.id) ?? 0;
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url.replace(/^file:\/\//, '').replace(`${ROOT}/`, '');
  const fileKey =
    where === ''
      ? `(${functionName || 'native'})`
      : where.replace(/^node_modules\/((@[^/]+\/)?[^/]+)\/.*/, 'node_modules/$1');
  byFunction.set(
    `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`,
    (byFunction.get(`${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`) ?? 0) + t,
  );
  byFile.set(fileKey, (byFile.get(fileKey) ?? 0) + t);
}
const show = (title: string, map: Map<string, number>) => {
  console.log(`\n${title}`);
  for (const [name, t] of [...map].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) {
    console.log(`  ${((t / total) * 100).toFixed(1).padStart(5)}%  ${name}`);
  }
};
show('Self time by function', byFunction);
show('Self time by file or package', byFile);
console.log(`\nProfile: ${path.relative(ROOT, path.join(profileDir, file))}`);
