import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type Nodemailer from 'nodemailer';
import type { SendMailOptions } from 'nodemailer';
import type MailComposer from 'nodemailer/lib/mail-composer';
import type { MailComposerOptions } from 'nodemailer/lib/mail-composer';
import type { Config } from '../config.ts';
import { headerSafe } from './headers.ts';

export interface OutgoingMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
  replyTo?: string | undefined;
  inReplyTo?: string | undefined;
  references?: string | undefined;
  /** Further headers, by name: `Auto-Submitted` on every email. */
  headers: Record<string, string>;
}

export interface MailTransport {
  readonly name: 'mailgun' | 'smtp' | 'dev-outbox' | 'disabled';
  /** Resolves when the provider accepted the message; rejects with a message safe to store and log. */
  send(mail: OutgoingMail): Promise<void>;
  close?(): void;
}

const SEND_TIMEOUT_MS = 30_000;

const HEADER_NAME = /^[A-Za-z0-9-]{1,76}$/;

/**
 * The email with every header value made safe (no line break can start a header) and only well-formed extra header
 * names. Each transport sends this, whatever the outbox row held.
 */
function safeHeaders(mail: OutgoingMail): OutgoingMail {
  const optional = (value: string | undefined) => (value === undefined ? undefined : headerSafe(value));
  return {
    ...mail,
    from: headerSafe(mail.from),
    to: headerSafe(mail.to),
    subject: headerSafe(mail.subject),
    messageId: headerSafe(mail.messageId),
    replyTo: optional(mail.replyTo),
    inReplyTo: optional(mail.inReplyTo),
    references: optional(mail.references),
    headers: Object.fromEntries(
      Object.entries(mail.headers)
        .filter(([name]) => HEADER_NAME.test(name))
        .map(([name, value]) => [name, headerSafe(value)]),
    ),
  };
}

/** nodemailer's message options (SMTP, and the development outbox's .eml through its MailComposer). */
function nodemailerMessage(unsafe: OutgoingMail): SendMailOptions & MailComposerOptions {
  const mail = safeHeaders(unsafe);
  return {
    from: mail.from,
    to: mail.to,
    subject: mail.subject,
    text: mail.text,
    html: mail.html,
    messageId: mail.messageId,
    ...(mail.replyTo === undefined ? {} : { replyTo: mail.replyTo }),
    ...(mail.inReplyTo === undefined ? {} : { inReplyTo: mail.inReplyTo }),
    ...(mail.references === undefined ? {} : { references: mail.references }),
    headers: mail.headers,
  };
}

export function mailgunBaseUrl(config: Config): string {
  if (config.env.MAILGUN_API_URL) {
    return config.env.MAILGUN_API_URL.replace(/\/+$/, '');
  }
  return config.env.MAILGUN_DOMAIN_REGION === 'eu' ? 'https://api.eu.mailgun.net' : 'https://api.mailgun.net';
}

/** Mailgun's HTTP API: POST /v3/<domain>/messages, basic auth api:<key>, form-encoded fields. */
export function createMailgunTransport(opts: { baseUrl: string; domain: string; apiKey: string }): MailTransport {
  const url = `${opts.baseUrl}/v3/${encodeURIComponent(opts.domain)}/messages`;
  const authorization = `Basic ${Buffer.from(`api:${opts.apiKey}`).toString('base64')}`;
  return {
    name: 'mailgun',
    async send(unsafe) {
      const mail = safeHeaders(unsafe);
      const body = new URLSearchParams({
        from: mail.from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        'h:Message-Id': mail.messageId,
      });
      // Mailgun takes any header as an `h:` field.
      const extra: Array<[string, string | undefined]> = [
        ['Reply-To', mail.replyTo],
        ['In-Reply-To', mail.inReplyTo],
        ['References', mail.references],
        ...Object.entries(mail.headers),
      ];
      for (const [name, value] of extra) {
        if (value !== undefined) {
          body.set(`h:${name}`, value);
        }
      }
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: { authorization },
          body,
          signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
        });
      } catch (error) {
        throw new Error(`Mailgun unreachable: ${error instanceof Error ? error.message : 'network error'}`, {
          cause: error,
        });
      }
      if (!response.ok) {
        const detail = (await response.text().catch(() => '')).slice(0, 200);
        throw new Error(`Mailgun answered ${response.status}: ${detail}`);
      }
    },
  };
}

