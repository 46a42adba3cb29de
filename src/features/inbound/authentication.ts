import { getDomain } from 'tldts';
import type { AuthVerdict, DkimResult, InboundContext, SpfResult } from './inbound-message.ts';
import { domainOf, headerValues, type HeaderLine } from './mail-text.ts';

/**
 * Whether a message authenticates for its From domain (DMARC-style alignment), from a verdict we trust and nothing else:
 *
 * - Mailgun: the signed webhook's X-Mailgun-Spf and X-Mailgun-Dkim-Check-Result, and the envelope sender for SPF's
 *   domain. Mailgun gives one DKIM result for the whole message, not one per signature, so DKIM counts as aligned only
 *   when it passed AND every DKIM-Signature the message carries has a d= aligned with the From domain: otherwise an
 *   attacker could add a valid signature for their own domain beside a made-up one for the victim's.
 * - IMAP: the receiving server's Authentication-Results (RFC 8601) with the authserv-id INBOUND_AUTHSERV_ID. The sender
 *   can write Authentication-Results headers of their own, with our id, into the message; they sit below the receiving
 *   server's trace headers. We use the topmost header with the trusted id, and further ones with that id directly below
 *   it, up to the first Received header after it: a server that adds its results adds them above its own Received
 *   header or just below the one of its delivery hop, never below the hop the message arrived by. The receiving server
 *   must therefore add its own Authentication-Results (and should remove incoming ones with its id, as RFC 8601 §5 asks):
 *   a server that adds none would leave a forged header as the topmost. Without INBOUND_AUTHSERV_ID nothing
 *   authenticates.
 *
 * Alignment is relaxed: the same organisational domain (the registrable domain by the Public Suffix List, private
 * suffixes included, so two sites under github.io are not aligned).
 */
export function authenticate(
  headers: readonly HeaderLine[],
  fromAddress: string | null,
  ctx: InboundContext,
  trustedAuthservId: string | undefined,
): AuthVerdict {
  const fromDomain = domainOf(fromAddress);
  if (ctx.source === 'mailgun') {
    return mailgunVerdict(headers, fromDomain, ctx);
  }
  return authResultsVerdict(headers, fromDomain, trustedAuthservId);
}

/** Relaxed alignment: the same domain, or the same registrable domain. */
function alignedDomains(a: string | null, b: string | null): boolean {
  if (!a || !b) {
    return false;
  }
  if (a === b) {
    return true;
  }
  const orgA = getDomain(a, { allowPrivateDomains: true });
  return orgA !== null && orgA === getDomain(b, { allowPrivateDomains: true });
}

const SPF_RESULTS: Record<string, SpfResult> = {
  pass: 'pass',
  fail: 'fail',
  softfail: 'softfail',
  neutral: 'neutral',
  none: 'none',
  temperror: 'temperror',
  permerror: 'permerror',
};

function spfResult(value: string | undefined): SpfResult {
  return SPF_RESULTS[(value ?? '').trim().toLowerCase()] ?? (value?.trim() ? 'unknown' : 'none');
}

function dkimResult(value: string | undefined): DkimResult {
  const v = (value ?? '').trim().toLowerCase();
  if (v === 'pass' || v === 'fail' || v === 'none') {
    return v;
  }
  return v ? 'unknown' : 'none';
}

/** The d= of every DKIM-Signature header (lower-cased; '' for a signature without one). */
function signatureDomains(headers: readonly HeaderLine[]): string[] {
  return headerValues(headers, 'dkim-signature').map((value) => {
    const tag = /(?:^|;)\s*d\s*=\s*([^;\s]+)/i.exec(value);
    return domainOf(tag?.[1]) ?? '';
  });
}

function mailgunVerdict(headers: readonly HeaderLine[], fromDomain: string | null, ctx: InboundContext): AuthVerdict {
  const envelope = ctx.envelope ?? {};
  const spf = spfResult(envelope.spf);
  const spfDomain = domainOf(envelope.sender);
  const dkim = dkimResult(envelope.dkim);
  const signed = signatureDomains(headers);
  const dkimDomains = dkim === 'pass' ? [...new Set(signed.filter(Boolean))] : [];
  const spfAligned = spf === 'pass' && alignedDomains(spfDomain, fromDomain);
  const dkimAligned =
    dkim === 'pass' && signed.length > 0 && signed.every((domain) => alignedDomains(domain, fromDomain));
  const parts = [
    `DKIM ${dkim}${dkimDomains.length ? ` for ${dkimDomains.join(', ')}` : ''}${dkim === 'pass' ? (dkimAligned ? ' (aligned)' : ' (not aligned)') : ''}`,
    `SPF ${spf}${spfDomain ? ` for ${spfDomain}` : ''}${spf === 'pass' ? (spfAligned ? ' (aligned)' : ' (not aligned)') : ''}`,
  ];
  return {
    spf,
    spfDomain,
    dkim,
    dkimDomains,
    aligned: spfAligned || dkimAligned,
    dkimAligned,
    summary: `Mailgun: ${parts.join('; ')}`,
  };
}

interface ResInfo {
  method: string;
  result: string;
  props: Map<string, string>;
}

