import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildTestApp } from '../helpers/build-app.ts';
import { signedInAs } from '../helpers/client.ts';
import { dialects } from '../helpers/dialects.ts';
import { openTicket } from '../helpers/tickets.ts';
import { QUERY_RESET_NOTICE } from '../../src/http/query.ts';

/** What a validator says, which must never reach a page. */
const SCHEMA_TEXT = /must be equal to|must match|must be integer|must NOT have|must be >=|querystring\//;
const NOTICE = QUERY_RESET_NOTICE.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Each list and the parameters it knows (a bad one of these gives the notice; others are ignored silently). */
const LIST_ROUTES: Record<string, string[]> = {
  '/tickets': ['page', 'status', 'q', 'priority', 'assignee'],
  '/admin/users': ['page', 'status', 'q', 'role'],
  '/admin/audit': ['page', 'user', 'event', 'from'],
  '/admin/failed-logins': ['page'],
  '/admin/mail': ['page'],
};
const BAD_QUERIES = [
  'status=bogus',
  'page=abc',
  'page=0',
  'page=-3',
  'page=1e99',
  `q=${'x'.repeat(300)}`,
  `user=${'x'.repeat(300)}`,
  'priority=extreme',
  'role=superuser',
  'event=NOT%20AN%20EVENT',
  'from=yesterday',
  'assignee=somebody',
  'status=open&status=closed',
];

for (const dialect of dialects()) {
  describe(`list queries [${dialect}]`, () => {
    test('bad query parameters on every list give the list with defaults and a short notice, never a schema message', async (t) => {
      const { app } = await buildTestApp(t, dialect);
      const { client: admin } = await signedInAs(app, 'administrator', 'root@example.com');
      for (const [route, params] of Object.entries(LIST_ROUTES)) {
        const plain = await admin.get(route);
        assert.equal(plain.statusCode, 200, route);
        assert.doesNotMatch(plain.body, new RegExp(NOTICE), `${route}: no notice without a bad parameter`);
        for (const bad of BAD_QUERIES) {
          const known = params.includes(bad.split('=')[0] ?? '');
          const res = await admin.get(`${route}?${bad}`);
          assert.equal(res.statusCode, 200, `${route}?${bad.slice(0, 40)}: ${res.body.slice(0, 200)}`);
          assert.doesNotMatch(res.body, SCHEMA_TEXT, `${route}?${bad.slice(0, 40)}`);
          assert.equal(
            new RegExp(NOTICE).test(res.body),
            known,
            `${route}?${bad.slice(0, 40)}: notice only for its own bad parameters`,
          );
        }
        // A parameter the list does not know at all is ignored without a word.
        const unknown = await admin.get(`${route}?sort=bogus`);
        assert.equal(unknown.statusCode, 200);
        assert.doesNotMatch(unknown.body, new RegExp(NOTICE));
      }
    });

    test('the valid parameters are kept and only the bad one falls back to its default', async (t) => {
      const { app } = await buildTestApp(t, dialect);
      const { client: carol } = await signedInAs(app, 'client', 'carol@example.com');
      const { client } = await signedInAs(app, 'agent', 'agent@example.com');
      await openTicket(carol, { subject: 'Printer on fire', priority: 'high' });
      await openTicket(carol, { subject: 'Mouse is slow', priority: 'low' });

      const res = await client.get(`/tickets?priority=high&status=bogus&page=abc&q=${'y'.repeat(201)}`);
      assert.equal(res.statusCode, 200);
      assert.match(res.body, new RegExp(NOTICE));
      assert.equal(res.body.split(NOTICE.replace(/\\/g, '')).length - 1, 1, 'the notice is shown once');
      assert.match(res.body, /Printer on fire/, 'the valid priority filter is kept');
      assert.doesNotMatch(res.body, /Mouse is slow/);
      assert.doesNotMatch(res.body, /bogus/, 'the bad status is not echoed back into the filter form');
      assert.doesNotMatch(res.body, SCHEMA_TEXT);

      const q = await client.get(`/tickets?q=${'z'.repeat(201)}`);
      assert.match(q.body, /Printer on fire/, 'a search that is too long is dropped: the whole list shows');
      assert.match(q.body, /Mouse is slow/);
    });

    test('no error page shows validator text: bad ids, bad bodies, JSON clients', async (t) => {
      const { app } = await buildTestApp(t, dialect);
      const { client: admin } = await signedInAs(app, 'administrator', 'root@example.com');
      const page = await admin.get('/tickets/abc');
      assert.ok(page.statusCode >= 400 && page.statusCode < 500, String(page.statusCode));
      assert.doesNotMatch(page.body, SCHEMA_TEXT);
      assert.doesNotMatch(page.body, /params\//);

      await admin.get('/admin/failed-logins');
      const body = await admin.post('/admin/failed-logins/unlock', { ip: 'not an ip' });
      assert.equal(body.statusCode, 400);
      assert.doesNotMatch(body.body, SCHEMA_TEXT);
      assert.doesNotMatch(body.body, /body\//);

      const json = await app.inject({
        method: 'GET',
        url: '/invitation?token=' + 'x'.repeat(500),
        headers: { accept: 'application/json' },
      });
      assert.doesNotMatch(json.body, SCHEMA_TEXT);
      assert.doesNotMatch(json.body, /querystring\//);
    });
  });
}
