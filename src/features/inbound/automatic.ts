import type { AutomaticMail, BounceReport } from './inbound-message.ts';
import { cleanLine, headerValues, type HeaderLine } from './mail-text.ts';

/**
 * Mail we never answer and never add to a ticket as a reply (RFC 3834 and the conventions around it): our own messages,
 * delivery status notifications, auto-replies (out of office, autoresponders) and list or bulk mail. The first sign
 * found decides the kind, in that order.
 */
export function detectAutomatic(
  headers: readonly HeaderLine[],
  fromAddress: string | null,
  ownAddresses: string[],
): AutomaticMail | null {
  const first = (key: string): string | undefined => headerValues(headers, key)[0];
  const sign = (kind: AutomaticMail['kind'], header: string, value: string): AutomaticMail => ({
    kind,
    reason: `${header}: ${cleanLine(value, 100)}`,
  });

  if (fromAddress && isOwnAddress(fromAddress, ownAddresses)) {
    return sign('own_message', 'From', fromAddress);
  }

  const contentType = first('content-type') ?? '';
  if (/^\s*multipart\/report\b/i.test(contentType) && /report-type\s*=\s*"?delivery-status\b/i.test(contentType)) {
    return sign('bounce', 'Content-Type', 'multipart/report; report-type=delivery-status');
  }
  const local = (fromAddress ?? '').split('@')[0] ?? '';
  if (/^(mailer-daemon|postmaster)$/i.test(local)) {
    return sign('bounce', 'From', fromAddress ?? '');
  }

  const autoSubmitted = first('auto-submitted');
  if (autoSubmitted !== undefined && !/^\s*no\s*(;|$)/i.test(autoSubmitted)) {
    return sign('auto_reply', 'Auto-Submitted', autoSubmitted);
  }
  for (const key of ['x-autoreply', 'x-autorespond', 'x-autoresponder']) {
    const value = first(key);
    if (value !== undefined) {
      return sign('auto_reply', headerName(key), value);
    }
  }
  const suppress = first('x-auto-response-suppress');
  if (suppress !== undefined && /\b(all|oof|autoreply)\b/i.test(suppress)) {
    return sign('auto_reply', 'X-Auto-Response-Suppress', suppress);
  }
  const precedence = first('precedence');
  if (precedence !== undefined) {
    const value = precedence.trim().toLowerCase();
    if (value === 'auto_reply') {
      return sign('auto_reply', 'Precedence', precedence);
    }
    if (value === 'bulk' || value === 'junk' || value === 'list') {
      return sign('list', 'Precedence', precedence);
    }
  }
  for (const key of ['list-id', 'list-unsubscribe', 'list-post']) {
    const value = first(key);
    if (value !== undefined) {
      return sign('list', headerName(key), value);
    }
  }
  const returnPath = first('return-path');
  if (returnPath !== undefined && /^<\s*>$/.test(returnPath.trim())) {
    return sign('auto_reply', 'Return-Path', '<>');
  }
  if (/^(no[-_.]?reply|do[-_.]?not[-_.]?reply)([+-].*)?$/i.test(local)) {
    return sign('auto_reply', 'From', fromAddress ?? '');
  }
  return null;
}

const HEADER_NAMES: Record<string, string> = {
  'x-autoreply': 'X-Autoreply',
  'x-autorespond': 'X-Autorespond',
  'x-autoresponder': 'X-Autoresponder',
  'list-id': 'List-Id',
  'list-unsubscribe': 'List-Unsubscribe',
  'list-post': 'List-Post',
};

function headerName(key: string): string {
  return HEADER_NAMES[key] ?? key;
}

/** One of our addresses, or a sub-address of one (`support+123.abc@example.com` for `support@example.com`). */
function isOwnAddress(address: string, ownAddresses: string[]): boolean {
  const [local = '', domain = ''] = splitAt(address.toLowerCase());
  const base = local.split('+')[0];
  return ownAddresses.some((own) => {
    const [ownLocal = '', ownDomain = ''] = splitAt(own.trim().toLowerCase());
    return ownDomain === domain && (ownLocal === local || ownLocal === base);
  });
}

function splitAt(address: string): [string, string] {
  const at = address.lastIndexOf('@');
  return at > 0 ? [address.slice(0, at), address.slice(at + 1)] : [address, ''];
}

const MAX_BOUNCE_RECIPIENTS = 100;
/** A delivery-status part is a few hundred bytes per recipient; longer ones are read this far. */
const MAX_DELIVERY_STATUS = 256 * 1024;

/**
 * The permanent failures (Action: failed, Status 5.x.x) of a message/delivery-status part (RFC 3464): the addresses
 * and the first diagnostic. Null when it reports none (a delay, a relay, a success, a temporary failure).
 */
export function bounceReport(deliveryStatus: string): BounceReport | null {
  const text = deliveryStatus
    .slice(0, MAX_DELIVERY_STATUS)
    .replace(/\r\n?/g, '\n')
    .replace(/\n[ \t]+(?=\S)/g, ' ');
  const recipients: string[] = [];
  let reason: string | null = null;
  // The first block holds the per-message fields, each further block one recipient's.
  for (const block of text.split(/\n[ \t]*\n/).slice(0, MAX_BOUNCE_RECIPIENTS + 1)) {
    const fields = new Map<string, string>();
    for (const line of block.split('\n')) {
      const match = /^([A-Za-z-]{1,40}):\s*(.*)$/.exec(line);
      if (match && !fields.has((match[1] ?? '').toLowerCase())) {
        fields.set((match[1] ?? '').toLowerCase(), (match[2] ?? '').trim());
      }
    }
    const action = (fields.get('action') ?? '').toLowerCase();
    const status = fields.get('status') ?? '';
    const recipient = fields.get('final-recipient') ?? fields.get('original-recipient');
    if (action !== 'failed' || !/^5\.\d{1,3}\.\d{1,3}\b/.test(status) || !recipient) {
      continue;
    }
    // `rfc822; user@example.com` (the address type is optional in practice).
    const address = (recipient.includes(';') ? recipient.slice(recipient.indexOf(';') + 1) : recipient)
      .trim()
      .replace(/^<|>$/g, '')
      .toLowerCase();
    if (!/^[^\s@<>]{1,64}@[^\s@<>]{1,253}$/.test(address)) {
      continue;
    }
    if (!recipients.includes(address)) {
      recipients.push(address);
    }
    const diagnostic = fields.get('diagnostic-code');
    reason ??= cleanLine(diagnostic ? diagnostic.replace(/^[^;]{0,20};\s*/, '') : `Status ${status}`, 300);
  }
  return recipients.length > 0 ? { recipients, reason: reason ?? '' } : null;
}
