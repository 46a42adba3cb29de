import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildTestApp } from '../helpers/build-app.ts';
import { postMultipart, TestClient } from '../helpers/client.ts';
import { dialects } from '../helpers/dialects.ts';
import { createUser } from '../helpers/factories.ts';
import { PNG } from '../helpers/multipart.ts';
import { openTicket } from '../helpers/tickets.ts';
import { assertNoInjectedMarkup } from './html-check.ts';
import { XSS_PAYLOADS } from './xss-payloads.ts';

const SQL_PROBES = [
  "' OR 1=1 --",
  '"; DROP TABLE users; --',
  "') OR ('a'='a",
  '%',
  '_',
  '\\',
  "1' UNION SELECT password_hash FROM users --",
  '1; SELECT pg_sleep(5)',
  "' AND 1=(SELECT COUNT(*) FROM sqlite_master) --",
];

for (const dialect of dialects()) {
  describe(`escaping and injection [${dialect}]`, () => {
    test(`${XSS_PAYLOADS.length} XSS payloads in every user-controlled field are rendered inert on every page and in every email`, async (t) => {
      // One client opens a ticket per payload and every email is checked: the hourly quotas (quotas.test.ts) are raised.
      const { app, db } = await buildTestApp(t, dialect, {
        TICKETS_PER_HOUR: '1000',
        MESSAGES_PER_HOUR: '1000',
        STAFF_NOTIFICATIONS_PER_HOUR: '1000',
      });
      const adminUser = await createUser(app, { role: 'administrator' });
      const clientUser = await createUser(app, { email: 'xss.client@example.com' });
      const admin = new TestClient(app, { remoteAddress: '10.9.9.9' });
      await admin.signIn(adminUser);
      const client = new TestClient(app);
      await client.signIn(clientUser);

      const check = async (who: TestClient, url: string) => {
        const res = await who.get(url);
        assert.ok(res.statusCode < 500, `${url}: ${res.statusCode}`);
        assertNoInjectedMarkup(res.body, url);
        return res;
      };

      for (const [i, payload] of XSS_PAYLOADS.entries()) {
        const id = await openTicket(client, { subject: payload.slice(0, 200), message: payload });
        await postMultipart(client, `/tickets/${id}/messages`, { message: `${payload} again` }, [
          { name: `${payload.slice(0, 100)}.png`, data: PNG },
        ]);
        await admin.get(`/tickets/${id}`);
        await admin.post(`/tickets/${id}/${i % 2 === 0 ? 'notes' : 'messages'}`, { message: payload });
        if (i % 10 === 0) {
          await admin.get(`/admin/users/${clientUser.id}`);
          await admin.post(`/admin/users/${clientUser.id}`, {
            email: clientUser.email,
            name: payload.slice(0, 200),
            role: 'client',
          });
          await check(admin, `/admin/users/${clientUser.id}`);
          await check(admin, `/tickets/${id}`);
        }
        if (i % 5 === 0) {
          await check(client, `/tickets/${id}`);
          await check(client, `/tickets?q=${encodeURIComponent(payload)}`);
          await check(admin, `/tickets?q=${encodeURIComponent(payload)}`);
          // Reflected in the login form's email field after a failure.
          const login = await new TestClient(app, { remoteAddress: `10.1.${i}.1` }).login(
            payload.slice(0, 254),
            'wrong password xss',
          );
          assertNoInjectedMarkup(login.body, `login as ${payload}`);
        }
      }
      for (const url of ['/tickets', '/tickets?page=2', '/tickets?page=3', '/tickets?page=4', '/tickets?page=5']) {
        await check(client, url);
        await check(admin, url);
      }
      for (const url of ['/admin/users', '/admin/audit', '/admin/audit?page=2', '/admin/failed-logins', '/account']) {
        await check(admin, url);
      }
      const mails = await db.selectFrom('mail_outbox').select(['html_body', 'subject', 'kind']).execute();
      assert.ok(mails.length > XSS_PAYLOADS.length);
      for (const mail of mails) {
        assertNoInjectedMarkup(mail.html_body, `email ${mail.kind}`, { email: true });
        assert.ok(!/[\r\n]/.test(mail.subject), 'no header injection through subjects');
      }
    });

    test('SQL metacharacters in every field and query parameter change nothing and never cause a 5xx', async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      const adminUser = await createUser(app, { role: 'administrator' });
      const admin = new TestClient(app, { remoteAddress: '10.9.9.8' });
      await admin.signIn(adminUser);
      const clientUser = await createUser(app);
      const client = new TestClient(app);
      await client.signIn(clientUser);
      const id = await openTicket(client, { subject: 'baseline ticket' });
      const usersBefore = await db.selectFrom('users').select(['id', 'email', 'role']).orderBy('id').execute();
      for (const probe of SQL_PROBES) {
        const q = encodeURIComponent(probe);
        for (const url of [
          `/tickets?q=${q}`,
          `/tickets?category=${q}`,
          `/admin/users?q=${q}`,
          `/admin/audit?user=${q}`,
          `/login?next=${q}`,
          `/verify-email?token=${q}`,
          `/reset-password?token=${q}`,
        ]) {
          const who = url.startsWith('/admin') || url.includes('category') ? admin : client;
          const res = await who.get(url);
          assert.ok(res.statusCode < 500, `${url}: ${res.statusCode}`);
        }
        const search = await client.get(`/tickets?q=${q}`);
        assert.doesNotMatch(search.body, /baseline ticket/, `search ${probe} does not widen the result`);
        const login = await new TestClient(app, { remoteAddress: '10.2.0.1' }).login(
          probe.includes('@') ? probe : `${probe}@example.com`,
          probe,
        );
        assert.ok(
          login.statusCode === 401 || login.statusCode === 400 || login.statusCode === 429,
          `login ${probe}: ${login.statusCode}`,
        );
        await client.get(`/tickets/${id}`);
        assert.equal((await client.post(`/tickets/${id}/messages`, { message: probe })).statusCode, 303);
        await client.get('/tickets/new');
        assert.equal(
          (await client.post('/tickets', { subject: probe, message: probe, priority: 'normal' })).statusCode,
          303,
        );
        await client.get('/forgot-password');
        assert.ok((await client.post('/forgot-password', { email: probe })).statusCode < 500);
      }
      assert.deepEqual(
        await db.selectFrom('users').select(['id', 'email', 'role']).orderBy('id').execute(),
        usersBefore,
      );
      const stored = await db
        .selectFrom('ticket_messages')
        .select('body')
        .where('ticket_id', '=', id)
        .where('kind', '=', 'message')
        .execute();
      assert.deepEqual(
        stored.slice(1).map((r) => r.body),
        SQL_PROBES,
        'stored exactly as typed',
      );
    });
  });
}