/** Comments (nested parentheses, RFC 5322 CFWS) removed; quoted strings kept. */
function withoutComments(value: string): string {
  let out = '';
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i] ?? '';
    if (c === '\\' && (quoted || depth > 0)) {
      if (depth === 0) {
        out += c + (value[i + 1] ?? '');
      }
      i++;
    } else if (quoted) {
      out += c;
      quoted = c !== '"';
    } else if (c === '(') {
      depth++;
    } else if (c === ')' && depth > 0) {
      depth--;
    } else if (depth === 0) {
      out += c;
      quoted = c === '"';
    }
  }
  return out;
}

/** Longer Authentication-Results values are cut here before parsing (a real one is a few hundred characters). */
const MAX_AUTH_RESULTS = 8 * 1024;

/**
 * An Authentication-Results value: its authserv-id and each `method=result prop=value…`. Linear in the length: the
 * value is cut, comments removed, whitespace collapsed, and each token read with an anchored pattern. Quoted values are
 * only read when they have no spaces (the properties we read, header.d/.i/.from and smtp.mailfrom, never have any).
 */
function parseAuthResults(value: string): { authservId: string; results: ResInfo[] } {
  const [head = '', ...rest] = withoutComments(value.slice(0, MAX_AUTH_RESULTS)).split(';');
  const authservId = (head.trim().split(/\s+/)[0] ?? '').toLowerCase();
  const results: ResInfo[] = [];
  for (const part of rest) {
    const tokens = part
      .replace(/\s+/g, ' ')
      .replace(/ ?= ?/g, '=')
      .trim()
      .split(' ')
      .map((token) => /^([A-Za-z0-9._-]{1,64})=(.+)$/.exec(token))
      .filter((match) => match !== null);
    const [first, ...others] = tokens;
    if (!first) {
      continue;
    }
    const props = new Map<string, string>();
    for (const [, key = '', raw = ''] of others) {
      props.set(key.toLowerCase(), raw.replace(/^"|"$/g, ''));
    }
    results.push({ method: (first[1] ?? '').toLowerCase(), result: (first[2] ?? '').toLowerCase(), props });
  }
  return { authservId, results };
}

/** The trusted results: see `authenticate`. */
function trustedResults(headers: readonly HeaderLine[], trustedAuthservId: string): ResInfo[] {
  const trusted = trustedAuthservId.toLowerCase();
  const results: ResInfo[] = [];
  let found = false;
  for (const header of headers) {
    if (header.key === 'received' && found) {
      break;
    }
    if (header.key !== 'authentication-results') {
      continue;
    }
    const [value = ''] = headerValues([header], 'authentication-results');
    const parsed = parseAuthResults(value);
    if (parsed.authservId === trusted) {
      found = true;
      results.push(...parsed.results);
    }
  }
  return results;
}

function authResultsVerdict(
  headers: readonly HeaderLine[],
  fromDomain: string | null,
  trustedAuthservId: string | undefined,
): AuthVerdict {
  if (!trustedAuthservId) {
    return {
      spf: 'none',
      spfDomain: null,
      dkim: 'none',
      dkimDomains: [],
      aligned: false,
      dkimAligned: false,
      summary: 'No trusted authentication results (INBOUND_AUTHSERV_ID is not set).',
    };
  }
  const results = trustedResults(headers, trustedAuthservId);
  if (results.length === 0) {
    return {
      spf: 'none',
      spfDomain: null,
      dkim: 'none',
      dkimDomains: [],
      aligned: false,
      dkimAligned: false,
      summary: `No Authentication-Results from ${trustedAuthservId}.`,
    };
  }
  const spfInfo = results.find((r) => r.method === 'spf');
  const spf = spfInfo ? spfResult(spfInfo.result) : 'none';
  const spfDomain = domainOf(spfInfo?.props.get('smtp.mailfrom'));
  const dkimInfos = results.filter((r) => r.method === 'dkim');
  const passing = dkimInfos.filter((r) => r.result === 'pass');
  const dkimDomains = [
    ...new Set(
      passing.map((r) => domainOf(r.props.get('header.d') ?? r.props.get('header.i'))).filter((d) => d !== null),
    ),
  ];
  const dkim: DkimResult =
    passing.length > 0 ? 'pass' : dkimInfos.length === 0 ? 'none' : dkimResult(dkimInfos[0]?.result);
  const spfAligned = spf === 'pass' && alignedDomains(spfDomain, fromDomain);
  const dkimAligned = dkimDomains.some((domain) => alignedDomains(domain, fromDomain));
  const dmarc = results.find((r) => r.method === 'dmarc');
  const dmarcAligned =
    dmarc?.result === 'pass' && fromDomain !== null && domainOf(dmarc.props.get('header.from')) === fromDomain;
  const parts = [
    `DKIM ${dkim}${dkimDomains.length ? ` for ${dkimDomains.join(', ')}` : ''}${dkim === 'pass' ? (dkimAligned ? ' (aligned)' : ' (not aligned)') : ''}`,
    `SPF ${spf}${spfDomain ? ` for ${spfDomain}` : ''}${spf === 'pass' ? (spfAligned ? ' (aligned)' : ' (not aligned)') : ''}`,
    `DMARC ${dmarc ? dmarc.result : 'none'}`,
  ];
  return {
    spf,
    spfDomain,
    dkim,
    dkimDomains,
    aligned: spfAligned || dkimAligned || dmarcAligned,
    dkimAligned,
    summary: `${trustedAuthservId}: ${parts.join('; ')}`,
  };
}
