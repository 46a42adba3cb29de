import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, which } from '../lib/proc.ts';
import { formatSeconds, type ToolResult } from '../lib/report.ts';
import type { ScanTarget } from '../lib/target.ts';
import type { HttpClient } from '../lib/http.ts';

/**
 * The modules asked for, by their names in Debian's wapiti 3.0.4 (`wapiti --list-modules`): all fourteen exist
 * under these names there, blindsql included (newer wapiti renamed it timesql).
 */
export const WAPITI_MODULES = [
  'sql',
  'blindsql',
  'xss',
  'permanentxss',
  'exec',
  'file',
  'crlf',
  'redirect',
  'csrf',
  'csp',
  'cookieflags',
  'http_headers',
  'methods',
  'backup',
];

/**
 * Findings that are not vulnerabilities of this app, each with the reason. Matched on category and the exact
 * text wapiti reports; anything else fails the scan.
 */
export const WAPITI_ALLOWLIST: Array<{ category: string; info: RegExp; why: string }> = [
  {
    category: 'HTTP Secure Headers',
    info: /^X-XSS-Protection is not set$/,
    why:
      "X-XSS-Protection drove the XSS auditor that every browser has removed; OWASP's Secure Headers project and MDN " +
      'advise not sending it (or sending 0), since the auditor itself leaked data. The CSP (no unsafe-inline) is the control.',
  },
];

interface Run {
  name: string;
  what: string;
  http: HttpClient;
  /** wapiti -x patterns (full URLs, `*` wildcards), each with the reason. */
  exclude: Array<{ pattern: string; why: string }>;
  alive: () => Promise<boolean>;
}

interface WapitiEntry {
  method?: string;
  path?: string;
  info?: string;
  level?: number;
  parameter?: string;
  http_request?: string;
}
interface WapitiReport {
  vulnerabilities?: Record<string, WapitiEntry[]>;
  anomalies?: Record<string, WapitiEntry[]>;
  additionals?: Record<string, WapitiEntry[]>;
}

const LAUNCHER = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'wapiti-launcher.py');
/** Wall-clock cap per run; wapiti's own limits are per phase (crawl) and per module. */
const RUN_TIMEOUT_MS = 420_000;

/** Wapiti's python: the interpreter its own /usr/bin/wapiti script names (Debian's, with wapitiCore). */
function wapitiPython(wapiti: string): string {
  const shebang = /^#!\s*(\S+)/.exec(readFileSync(wapiti, 'utf8').split('\n')[0] ?? '')?.[1];
  return shebang && existsSync(shebang) ? shebang : '/usr/bin/python3';
}

/** The JSON cookie file wapiti's -c reads (wapitiCore/net/jsoncookie.py: domain → path → name → attributes). */
function cookieFile(file: string, http: HttpClient): void {
  const cookies: Record<string, { value: string; expires: null; secure: boolean; port: null; version: number }> = {};
  for (const [name, value] of http.cookies) {
    cookies[name] = { value, expires: null, secure: true, port: null, version: 0 };
  }
  writeFileSync(file, JSON.stringify({ '127.0.0.1': { '/': cookies } }, null, 2));
}

export function parseWapiti(report: WapitiReport): {
  findings: string[];
  allowed: string[];
  anomalies: string[];
  otherAnomalies: string[];
} {
  const findings: string[] = [];
  const allowed: string[] = [];
  for (const [category, entries] of Object.entries(report.vulnerabilities ?? {})) {
    for (const e of entries) {
      const line = `[${category}] ${e.method ?? ''} ${e.path ?? ''}${e.parameter ? ` parameter ${e.parameter}` : ''}: ${e.info ?? ''}`;
      const rule = WAPITI_ALLOWLIST.find((a) => a.category === category && a.info.test(e.info ?? ''));
      if (rule) {
        allowed.push(`${line} — allowed: ${rule.why}`);
      } else {
        findings.push(`${line}\n        ${(e.http_request ?? '').split('\n').slice(0, 12).join('\n        ')}`);
      }
    }
  }
  const anomalies: string[] = [];
  const otherAnomalies: string[] = [];
  for (const [category, entries] of Object.entries(report.anomalies ?? {})) {
    for (const e of entries) {
      const line = `[${category}] ${e.method ?? ''} ${e.path ?? ''}${e.parameter ? ` parameter ${e.parameter}` : ''}: ${e.info ?? ''}`;
      (/internal server error|500/i.test(`${category} ${e.info ?? ''}`) ? anomalies : otherAnomalies).push(line);
    }
  }
  return { findings, allowed, anomalies, otherAnomalies };
}

