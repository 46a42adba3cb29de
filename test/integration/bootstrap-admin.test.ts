import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultAdministratorEmail, ensureAdministrator } from '../../src/features/auth/bootstrap-admin.ts';
import { buildTestApp } from '../helpers/build-app.ts';
import { TestClient } from '../helpers/client.ts';
import { dialects } from '../helpers/dialects.ts';

for (const dialect of dialects()) {
  describe(`first administrator [${dialect}]`, () => {
    test('is created from DEFAULT_USER/DEFAULT_PASSWORD, verified, and can sign in; never twice', async (t) => {
      // Real argon2: the stored hash is checked to be argon2id.
      const { app, db, config } = await buildTestApp(
        t,
        dialect,
        { DEFAULT_USER: 'Boss@Example.com', DEFAULT_PASSWORD: 'configured admin passphrase' },
        { hasher: 'argon2' },
      );
      const printed: string[] = [];
      const deps = { db, hasher: app.hasher, config, now: app.clock.now() };
      assert.deepEqual(await ensureAdministrator(deps, app.log, (m) => printed.push(m)), {
        created: true,
        email: 'boss@example.com',
      });
      assert.deepEqual(await ensureAdministrator(deps, app.log, (m) => printed.push(m)), { created: false });
      assert.equal(printed.length, 0, 'a configured password is never printed');
      const admin = await db.selectFrom('users').selectAll().executeTakeFirstOrThrow();
      assert.equal(admin.role, 'administrator');
      assert.notEqual(admin.email_verified_at, null);
      assert.match(admin.password_hash, /^\$argon2id\$/);
      assert.equal(
        (await new TestClient(app).login('boss@example.com', 'configured admin passphrase')).statusCode,
        303,
      );
    });

    test('without DEFAULT_PASSWORD a strong random password is printed once, even when processes race', async (t) => {
      const { app, db, config } = await buildTestApp(t, dialect);
      const printed: string[] = [];
      const deps = { db, hasher: app.hasher, config, now: app.clock.now() };
      const results = await Promise.all(
        [1, 2, 3].map(() => ensureAdministrator(deps, app.log, (m) => printed.push(m))),
      );
      assert.equal(results.filter((r) => r.created).length, 1);
      assert.equal(printed.length, 1);
      const password = /password: (\S+)/.exec(printed[0] ?? '')?.[1] ?? '';
      assert.ok(password.length >= 24, 'at least 144 bits');
      assert.equal((await db.selectFrom('users').selectAll().execute()).length, 1);
      // No APP_URL: the host is 127.0.0.1, an IP address, so the placeholder domain is example.com.
      assert.match(printed[0] ?? '', /email: +admin@example\.com\n/);
      assert.match(printed[0] ?? '', /change the address to your own mailbox/);
      assert.equal((await new TestClient(app).login('admin@example.com', password)).statusCode, 303);
    });

    test('without DEFAULT_USER the address is admin@ the APP_URL host, and the account can be edited', async (t) => {
      const { app, db, config } = await buildTestApp(t, dialect, {
        APP_URL: 'https://Help.Example.org/portal',
        REQUIRE_2FA: 'false',
      });
      const printed: string[] = [];
      const deps = { db, hasher: app.hasher, config, now: app.clock.now() };
      assert.deepEqual(await ensureAdministrator(deps, app.log, (m) => printed.push(m)), {
        created: true,
        email: 'admin@help.example.org',
      });
      const password = /password: (\S+)/.exec(printed[0] ?? '')?.[1] ?? '';
      const admin = new TestClient(app);
      assert.equal((await admin.login('admin@help.example.org', password)).statusCode, 303);
      const id = (await db.selectFrom('users').select('id').executeTakeFirstOrThrow()).id;
      await admin.get(`/admin/users/${id}`);
      const saved = await admin.post(`/admin/users/${id}`, {
        email: 'admin@help.example.org',
        name: 'Ada',
        role: 'administrator',
      });
      assert.equal(saved.statusCode, 303, saved.body);
    });
  });
}

describe('the default administrator address', () => {
  test('is admin@ the APP_URL host only for a dotted domain name; otherwise admin@example.com', () => {
    const cases: Array<[string, string]> = [
      ['https://help.example.com', 'admin@help.example.com'],
      ['https://HELP.Example.com./x', 'admin@help.example.com'],
      ['http://localhost:3000', 'admin@example.com'],
      ['http://app.localhost:3000', 'admin@example.com'],
      ['http://127.0.0.1:3000', 'admin@example.com'],
      ['http://[::1]:3000', 'admin@example.com'],
      ['http://10.0.0.7', 'admin@example.com'],
      ['http://intranet', 'admin@example.com'],
    ];
    for (const [url, email] of cases) {
      assert.equal(defaultAdministratorEmail(new URL(url)), email, url);
    }
  });
});
