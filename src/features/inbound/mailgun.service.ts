import { recordAudit } from '../../audit/audit.repository.ts';
import type { DB } from '../../db/database.ts';
import type { Origin } from '../../lib/origin.ts';
import type { Attempt, Limits } from '../../plugins/rate-limit.ts';
import { findUserIdByEmail } from '../users/user.repository.ts';
import { inboxMessageKey, storeInboxMessage } from './inbox.repository.ts';
import {
  headersOf,
  mailgunEnvelope,
  messageIdOf,
  parseMessageHeaders,
  rebuildMessage,
  type HeaderList,
  type MailgunForm,
} from './mailgun-mime.ts';
import { checkMailgunSignature, MAILGUN_TOKEN_TTL_MS, signatureFields } from './mailgun-signature.ts';
import { recordUndeliverable } from './undeliverable.repository.ts';
import { claimWebhookToken } from './webhook-replay.repository.ts';

export interface MailgunDeps {
  db: DB;
  /** The request's time: the signature's timestamp must be near it. */
  now: number;
  limits: Pick<Limits, 'inboundMessages'>;
  /** MAILGUN_WEBHOOK_SIGNING_KEY. */
  signingKey: string;
}

/**
 * How a webhook request ended, and what Mailgun is told: 200 done (also for a message stored before: a redelivery);
 * 401 no valid signature or a stale timestamp (Mailgun retries for 8 hours, so a wrong key or clock can still be put
 * right; a forger gains nothing from retrying); 406 authenticated but refused for good (a replayed token, a request
 * without a message), which Mailgun does not retry; 429 over INBOUND_PER_HOUR (retried later, nothing is lost).
 */
export type WebhookResult =
  | { ok: true; stored: boolean }
  | { ok: false; status: 401 | 406; reason: string }
  | { ok: false; status: 429; reason: string; retryAfterSeconds: number };

/**
 * The signature check shared by both webhooks. A valid signature gives back the point the request spent on the
 * per-network limit (webhookIp), so only forged and broken requests accumulate there.
 */
async function authenticate(
  deps: MailgunDeps,
  attempt: Attempt,
  fields: Record<string, unknown> | null,
): Promise<WebhookResult | null> {
  const check = checkMailgunSignature(deps.signingKey, deps.now, signatureFields(fields));
  if (check !== 'valid') {
    return { ok: false, status: 401, reason: `signature ${check}` };
  }
  await attempt.refund();
  return null;
}

/**
 * Mailgun signs only timestamp + token, not the body nor the path: a token is therefore single-use across BOTH
 * webhooks, so a signature seen on one cannot carry another body to either.
 */
const tokenKey = (token: string) => `mailgun:${token}`;

const replayed: WebhookResult = { ok: false, status: 406, reason: 'token already used' };

/** The raw message and its headers: `body-mime` as it came, or the parsed fields rebuilt; null when there is none. */
async function messageOf(form: MailgunForm): Promise<{ raw: Buffer; headers: HeaderList } | null> {
  if (form.bodyMime !== null) {
    const headers = headersOf(form.bodyMime);
    return headers.length > 0 ? { raw: form.bodyMime, headers } : null;
  }
  const headers = parseMessageHeaders(form.only('message-headers'));
  return headers ? { raw: await rebuildMessage(form, headers), headers } : null;
}

/**
 * A message forwarded by a Mailgun Route: authenticated (signature, timestamp), counted against INBOUND_PER_HOUR,
 * then stored raw in mail_inbox together with its token's single use, in one transaction: a replayed token stores
 * nothing, and a failure leaves the token unused for Mailgun's retry. A message stored before (same Message-ID,
 * e.g. Mailgun's redelivery with a new token) is acknowledged without storing it again.
 */
