import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type Nodemailer from 'nodemailer';
import type { Config } from '../config.ts';

export interface OutgoingMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
}

export interface MailTransport {
  readonly name: 'mailgun' | 'smtp' | 'dev-outbox' | 'disabled';
  /** Resolves when the provider accepted the message; rejects with a message safe to store and log. */
  send(mail: OutgoingMail): Promise<void>;
  close?(): void;
}

const SEND_TIMEOUT_MS = 30_000;

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
    async send(mail) {
      const body = new URLSearchParams({
        from: mail.from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        'h:Message-Id': mail.messageId,
      });
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
      await transporter.sendMail({
        from: mail.from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        messageId: mail.messageId,
      });
    },
    close: () => transporter.close(),
  };
}

/**
 * Development: nothing leaves the machine. Each email's subject and links go to the console and the whole
 * message is kept under DATA_DIR/mail/ as an .eml file.
 */
export function createDevOutboxTransport(dir: string, print: (line: string) => void): MailTransport {
  return {
    name: 'dev-outbox',
    async send(mail) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const file = path.join(
        dir,
        `${new Date().toISOString().replace(/[:.]/g, '-')}-${mail.messageId.replace(/[^A-Za-z0-9.-]/g, '')}.eml`,
      );
      const eml = [
        `From: ${mail.from}`,
        `To: ${mail.to}`,
        `Subject: ${mail.subject}`,
        `Message-ID: ${mail.messageId}`,
        'MIME-Version: 1.0',
        'Content-Type: multipart/alternative; boundary="parapet"',
        '',
        '--parapet',
        'Content-Type: text/plain; charset=utf-8',
        '',
        mail.text,
        '--parapet',
        'Content-Type: text/html; charset=utf-8',
        '',
        mail.html,
        '--parapet--',
        '',
      ].join('\r\n');
      writeFileSync(file, eml, { mode: 0o600 });
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
