import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { DB, OutboxMail } from '../../src/db/database.ts';

/** Emails queued for an address, oldest first (read straight from the durable outbox). */
export function mailsTo(db: DB, address: string): Promise<OutboxMail[]> {
  return db.selectFrom('mail_outbox').selectAll().where('to_address', '=', address).orderBy('id').execute();
}

/** The path and query of the first link in an email's text that points at `path` (e.g. '/verify-email'). */
export function linkIn(mail: OutboxMail | undefined, path: string, base = 'http://127.0.0.1:3000'): string {
  if (!mail) {
    throw new Error('no such email');
  }
  const match = mail.text_body.match(/https?:\/\/\S+/g)?.find((l) => new URL(l).pathname === path);
  if (!match) {
    throw new Error(`no ${path} link in: ${mail.text_body}`);
  }
  if (!match.startsWith(base)) {
    throw new Error(`link ${match} is not under ${base}`);
  }
  const url = new URL(match);
  return `${url.pathname}${url.search}`;
}

/** A real SMTP server on loopback that keeps what it receives. */
export async function startSmtp(t: { after(fn: () => unknown): void }) {
  const received: Array<{ from: string; to: string[]; raw: string }> = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, callback) {
      let raw = '';
      stream.on('data', (d: Buffer) => (raw += d.toString()));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.server.address() as AddressInfo;
  return { url: `smtp://127.0.0.1:${port}`, received };
}

/** A local endpoint that answers like Mailgun and records each request. */
export async function startMailgun(t: { after(fn: () => unknown): void }, status = () => 200) {
  const requests: Array<{ method: string; url: string; auth: string; type: string; form: URLSearchParams }> = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        auth: req.headers.authorization ?? '',
        type: req.headers['content-type'] ?? '',
        form: new URLSearchParams(body),
      });
      const code = status();
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify(code === 200 ? { id: '<x@mg>', message: 'Queued. Thank you.' } : { message: 'unavailable' }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}
