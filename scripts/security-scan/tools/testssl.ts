import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { run, which } from '../lib/proc.ts';
import type { ToolResult } from '../lib/report.ts';
import type { ScanTarget } from '../lib/target.ts';

const FAILING = new Set(['MEDIUM', 'HIGH', 'CRITICAL']);

/**
 * testssl ids whose verdict depends only on the throwaway certificate this scan makes (self-signed, for an IP
 * address, valid two days, no CA behind it), never on how Parapet configures TLS. A real deployment's certificate
 * (Let's Encrypt or a company CA) answers each of these. The checks chosen below (-p -s -f -U -h) do not run the
 * certificate section (-S), so normally none of them appears; if testssl ever reports one from another section,
 * it is listed as allowed rather than failed.
 */
export const TESTSSL_CERT_ALLOWLIST: Record<string, string> = {
  cert_chain_of_trust: 'self-signed: no chain to a trusted CA',
  cert_trust: 'the certificate names 127.0.0.1 only',
  cert_caIssuers: 'no Authority Information Access: no CA issued it',
  cert_ocspURL: 'no OCSP responder: no CA issued it',
  cert_crlDistributionPoints: 'no CRL: no CA issued it',
  cert_revocation: 'neither CRL nor OCSP: no CA issued it',
  OCSP_stapling: "nothing to staple without a CA's OCSP responder",
  cert_mustStapleExtension: 'a CA-side certificate extension',
  certificate_transparency: 'only CA-issued certificates carry SCTs',
  cert_expirationStatus: 'made to expire in two days',
  cert_validityPeriod: 'made to expire in two days',
  cert_notAfter: 'made to expire in two days',
  DNS_CAArecord: 'an IP address has no DNS CAA record',
};

interface TestsslEntry {
  id: string;
  severity: string;
  finding: string;
}

export async function runTestssl(target: ScanTarget, reportDir: string): Promise<Omit<ToolResult, 'tool' | 'seconds'>> {
  const testssl = which('testssl') ?? which('testssl.sh');
  if (!testssl) {
    return { verdict: 'FAIL', summary: 'testssl.sh is not installed (scripts/security-scan/install.sh)', details: [] };
  }
  const jsonFile = path.join(reportDir, 'testssl.json');
  const args = [
    '--quiet',
    '--color',
    '0',
    '--warnings',
    'off',
    '--nodns',
    'none',
    '--connect-timeout',
    '10',
    '--openssl-timeout',
    '10',
    '--jsonfile',
    jsonFile,
    // testssl 3.0.8: protocols, standard cipher categories, forward secrecy, every vulnerability check, HTTP headers.
    '-p',
    '-s',
    '-f',
    '-U',
    '-h',
    `127.0.0.1:${target.port}`,
  ];
  const res = await run(testssl, args, { logFile: path.join(reportDir, 'testssl.log'), timeoutMs: 240_000 });
  if (!existsSync(jsonFile)) {
    return {
      verdict: 'FAIL',
      summary: 'no JSON report',
      details: [
        `testssl wrote no ${jsonFile}${res.timedOut ? ' (timed out)' : ''}; see ${path.join(reportDir, 'testssl.log')}`,
      ],
    };
  }
  const entries = JSON.parse(readFileSync(jsonFile, 'utf8')) as TestsslEntry[];
  const details: string[] = [
    `TLS served directly by the app (TLS_CERT_FILE/TLS_KEY_FILE, self-signed RSA 2048), checks -p -s -f -U -h; report ${jsonFile}`,
  ];
  const failures: string[] = [];
  const counts: Record<string, number> = {};
  for (const e of entries) {
    counts[e.severity] = (counts[e.severity] ?? 0) + 1;
    const line = `${e.severity} ${e.id}: ${e.finding}`;
    if (e.severity === 'FATAL') {
      failures.push(line);
      details.push(`  FAIL (testssl could not run) ${line}`);
    } else if (FAILING.has(e.severity)) {
      const why = TESTSSL_CERT_ALLOWLIST[e.id];
      if (why) {
        details.push(`  allowlisted ${line} — ${why}`);
      } else {
        failures.push(line);
        details.push(`  FAIL ${line}`);
      }
    } else if (e.severity === 'LOW' || e.severity === 'WARN') {
      details.push(`  report ${line}`);
    }
  }
  const protocols = entries
    .filter((e) => /^(SSLv2|SSLv3|TLS1|TLS1_1|TLS1_2|TLS1_3)$/.test(e.id))
    .map((e) => `${e.id} ${e.finding}`);
  details.splice(1, 0, `  protocols: ${protocols.join('; ')}`);
  if (!entries.some((e) => e.id === 'TLS1_2' || e.id === 'TLS1_3')) {
    failures.push('no protocol results: testssl did not reach the server');
  }
  const summary = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'].map((s) => `${counts[s] ?? 0} ${s}`).join(', ');
  return { verdict: failures.length > 0 ? 'FAIL' : 'PASS', summary, details };
}
