import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../lib/proc.ts';
import type { ToolResult } from '../lib/report.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

interface AuditReport {
  metadata?: { vulnerabilities?: Record<string, number>; dependencies?: Record<string, number> | number };
  vulnerabilities?: Record<
    string,
    {
      severity: string;
      via: Array<string | { title?: string; url?: string; source?: number }>;
      range?: string;
      fixAvailable?: unknown;
    }
  >;
  error?: { code?: string; summary?: string; detail?: string };
  message?: string;
  statusCode?: number;
}

/**
 * `npm audit --omit=dev --json`: production dependencies only. High or critical fails. When the audit request itself
 * fails (offline, or a registry mirror without the advisories endpoint), the step is NOT RUN: reported loudly, and
 * it does not fail the build, since it says nothing about the code.
 */
export async function runNpmAudit(reportDir: string): Promise<Omit<ToolResult, 'tool' | 'seconds'>> {
  const res = await run('npm', ['audit', '--omit=dev', '--json'], {
    cwd: ROOT,
    logFile: path.join(reportDir, 'npm-audit.log'),
    timeoutMs: 120_000,
  });
  const start = res.output.indexOf('{');
  const end = res.output.lastIndexOf('}');
  let report: AuditReport | null;
  try {
    report = start >= 0 ? (JSON.parse(res.output.slice(start, end + 1)) as AuditReport) : null;
  } catch {
    report = null;
  }
  writeFileSync(path.join(reportDir, 'npm-audit.json'), report ? JSON.stringify(report, null, 2) : res.output);
  const counts = report?.metadata?.vulnerabilities;
  if (!report || !counts) {
    const why =
      report?.message ??
      report?.error?.summary ??
      (res.output.split('\n').find((l) => /error/i.test(l)) || 'no JSON report');
    return {
      verdict: 'NOT RUN',
      summary: 'the audit request failed: no advisories checked',
      details: [
        `NOT RUN: npm could not fetch advisories (${why.trim()}). Not a finding, and not a pass: run \`npm audit --omit=dev\` where the registry's audit endpoint is reachable.`,
      ],
    };
  }
  const details: string[] = [`production dependencies: ${JSON.stringify(counts)}`];
  const failing: string[] = [];
  for (const [name, v] of Object.entries(report.vulnerabilities ?? {})) {
    const via = v.via
      .map((x) => (typeof x === 'string' ? `via ${x}` : `${x.title ?? ''} ${x.url ?? ''}`.trim()))
      .join('; ');
    const line = `${v.severity} ${name} ${v.range ?? ''}: ${via}`;
    if (v.severity === 'high' || v.severity === 'critical') {
      failing.push(line);
      details.push(`  FAIL ${line}`);
    } else {
      details.push(`  report ${line}`);
    }
  }
  return {
    verdict: failing.length > 0 ? 'FAIL' : 'PASS',
    summary: `${counts.critical ?? 0} critical, ${counts.high ?? 0} high, ${counts.moderate ?? 0} moderate, ${counts.low ?? 0} low`,
    details,
  };
}