export async function receiveMailgunMessage(
  deps: MailgunDeps,
  attempt: Attempt,
  form: MailgunForm,
): Promise<WebhookResult> {
  const refused = await authenticate(deps, attempt, {
    timestamp: form.only('timestamp'),
    token: form.only('token'),
    signature: form.only('signature'),
  });
  if (refused) {
    return refused;
  }
  const token = form.only('token') as string;
  const message = await messageOf(form);
  if (!message) {
    return { ok: false, status: 406, reason: 'no message (neither body-mime nor message-headers)' };
  }
  const admission = await deps.limits.inboundMessages.admit('all');
  if (!admission.admitted) {
    return { ok: false, status: 429, reason: 'INBOUND_PER_HOUR', retryAfterSeconds: admission.retryAfterSeconds };
  }
  const envelope = mailgunEnvelope(form, message.headers);
  const messageId = inboxMessageKey(message.raw, messageIdOf(headersOf(message.raw)));
  const outcome = await deps.db.transaction().execute(async (trx) => {
    if (!(await claimWebhookToken(trx, tokenKey(token), deps.now + MAILGUN_TOKEN_TTL_MS))) {
      return 'replay' as const;
    }
    const stored = await storeInboxMessage(trx, {
      source: 'mailgun',
      sourceId: token,
      messageId,
      raw: message.raw,
      envelope: JSON.stringify(envelope),
      receivedAt: deps.now,
    });
    return stored.stored ? ('stored' as const) : ('duplicate' as const);
  });
  if (outcome !== 'stored') {
    await admission.refund();
  }
  return outcome === 'replay' ? replayed : { ok: true, stored: outcome === 'stored' };
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const oneLine = (value: unknown, max: number) =>
  typeof value === 'string' || typeof value === 'number' ? String(value).replace(/\s+/g, ' ').trim().slice(0, max) : '';

/** A permanent delivery failure (a bounce) from Mailgun's event data: whose address and why; null for anything else. */
function permanentFailure(data: unknown): { address: string; reason: string } | null {
  if (!isRecord(data) || data.event !== 'failed' || data.severity !== 'permanent') {
    return null;
  }
  const address = oneLine(data.recipient, 321).toLowerCase();
  if (address.length > 320 || !/^[^\s@]+@[^\s@]+$/.test(address)) {
    return null;
  }
  const status = isRecord(data['delivery-status']) ? data['delivery-status'] : {};
  const words = oneLine(status.description, 500) || oneLine(status.message, 500) || oneLine(data.reason, 100);
  const code = oneLine(status.code, 10);
  return { address, reason: [code, words || 'permanent failure'].filter(Boolean).join(' ') };
}

/**
 * Mailgun's event webhook: a permanent failure ("failed", severity "permanent") marks the recipient undeliverable and
 * is audited; temporary failures and every other event are acknowledged and ignored. Same signature, timestamp and
 * single-use token as the message webhook.
 */
export async function receiveMailgunEvent(
  deps: MailgunDeps,
  attempt: Attempt,
  origin: Origin,
  body: unknown,
): Promise<WebhookResult> {
  const signature = isRecord(body) && isRecord(body.signature) ? body.signature : null;
  const refused = await authenticate(deps, attempt, signature);
  if (refused) {
    return refused;
  }
  const failure = permanentFailure(isRecord(body) ? body['event-data'] : null);
  const token = String(signature?.token);
  const claimed = await deps.db.transaction().execute(async (trx) => {
    if (!(await claimWebhookToken(trx, tokenKey(token), deps.now + MAILGUN_TOKEN_TTL_MS))) {
      return false;
    }
    if (failure) {
      await recordUndeliverable(trx, { ...failure, source: 'mailgun', now: deps.now });
      await recordAudit(trx, deps.now, origin, {
        event: 'mail.undeliverable',
        targetUserId: (await findUserIdByEmail(trx, failure.address)) ?? null,
        details: { address: failure.address, reason: failure.reason.slice(0, 200), source: 'mailgun' },
      });
    }
    return true;
  });
  return claimed ? { ok: true, stored: failure !== null } : replayed;
}
