import { createHmac, timingSafeEqual } from 'node:crypto';

/** How far a webhook's timestamp may be from our clock, either way. */
const MAILGUN_MAX_SKEW_MS = 5 * 60_000;
/** How long a seen token is remembered: longer than any timestamp is accepted, so a replay is refused either way. */
export const MAILGUN_TOKEN_TTL_MS = 2 * MAILGUN_MAX_SKEW_MS + 60_000;

/** The three fields Mailgun signs every webhook request with (form fields, or the JSON body's `signature`). */
export interface MailgunSignature {
  timestamp: string;
  token: string;
  signature: string;
}

export type SignatureCheck = 'valid' | 'missing' | 'forged' | 'stale';

const TIMESTAMP = /^[0-9]{1,12}$/;
/** Mailgun's tokens are 50 random characters; anything far from that is not one. */
const TOKEN = /^[A-Za-z0-9_-]{10,200}$/;
const SIGNATURE = /^[0-9a-f]{64}$/;

/** The signature fields from a body (form or JSON), or null when one is missing, repeated or malformed. */
export function signatureFields(source: Record<string, unknown> | null | undefined): MailgunSignature | null {
  if (!source) {
    return null;
  }
  const { timestamp, token, signature } = source;
  if (typeof timestamp !== 'string' && typeof timestamp !== 'number') {
    return null;
  }
  if (typeof token !== 'string' || typeof signature !== 'string') {
    return null;
  }
  const fields = { timestamp: String(timestamp), token, signature: signature.toLowerCase() };
  return TIMESTAMP.test(fields.timestamp) && TOKEN.test(fields.token) && SIGNATURE.test(fields.signature)
    ? fields
    : null;
}

/**
 * Mailgun's webhook signature: hex HMAC-SHA256 of timestamp + token under the webhook signing key, compared in
 * constant time; then the timestamp must be within MAILGUN_MAX_SKEW_MS of `now`. (The token's single use is checked
 * by the caller, in the transaction that stores what the request brought: webhook-replay.repository.ts.)
 */
export function checkMailgunSignature(key: string, now: number, fields: MailgunSignature | null): SignatureCheck {
  if (!fields) {
    return 'missing';
  }
  const expected = createHmac('sha256', key)
    .update(fields.timestamp + fields.token)
    .digest();
  const sent = Buffer.from(fields.signature, 'hex');
  if (sent.length !== expected.length || !timingSafeEqual(sent, expected)) {
    return 'forged';
  }
  return Math.abs(now - Number(fields.timestamp) * 1000) <= MAILGUN_MAX_SKEW_MS ? 'valid' : 'stale';
}
