import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { RouteEntry } from '../../src/plugins/access.ts';
import { buildTestApp } from '../helpers/build-app.ts';
import { TestClient } from '../helpers/client.ts';
import { dialects } from '../helpers/dialects.ts';
import { createUser } from '../helpers/factories.ts';
import { PNG } from '../helpers/multipart.ts';
import { openTicket, postMessage } from '../helpers/tickets.ts';
import { storeInboxMessage } from '../../src/features/inbound/inbox.repository.ts';

/**
 * The layer that makes a forgotten check impossible: every route Fastify has registered is attacked here,
 * so a new route is covered the moment it exists. Adding a public route means adding it to this list,
 * in review, on purpose.
 */
const PUBLIC_ROUTES = [
  'GET /assets/*',
  'GET /favicon.ico',
  'GET /healthz',
  'GET /readyz',
  'GET /',
  'GET /login',
  'POST /login',
  'GET /register',
  'POST /register',
  'GET /verify-email',
  'POST /verify-email',
  'GET /confirm-email-change',
  'POST /confirm-email-change',
  'GET /forgot-password',
  'POST /forgot-password',
  'GET /reset-password',
  'POST /reset-password',
  'GET /invitation',
  'POST /invitation',
  'GET /unlock/:token',
  'POST /unlock/:token',
].sort();

const TABLES = [
  'users',
  'sessions',
  'failed_logins',
  'audit_events',
  'user_tokens',
  'mail_outbox',
  'rate_limits',
  'recovery_codes',
  'tickets',
  'ticket_messages',
  'attachments',
  'login_throttles',
  'mail_inbox',
  'undeliverable_addresses',
];

