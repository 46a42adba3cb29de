import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { run, which } from '../lib/proc.ts';
import { formatSeconds, type ToolResult } from '../lib/report.ts';
import type { ScanTarget } from '../lib/target.ts';

/**
 * Level 3 / risk 2 is the lowest setting that includes sqlmap's SQLite time-based and stacked-query tests (its
 * SQLite payloads start at level 3); risk 3 would add OR-based payloads, which only multiply requests here.
 * `--dbms=SQLite` because the scanned app runs on SQLite: without it sqlmap also sends every MySQL, PostgreSQL,
 * MSSQL and Oracle payload and the login form alone takes over five minutes (argon2 on every request).
 * `--time-sec=2`: the heavy-query delay sqlmap aims for; its statistical model then confirms any delay it sees.
 */
const COMMON = [
  '--batch',
  '--level=3',
  '--risk=2',
  '--dbms=SQLite',
  '--time-sec=2',
  '--timeout=20',
  '--retries=1',
  '--disable-coloring',
  '--flush-session',
];
const JOB_TIMEOUT_MS = 240_000;

interface Job {
  name: string;
  what: string;
  params: string[];
  args: string[];
  /** A signed-in client whose session must survive the run (otherwise sqlmap was testing the login redirect). */
  session?: { check(): Promise<boolean> };
}

export interface SqlmapParse {
  injectable: string[];
  clean: string[];
  untested: string[];
  serverErrors: string[];
  critical: string[];
  lostSession: boolean;
}

/** Reads sqlmap's console output, its per-target `log` and its results CSV; never its exit code. */
export function parseSqlmap(output: string, outDir: string, params: string[]): SqlmapParse {
  const injectable = new Set<string>();
  // Printed only for confirmed injection points (after sqlmap's own false-positive check); "appears to be
  // injectable" lines before that check are not findings.
  for (const m of output.matchAll(/^Parameter: (\S+) \(([^)]+\)?)\)$/gm)) {
    injectable.add(`${m[2]} ${m[1]}`);
  }
  for (const m of output.matchAll(/(\w+(?: \w+)?) parameter '([^']+)' is vulnerable/g)) {
    injectable.add(`${m[1]} ${m[2]}`);
  }
  const host = path.join(outDir, '127.0.0.1', 'log');
  if (existsSync(host)) {
    for (const m of readFileSync(host, 'utf8').matchAll(/^Parameter: (\S+) \(([^)]+\)?)\)$/gm)) {
      injectable.add(`${m[2]} ${m[1]}`);
    }
  }
  for (const file of existsSync(outDir)
    ? readdirSync(outDir).filter((f) => f.startsWith('results-') && f.endsWith('.csv'))
    : []) {
    const rows = readFileSync(path.join(outDir, file), 'utf8')
      .split('\n')
      .slice(1)
      .filter((l) => l.trim() !== '');
    for (const row of rows) {
      const [, place, parameter] = row.split(',');
      injectable.add(`${place ?? '?'} ${parameter ?? row}`);
    }
  }
  const clean = [...output.matchAll(/parameter '([^']+)' does not seem to be injectable/g)].map((m) => m[1] ?? '');
  const mentioned = new Set([...clean, ...[...injectable].map((i) => i.split(' ').pop() ?? '')]);
  const serverErrors = [...output.matchAll(/\b(5\d\d) \(([^)]+)\) - (\d+) times/g)].map(
    (m) => `${m[1]} ${m[2]}: ${m[3]} times`,
  );
  const critical = [...output.matchAll(/\[CRITICAL\] (.+)/g)].map((m) => m[1] ?? '');
  const lostSession = /redirect to '[^']*\/login[?']/.test(output);
  return {
    injectable: [...injectable],
    clean: [...new Set(clean)],
    untested: params.filter((p) => !mentioned.has(p)),
    serverErrors,
    critical,
    lostSession,
  };
}

