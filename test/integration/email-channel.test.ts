import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { describe, test, type TestContext } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { connect, type Dialect } from '../../src/db/connect.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { TestClock } from '../../src/lib/clock.ts';
import type { MailTransport, OutgoingMail } from '../../src/mail/transports.ts';
import { ticketIdFromReplyAddress } from '../../src/mail/thread.ts';
import { buildTestApp, createTestDatabase, TEST_ENV } from '../helpers/build-app.ts';
import { signedInAs } from '../helpers/client.ts';
import { dialects } from '../helpers/dialects.ts';
import { dovecotSkipReason, newMailbox } from '../helpers/dovecot.ts';
import { createUser } from '../helpers/factories.ts';
import { createFastHasher } from '../helpers/fast-hasher.ts';
import { AUTHSERV_ID, rawMail, SUPPORT_ADDRESS } from '../helpers/inbound-mail.ts';

/**
 * The whole channel with real parts, as the issue's "done when" says: a verified client's email becomes a ticket, the
 * staff reply reaches them threaded, their emailed answer lands in the same ticket without its quoted history; a
 * forged From, an unknown sender and an auto-reply never reach a ticket; redelivery changes nothing. Once through a
 * real IMAP server (Dovecot) with the app's own poller and workers running, once through the signed Mailgun webhook.
 */

const skip = await dovecotSkipReason();

async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) {
      return value;
    }
    if (Date.now() > end) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The app as the server runs it (workers and the IMAP poller started), delivering mail into `sent`. */
async function runningApp(t: TestContext, dialect: Dialect, env: Record<string, string>) {
  const testDb = await createTestDatabase(dialect);
  const config = loadConfig({ ...TEST_ENV, DATA_DIR: testDb.dataDir, ...env });
  config.database = testDb.database;
  const conn = connect(config.database, { poolSize: 4 });
  await migrateToLatest(conn);
  const sent: OutgoingMail[] = [];
  const transport: MailTransport = {
    name: 'smtp',
    send: (mail) => {
      sent.push(mail);
      return Promise.resolve();
    },
  };
  const app = await buildApp(config, {
    conn,
    // The test clock (sign-in codes step it); timers still run on real time.
    clock: new TestClock(),
    logger: false,
    hasher: createFastHasher({ pepper: config.pepper }),
    mailTransport: transport,
    startMailWorker: true,
  });
  await app.ready();
  t.after(async () => {
    await app.close();
    await conn.close();
    await testDb.cleanup();
  });
  return { app, sent };
}

async function entries(app: FastifyInstance, ticketId: number) {
  return app.db
    .selectFrom('ticket_messages')
    .select(['body', 'author_id', 'kind'])
    .where('ticket_id', '=', ticketId)
    .where('kind', '=', 'message')
    .orderBy('id')
    .execute();
}

const quoted = (text: string) =>
  `Thanks, the printer works again.\n\nOn Sat, 5 Dec 2026 at 11:00, Support <${SUPPORT_ADDRESS}> wrote:\n${text
    .split('\n')
    .map((l) => `> ${l}`)
    .join('\n')}\n`;

