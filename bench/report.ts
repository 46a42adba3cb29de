// Markdown tables from one or more results files of bench/run.ts, side by side (for bench/PERFORMANCE.md).
//   npx tsx bench/report.ts bench/results-sqlite-100000.json bench/results-sqlite-1000000.json …
import { readFileSync } from 'node:fs';

interface Scenario {
  id: string;
  name: string;
  rps: number;
  ratioToCeiling: number | null;
  p50Ms: number;
  p99Ms: number;
  failures: number;
  app?: { cpuPercent: number; eventLoopDelayP99Ms: number; peakRssMb: number };
}
interface Results {
  settings: { db: string; tickets: number; workers?: number };
  loadAverage: { start: number[]; end: number[] };
  scenarios: Scenario[];
  loginSaturation: {
    login: Scenario;
    list: Scenario;
    eventLoopDelayMs: { p50: number; p99: number; max: number };
  } | null;
  argon2: { perSecond: number; concurrency: number; meanMs: number } | null;
  startupMs: { median: number; samples: number[] };
  peakRssMb: number;
  replies: { acknowledged: number; found: number; missing: number } | null;
  dataset: { seeded: boolean; seedSeconds: number | null };
  totalSeconds: number;
}

const files = process.argv.slice(2);
const runs = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as Results);
const label = (r: Results) =>
  `${r.settings.db === 'sqlite' ? 'SQLite' : 'PostgreSQL'} ${r.settings.tickets >= 1e6 ? `${r.settings.tickets / 1e6}M` : `${r.settings.tickets / 1e3}k`}${(r.settings.workers ?? 1) > 1 ? `, ${r.settings.workers} workers` : ''}`;
const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

const names = new Map<string, string>();
for (const r of runs) {
  for (const s of [...r.scenarios, ...(r.loginSaturation ? [r.loginSaturation.login, r.loginSaturation.list] : [])]) {
    names.set(s.id, s.name.replace(/client \([\d,]+ tickets\)/, 'client'));
  }
}
const find = (r: Results, id: string) =>
  [...r.scenarios, ...(r.loginSaturation ? [r.loginSaturation.login, r.loginSaturation.list] : [])].find(
    (s) => s.id === id,
  );

const out: string[] = [];
out.push(`| Scenario | ${runs.map((r) => `${label(r)}: req/s (vs ceiling) · p50 / p99 ms · errors`).join(' | ')} |`);
out.push(`| --- | ${runs.map(() => '---').join(' | ')} |`);
for (const [id, name] of names) {
  const cells = runs.map((r) => {
    const s = find(r, id);
    if (!s) {
      return '';
    }
    const ratio = s.ratioToCeiling === null || id === 'ceiling' ? '' : ` (${fmt(s.ratioToCeiling * 100, 1)}%)`;
    return `${fmt(s.rps)}${ratio} · ${fmt(s.p50Ms, 1)} / ${fmt(s.p99Ms, 1)} · ${s.failures}`;
  });
  out.push(`| ${name.replace(/\|/g, '\\|')} | ${cells.join(' | ')} |`);
}
out.push('');
out.push(`| | ${runs.map(label).join(' | ')} |`);
out.push(`| --- | ${runs.map(() => '---').join(' | ')} |`);
const row = (title: string, cell: (r: Results) => string) => out.push(`| ${title} | ${runs.map(cell).join(' | ')} |`);
row('argon2id alone (verifications/s, 4 at once)', (r) =>
  r.argon2 ? `${fmt(r.argon2.perSecond, 1)} (${fmt(r.argon2.meanMs, 1)} ms each)` : '',
);
row('Login throughput vs argon2id alone', (r) => {
  const login = find(r, 'login');
  return login && r.argon2 ? `${fmt((login.rps / r.argon2.perSecond) * 100)}%` : '';
});
row('Event-loop delay p99 while logins saturate', (r) =>
  r.loginSaturation ? `${fmt(r.loginSaturation.eventLoopDelayMs.p99, 1)} ms` : '',
);
row('Ticket list p99 while logins saturate', (r) =>
  r.loginSaturation ? `${fmt(r.loginSaturation.list.p99Ms, 1)} ms` : '',
);
row('Peak RSS of the app', (r) => `${fmt(r.peakRssMb)} MB`);
row('Start-up to /readyz (median of 3)', (r) => `${fmt(r.startupMs.median)} ms (${r.startupMs.samples.join(', ')})`);
row('Replies acknowledged / found in the database', (r) =>
  r.replies ? `${fmt(r.replies.acknowledged)} / ${fmt(r.replies.found)}` : '',
);
row('Load average (1 min) at start → end', (r) => `${r.loadAverage.start[0]} → ${r.loadAverage.end[0]}`);
row(
  'Whole run (seeding included)',
  (r) => `${fmt(r.totalSeconds)} s${r.dataset.seeded ? ` (seeding ${r.dataset.seedSeconds} s)` : ' (dataset reused)'}`,
);
console.log(out.join('\n'));
