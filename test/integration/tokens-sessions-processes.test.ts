import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { describe, test } from 'node:test';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { connect } from '../../src/db/connect.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { issueToken } from '../../src/features/accounts/tokens.ts';
import { createTestDatabase, TEST_ENV } from '../helpers/build-app.ts';
import { dialects } from '../helpers/dialects.ts';
import { createUser } from '../helpers/factories.ts';
import { atOnce, statusCounts } from '../helpers/parallel.ts';

const SERVER = path.resolve(import.meta.dirname, '../../src/server.ts');

/** One browser over real HTTP: a cookie jar and the CSRF token of the last page with a form. */
class Browser {
  cookies = new Map<string, string>();
  token = '';
  constructor(readonly base: string) {}
  async fetch(url: string, init: RequestInit = {}): Promise<{ status: number; body: string }> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) {
      headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    }
    const res = await fetch(`${this.base}${url}`, { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const [name = '', value = ''] = pair.split('=');
      if (/Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(line) || value === '') {
        this.cookies.delete(name);
      } else {
        this.cookies.set(name, value);
      }
    }
    const body = await res.text();
    this.token = /name="_csrf" value="([^"]+)"/.exec(body)?.[1] ?? this.token;
    return { status: res.status, body };
  }
  post(url: string, form: Record<string, string>) {
    return this.fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: this.token, ...form }).toString() });
  }
}

function startProcess(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER], {
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (match?.[1]) {
        resolve({ child, url: match[1] });
      }
    });
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
}

for (const dialect of dialects()) {
  describe(`tokens and the last administrator across two processes [${dialect}]`, () => {
    test('one reset link used 20 times at once on two processes works once; ten administrators disabling each other leave one', async (t) => {
      const testDb = await createTestDatabase(dialect);
      const conn = connect(testDb.database, { poolSize: 2 });
      await migrateToLatest(conn);
      const config = loadConfig({ ...TEST_ENV, DATA_DIR: testDb.dataDir, REQUIRE_2FA: 'false' });
      config.database = testDb.database;
      const app = await buildApp(config, { conn, logger: false });
      t.after(async () => {
        await app.close();
        await conn.close();
        await testDb.cleanup();
      });
      const databaseUrl =
        testDb.database.kind === 'postgres'
          ? `${testDb.database.url}?options=${encodeURIComponent(`-c search_path=${testDb.database.schema ?? 'public'}`)}`
          : `sqlite:${testDb.database.file}`;
      const env = { ...TEST_ENV, LOG_LEVEL: 'info', DATABASE_URL: databaseUrl, DATA_DIR: testDb.dataDir, REQUIRE_2FA: 'false' };
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
      const resets = await atOnce(20, (i) => visitors[i]!.post('/reset-password', { token, password: `two process passphrase ${i}`, password_confirm: `two process passphrase ${i}` }));
      assert.deepEqual(statusCounts(resets), { 303: 1, 400: 19 });

      // The processes created a first administrator at start; only the ten below take part.
      await conn.db.updateTable('users').set({ role: 'client' }).where('role', '=', 'administrator').execute();
      const admins = await Promise.all(Array.from({ length: 10 }, () => createUser(app, { role: 'administrator', twoFactor: false })));
      const browsers: Browser[] = [];
      for (const [i, admin] of admins.entries()) {
        const b = new Browser(base(i));
        await b.fetch('/login');
        assert.equal((await b.post('/login', { email: admin.email, password: admin.password })).status, 303);
        assert.equal((await b.fetch(`/admin/users/${admins[(i + 1) % 10]!.id}`)).status, 200);
        browsers.push(b);
      }
      const activeAdministrators = () => conn.db.selectFrom('users').select('id').where('role', '=', 'administrator').where('disabled_at', 'is', null).execute();
      assert.equal((await activeAdministrators()).length, 10);
      const disables = await atOnce(10, (i) => browsers[i]!.post(`/admin/users/${admins[(i + 1) % 10]!.id}/disable`, {}));
      const active = await activeAdministrators();
      assert.ok(active.length >= 1, `${active.length} active administrators (${JSON.stringify(statusCounts(disables))})`);
      t.diagnostic(`${dialect}: ${active.length} of 10 administrators still active; responses ${JSON.stringify(statusCounts(disables))}`);
    });
  });
}
