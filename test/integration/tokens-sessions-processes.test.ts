import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { connect } from '../../src/db/connect.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { issueToken } from '../../src/features/accounts/token.repository.ts';
import { createTestDatabase, TEST_ENV } from '../helpers/build-app.ts';
import { Browser } from '../helpers/cluster.ts';
import { dialects } from '../helpers/dialects.ts';
import { createUser } from '../helpers/factories.ts';
import { atOnce, statusCounts } from '../helpers/parallel.ts';
import { databaseUrlOf, startAppProcess } from '../support/app-process.ts';

/** src/server.ts on a port the OS picks, once it listens. */
const startProcess = (env: Record<string, string>) => startAppProcess({ env: { LOG_LEVEL: 'info', ...env }, port: 0 });

for (const dialect of dialects()) {
  describe(`tokens and the last administrator across two processes [${dialect}]`, () => {
    test('one reset link used 20 times at once on two processes works once; ten administrators disabling each other leave one', async (t) => {
      const testDb = await createTestDatabase(dialect);
      const conn = connect(testDb.database, { poolSize: 2 });
      await migrateToLatest(conn);
      const config = loadConfig({ ...TEST_ENV, DATA_DIR: testDb.dataDir, REQUIRE_2FA: 'false' });
      config.database = testDb.database;
      // The real argon2 hasher (no `hasher`): the server processes verify the passwords of the users made here.
      const app = await buildApp(config, { conn, logger: false });
      t.after(async () => {
        await app.close();
        await conn.close();
        await testDb.cleanup();
      });
      const databaseUrl = databaseUrlOf(testDb.database);
      const env = {
        ...TEST_ENV,
        LOG_LEVEL: 'info',
        DATABASE_URL: databaseUrl,
        DATA_DIR: testDb.dataDir,
        REQUIRE_2FA: 'false',
      };
      const processes = await Promise.all([startProcess(env), startProcess(env)]);
      t.after(() => {
        for (const p of processes) {
          p.child.kill('SIGTERM');
        }
      });
      const base = (i: number) => processes[i % 2]!.url;

      const racer = await createUser(app, { email: 'racer@example.com', twoFactor: false });
      const token = await issueToken(conn.db, Date.now(), racer.id, 'reset_password', null, racer.email);
      const visitors = await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          const b = new Browser(base(i));
          assert.equal((await b.fetch(`/reset-password?token=${token}`)).status, 200);
          return b;
        }),
      );
      const resets = await atOnce(20, (i) =>
        visitors[i]!.post('/reset-password', {
          token,
          password: `two process passphrase ${i}`,
          password_confirm: `two process passphrase ${i}`,
        }),
      );
      assert.deepEqual(statusCounts(resets), { 303: 1, 400: 19 });

      // The processes created a first administrator at start; only the ten below take part.
      await conn.db.updateTable('users').set({ role: 'client' }).where('role', '=', 'administrator').execute();
      const admins = await Promise.all(
        Array.from({ length: 10 }, () => createUser(app, { role: 'administrator', twoFactor: false })),
      );
      const browsers: Browser[] = [];
      for (const [i, admin] of admins.entries()) {
        const b = new Browser(base(i));
        await b.fetch('/login');
        assert.equal((await b.post('/login', { email: admin.email, password: admin.password })).status, 303);
        assert.equal((await b.fetch(`/admin/users/${admins[(i + 1) % 10]!.id}`)).status, 200);
        browsers.push(b);
      }
      const activeAdministrators = () =>
        conn.db
          .selectFrom('users')
          .select('id')
          .where('role', '=', 'administrator')
          .where('disabled_at', 'is', null)
          .execute();
      assert.equal((await activeAdministrators()).length, 10);
      const disables = await atOnce(10, (i) =>
        browsers[i]!.post(`/admin/users/${admins[(i + 1) % 10]!.id}/disable`, {}),
      );
      const active = await activeAdministrators();
      assert.ok(
        active.length >= 1,
        `${active.length} active administrators (${JSON.stringify(statusCounts(disables))})`,
      );
      t.diagnostic(
        `${dialect}: ${active.length} of 10 administrators still active; responses ${JSON.stringify(statusCounts(disables))}`,
      );
    });
  });
}
