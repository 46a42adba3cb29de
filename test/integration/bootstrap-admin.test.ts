import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ensureAdministrator } from '../../src/features/auth/bootstrap-admin.ts';
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
      assert.equal((await new TestClient(app).login('admin@localhost', password)).statusCode, 303);
    });
  });
}
