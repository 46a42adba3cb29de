import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, type TestApp } from '../helpers/build-app.ts';
import { signedInAs, TestClient } from '../helpers/client.ts';
import { dialects } from '../helpers/dialects.ts';
import { createUser } from '../helpers/factories.ts';
import { deliver, INBOUND_ENV, rawMail, SUPPORT_ADDRESS } from '../helpers/inbound-mail.ts';
import { linkIn, mailsTo } from '../helpers/mail.ts';
import { openTicket } from '../helpers/tickets.ts';
import { assertNoInjectedMarkup } from '../security/html-check.ts';
import { XSS_PAYLOADS } from '../security/xss-payloads.ts';
import { ticketReplyAddress, ticketThreadId } from '../../src/mail/thread.ts';
import { claimDueInbox, INBOX_LEASE_MS } from '../../src/features/inbound/inbox.repository.ts';
import { applyInbound, LeaseLost } from '../../src/features/inbound/inbound.service.ts';

async function inboxRows(app: FastifyInstance) {
  return app.db.selectFrom('mail_inbox').selectAll().orderBy('id').execute();
}

async function entriesOf(app: FastifyInstance, ticketId: number) {
  return app.db
    .selectFrom('ticket_messages')
    .select(['kind', 'body', 'author_id', 'inbox_id'])
    .where('ticket_id', '=', ticketId)
    .where('kind', '<>', 'event')
    .orderBy('id')
    .execute();
}

async function ticketsOf(app: FastifyInstance, clientId: number) {
  return app.db.selectFrom('tickets').selectAll().where('client_id', '=', clientId).orderBy('id').execute();
}

const GMAIL_REPLY = (quoted: string) =>
  `Yes, that fixed it. Thank you!\n\nAnna\n\nOn Sat, 5 Dec 2026 at 10:00, Support <${SUPPORT_ADDRESS}> wrote:\n${quoted
    .split('\n')
    .map((l) => `> ${l}`)
    .join('\n')}\n`;

async function inboundApp(
  t: Parameters<typeof buildTestApp>[0],
  dialect: Parameters<typeof buildTestApp>[1],
  env = {},
) {
  const built: TestApp = await buildTestApp(t, dialect, { ...INBOUND_ENV, ...env });
  return built;
}

