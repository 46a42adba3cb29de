import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildTestApp } from '../helpers/build-app.ts';
import { postMultipart, TestClient, signedInAs } from '../helpers/client.ts';
import { dialects } from '../helpers/dialects.ts';
import { createUser, type TestUser } from '../helpers/factories.ts';
import { mailsTo } from '../helpers/mail.ts';
import { PDF, PNG } from '../helpers/multipart.ts';
import { insertTickets, openTicket, postMessage } from '../helpers/tickets.ts';
import { COUNT_CAP } from '../../src/features/tickets/ticket.repository.ts';

for (const dialect of dialects()) {
  describe(`tickets [${dialect}]`, () => {
    test('a client opens a ticket, staff answer, the status follows the conversation, the client resolves it', async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      const { client: carol } = await signedInAs(app, 'client', 'carol@example.com');
      const { user: agent, client: agentClient } = await signedInAs(app, 'agent', 'agent@example.com');

      const id = await openTicket(carol, {
        subject: 'Printer <b>on fire</b>',
        category: 'Technical problem',
        priority: 'high',
      });
      const page = await carol.get(`/tickets/${id}`);
      assert.equal(page.statusCode, 200);
      assert.ok(page.body.includes(`#${String(id).padStart(6, '0')}`));
      assert.ok(page.body.includes('Printer &lt;b>on fire&lt;/b>'), 'the subject is escaped');
      assert.match(page.body, /It started smoking<br>\nafter the update\./, 'line breaks are kept');
      assert.match(page.body, /Awaiting staff reply/);
      assert.match((await carol.get('/tickets')).body, new RegExp(`/tickets/${id}"`));

      // Staff are told about a new ticket.
      assert.ok((await mailsTo(db, 'agent@example.com')).some((m) => m.kind === 'ticket.ticket_opened'));

      const staffList = await agentClient.get('/tickets');
      assert.match(staffList.body, /carol@example\.com/);
      await agentClient.get(`/tickets/${id}`);
      assert.equal(
        (await agentClient.post(`/tickets/${id}/messages`, { message: 'Please unplug it first.' })).statusCode,
        303,
      );
      await agentClient.get(`/tickets/${id}`);
      assert.equal(
        (await agentClient.post(`/tickets/${id}/notes`, { message: 'Client seems careless' })).statusCode,
        303,
      );

      const seen = await carol.get(`/tickets/${id}`);
      assert.match(seen.body, /Please unplug it first\./);
      assert.match(seen.body, /Awaiting client reply/);
      assert.match(seen.body, /<strong dir="auto">Support<\/strong>/, 'clients see staff as Support');
      assert.doesNotMatch(seen.body, /agent@example\.com/);
      assert.doesNotMatch(seen.body, /careless|Internal note/, 'internal notes never reach clients');
      const carolMail = await mailsTo(db, 'carol@example.com');
      assert.deepEqual(
        carolMail.map((m) => m.kind),
        ['ticket.ticket_received', 'ticket.staff_replied'],
      );
      assert.ok(carolMail.every((m) => !m.text_body.includes('careless') && !m.html_body.includes('careless')));

      await carol.get(`/tickets/${id}`);
      assert.equal((await carol.post(`/tickets/${id}/resolve`)).statusCode, 303);
      assert.match((await carol.get(`/tickets/${id}`)).body, /status--resolved/);
      await postMessage(carol, id, 'It is on fire again.');
      const reopened = await db.selectFrom('tickets').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      assert.equal(reopened.status, 'awaiting_staff', 'a message on a resolved ticket reopens it');
      assert.equal(reopened.message_count, 3, 'notes and events are not counted');
      assert.equal(reopened.priority, 'high');
      assert.equal(reopened.category, 'Technical problem');
      assert.ok((await mailsTo(db, 'agent@example.com')).some((m) => m.kind === 'ticket.client_replied'));
      assert.equal(agent.role, 'agent');
    });

    test('every ticket route: anonymous, owner, another client, agent and administrator', async (t) => {
      const { app } = await buildTestApp(t, dialect);
      const { client: owner } = await signedInAs(app, 'client');
      const { client: other } = await signedInAs(app, 'client');
      const { client: agent } = await signedInAs(app, 'agent');
      const { client: admin } = await signedInAs(app, 'administrator');
      const id = await openTicket(owner, { subject: 'Secret subject 42' });
      await postMessage(owner, id, 'with a file', { files: [{ name: 'shot.png', type: 'image/png', data: PNG }] });
      const attachment = /\/tickets\/\d+\/attachments\/(\d+)/.exec((await owner.get(`/tickets/${id}`)).body)?.[1];
      assert.ok(attachment);
      const anonymous = new TestClient(app);
      await anonymous.get('/login');

      const gets = [`/tickets/${id}`, `/tickets/${id}/attachments/${attachment}`];
      for (const url of gets) {
        assert.equal((await anonymous.get(url)).statusCode, 303, `anonymous ${url}`);
        assert.equal((await owner.get(url)).statusCode, 200, `owner ${url}`);
        const denied = await other.get(url);
        assert.equal(denied.statusCode, 404, `other client ${url}`);
        assert.doesNotMatch(denied.body, /Secret subject 42/);
        assert.equal((await agent.get(url)).statusCode, 200, `agent ${url}`);
        assert.equal((await admin.get(url)).statusCode, 200, `admin ${url}`);
      }
      assert.doesNotMatch((await other.get('/tickets')).body, /Secret subject 42/);
      assert.doesNotMatch((await other.get('/tickets?q=Secret')).body, /Secret subject 42/);

      await other.get('/tickets');
      for (const [url, form] of [
        [`/tickets/${id}/messages`, { message: 'hijack' }],
        [`/tickets/${id}/resolve`, {}],
        [`/tickets/${id}/properties`, { priority: 'low' }],
        [`/tickets/${id}/delete`, {}],
      ] as const) {
        assert.equal((await other.post(url, form)).statusCode, 404, `other client POST ${url}`);
        const signedOut = await anonymous.post(url, form);
        if (url.endsWith('/messages')) {
          // The reply form keeps a draft in the browser: sign in, then back to the ticket (see the session test).
          assert.equal(signedOut.statusCode, 303, `anonymous POST ${url}`);
          assert.equal(signedOut.headers.location, `/login?next=${encodeURIComponent(`/tickets/${id}`)}`);
        } else {
          assert.equal(signedOut.statusCode, 401, `anonymous POST ${url}`);
        }
      }
      // The URL a refused reply leaves in the address bar: GET leads to the ticket, for those who may see it only.
      const messagesUrl = `/tickets/${id}/messages`;
      const back = await owner.get(messagesUrl);
      assert.equal(back.statusCode, 303);
      assert.equal(back.headers.location, `/tickets/${id}`);
      assert.equal((await agent.get(messagesUrl)).headers.location, `/tickets/${id}`);
      assert.equal((await other.get(messagesUrl)).statusCode, 404, 'another client: 404, as for the ticket');
      assert.equal((await owner.get('/tickets/999999/messages')).statusCode, 404);
      assert.match(String((await anonymous.get(messagesUrl)).headers.location), /^\/login\?next=/);
      await owner.get(`/tickets/${id}`);
      assert.equal(
        (await owner.post(`/tickets/${id}/properties`, { priority: 'urgent' })).statusCode,
        404,
        'clients cannot manage',
      );
      assert.equal((await owner.get(`/tickets/${id}/delete`)).statusCode, 404);
      await agent.get(`/tickets/${id}`);
      assert.equal((await agent.get(`/tickets/${id}/delete`)).statusCode, 404, 'agents cannot delete');
      assert.equal((await agent.post(`/tickets/${id}/delete`)).statusCode, 404);
      assert.equal((await owner.get(`/tickets/${id}`)).statusCode, 200, 'nothing was changed by the refused requests');
      assert.doesNotMatch((await owner.get(`/tickets/${id}`)).body, /hijack/);
      assert.equal((await owner.get('/tickets/abc')).statusCode, 400);
      assert.equal((await owner.get('/tickets/999999')).statusCode, 404);
    });

    test('staff open tickets on behalf of clients, assign, change priority and category; changes are events', async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      const { user: carol, client: carolClient } = await signedInAs(app, 'client', 'carol@example.com');
      const { user: agent, client: agentClient } = await signedInAs(app, 'agent', 'agent@example.com');
      const { client: admin } = await signedInAs(app, 'administrator');

      await agentClient.get('/tickets/new');
      const notClient = await agentClient.post('/tickets', {
        client_email: 'agent@example.com',
        subject: 'x',
        message: 'y',
        priority: 'normal',
      });
      assert.equal(notClient.statusCode, 400);
      assert.match(notClient.body, /Only clients can be chosen/);
      const id = await openTicket(agentClient, { client_email: 'Carol@Example.com', subject: 'Opened for Carol' });
      const ticket = await db.selectFrom('tickets').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      assert.equal(ticket.client_id, carol.id);
      assert.match((await carolClient.get('/tickets')).body, /Opened for Carol/);

      await admin.get(`/tickets/${id}`);
      assert.equal(
        (
          await admin.post(`/tickets/${id}/properties`, {
            assignee: String(agent.id),
            priority: 'urgent',
            category: 'Billing',
          })
        ).statusCode,
        303,
      );
      assert.equal((await admin.post(`/tickets/${id}/properties`, { assignee: String(carol.id) })).statusCode, 303);
      const after = await db.selectFrom('tickets').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      assert.equal(after.assignee_id, agent.id, 'a client cannot be the assignee');
      assert.equal(after.priority, 'urgent');
      assert.equal(after.category, 'Billing');
      const staffView = (await admin.get(`/tickets/${id}`)).body;
      assert.match(staffView, /Assignee changed from nobody to agent@example\.com/);
      assert.match(staffView, /Priority changed from Normal to Urgent/);
      const clientView = (await carolClient.get(`/tickets/${id}`)).body;
      assert.match(clientView, /Priority changed from Normal to Urgent/);
      assert.doesNotMatch(clientView, /Assignee changed/);

      assert.match((await agentClient.get('/tickets?assignee=me')).body, /Opened for Carol/);
      assert.doesNotMatch((await agentClient.get('/tickets?assignee=none')).body, /Opened for Carol/);
      assert.match((await agentClient.get('/tickets?priority=urgent&category=Billing')).body, /Opened for Carol/);
      assert.doesNotMatch((await agentClient.get('/tickets?priority=low')).body, /Opened for Carol/);
      // A bad filter in the address is reset with a notice (test/integration/list-queries.test.ts), not refused.
      const extreme = await agentClient.get('/tickets?priority=extreme');
      assert.equal(extreme.statusCode, 200);
      assert.match(extreme.body, /Opened for Carol/);
    });

    test('an internal note moves the "Updated" time and order staff see, not what the client sees', async (t) => {
      const { app, db, clock } = await buildTestApp(t, dialect);
      const { client: carol } = await signedInAs(app, 'client', 'carol@example.com');
      const { client: agent } = await signedInAs(app, 'agent');
      const older = await openTicket(carol, { subject: 'Older ticket' });
      clock.advance(60_000);
      const newer = await openTicket(carol, { subject: 'Newer ticket' });
      const openedAt = (
        await db.selectFrom('tickets').select('updated_at').where('id', '=', older).executeTakeFirstOrThrow()
      ).updated_at;
      clock.advance(600_000);
      await postMessage(agent, older, 'Internal remark', { internal: true });
      const noteAt = clock.now();

      const order = (body: string) =>
        [...body.matchAll(/href="\/tickets\/(\d+)"/g)]
          .map((m) => Number(m[1]))
          .filter((id) => id === older || id === newer);
      const stamp = (ms: number) => `datetime="${new Date(ms).toISOString()}"`;
      const clientList = (await carol.get('/tickets')).body;
      assert.deepEqual(
        order(clientList),
        [newer, older],
        'the note does not bring the ticket to the top of the client’s list',
      );
      assert.ok(clientList.includes(stamp(openedAt)), 'the client sees the time of the last entry it can see');
      assert.ok(!clientList.includes(stamp(noteAt)), 'the note’s time is not shown to the client');
      // The same for the status filter and the client's search (their own indexes and query paths).
      assert.deepEqual(order((await carol.get('/tickets?status=open')).body), [newer, older]);
      assert.deepEqual(order((await carol.get('/tickets?q=ticket')).body), [newer, older]);
      assert.ok(!(await carol.get(`/tickets/${older}`)).body.includes(stamp(noteAt)), 'nor on the ticket page');

      const staffList = (await agent.get('/tickets')).body;
      assert.deepEqual(order(staffList), [older, newer], 'staff see the note as activity');
      assert.ok(staffList.includes(stamp(noteAt)));

      // A reply the client can see moves both.
      clock.advance(60_000);
      await postMessage(agent, older, 'We are on it');
      const replyAt = clock.now();
      const afterReply = (await carol.get('/tickets')).body;
      assert.deepEqual(order(afterReply), [older, newer]);
      assert.ok(afterReply.includes(stamp(replyAt)));
      // Events (priority, assignee, status) are visible to the client, so they count for it too.
      clock.advance(60_000);
      await agent.get(`/tickets/${newer}`);
      assert.equal((await agent.post(`/tickets/${newer}/properties`, { priority: 'high' })).statusCode, 303);
      assert.deepEqual(order((await carol.get('/tickets')).body), [newer, older]);
    });

    test('search finds subjects and messages, never internal notes for clients', async (t) => {
      const { app } = await buildTestApp(t, dialect);
      const { client: carol } = await signedInAs(app, 'client');
      const { client: agent } = await signedInAs(app, 'agent');
      const a = await openTicket(carol, { subject: 'Invoice question', message: 'The amount looks wrong.' });
      const b = await openTicket(carol, { subject: 'Login trouble', message: 'My keyboard layout is unusual.' });
      await postMessage(agent, b, 'zebrafish internal remark', { internal: true });

      const has = (body: string, id: number) => body.includes(`href="/tickets/${id}"`);
      const invoice = (await carol.get('/tickets?q=invoice')).body;
      assert.ok(has(invoice, a) && !has(invoice, b));
      const keyboard = (await carol.get('/tickets?q=keyboard+layout')).body;
      assert.ok(has(keyboard, b) && !has(keyboard, a));
      assert.ok(!has((await carol.get('/tickets?q=zebrafish')).body, b), 'clients never search notes');
      assert.ok(has((await agent.get('/tickets?q=zebrafish')).body, b), 'staff do');
      for (const q of ['"', "' OR 1=1 --", 'NEAR(a b)', '*', 'a AND', '%', '\\', '<script>']) {
        const res = await carol.get(`/tickets?q=${encodeURIComponent(q)}`);
        assert.equal(res.statusCode, 200, q);
      }
    });

    test('lists are paginated by 25, newest activity first, with filters in the URL', async (t) => {
      const { app, db, clock } = await buildTestApp(t, dialect);
      const { user: carol, client } = await signedInAs(app, 'client');
      const now = clock.now();
      await insertTickets(db, carol, 30, now, (i) => ({ status: i % 2 === 0 ? 'awaiting_staff' : 'resolved' }));
      const first = (await client.get('/tickets')).body;
      assert.match(first, /30 tickets/);
      assert.match(first, /Bulk ticket 0</);
      assert.doesNotMatch(first, /Bulk ticket 25</);
      assert.match(first, /href="\/tickets\?page=2"/);
      const second = (await client.get('/tickets?page=2')).body;
      assert.match(second, /Bulk ticket 25</);
      assert.doesNotMatch(second, /Bulk ticket 24</);
      const open = (await client.get('/tickets?status=awaiting_staff')).body;
      assert.match(open, /15 tickets/);
      assert.match(second, /30 tickets/);
      const zero = await client.get('/tickets?page=0');
      assert.equal(zero.statusCode, 200, 'page 0 falls back to the first page');
      assert.match(zero.body, /Bulk ticket 0</);
      const beyond = await client.get('/tickets?page=99999');
      assert.equal(beyond.statusCode, 200);
      assert.match(beyond.body, /past the last one/);
    });

    test('counts stop 1,000 rows past the page, and every page still knows whether an older one exists', async (t) => {
      const { app, db, clock } = await buildTestApp(t, dialect);
      const { user: carol, client } = await signedInAs(app, 'client');
      const now = clock.now();
      const total = COUNT_CAP + 30;
      await insertTickets(db, carol, total, now);
      const first = (await client.get('/tickets')).body;
      assert.match(first, /More than 1,000 tickets/);
      assert.match(first, /Page 1 of 40\+/);
      // Page 41 starts at row 1,001: from there 30 rows remain, so the exact total is known.
      const deep = (await client.get('/tickets?page=41')).body;
      assert.match(deep, /1,030 tickets/);
      assert.match(deep, /Page 41 of 42</);
      assert.match(deep, /href="\/tickets\?page=42"/);
      assert.match(deep, new RegExp(`Bulk ticket ${25 * 40}<`));
      const last = (await client.get('/tickets?page=42')).body;
      assert.match(last, new RegExp(`Bulk ticket ${total - 1}<`));
      assert.doesNotMatch(last, /rel="next"/);
    });

    test('attachments: allowed types only, checked by content, downloaded safely', async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      const { client: carol } = await signedInAs(app, 'client');
      await carol.get('/tickets/new');
      const ok = await postMultipart(
        carol,
        '/tickets',
        { subject: 'With files', message: 'See attached', priority: 'normal' },
        [
          { name: '../../etc/report.pdf', type: 'application/pdf', data: PDF },
          { name: 'screen<shot>.png', type: 'image/png', data: PNG },
        ],
      );
      assert.equal(ok.statusCode, 303, ok.body.slice(0, 300));
      const id = Number(String(ok.headers.location).split('/').pop());
      const files = await db.selectFrom('attachments').selectAll().where('ticket_id', '=', id).orderBy('id').execute();
      assert.deepEqual(
        files.map((f) => f.file_name),
        ['report.pdf', 'screenshot.png'],
      );
      const download = await carol.get(`/tickets/${id}/attachments/${files[0]?.id}`);
      assert.equal(download.statusCode, 200);
      assert.equal(download.headers['content-type'], 'application/pdf');
      assert.equal(download.headers['x-content-type-options'], 'nosniff');
      assert.equal(
        download.headers['content-security-policy'],
        "default-src 'none'; sandbox",
        'the download keeps its sandboxing policy',
      );
      assert.match(String(download.headers['content-disposition']), /^attachment; filename="report\.pdf"/);
      assert.deepEqual(download.rawPayload, PDF);

      await carol.get('/tickets/new');
      for (const file of [
        { name: 'page.html', type: 'text/html', data: Buffer.from('<script>alert(1)</script>') },
        { name: 'logo.svg', type: 'image/svg+xml', data: Buffer.from('<svg onload="alert(1)"/>') },
        { name: 'fake.png', type: 'image/png', data: Buffer.from('<html><script>alert(1)</script></html>') },
        { name: 'tool.exe', type: 'application/octet-stream', data: Buffer.from('MZ') },
      ]) {
        const res = await postMultipart(
          carol,
          '/tickets',
          { subject: 'Bad file', message: 'Keep this text', priority: 'normal' },
          [file],
        );
        assert.equal(res.statusCode, 400, file.name);
        assert.match(res.body, /Keep this text/, 'the text is kept');
      }
      const tooMany = await postMultipart(
        carol,
        '/tickets',
        { subject: 'Many', message: 'm', priority: 'normal' },
        Array.from({ length: 6 }, (_, i) => ({ name: `f${i}.png`, data: PNG })),
      );
      assert.ok(tooMany.statusCode === 400 || tooMany.statusCode === 413, String(tooMany.statusCode));
      assert.equal((await db.selectFrom('tickets').selectAll().execute()).length, 1, 'nothing half-saved');
    });

    test('messages read as Markdown in the page and in the email; image attachments are thumbnails from the attachment route', async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      const { client: carol } = await signedInAs(app, 'client', 'carol@example.com');
      const { client: agent } = await signedInAs(app, 'agent', 'agent@example.com');
      const id = await openTicket(carol, { subject: 'Formatting' });
      const text = [
        'Steps:',
        '',
        '1. Open **Settings**',
        '2. Run `reset --all`',
        '',
        '> the old reply',
        '',
        '```',
        'error <42>',
        '```',
        '',
        'See [the guide](https://example.com/guide) and ![chart](https://evil.example/c.png) or [x](javascript:alert(1))',
      ].join('\n');
      await agent.get(`/tickets/${id}`);
      await postMessage(agent, id, text, {
        files: [
          { name: 'shot.png', type: 'image/png', data: PNG },
          { name: 'r.pdf', type: 'application/pdf', data: PDF },
        ],
      });
      const page = (await carol.get(`/tickets/${id}`)).body;
      assert.match(page, /<div class="md message__body" dir="auto"><p>Steps:<\/p>/);
      assert.match(page, /<ol>\n<li>Open <strong>Settings<\/strong><\/li>\n<li>Run <code>reset --all<\/code><\/li>/);
      assert.match(page, /<blockquote>\n<p>the old reply<\/p>\n<\/blockquote>/);
      assert.match(page, /<pre><code>error &lt;42&gt;\n<\/code><\/pre>/);
      assert.match(
        page,
        /<a href="https:\/\/example.com\/guide" rel="noopener noreferrer nofollow" target="_blank">the guide<\/a>/,
      );
      assert.doesNotMatch(page, /<img[^>]*evil\.example/, 'an image in the text is never loaded');
      assert.doesNotMatch(page, /href="javascript:/);
      const files = await db
        .selectFrom('attachments')
        .select(['id', 'file_name'])
        .where('ticket_id', '=', id)
        .orderBy('id')
        .execute();
      const png = files.find((f) => f.file_name === 'shot.png')!;
      const pdf = files.find((f) => f.file_name === 'r.pdf')!;
      const src = `/tickets/${id}/attachments/${png.id}`;
      assert.ok(
        page.includes(
          `<a href="${src}" class="thumbnail" title="shot.png"><img src="${src}" alt="shot.png" loading="lazy"`,
        ),
        'the image is a thumbnail linking to the full file',
      );
      assert.ok(!page.includes(`<img src="/tickets/${id}/attachments/${pdf.id}"`), 'a PDF is not an image');
      const thumb = await carol.get(src);
      assert.equal(thumb.statusCode, 200);
      assert.equal(thumb.headers['content-type'], 'image/png');
      const { client: other } = await signedInAs(app, 'client', 'other@example.com');
      assert.equal((await other.get(src)).statusCode, 404, 'the thumbnail is as access-checked as the file');

      const mail = (await mailsTo(db, 'carol@example.com')).find((m) => m.kind === 'ticket.staff_replied')!;
      assert.match(mail.html_body, /<div class="md" dir="auto" style="[^"]*"><p style="[^"]*">Steps:<\/p>/);
      assert.match(mail.html_body, /<blockquote style="[^"]*border-left[^"]*">/);
      assert.match(mail.html_body, /<pre style="[^"]*"><code>error &lt;42&gt;/);
      assert.match(
        mail.html_body,
        /<a href="https:\/\/example.com\/guide" rel="noopener noreferrer nofollow" target="_blank" style="[^"]*">the guide<\/a>/,
      );
      assert.ok(mail.text_body.includes(text), 'the plain-text part is the original text');
    });

    test('bad input keeps the text and saves nothing', async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      const { client: carol } = await signedInAs(app, 'client');
      await carol.get('/tickets/new');
      const cases: Array<[Record<string, string>, RegExp]> = [
        [{ subject: '', message: 'body text here', priority: 'normal' }, /Write a subject/],
        [{ subject: 'x'.repeat(201), message: 'body text here', priority: 'normal' }, /up to 200 characters/],
        [{ subject: 'ok', message: '   ', priority: 'normal' }, /Write a message/],
        [{ subject: 'ok', message: 'y'.repeat(20_001), priority: 'normal' }, /up to 20,000 characters/],
        [{ subject: 'ok', message: 'body text here', priority: 'extreme' }, /Choose a priority/],
        [{ subject: 'ok', message: 'body text here', priority: 'normal', category: 'Nope' }, /Choose a category/],
      ];
      for (const [form, reason] of cases) {
        const res = await carol.post('/tickets', form);
        assert.equal(res.statusCode, 400, JSON.stringify(form).slice(0, 80));
        assert.match(res.body, reason);
      }
      assert.equal((await db.selectFrom('tickets').selectAll().execute()).length, 0);
      const id = await openTicket(carol);
      await carol.get(`/tickets/${id}`);
      const empty = await carol.post(`/tickets/${id}/messages`, { message: '' });
      assert.equal(empty.statusCode, 400);
      assert.match(empty.body, /Write a message/);
    });

    test('administrators delete tickets after a confirmation step; the deletion is audited; replies to it are 404', async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      const { client: carol } = await signedInAs(app, 'client');
      const { user: admin, client: adminClient } = await signedInAs(app, 'administrator');
      const id = await openTicket(carol, { subject: 'Delete me' });
      await postMessage(carol, id, 'file', { files: [{ name: 'a.png', data: PNG }] });
      const confirm = await adminClient.get(`/tickets/${id}/delete`);
      assert.match(confirm.body, /cannot be undone/);
      assert.equal((await adminClient.post(`/tickets/${id}/delete`)).statusCode, 303);
      assert.equal((await db.selectFrom('tickets').selectAll().execute()).length, 0);
      assert.equal((await db.selectFrom('attachments').selectAll().execute()).length, 0);
      assert.equal((await db.selectFrom('attachment_blobs').selectAll().execute()).length, 0);
      const audit = await db
        .selectFrom('audit_events')
        .selectAll()
        .where('event', '=', 'ticket.deleted')
        .executeTakeFirstOrThrow();
      assert.equal(audit.actor_user_id, admin.id);
      await carol.get('/tickets');
      assert.equal((await carol.post(`/tickets/${id}/messages`, { message: 'still there?' })).statusCode, 404);
      assert.doesNotMatch((await carol.get('/tickets?q=delete')).body, /Delete me/);
    });

    test('ticket emails can be switched off', async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      const { client: carol } = await signedInAs(app, 'client');
      const agent: TestUser = await createUser(app, { role: 'agent', email: 'quiet@example.com' });
      await db.updateTable('users').set({ notify_tickets: 0 }).where('id', '=', agent.id).execute();
      await openTicket(carol);
      assert.equal((await mailsTo(db, 'quiet@example.com')).length, 0);
    });
  });
}