export async function runSqlmap(target: ScanTarget, reportDir: string): Promise<Omit<ToolResult, 'tool' | 'seconds'>> {
  if (!which('sqlmap')) {
    return { verdict: 'FAIL', summary: 'sqlmap is not installed (scripts/security-scan/install.sh)', details: [] };
  }
  const base = target.baseUrl;
  const ticket = `${base}/tickets/${target.ticketId}`;
  // The tickets list as staff: the staff view has every filter (assignee, priority, category) besides q and status.
  const staff = await target.signedIn('administrator', 'sqlmap.admin');
  const owner = target.owner;
  const jobs: Job[] = [
    {
      name: 'login',
      what: 'POST /login (anonymous; CSRF token and cookie from GET /login)',
      params: ['email', 'password'],
      args: [
        '-u',
        `${base}/login`,
        '--data',
        '_csrf=x&email=probe%40example.test&password=not+the+password',
        '--csrf-token=_csrf',
        `--csrf-url=${base}/login`,
        // Every wrong password is a 401 by design; sqlmap stops at the first 401 unless told it is expected.
        '--ignore-code=401',
        '-p',
        'email,password',
      ],
    },
    {
      name: 'ticket-list',
      what: 'GET /tickets search and filters (signed in as an administrator)',
      params: ['q', 'status', 'priority', 'category', 'assignee', 'page'],
      args: [
        '-u',
        `${base}/tickets?q=printer&status=all&priority=normal&category=Technical+problem&assignee=me&page=1`,
        `--cookie=${staff.http.cookieHeader()}`,
        '-p',
        'q,status,priority,category,assignee,page',
      ],
      session: { check: async () => (await staff.http.get('/tickets')).status === 200 },
    },
    {
      name: 'reply',
      what: `POST /tickets/${target.ticketId}/messages reply form (signed in as the ticket's client; CSRF token from the ticket page)`,
      params: ['message', 'internal'],
      args: [
        '-u',
        `${ticket}/messages`,
        // The browser sends this form as multipart (it has a file input); the route takes urlencoded bodies too,
        // into the same request.body and handler, and sqlmap's --csrf-token only rewrites urlencoded bodies.
        '--data',
        '_csrf=x&message=Any+news%3F&internal=0',
        `--cookie=${owner.http.cookieHeader()}`,
        '--csrf-token=_csrf',
        `--csrf-url=${ticket}`,
        // A saved reply is a 303 to the ticket page, which grows with every reply sqlmap saves: comparing those
        // pages makes boolean tests see differences that are not there. The 303 itself is stable.
        '--answers=follow=N',
        '-p',
        'message,internal',
      ],
      session: { check: async () => (await owner.http.get(`/tickets/${target.ticketId}`)).status === 200 },
    },
  ];

  const details: string[] = [];
  const failures: string[] = [];
  let injectableCount = 0;
  for (const job of jobs) {
    const outDir = path.join(reportDir, `sqlmap-${job.name}`);
    mkdirSync(outDir, { recursive: true });
    target.bypassLoginPause = job.name === 'login';
    const errorsBefore = target.serverErrors.length;
    const res = await run('sqlmap', [...job.args, ...COMMON, `--output-dir=${outDir}`], {
      logFile: path.join(reportDir, `sqlmap-${job.name}.log`),
      timeoutMs: JOB_TIMEOUT_MS,
    });
    target.bypassLoginPause = false;
    const parsed = parseSqlmap(res.output, outDir, job.params);
    const requests = /HTTP error codes detected during run:\n(.+)/.exec(res.output)?.[1] ?? '';
    details.push(
      `${job.name}: ${job.what} — ${formatSeconds(res.seconds)}; tested ${parsed.clean.length + parsed.injectable.length}/${job.params.length} parameters${requests ? `; status codes seen: ${requests}` : ''}`,
    );
    const problems: string[] = [];
    if (res.timedOut) {
      problems.push(`did not finish within ${JOB_TIMEOUT_MS / 1000}s`);
    }
    if (parsed.injectable.length > 0) {
      injectableCount += parsed.injectable.length;
      problems.push(`INJECTABLE: ${parsed.injectable.join(', ')} (see ${path.join(outDir, '127.0.0.1', 'log')})`);
    }
    if (parsed.untested.length > 0) {
      problems.push(`parameters sqlmap never reported on: ${parsed.untested.join(', ')}`);
    }
    if (parsed.critical.length > 0) {
      problems.push(`sqlmap stopped: ${parsed.critical.join(' / ')}`);
    }
    if (parsed.serverErrors.length > 0) {
      problems.push(`server errors: ${parsed.serverErrors.join(', ')}`);
    }
    const serverSide = target.serverErrors.slice(errorsBefore);
    if (serverSide.length > 0 && parsed.serverErrors.length === 0) {
      problems.push(
        `server errors: ${serverSide
          .map((e) => `${e.status} ${e.method} ${e.url}`)
          .slice(0, 5)
          .join(', ')}`,
      );
    }
    if (job.session && (parsed.lostSession || !(await job.session.check()))) {
      problems.push('the session was signed out during the run, so the results are not those of a signed-in user');
    }
    for (const p of problems) {
      details.push(`  FAIL ${job.name}: ${p}`);
      failures.push(`${job.name}: ${p}`);
    }
    if (problems.length === 0) {
      details.push(`  ok: ${parsed.clean.join(', ')} do not seem injectable`);
    }
  }
  details.push(`logs and sqlmap output folders: ${reportDir}/sqlmap-*`);
  return {
    verdict: failures.length > 0 ? 'FAIL' : 'PASS',
    summary:
      injectableCount > 0
        ? `${injectableCount} injectable parameter(s)`
        : failures.length > 0
          ? `${failures.length} problem(s)`
          : `0 injectable of ${jobs.reduce((n, j) => n + j.params.length, 0)} parameters`,
    details,
  };
}
