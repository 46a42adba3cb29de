import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import type { DB, OutboxMail } from '../../src/db/database.ts';
import { verifyEmailMail } from '../../src/mail/templates.tsx';
import {
  REPLY_ABOVE_LINE,
  ticketIdFromReplyAddress,
  ticketIdFromThreadId,
  ticketThreadId,
} from '../../src/mail/thread.ts';
import {
  createDevOutboxTransport,
  createMailgunTransport,
  createSmtpTransport,
  type MailTransport,
  type OutgoingMail,
} from '../../src/mail/transports.ts';
import { MailWorker } from '../../src/mail/worker.ts';
import { buildTestApp, TEST_ENV } from '../helpers/build-app.ts';
import { signedInAs, TestClient } from '../helpers/client.ts';
import { dialects } from '../helpers/dialects.ts';
import { startMailgun, startSmtp } from '../helpers/mail.ts';
import { insertTickets, openTicket, postMessage } from '../helpers/tickets.ts';
import { assertNoInjectedMarkup } from '../security/html-check.ts';
import { XSS_PAYLOADS } from '../security/xss-payloads.ts';

const SECRET = TEST_ENV.SECRET_KEY;
const SUPPORT_ADDRESS = 'support@example.com';
/** A display name that needs quoting and escaping. */
const SUPPORT_NAME = 'Acme "Help" Desk \\ Team';
const SUPPORT = { SUPPORT_ADDRESS, SUPPORT_NAME };
const FORMATTED_FROM = '"Acme \\"Help\\" Desk \\\\ Team" <support@example.com>';
const INJECTION = 'Hi\r\nBcc: x@evil.example';
const PASSWORD = 'tangerine lighthouse orbit';

const tag = (id: number) => `[#${String(id).padStart(6, '0')}]`;

function ticketMails(db: DB, ticketId: number): Promise<OutboxMail[]> {
  return db.selectFrom('mail_outbox').selectAll().where('ticket_id', '=', ticketId).orderBy('id').execute();
}

function headersOf(mail: OutboxMail | undefined): Record<string, string> {
  return JSON.parse(mail?.headers ?? 'null') as Record<string, string>;
}

/** The bare address of `"Name" <address>`. */
const addressIn = (value: string | undefined) => /<([^<>]+)>$/.exec(value ?? '')?.[1] ?? '';

const firstAddress = (field: AddressObject | AddressObject[] | undefined) =>
  (Array.isArray(field) ? field[0] : field)?.value[0];

/** The header block of a raw message (before the first empty line). */
const headerBlock = (raw: string) => raw.split(/\r?\n\r?\n/)[0] ?? '';

/** A worker of the app's outbox with another transport. */
function workerWith(app: FastifyInstance, transport: MailTransport): MailWorker {
  return new MailWorker({ conn: app.conn, transport, clock: app.clock, log: app.log, from: app.config.mailFrom });
}

function capture(): MailTransport & { sent: OutgoingMail[] } {
  const sent: OutgoingMail[] = [];
  return { name: 'smtp', sent, send: async (mail) => void sent.push(mail) };
}

async function register(app: FastifyInstance, email: string) {
  const client = new TestClient(app);
  await client.get('/register');
  const res = await client.post('/register', { email, password: PASSWORD, password_confirm: PASSWORD });
  assert.ok(res.statusCode < 400, `register: ${res.statusCode}`);
}