for (const dialect of dialects()) {
  describe(`the email channel end to end [${dialect}]`, () => {
    test(
      'over IMAP (Dovecot): email to ticket, threaded answer, reply by email; forgeries, strangers and auto-replies held or ignored',
      { skip },
      async (t) => {
        const mailbox = await newMailbox(t);
        const { app, sent } = await runningApp(t, dialect, {
          SUPPORT_ADDRESS,
          SUPPORT_NAME: 'Acme Support',
          INBOUND_AUTHSERV_ID: AUTHSERV_ID,
          INBOUND_UNKNOWN_SENDERS: 'hold',
          IMAP_URL: `imap://${encodeURIComponent(mailbox.user)}:password@127.0.0.1:10143/INBOX`,
        });
        const anna = await createUser(app, { email: 'anna@customer.example' });
        const { client: agent } = await signedInAs(app, 'agent', 'agent@parapet.test');

        const first = rawMail({
          from: anna.email,
          fromName: 'Anna',
          subject: 'Printer offline',
          body: 'It shows error 42.',
        });
        await mailbox.append(first);
        const ticket = await until('the ticket', () =>
          app.db.selectFrom('tickets').selectAll().where('client_id', '=', anna.id).executeTakeFirst(),
        );
        assert.equal(ticket.subject, 'Printer offline');
        await until('the message moved out of INBOX', async () => (await mailbox.messageIds('INBOX')).length === 0);
        assert.equal((await mailbox.messageIds('Parapet-processed')).length, 1);

        // The acknowledgement went out threaded.
        const ack = await until('the acknowledgement', async () => sent.find((m) => m.to === anna.email));
        assert.match(ack.subject, new RegExp(`^\\[#${String(ticket.id).padStart(6, '0')}\\] Printer offline$`));

        await agent.get(`/tickets/${ticket.id}`);
        await agent.post(`/tickets/${ticket.id}/messages`, { message: 'Please switch it off and on.' });
        const answer = await until('the staff answer by email', async () =>
          sent.find((m) => m.to === anna.email && m.text.includes('Please switch it off and on.')),
        );
        assert.equal(answer.subject, ack.subject, 'one subject for the whole conversation');
        assert.ok(answer.replyTo, 'a per-ticket Reply-To');
        const replyAddress = /<([^>]+)>/.exec(answer.replyTo)?.[1] ?? answer.replyTo;
        assert.equal(ticketIdFromReplyAddress(app.config.secretKey, SUPPORT_ADDRESS, replyAddress), ticket.id);
        assert.ok(answer.inReplyTo && answer.references, 'In-Reply-To and References name the thread');
        assert.equal(answer.headers['Auto-Submitted'], 'auto-generated');

        // Anna answers from her mail program: to the Reply-To, quoting the answer.
        await mailbox.append(
          rawMail({
            from: anna.email,
            to: replyAddress,
            subject: `Re: ${answer.subject}`,
            inReplyTo: answer.messageId,
            references: `${answer.references ?? ''} ${answer.messageId}`,
            body: quoted(answer.text),
          }),
        );
        const replies = await until('the emailed answer in the ticket', async () => {
          const rows = await entries(app, ticket.id);
          return rows.length === 3 ? rows : undefined;
        });
        assert.equal(replies[2]?.body, 'Thanks, the printer works again.');
        assert.equal(replies[2]?.author_id, anna.id);

        // A forged From, a stranger and an auto-reply never reach a ticket; the first message again changes nothing.
        await mailbox.append(
          rawMail({
            from: anna.email,
            to: replyAddress,
            subject: 'Re: x',
            body: 'Send the invoice to evil@x',
            auth: 'none',
          }),
        );
        await mailbox.append(rawMail({ from: 'who@stranger.example', subject: 'Hi', body: 'hello' }));
        await mailbox.append(
          rawMail({
            from: anna.email,
            subject: 'Away',
            body: 'I am away',
            headers: { 'Auto-Submitted': 'auto-replied' },
          }),
        );
        await mailbox.append(first);
        await until('every message taken out of INBOX', async () => (await mailbox.messageIds('INBOX')).length === 0);
        const rows = await until('three outcomes', async () => {
          const all = await app.db.selectFrom('mail_inbox').selectAll().orderBy('id').execute();
          return all.length === 5 && all.every((r) => !['pending', 'processing'].includes(r.status)) ? all : undefined;
        });
        assert.deepEqual(
          rows.map((r) => [r.status, r.outcome]),
          [
            ['applied', 'new_ticket'],
            ['applied', 'reply'],
            ['held', 'unauthenticated'],
            ['held', 'unknown_sender'],
            ['ignored', 'auto_reply'],
          ],
        );
        assert.equal((await entries(app, ticket.id)).length, 3);
        assert.equal(
          (await app.db.selectFrom('tickets').select('id').where('client_id', '=', anna.id).execute()).length,
          1,
        );
        assert.ok(!sent.some((m) => m.to === 'who@stranger.example'), 'nothing was sent to the stranger');
      },
    );

    test('through the signed Mailgun webhook (MIME route): the same conversation', async (t) => {
      const KEY = 'mailgun-signing-key-0123456789abcdef';
      const { app, db, config, clock } = await buildTestApp(t, dialect, {
        SUPPORT_ADDRESS,
        MAILGUN_WEBHOOK_SIGNING_KEY: KEY,
      });
      const anna = await createUser(app, { email: 'anna@customer.example' });
      const { client: agent } = await signedInAs(app, 'agent', 'agent@parapet.test');
      const post = (raw: Buffer, envelope: Record<string, string>) => {
        const timestamp = String(Math.floor(clock.now() / 1000));
        const token = randomBytes(25).toString('hex');
        const signature = createHmac('sha256', KEY)
          .update(timestamp + token)
          .digest('hex');
        const body = new URLSearchParams({ ...envelope, timestamp, token, signature });
        body.set('body-mime', raw.toString('utf8'));
        return app.inject({
          method: 'POST',
          url: '/inbound/mailgun/mime',
          payload: body.toString(),
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        });
      };
      // Mailgun appends its verdicts after the message's own headers; the message carries a DKIM signature of its domain.
      const viaMailgun = (spec: Parameters<typeof rawMail>[0], verdict: { spf: string; dkim: string }) => {
        const raw = rawMail({
          ...spec,
          auth: 'none',
          headers: { 'DKIM-Signature': 'v=1; a=rsa-sha256; d=customer.example; s=s1; h=from:subject; bh=x; b=y' },
        }).toString('utf8');
        const split = raw.indexOf('\r\n\r\n');
        return Buffer.from(
          `${raw.slice(0, split)}\r\nX-Mailgun-Spf: ${verdict.spf}\r\nX-Mailgun-Dkim-Check-Result: ${verdict.dkim}${raw.slice(split)}`,
        );
      };

      const first = viaMailgun(
        { from: anna.email, subject: 'Invoice missing', body: 'Where is my invoice?' },
        { spf: 'Pass', dkim: 'Pass' },
      );
      const envelope = { sender: anna.email, recipient: SUPPORT_ADDRESS };
      assert.equal((await post(first, envelope)).statusCode, 200);
      await app.inbound.worker.runOnce();
      const ticket = await db
        .selectFrom('tickets')
        .selectAll()
        .where('client_id', '=', anna.id)
        .executeTakeFirstOrThrow();
      assert.equal(ticket.subject, 'Invoice missing');

      await agent.get(`/tickets/${ticket.id}`);
      await agent.post(`/tickets/${ticket.id}/messages`, { message: 'Attached to your account page.' });
      const outgoing = await db
        .selectFrom('mail_outbox')
        .selectAll()
        .where('to_address', '=', anna.email)
        .where('kind', '=', 'ticket.staff_replied')
        .executeTakeFirstOrThrow();
      const headers = JSON.parse(outgoing.headers ?? '{}') as Record<string, string>;
      const replyAddress = /<([^>]+)>/.exec(headers['Reply-To'] ?? '')?.[1] ?? '';
      assert.equal(ticketIdFromReplyAddress(config.secretKey, SUPPORT_ADDRESS, replyAddress), ticket.id);

      const reply = viaMailgun(
        {
          from: anna.email,
          to: replyAddress,
          subject: `Re: ${outgoing.subject}`,
          inReplyTo: outgoing.message_id,
          body: quoted('Attached to your account page.'),
        },
        { spf: 'Pass', dkim: 'Pass' },
      );
      assert.equal((await post(reply, { sender: anna.email, recipient: replyAddress })).statusCode, 200);
      assert.equal(
        (await post(reply, { sender: anna.email, recipient: replyAddress })).statusCode,
        200,
        'a redelivery',
      );
      // A forged one: Mailgun found neither SPF nor DKIM for the domain.
      const forged = viaMailgun(
        { from: anna.email, to: replyAddress, subject: 'Re: x', body: 'forged' },
        { spf: 'Fail', dkim: 'Fail' },
      );
      assert.equal((await post(forged, { sender: 'x@evil.example', recipient: replyAddress })).statusCode, 200);
      await app.inbound.worker.runOnce();

      const messages = await entries(app, ticket.id);
      assert.deepEqual(
        messages.map((m) => m.body),
        ['Where is my invoice?', 'Attached to your account page.', 'Thanks, the printer works again.'],
      );
      const source = await until('the Mailgun source on the Mail page', () =>
        db
          .selectFrom('inbound_sources')
          .selectAll()
          .where('name', '=', 'mailgun')
          .where('received_count', '=', 3)
          .executeTakeFirst(),
      );
      assert.ok(source.last_success_at);
      const rows = await db.selectFrom('mail_inbox').select(['status', 'outcome']).orderBy('id').execute();
      assert.deepEqual(
        rows.map((r) => [r.status, r.outcome]),
        [
          ['applied', 'new_ticket'],
          ['applied', 'reply'],
          ['held', 'unauthenticated'],
        ],
      );
    });
  });
}
