import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';

/** The receiving server whose Authentication-Results the test app trusts (INBOUND_AUTHSERV_ID). */
export const AUTHSERV_ID = 'mx.parapet.test';
export const SUPPORT_ADDRESS = 'support@parapet.test';

/** Inbound mail on (IMAP configured but not started in tests: messages are handed to app.inbound.receive). */
export const INBOUND_ENV = {
  SUPPORT_ADDRESS,
  IMAP_URL: 'imap://support:secret@127.0.0.1:10143/INBOX',
  INBOUND_AUTHSERV_ID: AUTHSERV_ID,
} as const;

export interface MailSpec {
  from: string;
  fromName?: string;
  to?: string;
  subject: string;
  body: string;
  messageId?: string;
  inReplyTo?: string;
  references?: string;
  /** What the receiving server found: DKIM and SPF pass for the From domain (default), SPF only, or a failure. */
  auth?: 'pass' | 'spf-only' | 'fail' | 'none' | 'foreign';
  headers?: Record<string, string>;
}

/** A raw RFC 5322 message as a receiving server would store it (CRLF line ends), with its Authentication-Results. */
export function rawMail(spec: MailSpec): Buffer {
  const domain = spec.from.slice(spec.from.lastIndexOf('@') + 1);
  const messageId = spec.messageId ?? `${randomUUID()}@${domain}`;
  const auth = spec.auth ?? 'pass';
  const results: Record<typeof auth, string | null> = {
    pass: `${AUTHSERV_ID}; dkim=pass header.d=${domain} header.s=s1; spf=pass smtp.mailfrom=${spec.from}; dmarc=pass header.from=${domain}`,
    'spf-only': `${AUTHSERV_ID}; dkim=none; spf=pass smtp.mailfrom=${spec.from}; dmarc=pass header.from=${domain}`,
    fail: `${AUTHSERV_ID}; dkim=fail header.d=${domain}; spf=fail smtp.mailfrom=${spec.from}; dmarc=fail header.from=${domain}`,
    none: null,
    // Written by the sender: a server we do not trust vouches for the message.
    foreign: `mx.attacker.example; dkim=pass header.d=${domain}; spf=pass smtp.mailfrom=${spec.from}; dmarc=pass header.from=${domain}`,
  };
  const headers = [
    ...(results[auth] ? [`Authentication-Results: ${results[auth]}`] : []),
    `Received: from mail.${domain} by ${AUTHSERV_ID}; Sat, 5 Dec 2026 10:00:00 +0000`,
    `From: ${spec.fromName ? `"${spec.fromName.replace(/"/g, '')}" ` : ''}<${spec.from}>`,
    `To: ${spec.to ?? SUPPORT_ADDRESS}`,
    `Subject: ${spec.subject}`,
    `Date: Sat, 5 Dec 2026 10:00:00 +0000`,
    `Message-ID: <${messageId}>`,
    ...(spec.inReplyTo ? [`In-Reply-To: ${spec.inReplyTo}`] : []),
    ...(spec.references ? [`References: ${spec.references}`] : []),
    ...Object.entries(spec.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
  ];
  return Buffer.from(`${headers.join('\r\n')}\r\n\r\n${spec.body.replace(/\r?\n/g, '\r\n')}\r\n`, 'utf8');
}

/** Hands a message to the app as the IMAP source would, then lets the worker process everything due. */
export async function deliver(
  app: FastifyInstance,
  raw: Buffer,
  sourceId: string = randomUUID(),
): Promise<{ stored: boolean }> {
  const messageId = /^Message-ID:\s*(<[^>]+>)/im.exec(raw.toString('utf8'))?.[1] ?? null;
  const result = await app.inbound.receive({ source: 'imap', sourceId, raw, messageId });
  await app.inbound.worker.runOnce();
  return result;
}
