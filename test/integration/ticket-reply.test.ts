import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildTestApp } from '../helpers/build-app.ts';
import { signedInAs } from '../helpers/client.ts';
import { dialects } from '../helpers/dialects.ts';
import { mailsTo } from '../helpers/mail.ts';
import { openTicket, postMessage } from '../helpers/tickets.ts';

/** Replying safely and quickly (issue 15, item 12) and tickets staff open for a client (item 9). */
for (const dialect of dialects()) {
  describe(`ticket replies [${dialect}]`, () => {
    test('an internal note is its own form and route; clients cannot post one, a reply cannot become one', async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      const { client: carol } = await signedInAs(app, 'client', 'carol@example.com');
      const { client: agent } = await signedInAs(app, 'agent', 'agent@example.com');
      const id = await openTicket(carol, { subject: 'Printer on fire' });

      const staffPage = (await agent.get(`/tickets/${id}`)).body;
      assert.match(staffPage, /Reply to client/);
      assert.match(staffPage, new RegExp(`action="/tickets/${id}/notes"`));
      assert.match(staffPage, /Only staff see this/);
      assert.match(staffPage, />\s*Add internal note\s*</);
      assert.doesNotMatch(staffPage, /type="checkbox" name="internal"/, 'no checkbox to forget');
      const clientPage = (await carol.get(`/tickets/${id}`)).body;
      assert.doesNotMatch(clientPage, /\/notes"|Internal note|Only staff see this/);

      // A client cannot post a note, not even to their own ticket: nothing is written.
      const refused = await carol.post(`/tickets/${id}/notes`, { message: 'sneaky note' });
      assert.ok([403, 404].includes(refused.statusCode), `client note: ${refused.statusCode}`);
      // The old checkbox field on a reply is refused (400, text kept), not silently sent to the client.
      await agent.get(`/tickets/${id}`);
      const oldForm = await agent.post(`/tickets/${id}/messages`, { message: 'meant as a note', internal: '1' });
      assert.equal(oldForm.statusCode, 400);
      assert.match(oldForm.body, /Nothing was sent: internal notes have their own tab now/);
      assert.match(oldForm.body, /id="composer-note"[^>]*checked/, 'the text comes back in the note composer');
      assert.match(oldForm.body, /id="f-note-message"[^>]*>meant as a note</);
      const entries = await db
        .selectFrom('ticket_messages')
        .select(['kind', 'body'])
        .where('ticket_id', '=', id)
        .execute();
      assert.ok(!entries.some((e) => e.body === 'sneaky note' || e.body === 'meant as a note'));

      const before = (await mailsTo(db, 'carol@example.com')).length;
      await agent.get(`/tickets/${id}`);
      const note = await agent.post(`/tickets/${id}/notes`, { message: 'Check the fan firmware' });
      assert.equal(note.statusCode, 303);
      assert.equal(note.headers.location, `/tickets/${id}`);
      const row = await db
        .selectFrom('ticket_messages')
        .select('kind')
        .where('ticket_id', '=', id)
        .where('body', '=', 'Check the fan firmware')
        .executeTakeFirstOrThrow();
      assert.equal(row.kind, 'note');
      const ticket = await db.selectFrom('tickets').select('status').where('id', '=', id).executeTakeFirstOrThrow();
      assert.equal(ticket.status, 'awaiting_staff', 'a note changes no status');
      assert.equal((await mailsTo(db, 'carol@example.com')).length, before, 'a note emails no client');
      assert.doesNotMatch((await carol.get(`/tickets/${id}`)).body, /fan firmware/);

      // An empty note comes back on the note tab with its error.
      await agent.get(`/tickets/${id}`);
      const empty = await agent.post(`/tickets/${id}/notes`, { message: '' });
      assert.equal(empty.statusCode, 400);
      assert.match(empty.body, /id="composer-note"[^>]*checked/);
      assert.match(empty.body, /Write a message\./);
    });

    test('"Send and resolve" replies and resolves in one step, with one email to the client', async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      const { client: carol } = await signedInAs(app, 'client', 'carol@example.com');
      const { client: agent } = await signedInAs(app, 'agent', 'agent@example.com');
      const id = await openTicket(carol, { subject: 'Printer on fire' });
      assert.match((await agent.get(`/tickets/${id}`)).body, /name="then" value="resolve"/);
      assert.doesNotMatch((await carol.get(`/tickets/${id}`)).body, /Send and resolve/, 'clients keep their form');

      const before = (await mailsTo(db, 'carol@example.com')).length;
      await agent.get(`/tickets/${id}`);
      const res = await agent.post(`/tickets/${id}/messages`, { message: 'Fixed: firmware 2.2.', then: 'resolve' });
      assert.equal(res.statusCode, 303);
      const ticket = await db.selectFrom('tickets').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      assert.equal(ticket.status, 'resolved');
      assert.ok(ticket.resolved_at !== null);
      const mails = (await mailsTo(db, 'carol@example.com')).slice(before);
      assert.deepEqual(
        mails.map((m) => m.kind),
        ['ticket.staff_replied_resolved'],
        'one email: the reply, saying it is resolved',
      );
      assert.match(mails[0]?.text_body ?? '', /Fixed: firmware 2\.2\./);
      assert.match(mails[0]?.text_body ?? '', /replied and resolved/);
      const page = (await carol.get(`/tickets/${id}`)).body;
      assert.match(page, /Fixed: firmware 2\.2\./);
      assert.match(page, /Status changed to Resolved/, 'the status change is an event in the thread');
      assert.equal(
        (
          await db
            .selectFrom('ticket_messages')
            .select('id')
            .where('ticket_id', '=', id)
            .where('kind', '=', 'event')
            .execute()
        ).length,
        1,
        'one status event: awaiting staff to resolved',
      );

      // A client's forged "then=resolve" is an ordinary reply: it reopens the ticket.
      await carol.get(`/tickets/${id}`);
      assert.equal(
        (await carol.post(`/tickets/${id}/messages`, { message: 'Back again', then: 'resolve' })).statusCode,
        303,
      );
      const reopened = await db.selectFrom('tickets').select('status').where('id', '=', id).executeTakeFirstOrThrow();
      assert.equal(reopened.status, 'awaiting_staff');
    });

    test('staff see up to five of the client’s other tickets beside the thread; clients do not', async (t) => {
      const { app, clock } = await buildTestApp(t, dialect);
      const { client: carol } = await signedInAs(app, 'client', 'carol@example.com');
      const { client: dave } = await signedInAs(app, 'client', 'dave@example.com');
      const { client: agent } = await signedInAs(app, 'agent');
      const ids: number[] = [];
      for (let i = 0; i < 7; i++) {
        ids.push(await openTicket(carol, { subject: `Carol ticket ${i}` }));
        clock.advance(60_000);
      }
      await openTicket(dave, { subject: 'Dave ticket' });
      const current = ids[2] ?? 0;
      const page = (await agent.get(`/tickets/${current}`)).body;
      const panel = /<section[^>]*aria-labelledby="other-tickets-title"[\s\S]*?<\/section>/.exec(page)?.[0] ?? '';
      assert.ok(panel, 'the panel is there');
      const listed = [...panel.matchAll(/href="\/tickets\/(\d+)"/g)].map((m) => Number(m[1]));
      assert.deepEqual(listed, [ids[6], ids[5], ids[4], ids[3], ids[1]], 'five most recent, not this one');
      assert.match(panel, /status--awaiting_staff/);
      assert.doesNotMatch(panel, /Dave ticket/);

      const alone = await openTicket(dave, { subject: 'Dave second' });
      assert.match((await agent.get(`/tickets/${alone}`)).body, /Dave ticket/);
      assert.doesNotMatch((await carol.get(`/tickets/${current}`)).body, /other-tickets-title|Carol ticket 6/);
      await postMessage(carol, current, 'still here');
    });

    test('a ticket staff open for a client tells other staff who opened it for whom', async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      await signedInAs(app, 'client', 'maria@example.com');
      const { client: sam } = await signedInAs(app, 'agent', 'sam@example.com');
      await signedInAs(app, 'agent', 'ana@example.com');
      const { client: maria2 } = await signedInAs(app, 'client', 'lena@example.com');

      await openTicket(sam, { client_email: 'maria@example.com', subject: 'Phoned in: VPN down' });
      const toAna = await mailsTo(db, 'ana@example.com');
      assert.deepEqual(
        toAna.map((m) => m.kind),
        ['ticket.ticket_opened_by_staff'],
      );
      assert.match(toAna[0]?.text_body ?? '', /Ticket opened by sam@example\.com for maria@example\.com/);
      assert.doesNotMatch(toAna[0]?.text_body ?? '', /New ticket from/);
      assert.deepEqual((await mailsTo(db, 'sam@example.com')).length, 0, 'not the one who opened it');
      assert.deepEqual(
        (await mailsTo(db, 'maria@example.com')).map((m) => m.kind),
        ['ticket.ticket_opened_for_you'],
      );

      // A client's own ticket still reads "New ticket from …".
      await openTicket(maria2, { subject: 'My own' });
      const latest = (await mailsTo(db, 'ana@example.com')).at(-1);
      assert.equal(latest?.kind, 'ticket.ticket_opened');
      assert.match(latest?.text_body ?? '', /New ticket from lena@example\.com/);
    });
  });
}
