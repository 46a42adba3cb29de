import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { CspEvaluator, STRICTCSP_CHECKS } from 'csp_evaluator/dist/evaluator.js';
import { Version } from 'csp_evaluator/dist/csp.js';
import { Severity, Type, type Finding } from 'csp_evaluator/dist/finding.js';
import { CspParser } from 'csp_evaluator/dist/parser.js';
import { HttpClient, type HttpResponse } from '../lib/http.ts';
import type { ToolResult } from '../lib/report.ts';
import type { ScanTarget } from '../lib/target.ts';

/**
 * Severities that fail the scan. csp_evaluator's *_MAYBE grades mean "depends on what else the site serves":
 * HIGH_MAYBE fails anyway (cheap to fix, costly to be wrong about); MEDIUM_MAYBE, STRICT_CSP and INFO are
 * reported and do not fail (see the one MEDIUM_MAYBE this app gets, checked against evidence below).
 */
const FAILING = new Set([Severity.HIGH, Severity.SYNTAX, Severity.MEDIUM, Severity.HIGH_MAYBE]);

/** What the attachment route sets itself (src/features/tickets/ticket.routes.ts) and the README promises. */
const ATTACHMENT_SANDBOX = /(^|;)\s*sandbox\b/;

function evaluate(policy: string): Finding[] {
  const csp = new CspParser(policy).csp;
  const all = [
    ...new CspEvaluator(csp, Version.CSP3).evaluate(),
    ...new CspEvaluator(csp, Version.CSP3).evaluate(STRICTCSP_CHECKS, STRICTCSP_CHECKS),
  ];
  const seen = new Set<string>();
  return all.filter((f) => {
    const key = `${f.type}|${f.directive}|${f.value ?? ''}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

function header(res: HttpResponse, name: string): string {
  const v = res.headers[name];
  return Array.isArray(v) ? v.join(', ') : (v ?? '');
}

export async function runCspEvaluator(
  target: ScanTarget,
  reportDir: string,
): Promise<Omit<ToolResult, 'tool' | 'seconds'>> {
  const anonymous = new HttpClient(target.baseUrl);
  const admin = await target.signedIn('administrator', 'csp.admin');
  const owner = target.owner.http;
  const attachmentUrl = `/tickets/${target.ticketId}/attachments/${target.attachmentId}`;
  const pages: Array<{ name: string; url: string; client: HttpClient }> = [
    { name: 'login', url: '/login', client: anonymous },
    { name: 'tickets list', url: '/tickets', client: owner },
    { name: 'ticket page', url: `/tickets/${target.ticketId}`, client: owner },
    { name: 'admin users', url: '/admin/users', client: admin.http },
    { name: 'attachment download', url: attachmentUrl, client: owner },
  ];
  const details: string[] = [];
  const failures: string[] = [];
  const report: Record<string, unknown> = {};
  let reported = 0;
  let attachment: HttpResponse | undefined;
  for (const page of pages) {
    const res = await page.client.get(page.url);
    if (page.name === 'attachment download') {
      attachment = res;
    }
    const policy = header(res, 'content-security-policy');
    if (res.status !== 200 || !policy) {
      failures.push(
        `${page.name}: GET ${page.url} answered ${res.status}${policy ? '' : ' without a Content-Security-Policy'}`,
      );
      details.push(`FAIL ${page.name} (${page.url}): status ${res.status}, CSP: ${policy || 'none'}`);
      continue;
    }
    const findings = evaluate(policy);
    report[page.name] = {
      url: page.url,
      policy,
      findings: findings.map((f) => ({
        severity: Severity[f.severity],
        type: Type[f.type],
        directive: f.directive,
        value: f.value,
        description: f.description,
      })),
    };
    details.push(`${page.name} (${page.url}): ${policy}`);
    for (const f of findings) {
      const line = `${Severity[f.severity]} ${Type[f.type]} [${f.directive}${f.value ? ` ${f.value}` : ''}]: ${f.description}`;
      if (FAILING.has(f.severity)) {
        failures.push(`${page.name}: ${line}`);
        details.push(`  FAIL ${line}`);
      } else {
        reported += 1;
        details.push(`  report ${line}`);
      }
    }
  }

  // The one MEDIUM_MAYBE ("'self' can be problematic if you host JSONP, AngularJS or user uploaded files"): this app
  // has no JSONP or AngularJS, and it does host uploads on its origin. They cannot act as a script for `script-src
  // 'self'` if they are served as downloads with nosniff and never with a script or HTML type: checked here, so the
  // acceptance holds only while the evidence does.
  if (attachment) {
    const type = header(attachment, 'content-type');
    const evidence = {
      disposition: header(attachment, 'content-disposition').startsWith('attachment'),
      nosniff: header(attachment, 'x-content-type-options') === 'nosniff',
      safeType: !/javascript|ecmascript|html|xml|svg/i.test(type),
    };
    if (!evidence.disposition || !evidence.nosniff || !evidence.safeType) {
      failures.push(
        `uploads are not served inertly (${JSON.stringify(evidence)}, type ${type}), so script-src 'self' is a real bypass`,
      );
      details.push(`FAIL script-src 'self' with uploads on the same origin: ${JSON.stringify(evidence)}`);
    } else {
      details.push(
        `evidence for accepting "'self' … user uploaded files": ${attachmentUrl} is Content-Disposition: attachment, nosniff, ${type}`,
      );
    }
    const policy = header(attachment, 'content-security-policy');
    if (!ATTACHMENT_SANDBOX.test(policy)) {
      details.push(
        `WARN attachment download: the route sets "default-src 'none'; sandbox" (src/features/tickets/ticket.routes.ts) but the response carries the page policy ` +
          `"${policy}": the security-headers onSend hook overwrites it. Not a csp_evaluator finding, so it does not fail this step; reported for a fix.`,
      );
      report.attachmentSandboxMissing = { url: attachmentUrl, policy };
    }
  }
  writeFileSync(path.join(reportDir, 'csp-evaluator.json'), JSON.stringify(report, null, 2));
  return {
    verdict: failures.length > 0 ? 'FAIL' : 'PASS',
    summary: `${failures.length} HIGH/MEDIUM, ${reported} reported (MEDIUM_MAYBE/INFO) over ${pages.length} page types`,
    details,
  };
}
