// npm run test:scan — the independent scanners against the real app (issue "A security suite … with independent
// scanners", items 4 and 5). Starts Parapet as production runs it (NODE_ENV=production, TLS served directly with a
// throwaway self-signed certificate) on 127.0.0.1, a free port and a fresh temporary SQLite database; signs users in
// through the real forms (password, then TOTP); seeds a ticket with a message, a reply and an attachment; then runs
// csp_evaluator, sqlmap, wapiti, testssl.sh and npm audit. None of them reports findings through its exit code:
// each report is parsed. Exits 1 if any tool FAILs. Reports and logs: test-results/security-scan/.
//
// Scanners: scripts/security-scan/install.sh installs sqlmap, wapiti and testssl.sh from Debian.
// Only 127.0.0.1 is scanned; nothing here reaches the internet except npm audit (the npm registry).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { which } from './lib/proc.ts';
import { formatSeconds, table, timed, type ToolResult } from './lib/report.ts';
import { startTarget } from './lib/target.ts';
import { runCspEvaluator } from './tools/csp.ts';
import { runNpmAudit } from './tools/npm-audit.ts';
import { runSqlmap } from './tools/sqlmap.ts';
import { runTestssl } from './tools/testssl.ts';
import { runWapiti } from './tools/wapiti.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const REPORT_DIR = path.join(ROOT, 'test-results', 'security-scan');

async function main(): Promise<number> {
  const started = performance.now();
  rmSync(REPORT_DIR, { recursive: true, force: true });
  mkdirSync(REPORT_DIR, { recursive: true });

  console.log('--- install check (command -v)');
  for (const program of ['sqlmap', 'wapiti', 'testssl', 'openssl']) {
    console.log(
      `    ${program.padEnd(8)} ${which(program) ?? (program === 'testssl' ? (which('testssl.sh') ?? 'MISSING') : 'MISSING')}`,
    );
  }
  if (!which('openssl')) {
    console.error('openssl is needed for the throwaway certificate: run scripts/security-scan/install.sh');
    return 1;
  }

  console.log('--- starting the app (NODE_ENV=production, TLS, fresh SQLite) and seeding');
  const setupStarted = performance.now();
  const target = await startTarget();
  console.log(
    `    ${target.baseUrl} ready in ${formatSeconds((performance.now() - setupStarted) / 1000)}; ticket #${target.ticketId} with attachment ${target.attachmentId}`,
  );

  const results: ToolResult[] = [];
  try {
    // Order matters: read-only checks first; wapiti last of the HTTP scanners, because its signed-in crawler
    // submits the forms it finds (as a browser with a valid session could), disabling users among other things.
    // testssl runs alongside wapiti: it only makes TLS handshakes and a few GETs of "/", and it is the slowest
    // part that does not depend on timing (sqlmap's time-based tests do, so nothing runs beside sqlmap).
    results.push(await timed('csp_evaluator', () => runCspEvaluator(target, REPORT_DIR)));
    results.push(await timed('sqlmap', () => runSqlmap(target, REPORT_DIR)));
    // .ci/run starts the browser tests (their own app) when this file appears, beside wapiti, whose modules are
    // capped in time, rather than beside sqlmap, whose time-based tests slowed to nearly three times as long.
    writeFileSync(path.join(REPORT_DIR, 'sqlmap.done'), '');
    const [wapiti, testssl] = await Promise.all([
      timed('wapiti', () => runWapiti(target, REPORT_DIR)),
      timed('testssl.sh', () => runTestssl(target, REPORT_DIR)),
    ]);
    results.push(wapiti, testssl);
    results.push(await timed('npm audit', () => runNpmAudit(REPORT_DIR)));
  } finally {
    await target.close();
  }

  const total = (performance.now() - started) / 1000;
  console.log(
    `\n--- security scan summary (${formatSeconds(total)} in all; reports in ${path.relative(ROOT, REPORT_DIR)}/)\n`,
  );
  console.log(
    table(
      ['tool', 'findings', 'verdict', 'time'],
      results.map((r) => [r.tool, r.summary, r.verdict, formatSeconds(r.seconds)]),
    ),
  );
  const failed = results.filter((r) => r.verdict === 'FAIL');
  const notRun = results.filter((r) => r.verdict === 'NOT RUN');
  if (notRun.length > 0) {
    console.log(
      `\nNOT RUN (does not fail the build, but nothing was checked): ${notRun.map((r) => r.tool).join(', ')}`,
    );
  }
  console.log(failed.length > 0 ? `\nFAILED: ${failed.map((r) => r.tool).join(', ')}` : '\nNo tool failed.');
  return failed.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('security scan could not run:', error);
    process.exit(1);
  },
);