for (const dialect of dialects()) {
  describe(`inbound email [${dialect}]`, () => {
    test('a verified client’s email opens a ticket; their emailed answer lands in it without the quoted history', async (t) => {
      const { app, db, config } = await inboundApp(t, dialect);
      const anna = await createUser(app, { email: 'anna@customer.example' });
      const { client: agent } = await signedInAs(app, 'agent', 'agent@parapet.test');

      assert.deepEqual(
        await deliver(
          app,
          rawMail({ from: anna.email, fromName: 'Anna', subject: 'Printer offline', body: 'It shows error 42.' }),
        ),
        { stored: true },
      );
      const [ticket] = await ticketsOf(app, anna.id);
      assert.ok(ticket, 'a ticket was opened');
      assert.equal(ticket.subject, 'Printer offline');
      assert.equal(ticket.status, 'awaiting_staff');
      const [first] = await entriesOf(app, ticket.id);
      assert.equal(first?.body, 'It shows error 42.');
      assert.equal(first?.author_id, anna.id);
      const [row] = await inboxRows(app);
      assert.equal(row?.status, 'applied');
      assert.equal(row?.outcome, 'new_ticket');
      assert.equal(row?.ticket_id, ticket.id);
      assert.equal(first?.inbox_id, row?.id);
      assert.ok((await mailsTo(db, 'agent@parapet.test')).length > 0, 'staff are told');

      await agent.get(`/tickets/${ticket.id}`);
      assert.equal(
        (await agent.post(`/tickets/${ticket.id}/messages`, { message: 'Please restart it.' })).statusCode,
        303,
      );

      // The client answers the notification: to the ticket's reply address, quoting the staff message.
      const replyTo = ticketReplyAddress(config.secretKey, SUPPORT_ADDRESS, ticket.id);
      await deliver(
        app,
        rawMail({
          from: anna.email,
          to: replyTo,
          subject: `Re: [#${String(ticket.id).padStart(6, '0')}] Printer offline`,
          body: GMAIL_REPLY('Please restart it.'),
        }),
      );
      const entries = await entriesOf(app, ticket.id);
      assert.equal(entries.length, 3);
      assert.equal(entries[2]?.body.trim(), 'Yes, that fixed it. Thank you!\n\nAnna');
      assert.doesNotMatch(entries[2]?.body ?? '', /Please restart it|wrote:/);
      const after = await db
        .selectFrom('tickets')
        .select('status')
        .where('id', '=', ticket.id)
        .executeTakeFirstOrThrow();
      assert.equal(after.status, 'awaiting_staff', 'the client’s reply moves the ticket back to staff');
    });

    test('replies are matched by References to our thread when the address and subject are gone', async (t) => {
      const { app, config } = await inboundApp(t, dialect);
      const { user: carol, client } = await signedInAs(app, 'client', 'carol@customer.example');
      const id = await openTicket(client, { subject: 'Invoice' });
      await deliver(
        app,
        rawMail({
          from: carol.email,
          subject: 'something else',
          body: 'Matched by its references.',
          references: `<unrelated@elsewhere.example> <${ticketThreadId(config.secretKey, 'localhost', id)}>`,
        }),
      );
      assert.equal((await entriesOf(app, id)).at(-1)?.body, 'Matched by its references.');
      // A made-up thread id (wrong MAC) matches nothing: it would open a new ticket instead.
      await deliver(
        app,
        rawMail({
          from: carol.email,
          subject: 'forged ref',
          body: 'x',
          references: `<ticket.${id}.000000000000@localhost>`,
        }),
      );
      assert.equal((await entriesOf(app, id)).length, 2);
      assert.equal((await ticketsOf(app, carol.id)).length, 2);
    });

    test('a forged From (no authentication, a failure, or a verdict from a server we do not trust) is held, never added', async (t) => {
      const { app } = await inboundApp(t, dialect);
      const { user: carol, client } = await signedInAs(app, 'client', 'carol@customer.example');
      const id = await openTicket(client, { subject: 'Account' });
      for (const auth of ['none', 'fail', 'foreign'] as const) {
        await deliver(
          app,
          rawMail({
            from: carol.email,
            subject: `Re: [#${String(id).padStart(6, '0')}] Account`,
            body: `forged ${auth}`,
            auth,
          }),
        );
      }
      assert.equal((await entriesOf(app, id)).length, 1, 'nothing was added to the ticket');
      const rows = await inboxRows(app);
      assert.deepEqual(
        rows.map((r) => [r.status, r.outcome, r.ticket_id]),
        [
          ['held', 'unauthenticated', id],
          ['held', 'unauthenticated', id],
          ['held', 'unauthenticated', id],
        ],
      );
      assert.match(rows[0]?.reason ?? '', /did not authenticate for customer\.example/);
      assert.equal((await ticketsOf(app, carol.id)).length, 1);
    });

    test('a reply to another client’s ticket, and a staff reply without DKIM, are held; a signed staff reply is added', async (t) => {
      const { app, config } = await inboundApp(t, dialect);
      const { client } = await signedInAs(app, 'client', 'carol@customer.example');
      const mallory = await createUser(app, { email: 'mallory@other.example' });
      const agent = await createUser(app, { role: 'agent', email: 'agent@parapet.test' });
      const id = await openTicket(client, { subject: 'Private' });
      const to = ticketReplyAddress(config.secretKey, SUPPORT_ADDRESS, id);

      await deliver(app, rawMail({ from: mallory.email, to, subject: 'Re: Private', body: 'let me in' }));
      await deliver(
        app,
        rawMail({ from: agent.email, to, subject: 'Re: Private', body: 'unsigned', auth: 'spf-only' }),
      );
      assert.deepEqual(
        (await inboxRows(app)).map((r) => r.outcome),
        ['not_on_ticket', 'staff_unsigned'],
      );
      assert.equal((await entriesOf(app, id)).length, 1);

      await deliver(app, rawMail({ from: agent.email, to, subject: 'Re: Private', body: 'Signed answer.' }));
      const last = (await entriesOf(app, id)).at(-1);
      assert.equal(last?.body, 'Signed answer.');
      assert.equal(last?.author_id, agent.id);
      assert.equal(last?.kind, 'message');
      const ticket = await app.db.selectFrom('tickets').select('status').where('id', '=', id).executeTakeFirstOrThrow();
      assert.equal(ticket.status, 'awaiting_client');
    });

    test('auto-replies, bounces and our own mail are never added or answered', async (t) => {
      const { app, db } = await inboundApp(t, dialect);
      const anna = await createUser(app, { email: 'anna@customer.example' });
      const before = (await db.selectFrom('mail_outbox').select('id').execute()).length;
      await deliver(
        app,
        rawMail({
          from: anna.email,
          subject: 'Out of office',
          body: 'I am away.',
          headers: { 'Auto-Submitted': 'auto-replied' },
        }),
      );
      await deliver(
        app,
        rawMail({ from: anna.email, subject: 'Digest', body: 'list', headers: { 'List-Id': '<news.example>' } }),
      );
      await deliver(app, rawMail({ from: SUPPORT_ADDRESS, subject: 'loop', body: 'our own' }));
      assert.deepEqual(
        (await inboxRows(app)).map((r) => [r.status, r.outcome]),
        [
          ['ignored', 'auto_reply'],
          ['ignored', 'list'],
          ['ignored', 'own_message'],
        ],
      );
      assert.equal((await ticketsOf(app, anna.id)).length, 0);
      assert.equal((await db.selectFrom('mail_outbox').select('id').execute()).length, before, 'nothing was sent back');
    });

    test('a bounce that arrives by mail marks the address undeliverable; the user page says so', async (t) => {
      const { app } = await inboundApp(t, dialect);
      const gone = await createUser(app, { email: 'gone@customer.example' });
      const { client: admin } = await signedInAs(app, 'administrator', 'admin@parapet.test');
      await deliver(app, readFileSync(new URL('../fixtures/mail/bounce.eml', import.meta.url)));
      const [row] = await inboxRows(app);
      assert.deepEqual([row?.status, row?.outcome], ['ignored', 'bounce']);
      const marked = await app.db.selectFrom('undeliverable_addresses').selectAll().orderBy('address').execute();
      assert.ok(
        marked.some((m) => m.address === 'gone@customer.example'),
        JSON.stringify(marked),
      );
      assert.ok(
        marked.every((m) => m.address !== 'busy@customer.example'),
        'a temporary failure does not count',
      );
      const page = await admin.get(`/admin/users/${gone.id}`);
      assert.match(page.body, /undeliverable/i);
    });

    test('an unknown sender gets one invitation; after signing up with 2FA their email becomes their ticket', async (t) => {
      const { app, db } = await inboundApp(t, dialect);
      await deliver(
        app,
        rawMail({ from: 'new@stranger.example', fromName: 'Nina New', subject: 'Hello', body: 'First question.' }),
      );
      await deliver(app, rawMail({ from: 'new@stranger.example', subject: 'Hello again', body: 'Second question.' }));
      const rows = await inboxRows(app);
      assert.deepEqual(
        rows.map((r) => [r.status, r.outcome]),
        [
          ['held', 'awaiting_sender'],
          ['held', 'awaiting_sender'],
        ],
      );
      const user = await db
        .selectFrom('users')
        .selectAll()
        .where('email', '=', 'new@stranger.example')
        .executeTakeFirstOrThrow();
      assert.equal(user.role, 'client');
      assert.equal(user.name, 'Nina New');
      assert.equal(user.email_verified_at, null);
      const invitations = await mailsTo(db, 'new@stranger.example');
      assert.equal(invitations.length, 1, 'one invitation, however many emails');
      assert.ok(rows.every((r) => r.sender_user_id === user.id));

      // Accepting the invitation proves the address; the tickets wait for two-factor authentication (REQUIRE_2FA).
      const browser = new TestClient(app);
      const link = linkIn(invitations[0], '/invitation');
      await browser.get(link);
      const accepted = await browser.post('/invitation', {
        token: new URL(link, 'http://x').searchParams.get('token') ?? '',
        password: 'Zebra lantern copper 93 ok',
        password_confirm: 'Zebra lantern copper 93 ok',
      });
      assert.ok([200, 303].includes(accepted.statusCode), `accepting answered ${accepted.statusCode}`);
      await app.inbound.worker.runOnce();
      assert.equal((await ticketsOf(app, user.id)).length, 0, 'not before two-factor authentication is set up');

      await db.updateTable('users').set({ totp_enabled_at: app.clock.now() }).where('id', '=', user.id).execute();
      await app.inbound.worker.runOnce();
      const tickets = await ticketsOf(app, user.id);
      assert.deepEqual(
        tickets.map((x) => x.subject),
        ['Hello', 'Hello again'],
      );
      assert.deepEqual(
        (await inboxRows(app)).map((r) => r.status),
        ['applied', 'applied'],
      );
    });

    test('INBOUND_UNKNOWN_SENDERS=reject and =hold create no account and send nothing', async (t) => {
      for (const mode of ['reject', 'hold'] as const) {
        const { app, db } = await inboundApp(t, dialect, { INBOUND_UNKNOWN_SENDERS: mode });
        await deliver(app, rawMail({ from: 'who@stranger.example', subject: 'Hi', body: 'x' }));
        const [row] = await inboxRows(app);
        assert.equal(row?.status, mode === 'reject' ? 'rejected' : 'held');
        assert.equal(row?.outcome, 'unknown_sender');
        assert.equal(
          await db.selectFrom('users').select('id').where('email', '=', 'who@stranger.example').executeTakeFirst(),
          undefined,
        );
        assert.equal((await mailsTo(db, 'who@stranger.example')).length, 0);
      }
    });

    test('a flood from one sender is held once over INBOUND_PER_SENDER_PER_HOUR, counted under parallel processing', async (t) => {
      const { app, config } = await inboundApp(t, dialect, {
        INBOUND_PER_SENDER_PER_HOUR: '3',
        TICKETS_PER_HOUR: '100',
      });
      const anna = await createUser(app, { email: 'anna@customer.example' });
      const other = await buildSecondApp(t, app, config);
      for (let i = 0; i < 8; i += 1) {
        await app.inbound.receive({
          source: 'imap',
          sourceId: `f${i}`,
          raw: rawMail({ from: anna.email, subject: `Flood ${i}`, body: 'x' }),
          messageId: null,
        });
      }
      await Promise.all([app.inbound.worker.runOnce(), other.inbound.worker.runOnce()]);
      const rows = await inboxRows(app);
      assert.equal(rows.filter((r) => r.status === 'applied').length, 3);
      assert.equal(rows.filter((r) => r.outcome === 'sender_flood').length, 5);
      assert.equal((await ticketsOf(app, anna.id)).length, 3);
    });

    test('redelivering a message changes nothing, by source id or by Message-ID through another source', async (t) => {
      const { app } = await inboundApp(t, dialect);
      const anna = await createUser(app, { email: 'anna@customer.example' });
      const raw = rawMail({ from: anna.email, subject: 'Once', body: 'only once' });
      assert.deepEqual(await deliver(app, raw, 'uid-1'), { stored: true });
      assert.deepEqual(await deliver(app, raw, 'uid-1'), { stored: false });
      assert.deepEqual(await deliver(app, raw, 'uid-2'), { stored: false });
      const messageId = /^Message-ID:\s*(<[^>]+>)/im.exec(raw.toString())?.[1] ?? null;
      assert.deepEqual(await app.inbound.receive({ source: 'mailgun', sourceId: 'tok', raw, messageId }), {
        stored: false,
      });
      assert.equal((await inboxRows(app)).length, 1);
      assert.equal((await ticketsOf(app, anna.id)).length, 1);
    });

    test('a worker that dies mid-processing: the message is taken over after its lease and applied exactly once', async (t) => {
      const { app, conn, clock } = await inboundApp(t, dialect);
      const anna = await createUser(app, { email: 'anna@customer.example' });
      await app.inbound.receive({
        source: 'imap',
        sourceId: 'crash',
        raw: rawMail({ from: anna.email, subject: 'Crash', body: 'survives' }),
        messageId: null,
      });
      // The first worker claims it and dies: nothing else happens until its lease runs out.
      const [dead] = await claimDueInbox(conn, clock.now());
      assert.ok(dead);
      assert.equal(await app.inbound.worker.runOnce(), 0, 'a live lease is respected');
      clock.advance(INBOX_LEASE_MS + 1);
      assert.equal(await app.inbound.worker.runOnce(), 1);
      assert.equal((await ticketsOf(app, anna.id)).length, 1);

      // The dead worker wakes up and finishes its stale claim: its change is rolled back.
      const { parseInbound } = await import('../../src/features/inbound/parse.ts');
      const parsed = await parseInbound(
        dead.raw,
        { source: 'imap', envelope: null },
        {
          trustedAuthservId: app.config.env.INBOUND_AUTHSERV_ID,
          ownAddresses: [SUPPORT_ADDRESS],
        },
      );
      await assert.rejects(applyInbound(inboundDepsOf(app), dead, parsed), LeaseLost);
      assert.equal((await ticketsOf(app, anna.id)).length, 1, 'still exactly one ticket');
    });

    test('two workers on one database process 20 messages, each exactly once', async (t) => {
      const { app, config } = await inboundApp(t, dialect, {
        TICKETS_PER_HOUR: '100',
        INBOUND_PER_SENDER_PER_HOUR: '100',
      });
      const anna = await createUser(app, { email: 'anna@customer.example' });
      const other = await buildSecondApp(t, app, config);
      for (let i = 0; i < 20; i += 1) {
        await app.inbound.receive({
          source: 'imap',
          sourceId: `m${i}`,
          raw: rawMail({ from: anna.email, subject: `Message ${i}`, body: `body ${i}` }),
          messageId: null,
        });
      }
      await Promise.all([app.inbound.worker.runOnce(), other.inbound.worker.runOnce(), app.inbound.worker.runOnce()]);
      const tickets = await ticketsOf(app, anna.id);
      assert.equal(tickets.length, 20);
      assert.equal(new Set(tickets.map((x) => x.subject)).size, 20);
      assert.ok((await inboxRows(app)).every((r) => r.status === 'applied'));
    });

    test('XSS payloads in subjects, bodies and sender names reach the pages escaped', async (t) => {
      const { app } = await inboundApp(t, dialect, { TICKETS_PER_HOUR: '1000', INBOUND_PER_SENDER_PER_HOUR: '1000' });
      const anna = await createUser(app, { email: 'anna@customer.example' });
      const { client: agent } = await signedInAs(app, 'agent', 'agent@parapet.test');
      for (const [i, payload] of XSS_PAYLOADS.entries()) {
        await deliver(
          app,
          rawMail({
            from: anna.email,
            fromName: payload.replace(/[\r\n"]/g, ''),
            subject: `${i} ${payload.replace(/[\r\n]/g, '')}`,
            body: payload,
          }),
        );
      }
      const tickets = await ticketsOf(app, anna.id);
      assert.equal(tickets.length, XSS_PAYLOADS.length, 'every payload opened a ticket');
      const list = await agent.get('/tickets?status=all');
      assertNoInjectedMarkup(list.body, 'staff ticket list');
      for (const ticket of tickets) {
        const page = await agent.get(`/tickets/${ticket.id}`);
        assert.equal(page.statusCode, 200);
        assertNoInjectedMarkup(page.body, `ticket ${ticket.id}`);
      }
      for (const mail of await mailsTo(app.db, 'anna@customer.example')) {
        assertNoInjectedMarkup(mail.html_body, `email ${mail.id}`, { email: true });
      }
    });
  });
}

function inboundDepsOf(app: FastifyInstance) {
  return app.inbound.serviceDeps();
}

async function buildSecondApp(t: Parameters<typeof buildTestApp>[0], _app: FastifyInstance, config: TestApp['config']) {
  const { buildApp } = await import('../../src/app.ts');
  const { connect } = await import('../../src/db/connect.ts');
  const { createFastHasher } = await import('../helpers/fast-hasher.ts');
  const conn = connect(config.database, { poolSize: 4 });
  const app = await buildApp(config, { conn, logger: false, hasher: createFastHasher({ pepper: config.pepper }) });
  t.after(async () => {
    await app.close();
    await conn.close();
  });
  return app;
}
