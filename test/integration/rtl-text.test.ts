import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildTestApp } from '../helpers/build-app.ts';
import { signedInAs } from '../helpers/client.ts';
import { dialects } from '../helpers/dialects.ts';
import { mailsTo } from '../helpers/mail.ts';
import { openTicket, postMessage } from '../helpers/tickets.ts';

const HEBREW_SUBJECT = 'המדפסת לא עובדת!';
const ARABIC_MESSAGE = 'الطابعة لا تعمل منذ التحديث.';
const ARABIC_REPLY = 'شكرا، سنتحقق من ذلك.';

/**
 * The element that holds `text` as its whole content carries dir="auto" (so the browser sets its direction), or
 * the Markdown container around its first paragraph does.
 */
function assertAutoDirAround(html: string, text: string, where: string) {
  const escaped = text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  assert.match(html, new RegExp(`<[a-z0-9]+\\b[^>]*\\bdir="auto"[^>]*>\\s*(?:<p\\b[^>]*>)?${escaped}\\s*<`), where);
}

for (const dialect of dialects()) {
  describe(`right-to-left text [${dialect}]`, () => {
    test('subjects, messages and names in Hebrew or Arabic are marked dir="auto" in pages and in email', async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      const { client: client } = await signedInAs(app, 'client', 'dana@example.com');
      const { client: agent } = await signedInAs(app, 'agent', 'agent@example.com');

      const id = await openTicket(client, { subject: HEBREW_SUBJECT, message: ARABIC_MESSAGE });
      const page = (await client.get(`/tickets/${id}`)).body;
      assertAutoDirAround(page, HEBREW_SUBJECT, 'the subject on the ticket page');
      assertAutoDirAround(page, ARABIC_MESSAGE, 'the message on the ticket page');
      assert.match(page, /<textarea[^>]*\bdir="auto"/, 'the reply box follows what is typed');

      assertAutoDirAround((await client.get('/tickets')).body, HEBREW_SUBJECT, "the subject in the client's list");
      assertAutoDirAround((await agent.get('/tickets')).body, HEBREW_SUBJECT, 'the subject in the staff list');
      const newTicket = (await client.get('/tickets/new')).body;
      assert.match(newTicket, /<input[^>]*name="subject"[^>]*dir="auto"|<input[^>]*dir="auto"[^>]*name="subject"/);

      await postMessage(agent, id, ARABIC_REPLY);
      assertAutoDirAround((await client.get(`/tickets/${id}`)).body, ARABIC_REPLY, 'the reply on the ticket page');

      const toStaff = (await mailsTo(db, 'agent@example.com')).find((m) => m.kind === 'ticket.ticket_opened');
      assert.ok(toStaff, 'staff were told');
      assert.match(toStaff.html_body, new RegExp(`<p dir="auto"[^>]*>[^<]*${HEBREW_SUBJECT.replace('!', '\\!')}`));
      assertAutoDirAround(toStaff.html_body, ARABIC_MESSAGE, 'the message quoted in the email');
      const toClient = (await mailsTo(db, 'dana@example.com')).find((m) => m.kind === 'ticket.staff_replied');
      assert.ok(toClient, 'the client was told of the reply');
      assertAutoDirAround(toClient.html_body, ARABIC_REPLY, 'the reply quoted in the email');
    });

    test('a name in Arabic is marked dir="auto" in the user list', async (t) => {
      const { app } = await buildTestApp(t, dialect);
      const { client: admin } = await signedInAs(app, 'administrator', 'root@example.com');
      await admin.get('/admin/users/new');
      const created = await admin.post('/admin/users', { email: 'layla@example.com', name: 'ليلى', role: 'client' });
      assert.ok(created.statusCode < 400, `${created.statusCode}`);
      assertAutoDirAround((await admin.get('/admin/users')).body, 'ليلى', 'the name in the list');
    });
  });
}