export function createSmtpTransport(smtpUrl: string): MailTransport {
  // nodemailer costs about 15 MB of memory even unused: it is loaded only for SMTP (synchronously, as this function is).
  const nodemailer = createRequire(import.meta.url)('nodemailer') as typeof Nodemailer;
  const transporter = nodemailer.createTransport({
    url: smtpUrl,
    connectionTimeout: SEND_TIMEOUT_MS,
    greetingTimeout: SEND_TIMEOUT_MS,
    socketTimeout: SEND_TIMEOUT_MS,
  });
  return {
    name: 'smtp',
    async send(mail) {
      await transporter.sendMail(nodemailerMessage(mail));
    },
    close: () => transporter.close(),
  };
}

/** Lower-case ASCII letters and digits of `text`, the rest as single dashes, at most `max` characters. */
function slug(text: string, max: number): string {
  return text
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9@.]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, max)
    .replace(/[-.]+$/, '');
}

/**
 * A development outbox file's name, readable in a directory listing and sorted by time:
 * `2026-12-05T16-20-01-123Z-maria@example.com-confirm-your-email-address-1a2b3c.eml`. The last part (from the
 * message id) keeps two emails of the same millisecond, address and subject apart.
 */
function outboxFileName(mail: { to: string; subject: string; messageId: string }, now: Date): string {
  const time = now.toISOString().replace(/[:.]/g, '-');
  const to = slug(/<([^>]*)>/.exec(mail.to)?.[1] ?? mail.to, 60) || 'unknown';
  const subject = slug(mail.subject, 60) || 'no-subject';
  const unique = createHash('sha256').update(mail.messageId).digest('hex').slice(0, 8);
  return `${time}-${to}-${subject}-${unique}.eml`;
}

/**
 * Development: nothing leaves the machine. Each email's subject and links go to the console and the whole
 * message is kept under DATA_DIR/mail/ as an .eml file, built by nodemailer exactly as SMTP would send it.
 */
export function createDevOutboxTransport(dir: string, print: (line: string) => void): MailTransport {
  const Composer = createRequire(import.meta.url)('nodemailer/lib/mail-composer') as typeof MailComposer;
  return {
    name: 'dev-outbox',
    async send(unsafe) {
      const mail = safeHeaders(unsafe);
      const eml = await new Composer(nodemailerMessage(mail)).compile().build();
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const file = path.join(dir, outboxFileName(mail, new Date()));
      // `wx`: never overwrite an earlier email, whatever the name.
      writeFileSync(file, eml, { mode: 0o600, flag: 'wx' });
      const links = mail.text.match(/https?:\/\/\S+/g) ?? [];
      print(
        [
          `[mail] to ${mail.to}: ${mail.subject}`,
          ...links.map((l) => `[mail]   ${l}`),
          `[mail]   saved as ${file}`,
        ].join('\n'),
      );
    },
  };
}

/**
 * MAIL_TRANSPORT=disabled: nothing is sent, nothing is printed. The worker does not hand mail to this transport: it
 * marks each queued email `discarded` and blanks its bodies (see MailWorker), so no link waits in the database.
 */
export function createDisabledTransport(): MailTransport {
  return {
    name: 'disabled',
    send() {
      return Promise.reject(new Error('mail is disabled (MAIL_TRANSPORT=disabled)'));
    },
  };
}

/**
 * The transport the configuration names: Mailgun, SMTP, none (MAIL_TRANSPORT=disabled), or the development outbox,
 * which prints links and so is never chosen in production (loadConfig refuses to start there without a transport).
 */
export function createTransportFromConfig(
  config: Config,
  print: (line: string) => void = (l) => console.log(l),
): MailTransport {
  if (config.env.MAIL_TRANSPORT === 'disabled') {
    return createDisabledTransport();
  }
  if (config.env.MAILGUN_API_KEY && config.env.MAILGUN_DOMAIN) {
    return createMailgunTransport({
      baseUrl: mailgunBaseUrl(config),
      domain: config.env.MAILGUN_DOMAIN,
      apiKey: config.env.MAILGUN_API_KEY,
    });
  }
  if (config.env.SMTP_URL) {
    return createSmtpTransport(config.env.SMTP_URL);
  }
  if (config.isProduction) {
    // loadConfig already refuses this; kept so that no other path can print live links in production.
    throw new Error('no mail transport configured in production (set SMTP_URL, MAILGUN_* or MAIL_TRANSPORT=disabled)');
  }
  return createDevOutboxTransport(path.join(config.dataDir, 'mail'), print);
}
