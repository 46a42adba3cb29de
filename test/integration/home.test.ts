import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DB, TicketStatus } from '../../src/db/database.ts';
import { HOME_COUNT_CAP } from '../../src/features/home/home.repository.ts';
import { HOME_LIST_SIZE } from '../../src/features/home/home.service.ts';
import { buildTestApp } from '../helpers/build-app.ts';
import { signedInAs, TestClient } from '../helpers/client.ts';
import { dialects } from '../helpers/dialects.ts';
import { insertTickets } from '../helpers/tickets.ts';

const HOUR = 3_600_000;

/** The HTML of the section labelled by `id`, or '' when the page has none. */
function section(body: string, id: string): string {
  const start = body.indexOf(`aria-labelledby="${id}"`);
  return start < 0 ? '' : body.slice(start, body.indexOf('</section>', start));
}

/** The count beside a section's title. */
function sectionCount(body: string, id: string): string | undefined {
  return /class="home-count">([^<]*)</.exec(section(body, id))?.[1];
}

/** The number of a queue or security tile, by its label. */
function tile(body: string, label: string): string | undefined {
  const escaped = label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`home-stat__n">([^<]*)</span><span class="home-stat__label">${escaped}<`).exec(body)?.[1];
}

/** The ticket subjects a section lists, in order. */
function subjects(html: string): string[] {
  return [
    ...html.matchAll(
      /class="ticket-number">[^<]*<\/span> (?:<(?:bdi|span dir="auto")>)?([^<]*)(?:<\/(?:bdi|span)>)?<\/a>/g,
    ),
  ].map((m) => m[1] ?? '');
}

async function assign(db: DB, ids: number[], assigneeId: number | null): Promise<void> {
  await db.updateTable('tickets').set({ assignee_id: assigneeId }).where('id', 'in', ids).execute();
}

const STAFF_SECTIONS = ['unassigned-title', 'mine-title', 'awaiting-title'];

