import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { currentTotp } from '../../src/features/two-factor/totp.ts';
import { buildTestApp } from '../helpers/build-app.ts';
import { TestClient } from '../helpers/client.ts';
import { dialects } from '../helpers/dialects.ts';
import { createUser, type TestUser } from '../helpers/factories.ts';
import { linkIn, mailsTo } from '../helpers/mail.ts';
import { atOnce } from '../helpers/parallel.ts';

const SESSION = 'parapet_session';

function setupKey(body: string): string {
  return (/aria-label="Setup key">([A-Z2-7 ]+)</.exec(body)?.[1] ?? '').replace(/ /g, '');
}
const sealedIn = (body: string) => /name="sealed" value="([^"]+)"/.exec(body)?.[1] ?? '';

async function signedIn(app: FastifyInstance, user: TestUser): Promise<TestClient> {
  const client = new TestClient(app);
  await client.signIn(user);
  assert.ok(client.cookies.get(SESSION), 'signed in');
  return client;
}

async function isSignedIn(client: TestClient): Promise<boolean> {
  const res = await client.get('/account');
  return res.statusCode === 200;
}

/** The user's own credential changes, each done in `acting` while `other` is signed in elsewhere. */
const CREDENTIAL_CHANGES: Array<[string, (app: FastifyInstance, acting: TestClient, user: TestUser) => Promise<void>]> =
  [
    [
      'password changed',
      async (_app, acting, user) => {
        await acting.get('/account');
        assert.equal(
          (
            await acting.post('/account/password', {
              current_password: user.password,
              password: 'a brand new passphrase 7',
              password_confirm: 'a brand new passphrase 7',
            })
          ).statusCode,
          303,
        );
      },
    ],
    [
      'TOTP re-enrolled',
      async (app, acting, user) => {
        const page = await acting.get('/account/two-factor/setup');
        const res = await acting.post('/account/two-factor/setup', {
          sealed: sealedIn(page.body),
          current_password: user.password,
          old_code: acting.nextCode(user.totpSecret ?? ''),
          code: currentTotp(setupKey(page.body), app.clock.now()),
        });
        assert.equal(res.statusCode, 200);
      },
    ],
    [
      'recovery codes regenerated',
      async (_app, acting, user) => {
        await acting.get('/account/two-factor');
        assert.equal(
          (
            await acting.post('/account/two-factor/recovery-codes', {
              current_password: user.password,
              code: acting.nextCode(user.totpSecret ?? ''),
            })
          ).statusCode,
          200,
        );
      },
    ],
    [
      'new email confirmed',
      async (app, acting, user) => {
        await acting.get('/account');
        const address = `moved-${user.id}@example.com`;
        assert.equal(
          (await acting.post('/account/email', { email: address, current_password: user.password })).statusCode,
          303,
        );
        const link = linkIn((await mailsTo(app.db, address))[0], '/confirm-email-change');
        await acting.get(link);
        assert.equal(
          (
            await acting.post('/confirm-email-change', {
              token: new URL(link, 'http://x').searchParams.get('token') ?? '',
            })
          ).statusCode,
          303,
        );
      },
    ],
  ];

async function activeAdministrators(app: FastifyInstance): Promise<number> {
  const rows = await app.db
    .selectFrom('users')
    .select('id')
    .where('role', '=', 'administrator')
    .where('disabled_at', 'is', null)
    .execute();
  return rows.length;
}

