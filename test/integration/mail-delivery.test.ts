import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { MAX_ATTEMPTS, retryDelayMs } from '../../src/mail/outbox.ts';
import { verifyEmailMail } from '../../src/mail/templates.tsx';
import type { MailBrand } from '../../src/mail/layout.tsx';

const BRAND: MailBrand = { name: 'Acme Help', accent: '#2b59c3', logoUrl: null };
import {
  createDevOutboxTransport,
  mailgunBaseUrl,
  type MailTransport,
  type OutgoingMail,
} from '../../src/mail/transports.ts';
import { MailWorker } from '../../src/mail/worker.ts';
import { loadConfig } from '../../src/config.ts';
import { buildTestApp, TEST_ENV } from '../helpers/build-app.ts';
import { TestClient } from '../helpers/client.ts';
import { dialects } from '../helpers/dialects.ts';
import { startMailgun, startSmtp } from '../helpers/mail.ts';

const PASSWORD = 'tangerine lighthouse orbit';

async function registerVia(app: FastifyInstance, email: string) {
  const client = new TestClient(app);
  await client.get('/register');
  return client.post('/register', { email, password: PASSWORD, password_confirm: PASSWORD });
}

class FlakyTransport implements MailTransport {
  readonly name = 'smtp' as const;
  up = false;
  sent: OutgoingMail[] = [];
  async send(mail: OutgoingMail) {
    if (!this.up) {
      throw new Error('connect ECONNREFUSED 127.0.0.1:2525');
    }
    await new Promise((r) => setTimeout(r, 1));
    this.sent.push(mail);
  }
}

describe('mail transports', () => {
  test('Mailgun region chooses the API host; MAILGUN_API_URL overrides it', () => {
    const base = { ...TEST_ENV, MAILGUN_API_KEY: 'key', MAILGUN_DOMAIN: 'mg.example.com' };
    assert.equal(mailgunBaseUrl(loadConfig(base)), 'https://api.mailgun.net');
    assert.equal(mailgunBaseUrl(loadConfig({ ...base, MAILGUN_DOMAIN_REGION: 'eu' })), 'https://api.eu.mailgun.net');
    assert.equal(mailgunBaseUrl(loadConfig({ ...base, MAILGUN_API_URL: 'http://127.0.0.1:9/' })), 'http://127.0.0.1:9');
  });

  test('the development outbox prints subject and links and keeps the whole message', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'parapet-mail-'));
    const lines: string[] = [];
    const mail = verifyEmailMail('http://127.0.0.1:3000/verify-email?token=abc')(BRAND);
    await createDevOutboxTransport(dir, (l) => lines.push(l)).send({
      from: 'a@b.c',
      to: 'x@example.com',
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      messageId: '<1@x>',
      headers: { 'Auto-Submitted': 'auto-generated' },
    });
    assert.match(lines.join('\n'), /to x@example\.com: Confirm your email address/);
    assert.match(lines.join('\n'), /verify-email\?token=abc/);
    const file = readdirSync(dir)[0] ?? '';
    // Readable and sorted by time: when, to whom, what (not "…uuid127.0.0.1.eml").
    assert.match(
      file,
      /^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z-x@example\.com-confirm-your-email-address[a-z-]*-[0-9a-f]{8}\.eml$/,
    );
    assert.match(readFileSync(path.join(dir, file), 'utf8'), /Content-Type: text\/html/);
  });

  test('templates escape user text in HTML', () => {
    const mail = verifyEmailMail('http://127.0.0.1:3000/verify-email?token="><script>alert(1)</script>')(BRAND);
    assert.ok(!mail.html.includes('<script>alert(1)</script>'));
  });
});

