import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { statSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { createTestDatabase } from '../helpers/build-app.ts';
import { dialects } from '../helpers/dialects.ts';

const SERVER = path.resolve(import.meta.dirname, '../../src/server.ts');

function startServer(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER], {
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const listening = new Promise<string>((resolve, reject) => {
    const check = () => {
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
      if (match?.[1]) {
        resolve(match[1]);
      }
    };
    child.stdout.on('data', check);
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${stderr}${stdout}`)));
  });
  listening.catch(() => {}); // a test that expects the exit awaits 'exit' instead
  return { child, listening, output: () => ({ stdout, stderr }) };
}

describe('the server process', () => {
  test('NODE_ENV=production without SECRET_KEY exits non-zero and names SECRET_KEY', async () => {
    const { child, output } = startServer({ NODE_ENV: 'production', PEPPER: 'p'.repeat(40) });
    const [code] = (await once(child, 'exit')) as [number];
    assert.notEqual(code, 0);
    assert.match(output().stderr, /SECRET_KEY is missing/);
    assert.doesNotMatch(output().stdout, /listening/);
  });

  test('NODE_ENV=production without SMTP_URL or MAILGUN_* exits non-zero instead of printing links to stdout', async () => {
    const { child, output } = startServer({ NODE_ENV: 'production', SECRET_KEY: 's'.repeat(40), PEPPER: 'p'.repeat(40) });
    const [code] = (await once(child, 'exit')) as [number];
    assert.notEqual(code, 0);
    assert.match(output().stderr, /No mail transport: NODE_ENV=production needs SMTP_URL or MAILGUN_API_KEY/);
    assert.doesNotMatch(output().stdout, /listening/);
  });

  test('the compiled build that `npm start` runs serves pages and assets from any working directory', async (t) => {
    const { build, DIST } = await import('../../scripts/build.ts');
    await build();
    const testDb = await createTestDatabase('sqlite');
    t.after(() => testDb.cleanup());
    const child = spawn(process.execPath, [path.join(DIST, 'server.js')], {
      cwd: testDb.dataDir,
      env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', DATA_DIR: testDb.dataDir, DEFAULT_USER: 'admin@example.test', DEFAULT_PASSWORD: 'compiled build passphrase' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    t.after(() => child.kill('SIGKILL'));
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 30_000;
    while (!/Server listening at/.test(out)) {
      assert.ok(Date.now() < deadline && child.exitCode === null, out);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const base = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1] ?? '';
    const page = await fetch(`${base}/login`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /Sign in/);
    const stylesheet = /<link[^>]+href="(\/assets\/[^"]+\.css)"/.exec(html)?.[1];
    assert.ok(stylesheet, 'the page links its stylesheet');
    assert.equal((await fetch(`${base}${stylesheet}`)).status, 200);
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number];
    assert.equal(code, 0, out);
  });

  test('the server creates its data directory 0700 and the database, its -wal/-shm and dev-secrets.json 0600', async (t) => {
    const testDb = await createTestDatabase('sqlite');
    t.after(() => testDb.cleanup());
    const dataDir = path.join(testDb.dataDir, 'private');
    // The child inherits this process's umask; a permissive one proves the server sets its own.
    const previous = process.umask(0o022);
    const { child, listening, output } = startServer({ DATA_DIR: dataDir });
    process.umask(previous);
    t.after(() => child.kill('SIGKILL'));
    const base = await listening;
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
    const mode = (name: string) => statSync(path.join(dataDir, name)).mode & 0o777;
    assert.equal(mode('.'), 0o700);
    for (const name of ['parapet.sqlite', 'parapet.sqlite-wal', 'parapet.sqlite-shm', 'dev-secrets.json']) {
      assert.equal(mode(name), 0o600, name);
    }
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number];
    assert.equal(code, 0, output().stderr);
  });

  for (const dialect of dialects()) {
    test(`starts, serves the login page, creates the administrator, and stops cleanly on SIGTERM [${dialect}]`, async (t) => {
      const testDb = await createTestDatabase(dialect);
      t.after(() => testDb.cleanup());
      const databaseUrl =
        testDb.database.kind === 'sqlite'
          ? `sqlite:${testDb.database.file}`
          : `${testDb.database.url}${testDb.database.url.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${testDb.database.schema ?? 'public'}`)}`;
      const { child, listening, output } = startServer({
        DATA_DIR: testDb.dataDir,
        DATABASE_URL: databaseUrl,
        DEFAULT_USER: 'admin@example.test',
        DEFAULT_PASSWORD: 'process test passphrase',
      });
      t.after(() => child.kill('SIGKILL'));
      const base = await listening;
      const page = await fetch(`${base}/`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /Sign in/);
      assert.equal((await fetch(`${base}/readyz`)).status, 200);
      assert.match(output().stdout, /created the first administrator/);
      assert.match(output().stderr, /SECRET_KEY and\/or PEPPER are not set/);

      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number];
      assert.equal(code, 0, output().stderr);
      assert.match(output().stdout, /shutting down/);
    });
  }
});
