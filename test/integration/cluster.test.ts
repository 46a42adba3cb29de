import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { createTestDatabase } from '../helpers/build-app.ts';
import { dialects } from '../helpers/dialects.ts';

const SERVER = path.resolve(import.meta.dirname, '../../src/server.ts');
const ADMIN = { email: 'admin@example.test', password: 'cluster test admin passphrase' };

/** One browser: a cookie jar and the last CSRF token seen. */
class Browser {
  cookies = new Map<string, string>();
  token = '';
  constructor(private readonly base: string) {}
  async fetch(url: string, init: RequestInit = {}): Promise<{ status: number; body: string }> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) {
      headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    }
    const res = await fetch(`${this.base}${url}`, { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const [name = '', value = ''] = pair.split('=');
      if (/Max-Age=0/i.test(line) || value === '') {
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

const alive = (pid: number) => existsSync(`/proc/${pid}`);

describe('WORKERS=2: one port, two worker processes under a primary', () => {
  for (const dialect of dialects()) {
    test(`workers share sessions, CSRF tokens and the mail outbox, write concurrently without errors, and all stop on SIGTERM [${dialect}]`, async (t) => {
      const testDb = await createTestDatabase(dialect);
      t.after(() => testDb.cleanup());
      const databaseUrl =
        testDb.database.kind === 'sqlite'
          ? `sqlite:${testDb.database.file}`
          : `${testDb.database.url}${testDb.database.url.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${testDb.database.schema ?? 'public'}`)}`;
      const child = spawn(process.execPath, ['--import', 'tsx', SERVER], {
        env: {
          PATH: process.env.PATH ?? '',
          HOST: '127.0.0.1',
          PORT: '0',
          LOG_LEVEL: 'info',
          WORKERS: '2',
          DATA_DIR: testDb.dataDir,
          DATABASE_URL: databaseUrl,
          SECRET_KEY: 'cluster-test-secret-key-0123456789abcdef',
          PEPPER: 'cluster-test-pepper-0123456789abcdefghij',
          DEFAULT_USER: ADMIN.email,
          DEFAULT_PASSWORD: ADMIN.password,
          REQUIRE_2FA: 'false',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      t.after(() => child.kill('SIGKILL'));
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const workerPids = () => [...out.matchAll(/"pid":\d+,"hostname":"[^"]*","worker":\d+,"pid":(\d+),"msg":"worker is listening"/g)].map((m) => Number(m[1]));
      const deadline = Date.now() + 60_000;
      while (workerPids().length < 2) {
        assert.ok(Date.now() < deadline && child.exitCode === null, `two workers did not start:\n${out}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const base = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1] ?? '';
      assert.ok(base, out);
      const pids = workerPids();
      assert.equal(new Set(pids).size, 2);
      assert.ok(!pids.includes(child.pid ?? 0), 'the primary serves nothing itself');

      // Eight browsers sign in and change a setting (each request may reach either worker), while eight visitors
      // register (a transaction writing a user, a token and an email to send).
      const browsers = Array.from({ length: 8 }, () => new Browser(base));
      const statuses: number[] = [];
      await Promise.all([
        ...browsers.map(async (browser, i) => {
          await browser.fetch('/login');
          statuses.push((await browser.post('/login', ADMIN)).status);
          for (let round = 0; round < 5; round++) {
            const page = await browser.fetch('/account');
            assert.match(page.body, /admin@example\.test/, 'signed in on whichever worker answers');
            statuses.push((await browser.post('/account/notifications', { notify_tickets: (i + round) % 2 === 0 ? '1' : '0' })).status);
          }
        }),
        ...Array.from({ length: 8 }, async (_, i) => {
          const visitor = new Browser(base);
          await visitor.fetch('/register');
          const res = await visitor.post('/register', { email: `cluster${i}@example.com`, password: 'a long registration passphrase', password_confirm: 'a long registration passphrase' });
          statuses.push(res.status);
        }),
      ]);
      assert.deepEqual(
        statuses.filter((s) => s >= 400),
        [],
        `no request failed:\n${out
          .split('\n')
          .filter((l) => /"level":50/.test(l))
          .join('\n')}`,
      );
      const servedBy = new Set([...out.matchAll(/"pid":(\d+)[^\n]*"msg":"request completed"/g)].map((m) => Number(m[1])));
      assert.deepEqual([...servedBy].sort(), [...pids].sort(), 'both workers served requests');

      // The verification emails are delivered by whichever worker claims them, once each (the development
      // transport writes one .eml file per delivery).
      const mailDir = path.join(testDb.dataDir, 'mail');
      const delivered = () => (existsSync(mailDir) ? readdirSync(mailDir).filter((f) => f.endsWith('.eml')).length : 0);
      const mailDeadline = Date.now() + 20_000;
      while (delivered() < 8 && Date.now() < mailDeadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await new Promise((resolve) => setTimeout(resolve, 3000)); // a duplicate would have arrived by now
      assert.equal(delivered(), 8);

      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number];
      assert.equal(code, 0, out);
      for (const pid of pids) {
        assert.ok(!alive(pid), `worker ${pid} stopped with its primary`);
      }
    });
  }
});
