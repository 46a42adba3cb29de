import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { RouteEntry } from '../../src/plugins/access.ts';
import { buildTestApp } from '../helpers/build-app.ts';
import { TestClient } from '../helpers/client.ts';
import { dialects } from '../helpers/dialects.ts';
import { createUser } from '../helpers/factories.ts';
import { multipartBody, PNG } from '../helpers/multipart.ts';
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

/**
 * Routes called by a machine that signs its requests (access 'webhook': no session, no CSRF token). Each must refuse
 * every request without a valid signature, whoever sends it; see 'every webhook refuses …' below.
 */
const WEBHOOK_ROUTES = ['POST /inbound/mailgun', 'POST /inbound/mailgun/mime', 'POST /inbound/mailgun/events'].sort();

/**
 * Forms whose text the browser keeps as a draft: sent without a session, they lead to sign-in and back (303) instead
 * of 401, and change nothing. Listed here so that adding one is a decision made in review.
 */
const AFTER_SIGN_IN_ROUTES = ['POST /tickets', 'POST /tickets/:id/messages'].sort();

/** The webhooks exist only when their signing key is configured: the suite attacks them too. */
const MAILGUN_KEY = 'route-table-mailgun-signing-key-0123456789';
const ENV = { MAILGUN_WEBHOOK_SIGNING_KEY: MAILGUN_KEY, SUPPORT_ADDRESS: 'support@example.com' };

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
  'webhook_replays',
  'undeliverable_addresses',
];

/**
 * Every row of every table, except sessions' last-seen time (bookkeeping that reading pages may touch), and without
 * the tables in `ignore`.
 */
async function snapshot(app: FastifyInstance, ignore: string[] = []): Promise<string> {
  const out: Record<string, unknown[]> = {};
  for (const table of TABLES.filter((name) => !ignore.includes(name))) {
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
  const { app } = await buildTestApp(t, dialect, ENV);
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
    test('only the listed routes are public or webhooks, and every route declares a policy', async (t) => {
      const { app } = await buildTestApp(t, dialect, ENV);
      const publicRoutes = routes(app)
        .filter((r) => r.access === 'public')
        .map((r) => `${r.method} ${r.url}`)
        .sort();
      assert.deepEqual(publicRoutes, PUBLIC_ROUTES);
      const webhooks = routes(app)
        .filter((r) => r.access === 'webhook')
        .map((r) => `${r.method} ${r.url}`)
        .sort();
      assert.deepEqual(webhooks, WEBHOOK_ROUTES);
      const afterSignIn = routes(app)
        .filter((r) => r.afterSignIn !== undefined)
        .map((r) => `${r.method} ${r.url}`)
        .sort();
      assert.deepEqual(afterSignIn, AFTER_SIGN_IN_ROUTES);
      assert.ok(routes(app).length > 50);
      assert.throws(
        () => app.post('/planted', async () => 'unguarded'),
        /declares no config\.access policy/,
        'a route without a policy cannot be added',
      );
    });

    test('every non-public route refuses an anonymous caller', async (t) => {
      const { app } = await buildTestApp(t, dialect, ENV);
      const w = { app, ids: { ticket: 1, attachment: 1, user: 1, ownerSessionRef: 'A'.repeat(22), inbox: 1 } } as World;
      const anonymous = new TestClient(app);
      await anonymous.get('/login');
      for (const route of routes(app).filter((r) => r.access !== 'public')) {
        const url = fill(w, route.url);
        const res = route.method === 'GET' ? await anonymous.get(url) : await anonymous.post(url, {});
        // GETs, and the forms the browser keeps a draft of (config.afterSignIn), lead to sign-in; other POSTs are 401.
        const ok =
          route.method === 'GET'
            ? res.statusCode === 303 && String(res.headers.location).startsWith('/login')
            : route.afterSignIn !== undefined
              ? res.statusCode === 303 &&
                res.headers.location === `/login?next=${encodeURIComponent(fill(w, route.afterSignIn))}`
              : res.statusCode === 401;
        assert.ok(ok, `${route.method} ${route.url} answered ${res.statusCode} ${String(res.headers.location ?? '')}`);
      }
    });

    test('every non-GET route refuses a missing or forged CSRF token with 403 and changes nothing', async (t) => {
      const w = await world(t, dialect);
      // Webhooks take no CSRF token: they are attacked with forged signatures in the next test.
      for (const route of routes(w.app).filter((r) => r.method !== 'GET' && r.access !== 'webhook')) {
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

    test('every webhook refuses a request without a valid signature with 4xx and changes nothing', async (t) => {
      const w = await world(t, dialect);
      const now = w.app.clock.now();
      const signed = (key: string, timestamp = String(Math.floor(now / 1000))) => {
        const token = randomBytes(25).toString('hex');
        return {
          timestamp,
          token,
          signature: createHmac('sha256', key)
            .update(timestamp + token)
            .digest('hex'),
        };
      };
      const rightSig = signed(MAILGUN_KEY);
      const forgeries = [
        {},
        signed('a-guessed-key-0123456789abcdef'),
        { ...rightSig, token: signed(MAILGUN_KEY).token },
        { ...rightSig, signature: rightSig.signature.replace(/.$/, (c) => (c === '0' ? '1' : '0')) },
        signed(MAILGUN_KEY, String(Math.floor(now / 1000) - 600)),
      ];
      const message = {
        recipient: 'support@example.com',
        sender: 'attacker@example.net',
        'message-headers': JSON.stringify([
          ['From', 'attacker@example.net'],
          ['Subject', 'probe'],
          ['Message-Id', '<probe@example.net>'],
        ]),
        'body-plain': 'probe',
        'body-mime': 'From: attacker@example.net\r\nSubject: probe\r\n\r\nprobe\r\n',
      };
      const bounce = { event: 'failed', severity: 'permanent', recipient: 'victim@example.com', reason: 'probe' };
      // Whoever sends it: no one, or a signed-in administrator (a session grants nothing here).
      for (const caller of [new TestClient(w.app), w.admin]) {
        await caller.get('/');
        for (const route of routes(w.app).filter((r) => r.access === 'webhook')) {
          // Forged requests spend points of the per-network limit (rate_limits): that is the only change allowed.
          const before = await snapshot(w.app, ['rate_limits']);
          for (const sig of forgeries) {
            const fields: Record<string, string> = { ...message, ...sig };
            const { payload, contentType } = multipartBody(fields, [
              { field: 'attachment-1', name: 'a.png', data: PNG },
            ]);
            const attempts = [
              await caller.request({
                method: 'POST',
                url: route.url,
                payload,
                headers: { 'content-type': contentType },
              }),
              await caller.post(route.url, { ...fields, _csrf: null }),
              await caller.request({
                method: 'POST',
                url: route.url,
                payload: { signature: sig, 'event-data': bounce },
                headers: { 'content-type': 'application/json' },
              }),
            ];
            for (const res of attempts) {
              assert.ok(
                res.statusCode >= 400 && res.statusCode < 500,
                `${route.method} ${route.url} answered ${res.statusCode} to a forged signature`,
              );
            }
          }
          assert.equal(
            await snapshot(w.app, ['rate_limits']),
            before,
            `${route.method} ${route.url} changed the database`,
          );
        }
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