for (const dialect of dialects()) {
  describe(`home pages [${dialect}]`, () => {
    test('signed out, / is still the sign-in form', async (t) => {
      const { app } = await buildTestApp(t, dialect);
      const res = await new TestClient(app).get('/');
      assert.equal(res.statusCode, 200);
      assert.match(res.body, /<h1[^>]*>Sign in<\/h1>/);
      assert.doesNotMatch(res.body, /home-stat|home-count/);
    });

    test('a brand-new client is told what to do, with the New ticket button and nothing else', async (t) => {
      const { app } = await buildTestApp(t, dialect);
      const { client } = await signedInAs(app, 'client');
      const res = await client.get('/');
      assert.equal(res.statusCode, 200);
      assert.match(res.body, /<h1>Welcome<\/h1>/);
      assert.match(res.body, /You have no tickets yet/);
      assert.match(res.body, /href="\/tickets\/new">Open your first ticket/);
      assert.match(res.body, /class="button button--primary home-new" href="\/tickets\/new">New ticket/);
      for (const id of ['waiting-title', 'open-title', ...STAFF_SECTIONS, 'security-title']) {
        assert.equal(section(res.body, id), '', `no ${id} section`);
      }
      assert.doesNotMatch(res.body, /home-stat/);
      assert.doesNotMatch(res.body, /From here you will/);
    });

    test('a client sees their open tickets with the ones waiting for them first, never another client’s', async (t) => {
      const { app, db, clock } = await buildTestApp(t, dialect);
      const { user: carol, client } = await signedInAs(app, 'client');
      const { user: dave } = await signedInAs(app, 'client');
      const now = clock.now();
      const statuses: TicketStatus[] = [
        'awaiting_staff',
        'awaiting_client',
        'resolved',
        'awaiting_client',
        'awaiting_staff',
        'awaiting_client',
      ];
      await insertTickets(db, carol, statuses.length, now, (i) => ({
        subject: `Carol ${i} ${statuses[i]}`,
        status: statuses[i],
      }));
      await insertTickets(db, dave, 3, now, (i) => ({ subject: `Dave secret ${i}`, status: 'awaiting_client' }));

      const res = await client.get('/');
      assert.equal(res.statusCode, 200);
      assert.doesNotMatch(res.body, /You have no tickets yet/);
      assert.doesNotMatch(res.body, /Dave secret/, 'never another client’s tickets');
      assert.doesNotMatch(res.body, /Carol 2 resolved/, 'resolved tickets are not on the home page');
      const waiting = section(res.body, 'waiting-title');
      assert.deepEqual(subjects(waiting), [
        'Carol 1 awaiting_client',
        'Carol 3 awaiting_client',
        'Carol 5 awaiting_client',
      ]);
      assert.equal(sectionCount(res.body, 'waiting-title'), '3');
      assert.match(waiting, /status--awaiting_client/);
      const open = section(res.body, 'open-title');
      assert.deepEqual(
        subjects(open),
        [0, 1, 3, 4, 5].map((i) => `Carol ${i} ${statuses[i]}`),
        'newest activity first',
      );
      assert.equal(sectionCount(res.body, 'open-title'), '5');
      assert.match(open, /status--awaiting_staff/);
      assert.ok(res.body.indexOf('waiting-title') < res.body.indexOf('open-title'), 'waiting for you comes first');
      assert.match(res.body, /href="\/tickets"/, 'a link to all tickets');
      for (const id of [...STAFF_SECTIONS, 'security-title']) {
        assert.equal(section(res.body, id), '', `no ${id} section for a client`);
      }
      assert.doesNotMatch(res.body, /home-stat__n|Failed sign-ins|Unassigned/);

      // Nothing waiting for the client: no such section.
      await db.updateTable('tickets').set({ status: 'awaiting_staff' }).where('client_id', '=', carol.id).execute();
      const later = await client.get('/');
      assert.equal(section(later.body, 'waiting-title'), '');
      assert.equal(sectionCount(later.body, 'open-title'), '6');

      // Everything resolved: the open list says so, the page still links to all tickets.
      await db.updateTable('tickets').set({ status: 'resolved' }).where('client_id', '=', carol.id).execute();
      const done = await client.get('/');
      assert.match(section(done.body, 'open-title'), /You have no open tickets/);
      assert.doesNotMatch(done.body, /You have no tickets yet/);
    });

    test('counts stop at the cap and say so; the lists stay short', async (t) => {
      const { app, db, clock } = await buildTestApp(t, dialect);
      const { user: carol, client } = await signedInAs(app, 'client');
      const { client: agent } = await signedInAs(app, 'agent');
      const now = clock.now();
      await insertTickets(db, carol, HOME_COUNT_CAP + 1, now, () => ({ status: 'awaiting_client' }));
      const mine = await client.get('/');
      assert.equal(sectionCount(mine.body, 'waiting-title'), `${HOME_COUNT_CAP}+`);
      assert.equal(sectionCount(mine.body, 'open-title'), `${HOME_COUNT_CAP}+`);
      assert.equal(subjects(section(mine.body, 'waiting-title')).length, HOME_LIST_SIZE);
      assert.match(mine.body, /Counts stop at 99: more show as 99\+\./);

      // Exactly the cap is counted exactly.
      await db
        .deleteFrom('tickets')
        .where(
          'id',
          '=',
          db.selectFrom('tickets').select((eb) => eb.fn.max('id').as('id')),
        )
        .execute();
      const staff = await agent.get('/');
      assert.equal(tile(staff.body, 'Unassigned'), String(HOME_COUNT_CAP));
      assert.equal(tile(staff.body, 'Awaiting staff reply'), '0');
      assert.equal(sectionCount((await client.get('/')).body, 'waiting-title'), String(HOME_COUNT_CAP));
      assert.match(staff.body, /Counts stop at 99/, 'staff pages state the cap');
      await db.updateTable('tickets').set({ status: 'awaiting_staff' }).execute();
      await insertTickets(db, carol, 1, now);
      const more = await agent.get('/');
      assert.equal(tile(more.body, 'Awaiting staff reply'), `${HOME_COUNT_CAP}+`);
      assert.equal(tile(more.body, 'Unassigned'), `${HOME_COUNT_CAP}+`);
      assert.equal(subjects(section(more.body, 'awaiting-title')).length, HOME_LIST_SIZE);
    });

    test('an agent sees the queue: unassigned, mine and awaiting staff reply, oldest waiting first, no security signals', async (t) => {
      const { app, db, clock } = await buildTestApp(t, dialect);
      const { user: agent, client } = await signedInAs(app, 'agent');
      const { user: other } = await signedInAs(app, 'agent');
      const { user: carol } = await signedInAs(app, 'client');
      const now = clock.now();
      // Ticket i was last active i hours ago.
      const rows: Array<{ subject: string; status: TicketStatus }> = [
        { subject: 'U fresh', status: 'awaiting_staff' },
        { subject: 'U old', status: 'awaiting_client' },
        { subject: 'U resolved', status: 'resolved' },
        { subject: 'M fresh', status: 'awaiting_client' },
        { subject: 'M old', status: 'awaiting_staff' },
        { subject: 'M resolved', status: 'resolved' },
        { subject: 'O waiting', status: 'awaiting_staff' },
      ];
      const ids = await insertTickets(db, carol, rows.length, now, (i) => ({
        ...rows[i],
        createdAt: now - i * HOUR,
        updatedAt: now - i * HOUR,
      }));
      const at = (subject: string) => ids[rows.findIndex((r) => r.subject === subject)] ?? 0;
      await assign(db, [at('M fresh'), at('M old'), at('M resolved')], agent.id);
      await assign(db, [at('O waiting')], other.id);

      const res = await client.get('/');
      assert.equal(res.statusCode, 200);
      assert.equal(tile(res.body, 'Unassigned'), '2');
      assert.equal(tile(res.body, 'Mine'), '2');
      assert.equal(tile(res.body, 'Awaiting staff reply'), '3');
      assert.deepEqual(subjects(section(res.body, 'unassigned-title')), ['U old', 'U fresh'], 'oldest waiting first');
      assert.deepEqual(subjects(section(res.body, 'mine-title')), ['M old', 'M fresh']);
      assert.deepEqual(subjects(section(res.body, 'awaiting-title')), ['O waiting', 'M old', 'U fresh']);
      assert.match(section(res.body, 'awaiting-title'), /6 hours</, 'how long each has waited');
      assert.match(section(res.body, 'unassigned-title'), /1 hour</);
      assert.match(section(res.body, 'unassigned-title'), /under a minute</);
      assert.equal(section(res.body, 'security-title'), '', 'agents see no security signals');
      assert.doesNotMatch(res.body, /Failed sign-ins|Held inbound mail/);
      assert.equal(section(res.body, 'waiting-title'), '', 'no client sections');

      // Each count links to the ticket list with the same tickets.
      const lists: Array<[string, string[]]> = [
        ['/tickets?status=open&amp;assignee=none', ['U fresh', 'U old']],
        ['/tickets?status=open&amp;assignee=me', ['M fresh', 'M old']],
        ['/tickets?status=awaiting_staff', ['U fresh', 'M old', 'O waiting']],
      ];
      for (const [href, expected] of lists) {
        assert.ok(res.body.includes(`href="${href}"`), `links to ${href}`);
        const list = await client.get(href.replaceAll('&amp;', '&'));
        assert.equal(list.statusCode, 200);
        assert.deepEqual(subjects(list.body), expected, href);
      }

      // Nothing in the queue: each section says so.
      await db.updateTable('tickets').set({ status: 'resolved' }).execute();
      const empty = await client.get('/');
      assert.equal(tile(empty.body, 'Unassigned'), '0');
      assert.match(section(empty.body, 'unassigned-title'), /Every open ticket has someone on it/);
      assert.match(section(empty.body, 'mine-title'), /No open tickets are assigned to you/);
      assert.match(section(empty.body, 'awaiting-title'), /No client is waiting for an answer/);
    });

    test('an administrator also sees the security signals, counted and linked', async (t) => {
      const { app, db, clock, config } = await buildTestApp(t, dialect);
      const { client: admin } = await signedInAs(app, 'administrator');
      const { client: agent } = await signedInAs(app, 'agent');
      const now = clock.now();
      const before = await admin.get('/');
      for (const label of [
        'Failed sign-ins, last 24 hours',
        'Sign-ins paused now',
        'IP addresses blocked now',
        'Undeliverable addresses',
        'Held inbound mail',
      ]) {
        assert.equal(tile(before.body, label), '0', label);
      }
      for (const id of STAFF_SECTIONS) {
        assert.notEqual(section(before.body, id), '', `administrators have the queue too (${id})`);
      }

      const blockedIp = '203.0.113.9';
      await db
        .insertInto('failed_logins')
        .values([
          { ip: blockedIp, email: 'a@example.com', user_id: null, reason: 'wrong_password', created_at: now - 60_000 },
          {
            ip: '198.51.100.7',
            email: 'b@example.com',
            user_id: null,
            reason: 'unknown_email',
            created_at: now - HOUR,
          },
          {
            ip: '198.51.100.7',
            email: 'b@example.com',
            user_id: null,
            reason: 'unknown_email',
            created_at: now - 20 * HOUR,
          },
          {
            ip: '198.51.100.8',
            email: 'c@example.com',
            user_id: null,
            reason: 'wrong_password',
            created_at: now - 25 * HOUR,
          },
        ])
        .execute();
      for (let i = 0; i <= config.env.LOGIN_MAX_ATTEMPTS; i++) {
        await app.limits.loginIp.admit(blockedIp);
      }
      await db
        .insertInto('login_throttles')
        .values([
          { key: 'paused', failures: 6, last_failure_at: now - 60_000, locked_until: now + 60_000 },
          { key: 'pause over', failures: 6, last_failure_at: now - 10 * 60_000, locked_until: now - 60_000 },
        ])
        .execute();
      await db
        .insertInto('undeliverable_addresses')
        .values({
          address: 'gone@example.com',
          reason: '550 no such user',
          source: 'imap',
          first_at: now,
          last_at: now,
        })
        .execute();
      const held = (n: number, status: 'held' | 'applied') => ({
        source: 'imap' as const,
        source_id: `1:${n}`,
        message_id: `m${n}@example.com`,
        raw: Buffer.from('Subject: hi\r\n\r\nhello'),
        status,
        next_attempt_at: now,
        received_at: now,
      });
      await db
        .insertInto('mail_inbox')
        .values([held(1, 'held'), held(2, 'held'), held(3, 'applied')])
        .execute();

      const res = await admin.get('/');
      assert.equal(tile(res.body, 'Failed sign-ins, last 24 hours'), '3');
      assert.equal(tile(res.body, 'Sign-ins paused now'), '1');
      assert.equal(tile(res.body, 'IP addresses blocked now'), '1');
      assert.equal(tile(res.body, 'Undeliverable addresses'), '1');
      assert.equal(tile(res.body, 'Held inbound mail'), '2');
      const security = section(res.body, 'security-title');
      assert.match(security, /href="\/admin\/failed-logins"/);
      assert.match(security, /href="\/admin\/mail#held-title"/);
      assert.match(security, /href="\/admin\/mail#undeliverable-title"/);

      const agentHome = await agent.get('/');
      assert.equal(section(agentHome.body, 'security-title'), '');
      assert.equal(tile(agentHome.body, 'Held inbound mail'), undefined);
    });
  });
}