export async function runWapiti(target: ScanTarget, reportDir: string): Promise<Omit<ToolResult, 'tool' | 'seconds'>> {
  const wapiti = which('wapiti');
  if (!wapiti) {
    return { verdict: 'FAIL', summary: 'wapiti is not installed (scripts/security-scan/install.sh)', details: [] };
  }
  const python = wapitiPython(wapiti);
  const base = target.baseUrl;
  const details: string[] = [
    `modules: ${WAPITI_MODULES.join(', ')} (Debian wapiti 3.0.4, run through scripts/security-scan/wapiti-launcher.py)`,
  ];
  const failures: string[] = [];
  let vulnCount = 0;
  let allowedCount = 0;

  // Two runs, each with its own session: an administrator's (every page, admin forms included), then a client's
  // (what an outside attacker with an account reaches: new ticket, reply, ticket list, account pages). A signed-in
  // crawler submits every form it finds with a valid CSRF token, as a browser could, so the administrator's run
  // avoids the few forms that would end its own session or delete what the attacks need, and goes first: its crawl
  // disables users, and the client run's hundreds of tickets would otherwise multiply its crawl. The client's
  // account is made after it, so the administrator's crawl never touches it.
  const plan: Array<() => Promise<Run>> = [
    async () => {
      const admin = await target.signedIn('administrator', 'wapiti.admin');
      const self = `${base}/admin/users/${admin.user.id}`;
      return {
        name: 'administrator',
        what: 'signed in as an administrator, every user and ticket visible',
        http: admin.http,
        exclude: [
          { pattern: `${base}/logout`, why: "signing out would end the scan's session" },
          { pattern: self, why: "the scanning administrator's own account: editing it could demote it" },
          { pattern: `${self}/*`, why: 'its own "end sessions" and "reset 2FA" buttons end the scan\'s session' },
          {
            pattern: `${base}/tickets/*/delete`,
            why: 'deleting the seeded ticket would leave the attack modules nothing to attack',
          },
          {
            pattern: `${base}/admin/users/*/delete`,
            why: 'deleting a user (with "delete their tickets") removes the seeded ticket too',
          },
        ],
        alive: async () => (await admin.http.get('/admin/users')).status === 200,
      };
    },
    async () => {
      const client = await target.signedIn('client', 'wapiti.client');
      await client.http.get('/tickets/new');
      const opened = await client.http.postForm('/tickets', {
        subject: 'Invoice question',
        message: 'The last invoice shows the wrong address.',
        priority: 'normal',
      });
      if (opened.status !== 303) {
        throw new Error(`the client run's ticket could not be opened: ${opened.status}`);
      }
      return {
        name: 'client',
        what: 'signed in as a client with one ticket',
        http: client.http,
        exclude: [{ pattern: `${base}/logout`, why: "signing out would end the scan's session" }],
        alive: async () => (await client.http.get('/tickets')).status === 200,
      };
    },
  ];

  for (const make of plan) {
    const r = await make();
    const dir = path.join(target.dir, `wapiti-${r.name}`);
    const configDir = path.join(dir, 'config');
    mkdirSync(configDir, { recursive: true });
    // Its wapp module (not run) downloads a technology database when this file is missing: no outside requests.
    writeFileSync(path.join(configDir, 'apps.json'), '{}');
    const cookies = path.join(dir, 'cookies.json');
    cookieFile(cookies, r.http);
    const reportFile = path.join(reportDir, `wapiti-${r.name}.json`);
    const errorsBefore = target.serverErrors.length;
    const args = [
      LAUNCHER,
      '-u',
      `${base}/`,
      '--scope',
      'folder',
      '-c',
      cookies,
      ...r.exclude.flatMap((x) => ['-x', x.pattern]),
      '-m',
      WAPITI_MODULES.join(','),
      // wapiti 3.0.4 applies --max-scan-time to the crawl only and --max-attack-time to each module. 30 s per module
      // keeps the whole CI run within its budget; blindsql and permanentxss reach it (reported as WARN below).
      '--max-scan-time',
      '60',
      '--max-attack-time',
      '30',
      '-t',
      '15',
      '-f',
      'json',
      '-o',
      reportFile,
      '--store-session',
      path.join(dir, 'session'),
      '--store-config',
      configDir,
      '--flush-session',
      '--no-bugreport',
      '-v',
      '1',
    ];
    const res = await run(python, args, {
      logFile: path.join(reportDir, `wapiti-${r.name}.log`),
      timeoutMs: RUN_TIMEOUT_MS,
    });
    const found = Number(/Wapiti found (\d+) URLs and forms/.exec(res.output)?.[1] ?? 0);
    details.push(
      `${r.name} run (${r.what}): ${formatSeconds(res.seconds)}, ${found} URLs and forms crawled; excluded: ${r.exclude.map((x) => x.pattern.replace(base, '')).join(', ')}`,
    );
    for (const x of r.exclude) {
      details.push(`    -x ${x.pattern.replace(base, '')}: ${x.why}`);
    }
    const problems: string[] = [];
    if (res.timedOut) {
      problems.push(`did not finish within ${RUN_TIMEOUT_MS / 1000}s`);
    }
    if (!existsSync(reportFile)) {
      problems.push(`no JSON report was written (see ${path.join(reportDir, `wapiti-${r.name}.log`)})`);
    } else {
      const parsed = parseWapiti(JSON.parse(readFileSync(reportFile, 'utf8')) as WapitiReport);
      vulnCount += parsed.findings.length;
      allowedCount += parsed.allowed.length;
      for (const f of parsed.findings) {
        problems.push(`VULNERABILITY ${f}`);
      }
      for (const a of parsed.anomalies) {
        problems.push(`ANOMALY ${a}`);
      }
      for (const a of parsed.allowed) {
        details.push(`  allowlisted ${a}`);
      }
      for (const a of parsed.otherAnomalies) {
        details.push(`  WARN anomaly (not a 500; reported, not failed): ${a}`);
      }
    }
    if (found < 10) {
      problems.push(`only ${found} URLs and forms crawled: the signed-in session did not work`);
    }
    for (const stopped of res.output.matchAll(/Max (?:scan|attack) time was reached.*/g)) {
      details.push(`  WARN ${stopped[0]}`);
    }
    const skipped = /(\d+) requests were skipped due to network issues/.exec(res.output);
    if (skipped) {
      // mod_backup builds candidates with url.replace(file_name, payload): for /tickets/1 it also rewrites every "1"
      // in "127.0.0.1", and requests refuses the result as an invalid URL. Only numeric paths are affected.
      details.push(
        `  note: wapiti skipped ${skipped[1]} requests (its backup module rewrites the digits of 127.0.0.1 when a path ends in a number, e.g. /tickets/1, and the URL is then invalid)`,
      );
    }
    const serverSide = target.serverErrors.slice(errorsBefore);
    for (const e of serverSide.slice(0, 10)) {
      problems.push(`server error ${e.status} on ${e.method} ${e.url}`);
    }
    if (!(await r.alive())) {
      problems.push('the session was signed out during the run, so later modules scanned as an anonymous visitor');
    }
    for (const p of problems) {
      details.push(`  FAIL ${r.name}: ${p}`);
      failures.push(p);
    }
  }
  details.push(`reports: ${reportDir}/wapiti-*.json, logs: ${reportDir}/wapiti-*.log`);
  return {
    verdict: failures.length > 0 ? 'FAIL' : 'PASS',
    summary: `${vulnCount} vulnerabilit${vulnCount === 1 ? 'y' : 'ies'}, ${allowedCount} allowlisted${failures.length > vulnCount ? `, ${failures.length - vulnCount} other problem(s)` : ''}`,
    details,
  };
}