for (const dialect of dialects()) {
  describe(`mail delivery [${dialect}]`, () => {
    test('SMTP: the verification email reaches a real SMTP server with a link under APP_URL', async (t) => {
      const smtp = await startSmtp(t);
      const { app } = await buildTestApp(t, dialect, {
        SMTP_URL: smtp.url,
        APP_URL: 'https://help.example.com',
        MAIL_FROM: 'Help <help@example.com>',
      });
      const client = new TestClient(app, { headers: { 'x-forwarded-proto': 'https' } });
      await client.get('/register');
      await client.post('/register', {
        email: 'smtp.user@example.com',
        password: PASSWORD,
        password_confirm: PASSWORD,
      });
      assert.equal(await app.mail.worker.runOnce(), 1);
      assert.equal(smtp.received.length, 1);
      const [message] = smtp.received;
      assert.deepEqual(message?.to, ['smtp.user@example.com']);
      assert.equal(message?.from, 'help@example.com');
      const raw = message?.raw.replace(/=\r\n/g, '').replace(/=3D/g, '=') ?? '';
      assert.match(raw, /https:\/\/help\.example\.com\/verify-email\?token=[A-Za-z0-9_-]{43}/);
      assert.match(raw, /Content-Type: text\/plain/);
      assert.match(raw, /Content-Type: text\/html/);
      assert.equal(await app.mail.worker.runOnce(), 0, 'sent once, not again');
    });

    test('Mailgun: the email arrives as a correct Mailgun API request', async (t) => {
      const mailgun = await startMailgun(t);
      const { app } = await buildTestApp(t, dialect, {
        MAILGUN_API_KEY: 'key-test-123',
        MAILGUN_DOMAIN: 'mg.example.com',
        MAILGUN_API_URL: mailgun.url,
      });
      await registerVia(app, 'gun@example.com');
      assert.equal(await app.mail.worker.runOnce(), 1);
      const [request] = mailgun.requests;
      assert.equal(request?.method, 'POST');
      assert.equal(request?.url, '/v3/mg.example.com/messages');
      assert.equal(request?.auth, `Basic ${Buffer.from('api:key-test-123').toString('base64')}`);
      assert.match(request?.type ?? '', /application\/x-www-form-urlencoded/);
      assert.equal(request?.form.get('to'), 'gun@example.com');
      assert.equal(request?.form.get('from'), '"Support" <parapet@localhost>');
      assert.match(request?.form.get('subject') ?? '', /Confirm your email/);
      assert.match(request?.form.get('text') ?? '', /http:\/\/127\.0\.0\.1:3000\/verify-email\?token=/);
      assert.match(request?.form.get('html') ?? '', /<a href="http:\/\/127\.0\.0\.1:3000\/verify-email\?token=/);
      assert.match(request?.form.get('h:Message-Id') ?? '', /^<[0-9a-f-]+@127\.0\.0\.1>$/);
    });

    test('MAIL_TRANSPORT=disabled: queued mail is discarded with its bodies, logged, never printed or sent', async (t) => {
      const lines: string[] = [];
      const logger = { level: 'warn', stream: { write: (line: string) => lines.push(line) } };
      const printed: string[] = [];
      const original = console.log;
      console.log = (...args: unknown[]) => printed.push(args.join(' '));
      t.after(() => (console.log = original));
      const { app, db } = await buildTestApp(t, dialect, { MAIL_TRANSPORT: 'disabled' }, { logger });
      assert.equal(app.mail.transport.name, 'disabled');
      const res = await registerVia(app, 'nomail@example.com');
      assert.ok(res.statusCode < 500);
      const queued = await db.selectFrom('mail_outbox').selectAll().execute();
      assert.equal(queued.length, 1);
      assert.equal(await app.mail.worker.runOnce(), 0, 'nothing is sent');
      const row = await db.selectFrom('mail_outbox').selectAll().executeTakeFirstOrThrow();
      assert.equal(row.status, 'discarded');
      assert.equal(row.sent_at, null);
      assert.equal(row.text_body + row.html_body, '', 'the one-time link is not kept');
      assert.match(row.last_error ?? '', /MAIL_TRANSPORT=disabled/);
      assert.equal(await app.mail.worker.runOnce(), 0, 'a discarded email is not picked up again');
      assert.ok(
        lines.some((l) => l.includes('mail not sent: MAIL_TRANSPORT=disabled')),
        lines.join(''),
      );
      assert.ok(!lines.join('').includes('verify-email?token'), 'no link in the log');
      assert.ok(!printed.join('').includes('verify-email'), 'no link on stdout');
      assert.deepEqual(
        readdirSync(app.config.dataDir).filter((f) => f === 'mail'),
        [],
        'no dev outbox files',
      );
    });

    test('a 254-character address and a long APP_URL host fit the outbox columns (varchar sizes bind on PostgreSQL)', async (t) => {
      const domain = ['c'.repeat(63), 'd'.repeat(63), 'e'.repeat(57), 'com'].join('.');
      const longEmail = `${'a'.repeat(64)}@${domain}`;
      assert.equal(longEmail.length, 254);
      const host = ['h'.repeat(63), 'i'.repeat(63), 'j'.repeat(63), 'example'].join('.');
      const { app, db } = await buildTestApp(t, dialect, { REQUIRE_2FA: 'false', APP_URL: `http://${host}` });
      const { createUser } = await import('../helpers/factories.ts');
      const { openTicket } = await import('../helpers/tickets.ts');
      await createUser(app, { role: 'agent', email: 'agent@example.com', twoFactor: false });
      const client = await createUser(app, { email: longEmail, twoFactor: false });
      const browser = new TestClient(app, { headers: { host } });
      await browser.signIn(client);
      // The reproduction: the staff notification's subject named the client's address; on PostgreSQL it overflowed
      // varchar(300) and opening the ticket failed with a 500. Ticket mail now has the ticket's subject, tagged.
      const subject = `${'€'.repeat(150)} ${'x'.repeat(49)}`;
      const id = await openTicket(browser, { subject });
      assert.ok(id > 0);
      const [mail] = await db
        .selectFrom('mail_outbox')
        .selectAll()
        .where('to_address', '=', 'agent@example.com')
        .execute();
      assert.ok(mail, 'the staff member is told');
      assert.equal(mail.subject, `[#${String(id).padStart(6, '0')}] ${subject}`);
      assert.ok(mail.message_id.length <= 200, mail.message_id);
      assert.match(mail.message_id, /^<[0-9a-f-]{36}@parapet\.local>$/);
      // Short subjects are untouched.
      const { fitSubject } = await import('../../src/mail/outbox.ts');
      assert.equal(fitSubject('Reset your Parapet password'), 'Reset your Parapet password');
      assert.equal([...fitSubject('😀'.repeat(400))].length, 300, 'cut by code point, a surrogate pair is never split');
      assert.ok(!/[\uD800-\uDBFF]…$/.test(fitSubject('😀'.repeat(400))));
      assert.equal(fitSubject(`${'é'.repeat(299)}\r\nBcc: x@evil`).includes('\n'), false, 'never a line break');
    });

    test('a provider outage delays mail, loses none, and never fails the request', async (t) => {
      const flaky = new FlakyTransport();
      const { app, db, clock } = await buildTestApp(t, dialect);
      const worker = new MailWorker({ conn: app.conn, transport: flaky, clock, log: app.log, from: 'x@y.z' });
      const res = await registerVia(app, 'patient@example.com');
      assert.equal(res.statusCode, 200, 'the user’s request succeeds');
      assert.equal(await worker.runOnce(), 0);
      let row = await db.selectFrom('mail_outbox').selectAll().executeTakeFirstOrThrow();
      assert.equal(row.status, 'pending');
      assert.equal(row.attempts, 1);
      assert.match(row.last_error ?? '', /ECONNREFUSED/);
      assert.equal(row.next_attempt_at, clock.now() + retryDelayMs(1));

      flaky.up = true;
      assert.equal(await worker.runOnce(), 0, 'not retried before its backoff');
      clock.advance(retryDelayMs(1));
      assert.equal(await worker.runOnce(), 1);
      row = await db.selectFrom('mail_outbox').selectAll().executeTakeFirstOrThrow();
      assert.equal(row.status, 'sent');
      assert.equal(row.text_body + row.html_body, '', 'a delivered body (with its one-time link) is not kept');
      assert.equal(flaky.sent.length, 1);
    });

    test('after the last attempt an email is marked failed and audited', async (t) => {
      const flaky = new FlakyTransport();
      const { app, db, clock } = await buildTestApp(t, dialect);
      const worker = new MailWorker({ conn: app.conn, transport: flaky, clock, log: app.log, from: 'x@y.z' });
      await registerVia(app, 'doomed@example.com');
      for (let i = 0; i < MAX_ATTEMPTS; i++) {
        await worker.runOnce();
        clock.advance(retryDelayMs(i + 1));
      }
      const row = await db.selectFrom('mail_outbox').selectAll().executeTakeFirstOrThrow();
      assert.equal(row.status, 'failed');
      assert.equal(row.attempts, MAX_ATTEMPTS);
      assert.equal(row.text_body + row.html_body, '', 'a mail that will never be sent keeps no link');
      const audit = await db.selectFrom('audit_events').selectAll().where('event', '=', 'mail.failed').execute();
      assert.equal(audit.length, 1);
      assert.equal(await worker.runOnce(), 0, 'a failed email is not retried forever');
    });

    test('several workers deliver every queued email exactly once', async (t) => {
      const { app, clock } = await buildTestApp(t, dialect);
      const delivered: string[] = [];
      const transport: MailTransport = {
        name: 'smtp',
        async send(mail) {
          await new Promise((r) => setTimeout(r, 2));
          delivered.push(mail.messageId);
        },
      };
      for (let i = 0; i < 60; i++) {
        await app.mail.enqueue(
          app.db,
          `bulk${i}@example.com`,
          verifyEmailMail(`http://127.0.0.1:3000/verify-email?token=${i}`),
        );
      }
      const { connect } = await import('../../src/db/connect.ts');
      const conns = [
        app.conn,
        connect(app.config.database, { poolSize: 2 }),
        connect(app.config.database, { poolSize: 2 }),
      ];
      t.after(() => Promise.all(conns.slice(1).map((c) => c.close())));
      const workers = conns.map((conn) => new MailWorker({ conn, transport, clock, log: app.log, from: 'x@y.z' }));
      const counts = await Promise.all(workers.map((w) => w.runOnce()));
      assert.equal(
        counts.reduce((a, b) => a + b, 0),
        60,
      );
      assert.equal(delivered.length, 60);
      assert.equal(new Set(delivered).size, 60, 'no email sent twice');
    });

    test('a worker that died mid-send has its claim taken over after the lease', async (t) => {
      const { app, db, clock } = await buildTestApp(t, dialect);
      await registerVia(app, 'orphan@example.com');
      const { claimDueMail } = await import('../../src/mail/outbox.repository.ts');
      assert.equal((await claimDueMail(app.conn, clock.now())).length, 1, 'claimed by a worker that then crashed');
      const sent: string[] = [];
      const worker = new MailWorker({
        conn: app.conn,
        transport: { name: 'smtp', send: async (m) => void sent.push(m.to) },
        clock,
        log: app.log,
        from: 'x@y.z',
      });
      assert.equal(await worker.runOnce(), 0, 'still leased');
      clock.advance(3 * 60_000);
      assert.equal(await worker.runOnce(), 1);
      assert.deepEqual(sent, ['orphan@example.com']);
      assert.equal((await db.selectFrom('mail_outbox').select('status').executeTakeFirstOrThrow()).status, 'sent');
    });
  });
}