/** Every row of every table, except sessions' last-seen time (bookkeeping that reading pages may touch). */
async function snapshot(app: FastifyInstance): Promise<string> {
  const out: Record<string, unknown[]> = {};
  for (const table of TABLES) {
    const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table)} order by 1`.execute(app.db);
    out[table] = rows.rows.map((r) => {
      const { last_seen_at: _ignored, ...rest } = r;
      return table === 'sessions' ? rest : r;
    });
  }
  const blobs = await app.db
    .selectFrom('attachment_blobs')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  out.attachment_blobs = [Number(blobs.n)];
  return JSON.stringify(out);
}

function routes(app: FastifyInstance): RouteEntry[] {
  return app.routeTable.filter((r) => r.method !== 'HEAD');
}

interface World {
  app: FastifyInstance;
  admin: TestClient;
  agent: TestClient;
  owner: TestClient;
  other: TestClient;
  unverified: TestClient;
  mfa: TestClient;
  enrol: TestClient;
  ids: { ticket: number; attachment: number; user: number; ownerSessionRef: string; inbox: number };
}

async function world(t: Parameters<typeof buildTestApp>[0], dialect: 'sqlite' | 'postgres'): Promise<World> {
  const { app } = await buildTestApp(t, dialect);
  const make = async (role: 'client' | 'agent' | 'administrator') => {
    const user = await createUser(app, { role });
    const client = new TestClient(app);
    await client.signIn(user);
    return { user, client };
  };
  const admin = await make('administrator');
  const agent = await make('agent');
  const owner = await make('client');
  const other = await make('client');
  const ticket = await openTicket(owner.client, { subject: 'Owner ticket' });
  await postMessage(owner.client, ticket, 'file', { files: [{ name: 'a.png', data: PNG }] });
  const attachment = Number(/\/attachments\/(\d+)/.exec((await owner.client.get(`/tickets/${ticket}`)).body)?.[1]);
  // A second session of the owner, so the account page offers a revocable session reference.
  const ownerPhone = new TestClient(app);
  await ownerPhone.signIn(owner.user);
  const ownerSessionRef =
    /\/account\/sessions\/([A-Za-z0-9_-]{22})\/revoke/.exec((await owner.client.get('/account')).body)?.[1] ?? '';
  assert.ok(ownerSessionRef && attachment);
  // A held email that names the owner's ticket, and a bounced address: what the Mail page's actions act on.
  const raw = Buffer.from('From: <owner@example.com>\r\nSubject: Held\r\nMessage-ID: <held@example.com>\r\n\r\nHi\r\n');
  const now = app.clock.now();
  const stored = await storeInboxMessage(app.db, {
    source: 'imap',
    sourceId: '1:1',
    messageId: 'held@example.com',
    raw,
    envelope: null,
    receivedAt: now,
  });
  assert.ok(stored.stored);
  await app.db
    .updateTable('mail_inbox')
    .set({ status: 'held', reason: 'Unknown sender', ticket_id: ticket })
    .where('id', '=', stored.id)
    .execute();
  await app.db
    .insertInto('undeliverable_addresses')
    .values({ address: 'gone@example.com', reason: 'bounced', source: 'imap', first_at: now, last_at: now })
    .execute();

  const unverifiedUser = await createUser(app, { verified: false, twoFactor: false });
  const unverified = new TestClient(app);
  await unverified.login(unverifiedUser.email, unverifiedUser.password);
  const mfaUser = await createUser(app);
  const mfa = new TestClient(app);
  await mfa.login(mfaUser.email, mfaUser.password);
  const enrolUser = await createUser(app, { twoFactor: false });
  const enrol = new TestClient(app);
  await enrol.login(enrolUser.email, enrolUser.password);
  return {
    app,
    admin: admin.client,
    agent: agent.client,
    owner: owner.client,
    other: other.client,
    unverified,
    mfa,
    enrol,
    ids: { ticket, attachment, user: owner.user.id, ownerSessionRef, inbox: stored.id },
  };
}

function fill(w: World, url: string): string {
  return url
    .replace('/admin/users/:id', `/admin/users/${w.ids.user}`)
    .replace('/admin/mail/:id', `/admin/mail/${w.ids.inbox}`)
    .replace('/tickets/:id', `/tickets/${w.ids.ticket}`)
    .replace(':attachmentId', String(w.ids.attachment))
    .replace(':ref', w.ids.ownerSessionRef)
    .replace('/assets/*', w.app.asset('css/app.css'));
}

/** The client a route is meant for, so that only the check under test can refuse it. */
function rightfulCaller(w: World, route: RouteEntry): TestClient {
  switch (route.access) {
    case 'administrator':
      return w.admin;
    case 'staff':
      return w.agent;
    case 'unverified':
      return w.unverified;
    case 'mfa':
      return w.mfa;
    case 'mfa-enrol':
      return w.enrol;
    default:
      return w.owner;
  }
}

for (const dialect of dialects()) {
  describe(`route table [${dialect}]`, () => {
    test('only the listed routes are public, and every route declares a policy', async (t) => {
      const { app } = await buildTestApp(t, dialect);
      const publicRoutes = routes(app)
        .filter((r) => r.access === 'public')
        .map((r) => `${r.method} ${r.url}`)
        .sort();
      assert.deepEqual(publicRoutes, PUBLIC_ROUTES);
      assert.ok(routes(app).length > 50);
      assert.throws(
        () => app.post('/planted', async () => 'unguarded'),
        /declares no config\.access policy/,
        'a route without a policy cannot be added',
      );
    });

    test('every non-public route refuses an anonymous caller', async (t) => {
      const { app } = await buildTestApp(t, dialect);
      const w = { app, ids: { ticket: 1, attachment: 1, user: 1, ownerSessionRef: 'A'.repeat(22), inbox: 1 } } as World;
      const anonymous = new TestClient(app);
      await anonymous.get('/login');
      for (const route of routes(app).filter((r) => r.access !== 'public')) {
        const url = fill(w, route.url);
        const res = route.method === 'GET' ? await anonymous.get(url) : await anonymous.post(url, {});
        const ok =
          route.method === 'GET'
            ? res.statusCode === 303 && String(res.headers.location).startsWith('/login')
            : res.statusCode === 401;
        assert.ok(ok, `${route.method} ${route.url} answered ${res.statusCode} ${String(res.headers.location ?? '')}`);
      }
    });

    test('every non-GET route refuses a missing or forged CSRF token with 403 and changes nothing', async (t) => {
      const w = await world(t, dialect);
      for (const route of routes(w.app).filter((r) => r.method !== 'GET')) {
        const caller = rightfulCaller(w, route);
        await caller.get(
          route.access === 'mfa'
            ? '/login/two-factor'
            : route.access === 'mfa-enrol'
              ? '/two-factor/setup'
              : route.access === 'unverified'
                ? '/verify-email/pending'
                : '/',
        );
        const url = fill(w, route.url);
        const before = await snapshot(w.app);
        for (const token of [null, 'forged-token', caller.csrfToken().slice(0, -3) + 'abc']) {
          const res = await caller.post(url, {
            _csrf: token,
            message: 'csrf probe',
            email: 'probe@example.com',
            password: 'probe password 123',
            tickets: 'delete',
            ip: '127.0.0.1',
            code: '123456',
            address: 'gone@example.com',
          });
          assert.equal(res.statusCode, 403, `${route.method} ${route.url} with token ${String(token)}`);
        }
        assert.equal(await snapshot(w.app), before, `${route.method} ${route.url} changed the database`);
      }
    });

    test('another client’s ids are 404, and clients get 404 on staff routes, changing nothing', async (t) => {
      const w = await world(t, dialect);
      const before = await snapshot(w.app);
      await w.other.get('/');
      for (const route of routes(w.app)) {
        const takesId = /:(id|attachmentId|ref)/.test(route.url);
        const staffOnly = route.access === 'staff' || route.access === 'administrator';
        if (!takesId && !staffOnly) {
          continue;
        }
        const url = fill(w, route.url);
        const res =
          route.method === 'GET'
            ? await w.other.get(url)
            : await w.other.post(url, {
                message: 'idor probe',
                tickets: 'delete',
                email: 'x@example.com',
                role: 'administrator',
                ip: '127.0.0.1',
                address: 'gone@example.com',
              });
        assert.equal(res.statusCode, 404, `${route.method} ${route.url} as another client: ${res.statusCode}`);
        assert.doesNotMatch(res.body, /Owner ticket/);
        if (route.method !== 'GET') {
          await w.other.get('/');
        }
      }
      assert.equal(await snapshot(w.app), before);
    });

    test('no GET route changes the database', async (t) => {
      const w = await world(t, dialect);
      for (const route of routes(w.app).filter((r) => r.method === 'GET')) {
        const caller = rightfulCaller(w, route);
        const before = await snapshot(w.app);
        const res = await caller.get(fill(w, route.url));
        assert.ok(res.statusCode < 500, `${route.url}: ${res.statusCode}`);
        assert.equal(await snapshot(w.app), before, `GET ${route.url} changed the database`);
      }
    });
  });
}
