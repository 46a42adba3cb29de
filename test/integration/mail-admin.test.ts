import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { InboxStatus } from '../../src/db/database.ts';
import { storeInboxMessage } from '../../src/features/inbound/inbox.repository.ts';
import { buildTestApp } from '../helpers/build-app.ts';
import { TestClient, signedInAs } from '../helpers/client.ts';
import { dialects } from '../helpers/dialects.ts';
import { openTicket } from '../helpers/tickets.ts';
import { assertNoInjectedMarkup } from '../security/html-check.ts';
import { XSS_PAYLOADS } from '../security/xss-payloads.ts';

let counter = 0;

/** An RFC 2047 encoded word: any text, payloads with CR/LF included, fits in a header. */
const word = (text: string) => `=?UTF-8?B?${Buffer.from(text).toString('base64')}?=`;
/** An RFC 2231 parameter value: every byte percent-encoded. */
const param = (text: string) =>
  `UTF-8''${[...Buffer.from(text)].map((b) => `%${b.toString(16).padStart(2, '0').toUpperCase()}`).join('')}`;

interface MimeInput {
  fromName?: string;
  fromAddress?: string;
  subject?: string;
  body?: string;
  html?: string;
  attachmentName?: string;
  messageId?: string;
}

/** A real MIME message: text (or HTML only) and one PDF attachment, every user-written part encoded. */
function mime(input: MimeInput = {}): Buffer {
  counter += 1;
  const messageId = input.messageId ?? `m${counter}.${process.pid}@mail.example.com`;
  const headers = [
    `From: ${word(input.fromName ?? 'Carol Client')} <${input.fromAddress ?? 'carol@example.com'}>`,
    'To: Support <support@example.com>',
    `Subject: ${word(input.subject ?? 'Printer on fire')}`,
    `Message-ID: <${messageId}>`,
    'Date: Sat, 05 Dec 2026 09:30:00 +0000',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="outer-boundary"',
  ];
  const textPart = input.html
    ? ['Content-Type: text/html; charset=utf-8', 'Content-Transfer-Encoding: base64', '', b64(input.html)]
    : [
        'Content-Type: text/plain; charset=utf-8',
        'Content-Transfer-Encoding: base64',
        '',
        b64(input.body ?? 'It started smoking\nafter the update.\n\n> quoted history\n> more history'),
      ];
  const lines = [
    ...headers,
    '',
    '--outer-boundary',
    ...textPart,
    '--outer-boundary',
    `Content-Type: application/pdf; name*=${param(input.attachmentName ?? 'invoice.pdf')}`,
    `Content-Disposition: attachment; filename*=${param(input.attachmentName ?? 'invoice.pdf')}`,
    'Content-Transfer-Encoding: base64',
    '',
    b64('%PDF-1.4\n% a small test file\n'),
    '--outer-boundary--',
    '',
  ];
  return Buffer.from(lines.join('\r\n'));
}

function b64(text: string): string {
  return (
    Buffer.from(text)
      .toString('base64')
      .match(/.{1,76}/g)
      ?.join('\r\n') ?? ''
  );
}

interface InboxInput extends MimeInput {
  status: InboxStatus;
  reason?: string;
  outcome?: string | null;
  ticketId?: number | null;
  lastError?: string | null;
  receivedAt?: number;
  processedAt?: number | null;
}

/** PostgreSQL refuses NUL in text: the worker stores header values without it, as here. */
const column = (text: string | null | undefined) =>
  text === null || text === undefined ? null : text.replace(/\0/g, '');

/** Stores a message as a source would, then puts it in the state the worker would have left it in. */
async function insertInbox(app: FastifyInstance, input: InboxInput): Promise<number> {
  const raw = mime(input);
  const now = app.clock.now();
  const stored = await storeInboxMessage(app.db, {
    source: 'imap',
    sourceId: `1:${counter}`,
    messageId: `m${counter}@test`,
    raw,
    envelope: null,
    receivedAt: input.receivedAt ?? now,
  });
  assert.ok(stored.stored);
  await app.db
    .updateTable('mail_inbox')
    .set({
      status: input.status,
      outcome: input.outcome ?? null,
      reason: column(input.reason),
      last_error: column(input.lastError),
      from_address: input.fromAddress ?? 'carol@example.com',
      from_name: column(input.fromName ?? 'Carol Client'),
      subject: column(input.subject ?? 'Printer on fire'),
      ticket_id: input.ticketId ?? null,
      processed_at: input.processedAt ?? null,
      attempts: input.status === 'failed' ? 5 : 1,
    })
    .where('id', '=', stored.id)
    .execute();
  return stored.id;
}