for (const dialect of dialects()) {
  describe(`sessions die with the credential [${dialect}]`, () => {
    for (const [name, change] of CREDENTIAL_CHANGES) {
      test(`${name}: the user's other sessions end; this one goes on under a new token`, async (t) => {
        const { app, db } = await buildTestApp(t, dialect);
        const user = await createUser(app);
        const acting = await signedIn(app, user);
        const other = await signedIn(app, user);
        const before = acting.cookies.get(SESSION);
        await change(app, acting, user);
        assert.equal(await isSignedIn(other), false, 'the other browser is signed out');
        assert.notEqual(acting.cookies.get(SESSION), before, 'the acting session has a new token');
        assert.equal(await isSignedIn(acting), true, 'and keeps working');
        const reused = new TestClient(app);
        reused.cookies.set(SESSION, before ?? '');
        assert.equal(await isSignedIn(reused), false, 'the old token of the acting session is dead');
        assert.equal((await db.selectFrom('sessions').select('id').where('user_id', '=', user.id).execute()).length, 1);
        const revoked = await db
          .selectFrom('audit_events')
          .select('details')
          .where('event', '=', 'session.revoked')
          .where('target_user_id', '=', user.id)
          .execute();
        assert.equal(revoked.length, 1, 'audited');
        assert.equal((JSON.parse(revoked[0]?.details ?? '{}') as { scope?: string }).scope, 'others');
      });
    }

    test('first TOTP enrolment ends the user’s other half-signed-in sessions', async (t) => {
      const { app } = await buildTestApp(t, dialect);
      const user = await createUser(app, { twoFactor: false });
      const acting = new TestClient(app);
      assert.equal((await acting.login(user.email, user.password)).headers.location, '/two-factor/setup');
      const other = new TestClient(app);
      await other.login(user.email, user.password);
      const page = await acting.get('/two-factor/setup');
      assert.equal(
        (
          await acting.post('/two-factor/setup', {
            sealed: sealedIn(page.body),
            code: currentTotp(setupKey(page.body), app.clock.now()),
          })
        ).statusCode,
        200,
      );
      assert.equal((await other.get('/two-factor/setup')).statusCode, 303);
      assert.equal(other.cookies.has(SESSION), false);
      assert.equal(await isSignedIn(acting), true);
    });

    const ADMIN_ACTIONS: Array<[string, (target: TestUser) => [string, Record<string, string>]]> = [
      ['role changed', (u) => [`/admin/users/${u.id}`, { email: u.email, name: '', role: 'agent' }]],
      [
        'email changed',
        (u) => [`/admin/users/${u.id}`, { email: `changed-${u.id}@example.com`, name: '', role: u.role }],
      ],
      ['disabled', (u) => [`/admin/users/${u.id}/disable`, {}]],
      ['2FA reset', (u) => [`/admin/users/${u.id}/two-factor/reset`, {}]],
    ];
    for (const [name, action] of ADMIN_ACTIONS) {
      test(`an administrator's action (${name}) ends every session of the user; the administrator's goes on`, async (t) => {
        const { app, db } = await buildTestApp(t, dialect);
        const admin = await signedIn(app, await createUser(app, { role: 'administrator' }));
        const target = await createUser(app);
        const first = await signedIn(app, target);
        const second = await signedIn(app, target);
        const [url, form] = action(target);
        await admin.get(`/admin/users/${target.id}`);
        assert.equal((await admin.post(url, form)).statusCode, 303);
        assert.equal(await isSignedIn(first), false);
        assert.equal(await isSignedIn(second), false);
        assert.equal(
          (await db.selectFrom('sessions').select('id').where('user_id', '=', target.id).execute()).length,
          0,
        );
        assert.equal((await admin.get('/admin/users')).statusCode, 200);
      });
    }

    test('two administrators demoting or disabling each other at the same moment leave one active administrator', async (t) => {
      const { app } = await buildTestApp(t, dialect);
      for (const kind of ['demote', 'disable'] as const) {
        await app.db.updateTable('users').set({ role: 'client' }).where('role', '=', 'administrator').execute();
        const users = [
          await createUser(app, { role: 'administrator' }),
          await createUser(app, { role: 'administrator' }),
        ];
        const clients = await Promise.all(users.map((u) => signedIn(app, u)));
        await Promise.all(clients.map((c, i) => c.get(`/admin/users/${users[1 - i]!.id}`)));
        const responses = await atOnce(2, (i) => {
          const other = users[1 - i]!;
          return kind === 'demote'
            ? clients[i]!.post(`/admin/users/${other.id}`, { email: other.email, name: '', role: 'agent' })
            : clients[i]!.post(`/admin/users/${other.id}/disable`, {});
        });
        assert.equal(await activeAdministrators(app), 1, `${kind}: ${responses.map((r) => r.statusCode).join(',')}`);
      }
    });

    test('ten administrators disabling each other at once leave at least one active administrator, and the disabled ones are signed out', async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      const admins = await Promise.all(Array.from({ length: 10 }, () => createUser(app, { role: 'administrator' })));
      const clients: TestClient[] = [];
      for (const admin of admins) {
        clients.push(await signedIn(app, admin));
      }
      await Promise.all(clients.map((c, i) => c.get(`/admin/users/${admins[(i + 1) % 10]!.id}`)));
      await atOnce(10, (i) => clients[i]!.post(`/admin/users/${admins[(i + 1) % 10]!.id}/disable`, {}));
      const active = await activeAdministrators(app);
      assert.ok(active >= 1, `${active} active administrators`);
      const disabled = await db.selectFrom('users').select('id').where('disabled_at', 'is not', null).execute();
      assert.equal(disabled.length + active, 10);
      for (const row of disabled) {
        assert.equal((await db.selectFrom('sessions').select('id').where('user_id', '=', row.id).execute()).length, 0);
        assert.equal(await isSignedIn(clients[admins.findIndex((a) => a.id === row.id)]!), false);
      }
    });

    test('two administrators giving two accounts the same new address at once: one wins, the other is told it is taken (never a 500)', async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      const first = await signedIn(app, await createUser(app, { role: 'administrator' }));
      const second = await signedIn(app, await createUser(app, { role: 'administrator' }));
      const targets = [await createUser(app), await createUser(app)];
      await first.get(`/admin/users/${targets[0]!.id}`);
      await second.get(`/admin/users/${targets[1]!.id}`);
      const editors = [first, second];
      const results = await atOnce(2, (i) =>
        editors[i]!.post(`/admin/users/${targets[i]!.id}`, {
          email: 'same.new@example.com',
          name: 'Renamed',
          role: 'client',
        }),
      );
      assert.deepEqual(results.map((r) => r.statusCode).sort(), [303, 409]);
      assert.equal(
        (await db.selectFrom('users').select('id').where('email', '=', 'same.new@example.com').execute()).length,
        1,
      );
    });
  });
}
