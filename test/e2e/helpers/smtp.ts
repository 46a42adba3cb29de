import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  /** Envelope sender and recipients, as the SMTP server saw them. */
  from: string;
  to: string[];
  subject: string;
  /** The decoded text/plain and text/html parts. */
  text: string;
  html: string;
  raw: string;
}

export interface Mailbox {
  /** smtp://127.0.0.1:<port>, for SMTP_URL. */
  url: string;
  /** Every message received so far, oldest first. */
  readonly received: ReceivedMail[];
  /**
   * Resolves with the first message to `to` (case-insensitive) whose subject matches and that was not
   * returned by an earlier call; waits for it to arrive (the app's outbox worker delivers asynchronously).
   */
  waitFor(to: string, subject?: RegExp, timeoutMs?: number): Promise<ReceivedMail>;
  close(): Promise<void>;
}

/** The absolute link in an email's text part whose path is `path` (e.g. '/verify-email'); it must lie under `base`. */
export function linkIn(mail: ReceivedMail, path: string, base: string): string {
  const links = mail.text.match(/https?:\/\/[^\s<>"]+/g) ?? [];
  const link = links.find((l) => new URL(l).pathname === path);
  if (!link) {
    throw new Error(`no ${path} link in "${mail.subject}":\n${mail.text}`);
  }
  if (new URL(link).origin !== new URL(base).origin) {
    throw new Error(`link ${link} is not under ${base}`);
  }
  return link;
}

function decodeQuotedPrintable(body: string): string {
  const soft = body.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < soft.length; i++) {
    const hex = soft.slice(i + 1, i + 3);
    if (soft[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(soft[i] ?? '', 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** RFC 2047 encoded words (=?UTF-8?Q?…?= / =?UTF-8?B?…?=), as nodemailer writes non-ASCII subjects. */
function decodeHeader(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_m, _charset: string, enc: string, data: string) =>
      enc.toUpperCase() === 'B'
        ? Buffer.from(data, 'base64').toString('utf8')
        : decodeQuotedPrintable(data.replace(/_/g, ' ')),
    );
}

function splitHeaders(entity: string): { headers: Map<string, string>; body: string } {
  const at = entity.search(/\r?\n\r?\n/);
  const head = at < 0 ? entity : entity.slice(0, at);
  const body = at < 0 ? '' : entity.slice(at).replace(/^\r?\n\r?\n/, '');
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) {
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
  }
  return { headers, body };
}

/** Just enough MIME for the app's own messages: single part or (nested) multipart, 7bit/8bit/QP/base64. */
function collectParts(entity: string, into: { text: string; html: string }): void {
  const { headers, body } = splitHeaders(entity);
  const type = headers.get('content-type') ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (/^multipart\//i.test(type) && boundary) {
    const parts = body.split(`--${boundary}`).slice(1);
    for (const part of parts) {
      if (part.startsWith('--')) {
        break;
      }
      collectParts(part.replace(/^\r?\n/, ''), into);
    }
    return;
  }
  const encoding = (headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  const decoded =
    encoding === 'quoted-printable'
      ? decodeQuotedPrintable(body)
      : encoding === 'base64'
        ? Buffer.from(body, 'base64').toString('utf8')
        : body;
  if (/^text\/html/i.test(type)) {
    into.html += decoded;
  } else if (/^text\/plain/i.test(type)) {
    into.text += decoded;
  }
}

export function parseMail(raw: string, from: string, to: string[]): ReceivedMail {
  const parts = { text: '', html: '' };
  collectParts(raw, parts);
  return {
    from,
    to,
    subject: decodeHeader(splitHeaders(raw).headers.get('subject') ?? ''),
    text: parts.text,
    html: parts.html,
    raw,
  };
}

/** A real SMTP server on loopback (random port) that keeps every message it receives, for the app's SMTP transport. */
export async function startMailbox(): Promise<Mailbox> {
  const received: ReceivedMail[] = [];
  const taken = new Set<ReceivedMail>();
  const waiters = new Set<() => void>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (d: Buffer) => chunks.push(d));
      stream.on('end', () => {
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        received.push(
          parseMail(
            Buffer.concat(chunks).toString('utf8'),
            from,
            session.envelope.rcptTo.map((r) => r.address),
          ),
        );
        waiters.forEach((wake) => wake());
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;

  const take = (to: string, subject: RegExp | undefined): ReceivedMail | undefined => {
    const found = received.find(
      (m) =>
        !taken.has(m) &&
        m.to.some((a) => a.toLowerCase() === to.toLowerCase()) &&
        (!subject || subject.test(m.subject)),
    );
    if (found) {
      taken.add(found);
    }
    return found;
  };

  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    waitFor(to, subject, timeoutMs = 10_000) {
      const now = take(to, subject);
      if (now) {
        return Promise.resolve(now);
      }
      return new Promise<ReceivedMail>((resolve, reject) => {
        const wake = () => {
          const found = take(to, subject);
          if (found) {
            clearTimeout(timer);
            waiters.delete(wake);
            resolve(found);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(wake);
          const seen = received.map((m) => `${m.to.join(',')}: ${m.subject}`).join('\n  ') || '(none)';
          reject(
            new Error(
              `no email to ${to}${subject ? ` matching ${String(subject)}` : ''} within ${timeoutMs} ms; received:\n  ${seen}`,
            ),
          );
        }, timeoutMs);
        waiters.add(wake);
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
