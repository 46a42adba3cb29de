import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { createTestDatabase } from '../helpers/build-app.ts';
import { dialects } from '../helpers/dialects.ts';
import { databaseUrlOf, spawnApp, startAppProcess } from '../support/app-process.ts';

/** src/server.ts on a port the OS picks, with only this environment (and PATH); not waited for. */
const spawnServer = (env: Record<string, string>) => spawnApp({ env: { LOG_LEVEL: 'info', ...env }, port: 0 });

describe('the server process', () => {
  test('NODE_ENV=production without SECRET_KEY exits non-zero and names SECRET_KEY', async () => {
    const server = spawnServer({ NODE_ENV: 'production', PEPPER: 'p'.repeat(40) });
    const { code } = await server.exited;
    assert.notEqual(code, 0);
    assert.match(server.stderr(), /SECRET_KEY is missing/);
    assert.doesNotMatch(server.stdout(), /listening/);
  });

  test('NODE_ENV=production without SMTP_URL or MAILGUN_* exits non-zero instead of printing links to stdout', async () => {
    const server = spawnServer({ NODE_ENV: 'production', SECRET_KEY: 's'.repeat(40), PEPPER: 'p'.repeat(40) });
    const { code } = await server.exited;
    assert.notEqual(code, 0);
    assert.match(server.stderr(), /No mail transport: NODE_ENV=production needs SMTP_URL or MAILGUN_API_KEY/);
    assert.doesNotMatch(server.stdout(), /listening/);
  });

  test('the compiled build that `npm start` runs serves pages and assets from any working directory', async (t) => {
    const { build } = await import('../../scripts/build.ts');
    await build();
    const testDb = await createTestDatabase('sqlite');
    t.after(() => testDb.cleanup());
    const server = await startAppProcess({
      entry: 'dist',
      cwd: testDb.dataDir,
      port: 0,
      timeoutMs: 30_000,
      env: {
        LOG_LEVEL: 'info',
        DATA_DIR: testDb.dataDir,
        DEFAULT_USER: 'admin@example.test',
        DEFAULT_PASSWORD: 'compiled build passphrase',
      },
    });
    t.after(() => server.child.kill('SIGKILL'));
    const base = server.url;
    const page = await fetch(`${base}/login`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /Sign in/);
    const stylesheet = /<link[^>]+href="(\/assets\/[^"]+\.css)"/.exec(html)?.[1];
    assert.ok(stylesheet, 'the page links its stylesheet');
    assert.equal((await fetch(`${base}${stylesheet}`)).status, 200);
    assert.equal(await server.stop(), 0, server.output());
  });

  test('the server creates its data directory 0700 and the database, its -wal/-shm and dev-secrets.json 0600', async (t) => {
    const testDb = await createTestDatabase('sqlite');
    t.after(() => testDb.cleanup());
    const dataDir = path.join(testDb.dataDir, 'private');
    // The child inherits this process's umask; a permissive one proves the server sets its own.
    const previous = process.umask(0o022);
    const server = spawnServer({ DATA_DIR: dataDir });
    process.umask(previous);
    t.after(() => server.child.kill('SIGKILL'));
    const base = await server.whenReady();
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
    const mode = (name: string) => statSync(path.join(dataDir, name)).mode & 0o777;
    assert.equal(mode('.'), 0o700);
    for (const name of ['parapet.sqlite', 'parapet.sqlite-wal', 'parapet.sqlite-shm', 'dev-secrets.json']) {
      assert.equal(mode(name), 0o600, name);
    }
    assert.equal(await server.stop(), 0, server.stderr());
  });

  for (const dialect of dialects()) {
    test(`starts, serves the login page, creates the administrator, and stops cleanly on SIGTERM [${dialect}]`, async (t) => {
      const testDb = await createTestDatabase(dialect);
      t.after(() => testDb.cleanup());
      const server = await startAppProcess({
        port: 0,
        env: {
          LOG_LEVEL: 'info',
          DATA_DIR: testDb.dataDir,
          DATABASE_URL: databaseUrlOf(testDb.database),
          DEFAULT_USER: 'admin@example.test',
          DEFAULT_PASSWORD: 'process test passphrase',
        },
      });
      t.after(() => server.child.kill('SIGKILL'));
      const base = server.url;
      const page = await fetch(`${base}/`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /Sign in/);
      assert.equal((await fetch(`${base}/readyz`)).status, 200);
      assert.match(server.stdout(), /created the first administrator/);
      assert.match(server.stderr(), /SECRET_KEY and\/or PEPPER are not set/);

      assert.equal(await server.stop(), 0, server.stderr());
      assert.match(server.stdout(), /shutting down/);
    });
  }
});