describe('mail transports: no header injection at the boundary', () => {
  const evil: OutgoingMail = {
    from: 'Parapet\r\nBcc: from@evil.example <parapet@example.com>',
    to: 'carol@example.com',
    subject: INJECTION,
    text: 'Hello\r\n\r\nBcc: body@evil.example is only text here',
    html: '<p>Hello</p>',
    messageId: '<1@example.com>\r\nBcc: id@evil.example',
    replyTo: 'support@example.com\r\nBcc: reply@evil.example',
    inReplyTo: '<t@example.com>\nBcc: irt@evil.example',
    references: '<t@example.com>\rBcc: ref@evil.example',
    headers: { 'Auto-Submitted': 'auto-generated\r\nBcc: as@evil.example', 'Bcc\r\nX': 'name@evil.example' },
  };
  const noBcc = (headers: string, where: string) => {
    assert.doesNotMatch(headers, /^bcc:/im, `${where}: a Bcc header was injected:\n${headers}`);
    assert.doesNotMatch(headers, /name@evil/, `${where}: a header with a bad name was sent`);
  };

  test('SMTP (nodemailer): every value stays on its own header line', async (t) => {
    const smtp = await startSmtp(t);
    const transport = createSmtpTransport(smtp.url);
    t.after(() => transport.close?.());
    await transport.send(evil);
    const [message] = smtp.received;
    assert.deepEqual(message?.to, ['carol@example.com'], 'no extra recipient');
    noBcc(headerBlock(message?.raw ?? ''), 'smtp');
    const parsed = await simpleParser(message?.raw ?? '');
    assert.equal(parsed.subject, 'Hi Bcc: x@evil.example');
    assert.equal(parsed.bcc, undefined);
    assert.equal(parsed.headers.get('auto-submitted'), 'auto-generated Bcc: as@evil.example');
  });

  test('Mailgun: no form field carries a line break, and no field is added', async (t) => {
    const mailgun = await startMailgun(t);
    await createMailgunTransport({ baseUrl: mailgun.url, domain: 'mg.example.com', apiKey: 'key' }).send(evil);
    const form = mailgun.requests[0]?.form ?? new URLSearchParams();
    assert.deepEqual([...form.keys()].sort(), [
      'from',
      'h:Auto-Submitted',
      'h:In-Reply-To',
      'h:Message-Id',
      'h:References',
      'h:Reply-To',
      'html',
      'subject',
      'text',
      'to',
    ]);
    for (const [name, value] of form) {
      if (name !== 'text' && name !== 'html') {
        assert.doesNotMatch(value, /[\r\n]/, `${name}: ${JSON.stringify(value)}`);
      }
    }
    assert.equal(form.get('subject'), 'Hi Bcc: x@evil.example');
  });

  test('development outbox: the .eml file has no injected header', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'parapet-mail-'));
    await createDevOutboxTransport(dir, () => {}).send(evil);
    const raw = readFileSync(path.join(dir, readdirSync(dir)[0] ?? ''), 'utf8');
    noBcc(headerBlock(raw), 'eml');
    const parsed = await simpleParser(raw);
    assert.equal(parsed.subject, 'Hi Bcc: x@evil.example');
    assert.equal(parsed.text?.trim(), 'Hello\n\nBcc: body@evil.example is only text here');
  });
});