async function inboxRow(app: FastifyInstance, id: number) {
  return app.db.selectFrom('mail_inbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

async function auditOf(app: FastifyInstance, event: string) {
  return app.db.selectFrom('audit_events').selectAll().where('event', '=', event).execute();
}

async function bounce(app: FastifyInstance, address: string, reason = '550 5.1.1 mailbox unavailable') {
  const now = app.clock.now();
  await app.db
    .insertInto('undeliverable_addresses')
    .values({ address, reason, source: 'mailgun', bounces: 2, first_at: now - 86_400_000, last_at: now })
    .execute();
}

const INBOUND_ENV = {
  SUPPORT_ADDRESS: 'support@example.com',
  IMAP_URL: 'imaps://helpdesk%40example.com:imap-Secret-Pw-42@imap.example.com:993/INBOX',
  MAILGUN_WEBHOOK_SIGNING_KEY: 'key-0123456789abcdef0123456789abcdef',
};

for (const dialect of dialects()) {
  describe(`mail administration [${dialect}]`, () => {
    test('administrators see sources, held, unprocessed, undeliverable and recent mail; agents only held mail', async (t) => {
      const { app, clock } = await buildTestApp(t, dialect, INBOUND_ENV);
      const { client: admin } = await signedInAs(app, 'administrator');
      const { client: agent } = await signedInAs(app, 'agent');
      const { client: owner } = await signedInAs(app, 'client', 'carol@example.com');
      const ticket = await openTicket(owner, { subject: 'Original ticket' });
      const now = clock.now();
      await insertInbox(app, {
        status: 'held',
        subject: 'Held reply',
        reason: 'No DKIM or SPF pass aligned with example.com',
        ticketId: ticket,
      });
      await insertInbox(app, { status: 'failed', subject: 'Broken one', lastError: 'TypeError: boom at parse' });
      await insertInbox(app, { status: 'pending', subject: 'Stuck pending', receivedAt: now - 30 * 60_000 });
      await insertInbox(app, { status: 'pending', subject: 'Fresh pending', receivedAt: now - 60_000 });
      await insertInbox(app, {
        status: 'applied',
        subject: 'Applied reply',
        outcome: 'reply',
        ticketId: ticket,
        processedAt: now,
      });
      await insertInbox(app, { status: 'ignored', subject: 'Out of office', outcome: 'auto_reply', processedAt: now });
      await bounce(app, 'gone@example.org');
      await app.db
        .insertInto('inbound_sources')
        .values({
          name: 'imap',
          last_poll_at: now - 5_000,
          last_success_at: now - 60_000,
          last_error: 'Connection refused by imap.example.com',
          last_error_at: now - 5_000,
          received_count: 7,
        })
        .execute();

      const page = await admin.get('/admin/mail');
      assert.equal(page.statusCode, 200);
      const html = page.body;
      assert.match(html, /href="\/admin\/mail" aria-current="page">Mail</);
      assert.match(html, /support@example\.com/);
      assert.match(html, /imaps:\/\/imap\.example\.com:993/);
      assert.doesNotMatch(html, /imap-Secret-Pw-42|helpdesk/, 'the IMAP user and password are never shown');
      assert.doesNotMatch(html, /key-0123456789abcdef/);
      assert.match(html, /Webhook on/);
      assert.match(html, /Connection refused by imap\.example\.com/);
      assert.match(html, /Held reply/);
      assert.match(html, /No DKIM or SPF pass aligned with example\.com/);
      assert.match(html, new RegExp(`href="/tickets/${ticket}"`));
      assert.match(html, /Broken one/);
      assert.match(html, /TypeError: boom at parse/);
      assert.match(html, /Stuck pending/);
      assert.doesNotMatch(html, /Fresh pending/, 'a message pending for a minute is not yet unprocessed');
      assert.match(html, /gone@example\.org/);
      assert.match(html, /550 5\.1\.1 mailbox unavailable/);
      assert.match(html, /Applied reply/);
      assert.match(html, /auto_reply/);
      assert.match(html, /\/admin\/mail\/\d+\/approve/);
      assert.match(html, /\/admin\/mail\/\d+\/retry/);
      assert.match(html, /\/admin\/mail\/undeliverable\/clear/);

      const agentPage = await agent.get('/admin/mail');
      assert.equal(agentPage.statusCode, 200);
      assert.match(agentPage.body, /href="\/admin\/mail"/, 'agents have the Mail link');
      assert.match(agentPage.body, /Held reply/);
      assert.match(agentPage.body, /\/approve/);
      for (const adminOnly of [/Inbound sources/, /Broken one/, /gone@example\.org/, /Applied reply/, /\/retry/]) {
        assert.doesNotMatch(agentPage.body, adminOnly);
      }
      assert.doesNotMatch((await owner.get('/')).body, /href="\/admin\/mail"/, 'clients have no Mail link');
    });

    test('held mail is paginated, newest first', async (t) => {
      const { app, clock } = await buildTestApp(t, dialect);
      const { client: agent } = await signedInAs(app, 'agent');
      for (let i = 1; i <= 27; i++) {
        clock.advance(1000);
        await insertInbox(app, { status: 'held', subject: `Held number ${i}.`, reason: 'Unknown sender' });
      }
      const first = (await agent.get('/admin/mail')).body;
      assert.match(first, /Held number 27\./);
      assert.doesNotMatch(first, /Held number 2\./);
      assert.match(first, /href="\/admin\/mail\?page=2"/);
      const second = (await agent.get('/admin/mail?page=2')).body;
      assert.match(second, /Held number 2\./);
      assert.match(second, /Held number 1\./);
      assert.doesNotMatch(second, /Held number 27\./);
    });

    test('approving puts a held message back to the worker with who decided, audited; a second approve is refused', async (t) => {
      const { app, clock } = await buildTestApp(t, dialect);
      const { client: agent, user: agentUser } = await signedInAs(app, 'agent');
      const reason = 'The sender is not the ticket’s client';
      const id = await insertInbox(app, { status: 'held', reason });
      clock.advance(5000);
      await agent.get('/admin/mail');
      const res = await agent.post(`/admin/mail/${id}/approve`);
      assert.equal(res.statusCode, 303);
      assert.equal(res.headers.location, '/admin/mail');
      const row = await inboxRow(app, id);
      assert.equal(row.status, 'pending');
      assert.equal(Number(row.decided_by), agentUser.id);
      assert.equal(Number(row.decided_at), clock.now());
      assert.equal(Number(row.next_attempt_at), clock.now());
      assert.equal(row.reason, reason, 'the reason is kept');
      const audits = await auditOf(app, 'mail.approved');
      assert.equal(audits.length, 1);
      assert.equal(Number(audits[0]?.actor_user_id), agentUser.id);
      assert.equal((JSON.parse(audits[0]?.details ?? '{}') as { inboxId: number }).inboxId, id);
      assert.ok(audits[0]?.ip);
      assert.match((await agent.get('/admin/mail')).body, /Approved: the message is added to its ticket/);

      const again = await agent.post(`/admin/mail/${id}/approve`);
      assert.equal(again.statusCode, 303);
      assert.match((await agent.get('/admin/mail')).body, /already decided/);
      assert.equal((await auditOf(app, 'mail.approved')).length, 1);
      assert.equal((await agent.post(`/admin/mail/${id}/reject`)).statusCode, 303);
      assert.equal((await inboxRow(app, id)).status, 'pending', 'an approved message cannot be rejected after');
      assert.equal((await auditOf(app, 'mail.rejected')).length, 0);
    });

    test('two staff approving (or approving and rejecting) at once: exactly one wins, one audit row', async (t) => {
      const { app } = await buildTestApp(t, dialect);
      const { client: agent, user: agentUser } = await signedInAs(app, 'agent');
      const { client: admin, user: adminUser } = await signedInAs(app, 'administrator');
      await agent.get('/admin/mail');
      await admin.get('/admin/mail');
      for (let round = 0; round < 5; round++) {
        const id = await insertInbox(app, { status: 'held', reason: 'Unknown sender' });
        const [a, b] = await Promise.all([
          agent.post(`/admin/mail/${id}/approve`),
          admin.post(`/admin/mail/${id}/${round % 2 === 0 ? 'approve' : 'reject'}`),
        ]);
        assert.equal(a.statusCode, 303);
        assert.equal(b.statusCode, 303);
        const decisions = [...(await auditOf(app, 'mail.approved')), ...(await auditOf(app, 'mail.rejected'))].filter(
          (e) => (JSON.parse(e.details) as { inboxId: number }).inboxId === id,
        );
        assert.equal(decisions.length, 1, `round ${round}: ${decisions.length} decisions recorded`);
        const row = await inboxRow(app, id);
        assert.ok([agentUser.id, adminUser.id].includes(Number(row.decided_by)));
        assert.equal(Number(decisions[0]?.actor_user_id), Number(row.decided_by));
        assert.equal(row.status, decisions[0]?.event === 'mail.approved' ? 'pending' : 'rejected');
      }
    });

    test('rejecting keeps the message out of tickets, audited', async (t) => {
      const { app, clock } = await buildTestApp(t, dialect);
      const { client: agent, user: agentUser } = await signedInAs(app, 'agent');
      const id = await insertInbox(app, { status: 'held', reason: 'Unknown sender' });
      clock.advance(1000);
      await agent.get(`/admin/mail/${id}`);
      assert.equal((await agent.post(`/admin/mail/${id}/reject`)).statusCode, 303);
      const row = await inboxRow(app, id);
      assert.equal(row.status, 'rejected');
      assert.equal(row.outcome, 'rejected_by_staff');
      assert.equal(Number(row.decided_by), agentUser.id);
      assert.equal(Number(row.decided_at), clock.now());
      assert.equal((await auditOf(app, 'mail.rejected')).length, 1);
      assert.equal((await agent.post(`/admin/mail/${id}/approve`)).statusCode, 303);
      assert.equal((await inboxRow(app, id)).status, 'rejected');
      assert.equal((await auditOf(app, 'mail.approved')).length, 0);
    });

    test('administrators retry failed mail and clear undeliverable addresses; agents cannot', async (t) => {
      const { app, clock } = await buildTestApp(t, dialect);
      const { client: admin, user: adminUser } = await signedInAs(app, 'administrator');
      const { client: agent } = await signedInAs(app, 'agent');
      const { user: bounced } = await signedInAs(app, 'client', 'gone@example.org');
      const failed = await insertInbox(app, { status: 'failed', lastError: 'Error: database away', reason: 'x' });
      const held = await insertInbox(app, { status: 'held', reason: 'Unknown sender' });
      await bounce(app, 'gone@example.org', '550 5.1.1 no such user.');

      await agent.get('/admin/mail');
      assert.equal((await agent.post(`/admin/mail/${failed}/retry`)).statusCode, 404);
      assert.equal(
        (await agent.post('/admin/mail/undeliverable/clear', { address: 'gone@example.org' })).statusCode,
        404,
      );
      assert.equal((await inboxRow(app, failed)).status, 'failed');

      const userPage = await admin.get(`/admin/users/${bounced.id}`);
      assert.match(userPage.body, /Email undeliverable since <time[^>]*>[^<]+<\/time>: 550 5\.1\.1 no such user\./);

      clock.advance(1000);
      assert.equal((await admin.post(`/admin/mail/${failed}/retry`)).statusCode, 303);
      const row = await inboxRow(app, failed);
      assert.equal(row.status, 'pending');
      assert.equal(Number(row.attempts), 0);
      assert.equal(Number(row.next_attempt_at), clock.now());
      assert.equal(row.outcome, null);
      const retried = await auditOf(app, 'mail.retried');
      assert.equal(retried.length, 1);
      assert.equal(Number(retried[0]?.actor_user_id), adminUser.id);

      assert.equal((await admin.post(`/admin/mail/${held}/retry`)).statusCode, 303);
      assert.match((await admin.get('/admin/mail')).body, /not waiting for a retry/);
      assert.equal((await inboxRow(app, held)).status, 'held', 'a held message is decided, not retried');
      assert.equal((await auditOf(app, 'mail.retried')).length, 1);

      assert.equal(
        (await admin.post('/admin/mail/undeliverable/clear', { address: 'gone@example.org' })).statusCode,
        303,
      );
      assert.equal(
        (await app.db.selectFrom('undeliverable_addresses').selectAll().execute()).length,
        0,
        'the address is cleared',
      );
      const cleared = await auditOf(app, 'mail.undeliverable_cleared');
      assert.equal(cleared.length, 1);
      assert.equal((JSON.parse(cleared[0]?.details ?? '{}') as { address: string }).address, 'gone@example.org');
      assert.doesNotMatch((await admin.get(`/admin/users/${bounced.id}`)).body, /Email undeliverable/);
      await admin.get('/admin/mail');
      assert.equal(
        (await admin.post('/admin/mail/undeliverable/clear', { address: 'gone@example.org' })).statusCode,
        303,
      );
      assert.match((await admin.get('/admin/mail')).body, /was not marked undeliverable/);
      assert.equal((await auditOf(app, 'mail.undeliverable_cleared')).length, 1);
    });

    test('clients and anonymous visitors get nothing; every action needs the CSRF token', async (t) => {
      const { app } = await buildTestApp(t, dialect);
      const { client } = await signedInAs(app, 'client', 'carol@example.com');
      const { client: admin } = await signedInAs(app, 'administrator');
      const id = await insertInbox(app, { status: 'held', subject: 'Secret subject', reason: 'Unknown sender' });
      const failed = await insertInbox(app, { status: 'failed', lastError: 'boom' });
      await bounce(app, 'gone@example.org');
      const posts: Array<[string, Record<string, string>]> = [
        [`/admin/mail/${id}/approve`, {}],
        [`/admin/mail/${id}/reject`, {}],
        [`/admin/mail/${failed}/retry`, {}],
        ['/admin/mail/undeliverable/clear', { address: 'gone@example.org' }],
      ];
      const snapshot = async () =>
        JSON.stringify([
          await app.db.selectFrom('mail_inbox').select(['id', 'status', 'decided_by']).orderBy('id').execute(),
          await app.db.selectFrom('undeliverable_addresses').selectAll().execute(),
          await app.db.selectFrom('audit_events').select('event').where('event', 'like', 'mail.%').execute(),
        ]);
      const before = await snapshot();

      await client.get('/');
      for (const url of ['/admin/mail', `/admin/mail/${id}`, '/admin/mail?page=2']) {
        const res = await client.get(url);
        assert.equal(res.statusCode, 404, url);
        assert.doesNotMatch(res.body, /Secret subject/);
      }
      for (const [url, form] of posts) {
        assert.equal((await client.post(url, form)).statusCode, 404, `client POST ${url}`);
      }
      const anonymous = new TestClient(app);
      await anonymous.get('/login');
      const page = await anonymous.get(`/admin/mail/${id}`);
      assert.equal(page.statusCode, 303);
      assert.match(String(page.headers.location), /^\/login/);
      for (const [url, form] of posts) {
        assert.equal((await anonymous.post(url, form)).statusCode, 401, `anonymous POST ${url}`);
      }
      await admin.get('/admin/mail');
      for (const [url, form] of posts) {
        for (const token of [null, 'forged']) {
          assert.equal((await admin.post(url, { ...form, _csrf: token })).statusCode, 403, `${url} with ${token}`);
        }
      }
      assert.equal(await snapshot(), before);
      assert.equal((await admin.get('/admin/mail/999999')).statusCode, 404);
      assert.equal((await admin.post('/admin/mail/999999/approve')).statusCode, 404);
    });

    test('staff read the original as text with its headers and attachments; a ticket entry links to it for staff only', async (t) => {
      const { app } = await buildTestApp(t, dialect);
      const { client: owner } = await signedInAs(app, 'client', 'carol@example.com');
      const { client: agent } = await signedInAs(app, 'agent');
      const ticket = await openTicket(owner, { subject: 'Printer', message: 'first words' });
      const id = await insertInbox(app, {
        status: 'applied',
        outcome: 'reply',
        ticketId: ticket,
        body: 'New words here.\n\nOn Friday Support wrote:\n> old quoted words',
        attachmentName: 'Quarterly report.pdf',
        processedAt: app.clock.now(),
      });
      const html = await insertInbox(app, {
        status: 'held',
        html: '<p>Hello <b>bold</b> <script>alert(1)</script><img src=x onerror=alert(2)></p>',
        reason: 'Unknown sender',
      });
      await app.db.updateTable('ticket_messages').set({ inbox_id: id }).where('ticket_id', '=', ticket).execute();

      const page = await agent.get(`/admin/mail/${id}`);
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /New words here\./);
      assert.match(
        page.body,
        /\n&gt; old quoted words|\n> old quoted words/,
        'the quoted history stays in the original',
      );
      assert.match(page.body, /Carol Client&quot; &lt;carol@example\.com>/);
      assert.match(page.body, /support@example\.com/);
      assert.match(page.body, /Quarterly report\.pdf/);
      assert.match(page.body, /application\/pdf, \d+ B/);
      assert.match(page.body, new RegExp(`href="/tickets/${ticket}"`));
      assert.match(page.body, /<code>reply<\/code>/);

      const htmlPage = await agent.get(`/admin/mail/${html}`);
      assert.equal(htmlPage.statusCode, 200);
      assert.match(htmlPage.body, /Hello BOLD|Hello bold/);
      assert.doesNotMatch(htmlPage.body, /<b>bold<\/b>|onerror=alert\(2\)|<script>alert/);
      assertNoInjectedMarkup(htmlPage.body, 'HTML-only original');
      assert.match(htmlPage.body, /\/admin\/mail\/\d+\/approve/, 'a held message can be decided from its page');

      const staffTicket = await agent.get(`/tickets/${ticket}`);
      assert.match(staffTicket.body, new RegExp(`href="/admin/mail/${id}">View the original email`));
      const clientTicket = await owner.get(`/tickets/${ticket}`);
      assert.equal(clientTicket.statusCode, 200);
      assert.doesNotMatch(clientTicket.body, /original email|\/admin\/mail/);
      assert.equal((await owner.get(`/admin/mail/${id}`)).statusCode, 404);
    });

    test('XSS payloads in sender names, subjects, bodies and attachment names are escaped on every mail page', async (t) => {
      const { app, clock } = await buildTestApp(t, dialect);
      const { client: admin } = await signedInAs(app, 'administrator');
      const ids: number[] = [];
      for (const [i, payload] of XSS_PAYLOADS.entries()) {
        clock.advance(1000);
        ids.push(
          await insertInbox(app, {
            status: i % 2 === 0 ? 'held' : 'failed',
            fromName: payload.slice(0, 200),
            subject: payload.slice(0, 300),
            body: `Body ${payload}`,
            attachmentName: `${payload}.pdf`,
            reason: payload,
            lastError: payload,
          }),
        );
      }
      await app.db
        .insertInto('undeliverable_addresses')
        .values(
          XSS_PAYLOADS.slice(0, 20).map((p, i) => ({
            address: `${i}${p}`.replace(/\0/g, '').slice(0, 320),
            reason: p.replace(/\0/g, ''),
            source: 'imap',
            first_at: 1,
            last_at: 2,
          })),
        )
        .execute();
      for (let page = 1; page <= Math.ceil(XSS_PAYLOADS.length / 2 / 25); page++) {
        const res = await admin.get(`/admin/mail?page=${page}`);
        assert.equal(res.statusCode, 200);
        assertNoInjectedMarkup(res.body, `mail page ${page}`);
      }
      const first = (await admin.get('/admin/mail')).body;
      assert.match(first, /&lt;script>alert\(1\)&lt;\/script>/, 'payloads are shown, escaped');
      for (const [i, id] of ids.entries()) {
        const res = await admin.get(`/admin/mail/${id}`);
        assert.equal(res.statusCode, 200);
        assertNoInjectedMarkup(res.body, `mail ${id} with payload ${i}`);
      }
      const script = (await admin.get(`/admin/mail/${ids[0] ?? 0}`)).body;
      assert.match(script, /Body &lt;script>alert\(1\)&lt;\/script>/);
      assert.match(script, /&lt;script>alert\(1\)&lt;\/script>\.pdf/);
    });
  });
}