for (const dialect of dialects()) {
  describe(`ticket mail threading [${dialect}]`, () => {
    test('one subject for every event, its own Message-ID each, all in the ticket thread, Reply-To per ticket', async (t) => {
      const { app, db } = await buildTestApp(t, dialect, { ...SUPPORT });
      const domain = app.config.appUrl.hostname;
      const { client: carol } = await signedInAs(app, 'client', 'carol@example.com');
      const { client: agent } = await signedInAs(app, 'agent', 'agent@example.com');
      const id = await openTicket(carol, { subject: 'Printer on fire' });
      await postMessage(agent, id, 'Please unplug it first.');
      await postMessage(carol, id, 'Unplugged, still smoking.');
      await agent.get(`/tickets/${id}`);
      assert.equal((await agent.post(`/tickets/${id}/resolve`)).statusCode, 303);

      const mails = await ticketMails(db, id);
      assert.deepEqual(
        mails.map((m) => [m.to_address, m.kind]),
        [
          ['agent@example.com', 'ticket.ticket_opened'],
          ['carol@example.com', 'ticket.ticket_received'],
          ['carol@example.com', 'ticket.staff_replied'],
          ['agent@example.com', 'ticket.client_replied'],
          ['carol@example.com', 'ticket.resolved'],
        ],
      );
      assert.ok(
        mails.every((m) => m.subject === `${tag(id)} Printer on fire`),
        'the same subject for every event',
      );
      assert.equal(new Set(mails.map((m) => m.message_id)).size, mails.length, 'a Message-ID per email');
      assert.ok(mails.every((m) => /^<[0-9a-f-]{36}@127\.0\.0\.1>$/.test(m.message_id)));
      const root = `<${ticketThreadId(SECRET, domain, id)}>`;
      for (const mail of mails) {
        const headers = headersOf(mail);
        assert.equal(headers['In-Reply-To'], root);
        assert.equal(headers.References, root);
        assert.equal(ticketIdFromThreadId(SECRET, root), id);
        assert.equal(headers['Auto-Submitted'], 'auto-generated');
        assert.equal(headers.From, FORMATTED_FROM);
        const replyTo = addressIn(headers['Reply-To']);
        assert.match(replyTo, new RegExp(`^support\\+${id}\\.[0-9a-f]{12}@example\\.com$`));
        assert.equal(ticketIdFromReplyAddress(SECRET, SUPPORT_ADDRESS, replyTo), id);
        assert.equal(
          ticketIdFromReplyAddress(SECRET, SUPPORT_ADDRESS, replyTo.replace(`+${id}.`, `+${id + 1}.`)),
          null,
          'the MAC binds the address to this ticket',
        );
        // Without inbound mail configured, replies are not read: the email says so, and has no reply line.
        assert.ok(mail.text_body.includes('Replies to this email are not read'), mail.text_body);
        assert.ok(mail.html_body.includes('Replies to this email are not read'));
        assert.ok(!mail.text_body.includes(REPLY_ABOVE_LINE));
      }
      // The event is the headline, in the body.
      const [opened, received, replied, clientReplied, resolved] = mails;
      assert.match(opened?.text_body ?? '', /New ticket from carol@example\.com/);
      assert.match(received?.text_body ?? '', /We received your request/);
      assert.match(replied?.text_body ?? '', /Support replied to your ticket\n[^\n]*\n\nPlease unplug it first\./);
      assert.match(replied?.html_body ?? '', /Please unplug it first\./);
      assert.match(clientReplied?.text_body ?? '', /carol@example\.com replied[\s\S]*Unplugged, still smoking\./);
      assert.match(resolved?.text_body ?? '', /Your ticket was resolved/);
    });

    test('without SUPPORT_ADDRESS: threaded, but from MAIL_FROM and without Reply-To', async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      const { client: carol } = await signedInAs(app, 'client', 'carol@example.com');
      await signedInAs(app, 'agent', 'agent@example.com');
      const id = await openTicket(carol);
      const mails = await ticketMails(db, id);
      assert.equal(mails.length, 2);
      for (const mail of mails) {
        assert.deepEqual(Object.keys(headersOf(mail)).sort(), ['Auto-Submitted', 'In-Reply-To', 'References']);
        assert.equal(mail.ticket_id, id);
      }
      const transport = capture();
      assert.equal(await workerWith(app, transport).runOnce(), 2);
      for (const sent of transport.sent) {
        assert.equal(sent.from, '"Support" <parapet@localhost>');
        assert.equal(sent.replyTo, undefined);
        assert.equal(sent.inReplyTo, `<${ticketThreadId(SECRET, '127.0.0.1', id)}>`);
        assert.deepEqual(sent.headers, { 'Auto-Submitted': 'auto-generated' });
      }
    });

    test('with inbound mail configured, ticket mail says that replying works, above the reply line', async (t) => {
      const { app, db } = await buildTestApp(t, dialect, { ...SUPPORT, MAILGUN_WEBHOOK_SIGNING_KEY: 'k'.repeat(32) });
      const { client: carol } = await signedInAs(app, 'client', 'carol@example.com');
      await signedInAs(app, 'agent', 'agent@example.com');
      const id = await openTicket(carol);
      const [toStaff, toClient] = await ticketMails(db, id);
      for (const mail of [toStaff, toClient]) {
        assert.ok(mail?.text_body.startsWith(`${REPLY_ABOVE_LINE}\n`), mail?.text_body);
        assert.ok(mail?.html_body.includes(REPLY_ABOVE_LINE));
        assert.ok(!mail?.text_body.includes('not read'));
      }
      const line = 'Reply to this email to add to your ticket, or open it in the portal.';
      assert.ok(toClient?.text_body.includes(line), toClient?.text_body);
      assert.ok(toClient?.html_body.includes(line));
      assert.ok(toStaff?.text_body.includes('Reply to this email to add to the ticket, or open it in the portal.'));
      assert.ok(toClient?.text_body.includes('To add details, reply to this email or open the ticket in the portal.'));
    });

    test('an internal note sends no email; the client never sees a note in any email', async (t) => {
      const { app, db } = await buildTestApp(t, dialect, { ...SUPPORT });
      const { client: carol } = await signedInAs(app, 'client', 'carol@example.com');
      const { client: agent } = await signedInAs(app, 'agent', 'agent@example.com');
      await signedInAs(app, 'administrator', 'admin@example.com');
      const id = await openTicket(carol);
      const before = (await db.selectFrom('mail_outbox').select('id').execute()).length;
      await postMessage(agent, id, 'Client seems careless', { internal: true });
      assert.equal((await db.selectFrom('mail_outbox').select('id').execute()).length, before, 'no email for a note');
      await postMessage(agent, id, 'Please unplug it.');
      const all = await db.selectFrom('mail_outbox').selectAll().execute();
      assert.ok(all.every((m) => !m.text_body.includes('careless') && !m.html_body.includes('careless')));
    });

    test('MAIL_INCLUDE_CONTENT=false: every ticket email is link-only, the subject stays', async (t) => {
      const { app, db } = await buildTestApp(t, dialect, { ...SUPPORT, MAIL_INCLUDE_CONTENT: 'false' });
      const { client: carol } = await signedInAs(app, 'client', 'carol@example.com');
      const { client: agent } = await signedInAs(app, 'agent', 'agent@example.com');
      const id = await openTicket(carol, { subject: 'Printer on fire', message: 'The door code is 4242.' });
      await postMessage(agent, id, 'Try the code 9999 instead.');
      await postMessage(carol, id, 'Code 7777 worked.');
      const mails = await ticketMails(db, id);
      assert.deepEqual(
        mails.map((m) => m.kind),
        ['ticket.ticket_opened', 'ticket.ticket_received', 'ticket.staff_replied', 'ticket.client_replied'],
      );
      for (const mail of mails) {
        for (const secret of ['4242', '9999', '7777']) {
          assert.ok(!mail.text_body.includes(secret), `${mail.kind} text has ${secret}`);
          assert.ok(!mail.html_body.includes(secret), `${mail.kind} html has ${secret}`);
        }
        assert.equal(mail.subject, `${tag(id)} Printer on fire`);
        assert.ok(mail.text_body.includes('The message is in the portal.'));
        assert.ok(mail.text_body.includes(`http://127.0.0.1:3000/tickets/${id}`));
      }
    });

    test('the acknowledgement: the client is told their request arrived, unless they turned ticket emails off', async (t) => {
      const { app, db } = await buildTestApp(t, dialect, { ...SUPPORT });
      const { client: carol } = await signedInAs(app, 'client', 'carol@example.com');
      const { user: quietUser, client: quiet } = await signedInAs(app, 'client', 'quiet@example.com');
      const { client: agent } = await signedInAs(app, 'agent', 'agent@example.com');

      const id = await openTicket(carol, { subject: 'Printer on fire', message: 'It started smoking.' });
      const ack = (await ticketMails(db, id)).find((m) => m.to_address === 'carol@example.com');
      assert.equal(ack?.kind, 'ticket.ticket_received');
      assert.ok(ack?.text_body.includes(`We received your request ${tag(id)} Printer on fire.`), ack?.text_body);
      assert.ok(ack?.text_body.includes('It started smoking.'), 'their text is quoted');
      assert.ok(ack?.text_body.includes(`Open the ticket: http://127.0.0.1:3000/tickets/${id}`));
      assert.ok(ack?.text_body.includes('What happens next'));
      assert.ok(ack?.html_body.includes(`href="http://127.0.0.1:3000/tickets/${id}"`));

      await db.updateTable('users').set({ notify_tickets: 0 }).where('id', '=', quietUser.id).execute();
      const quietId = await openTicket(quiet);
      assert.deepEqual(
        (await ticketMails(db, quietId)).map((m) => m.to_address),
        ['agent@example.com'],
        'no acknowledgement to a client who turned ticket emails off',
      );

      // Staff opening a ticket for a client: the client gets "opened for you", not an acknowledgement.
      const forCarol = await openTicket(agent, { client_email: 'carol@example.com', subject: 'Opened for Carol' });
      assert.deepEqual(
        (await ticketMails(db, forCarol)).map((m) => [m.to_address, m.kind]),
        [['carol@example.com', 'ticket.ticket_opened_for_you']],
      );
    });

    test('a line break in a stored subject or in SUPPORT_NAME reaches no transport as a header', async (t) => {
      const smtp = await startSmtp(t);
      const mailgun = await startMailgun(t);
      const { app, db, clock } = await buildTestApp(t, dialect, {
        SUPPORT_ADDRESS,
        SUPPORT_NAME: 'Help\r\nBcc: name@evil.example',
      });
      const { user: carolUser } = await signedInAs(app, 'client', 'carol@example.com');
      const { client: agent } = await signedInAs(app, 'agent', 'agent@example.com');
      // The portal's forms collapse line breaks in subjects; a subject from elsewhere (email) may still hold one.
      const [id = 0] = await insertTickets(db, carolUser, 1, clock.now(), () => ({ subject: INJECTION }));
      const expected = `${tag(id)} Hi Bcc: x@evil.example`;
      const smtpTransport = createSmtpTransport(smtp.url);
      t.after(() => smtpTransport.close?.());
      const dir = mkdtempSync(path.join(tmpdir(), 'parapet-mail-'));
      const transports = [
        smtpTransport,
        createMailgunTransport({ baseUrl: mailgun.url, domain: 'mg.example.com', apiKey: 'key' }),
        createDevOutboxTransport(dir, () => {}),
      ];
      for (const [i, transport] of transports.entries()) {
        await postMessage(agent, id, `Answer ${i}`);
        assert.equal(await workerWith(app, transport).runOnce(), 1);
      }
      const rows = await ticketMails(db, id);
      assert.equal(rows.length, 3);
      assert.ok(rows.every((m) => m.subject === expected));

      const [delivered] = smtp.received;
      assert.deepEqual(delivered?.to, ['carol@example.com']);
      assert.doesNotMatch(headerBlock(delivered?.raw ?? ''), /^bcc:/im);
      const parsed = await simpleParser(delivered?.raw ?? '');
      assert.equal(parsed.subject, expected);
      assert.equal(parsed.bcc, undefined);
      assert.equal(firstAddress(parsed.from)?.address, SUPPORT_ADDRESS);
      assert.equal(firstAddress(parsed.from)?.name, 'Help Bcc: name@evil.example');

      const form = mailgun.requests[0]?.form ?? new URLSearchParams();
      assert.equal(form.get('subject'), expected);
      assert.equal(form.has('bcc'), false);
      assert.doesNotMatch(form.get('from') ?? '', /[\r\n]/);
      assert.doesNotMatch(form.get('h:Reply-To') ?? '', /[\r\n]/);

      const eml = readFileSync(path.join(dir, readdirSync(dir)[0] ?? ''), 'utf8');
      assert.doesNotMatch(headerBlock(eml), /^bcc:/im);
      assert.equal((await simpleParser(eml)).subject, expected);
    });

    test('stored headers are read strictly: unknown names dropped, values made header-safe', async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      await app.mail.enqueue(db, 'a@example.com', verifyEmailMail('http://127.0.0.1:3000/verify-email?token=1'));
      await app.mail.enqueue(db, 'b@example.com', verifyEmailMail('http://127.0.0.1:3000/verify-email?token=2'));
      await db
        .updateTable('mail_outbox')
        .set({ headers: JSON.stringify({ Bcc: 'x@evil.example', 'Reply-To': 'a@b.c\r\nBcc: y@evil', From: 42 }) })
        .where('to_address', '=', 'a@example.com')
        .execute();
      await db
        .updateTable('mail_outbox')
        .set({ headers: '{not json' })
        .where('to_address', '=', 'b@example.com')
        .execute();
      const transport = capture();
      assert.equal(await workerWith(app, transport).runOnce(), 2);
      const [a, b] = transport.sent;
      assert.equal(a?.replyTo, 'a@b.c Bcc: y@evil');
      assert.equal(a?.from, '"Support" <parapet@localhost>');
      assert.deepEqual(a?.headers, { 'Auto-Submitted': 'auto-generated' });
      assert.deepEqual(b?.headers, { 'Auto-Submitted': 'auto-generated' });
      assert.equal(b?.replyTo, undefined);
    });

    test('SMTP: ticket mail arrives from the support address, threaded, with the ticket Reply-To; account mail from MAIL_FROM', async (t) => {
      const smtp = await startSmtp(t);
      const { app } = await buildTestApp(t, dialect, {
        ...SUPPORT,
        SMTP_URL: smtp.url,
        MAIL_FROM: 'Accounts <accounts@example.com>',
      });
      const { client: carol } = await signedInAs(app, 'client', 'carol@example.com');
      await signedInAs(app, 'agent', 'agent@example.com');
      const id = await openTicket(carol);
      assert.equal(await app.mail.worker.runOnce(), 2);
      const parsed: ParsedMail[] = await Promise.all(smtp.received.map((m) => simpleParser(m.raw)));
      const root = `<${ticketThreadId(SECRET, '127.0.0.1', id)}>`;
      for (const [i, mail] of parsed.entries()) {
        assert.equal(mail.subject, `${tag(id)} Printer on fire`);
        assert.equal(smtp.received[i]?.from, SUPPORT_ADDRESS, 'envelope sender');
        assert.equal(firstAddress(mail.from)?.address, SUPPORT_ADDRESS);
        assert.equal(firstAddress(mail.from)?.name, SUPPORT_NAME, 'a display name with quotes and a backslash');
        assert.equal(firstAddress(mail.replyTo)?.name, SUPPORT_NAME);
        assert.equal(ticketIdFromReplyAddress(SECRET, SUPPORT_ADDRESS, firstAddress(mail.replyTo)?.address ?? ''), id);
        assert.equal(mail.inReplyTo, root);
        assert.deepEqual([mail.references].flat(), [root]);
        assert.equal(mail.headers.get('auto-submitted'), 'auto-generated');
        assert.match(mail.messageId ?? '', /^<[0-9a-f-]{36}@127\.0\.0\.1>$/);
      }
      assert.notEqual(parsed[0]?.messageId, parsed[1]?.messageId);

      await register(app, 'newcomer@example.com');
      assert.equal(await app.mail.worker.runOnce(), 1);
      const account = await simpleParser(smtp.received[2]?.raw ?? '');
      assert.match(account.subject ?? '', /Confirm your email/);
      assert.equal(firstAddress(account.from)?.address, 'accounts@example.com');
      assert.equal(account.headers.get('auto-submitted'), 'auto-generated', 'RFC 3834 on account mail too');
      assert.equal(account.replyTo, undefined);
      assert.equal(account.inReplyTo, undefined);
      assert.equal(account.references, undefined);
    });

    test('Mailgun: the thread, Reply-To and Auto-Submitted go as h: fields', async (t) => {
      const mailgun = await startMailgun(t);
      const { app } = await buildTestApp(t, dialect, {
        ...SUPPORT,
        MAILGUN_API_KEY: 'key-test-123',
        MAILGUN_DOMAIN: 'mg.example.com',
        MAILGUN_API_URL: mailgun.url,
      });
      const { client: carol } = await signedInAs(app, 'client', 'carol@example.com');
      const id = await openTicket(carol);
      await register(app, 'newcomer@example.com');
      assert.equal(await app.mail.worker.runOnce(), 2, 'the acknowledgement and the verification email');
      const [ack, account] = mailgun.requests.map((r) => r.form);
      const root = `<${ticketThreadId(SECRET, '127.0.0.1', id)}>`;
      assert.equal(ack?.get('subject'), `${tag(id)} Printer on fire`);
      assert.equal(ack?.get('from'), FORMATTED_FROM);
      assert.equal(ack?.get('h:In-Reply-To'), root);
      assert.equal(ack?.get('h:References'), root);
      assert.equal(ack?.get('h:Auto-Submitted'), 'auto-generated');
      assert.equal(ticketIdFromReplyAddress(SECRET, SUPPORT_ADDRESS, addressIn(ack?.get('h:Reply-To') ?? '')), id);
      assert.equal(account?.get('from'), '"Support" <parapet@localhost>');
      assert.equal(account?.get('h:Auto-Submitted'), 'auto-generated');
      assert.equal(account?.has('h:Reply-To'), false);
      assert.equal(account?.has('h:In-Reply-To'), false);
    });

    test('XSS payloads in a subject and a message come out escaped in the HTML part', async (t) => {
      const { app, db } = await buildTestApp(t, dialect, {
        ...SUPPORT,
        TICKETS_PER_HOUR: '1000',
        STAFF_NOTIFICATIONS_PER_HOUR: '1000',
      });
      const { client: carol } = await signedInAs(app, 'client', 'carol@example.com');
      const { client: agent } = await signedInAs(app, 'agent', 'agent@example.com');
      const payloads = XSS_PAYLOADS.filter((p) => p.includes('<')).slice(0, 12);
      assert.ok(payloads.length >= 10);
      for (const payload of payloads) {
        const id = await openTicket(carol, { subject: payload.slice(0, 200), message: payload });
        await postMessage(agent, id, payload);
        const mails = await ticketMails(db, id);
        assert.equal(mails.length, 3);
        for (const mail of mails) {
          assertNoInjectedMarkup(mail.html_body, `email ${mail.kind}`, { email: true });
          assert.ok(!mail.html_body.includes(payload), `${mail.kind}: the payload is in the HTML unescaped`);
          assert.ok(mail.html_body.includes('&lt;'), `${mail.kind}: the payload is shown, escaped`);
          assert.doesNotMatch(mail.subject, /[\r\n]/);
        }
      }
    });
  });
}
