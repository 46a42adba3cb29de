import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { createTestDatabase } from '../helpers/build-app.ts';
import { Browser, startCluster } from '../helpers/cluster.ts';
import { dialects } from '../helpers/dialects.ts';

const ADMIN = { email: 'admin@example.test', password: 'cluster test admin passphrase' };

const alive = (pid: number) => existsSync(`/proc/${pid}`);

describe('WORKERS=2: one port, two worker processes under a primary', () => {
  for (const dialect of dialects()) {
    test(`workers share sessions, CSRF tokens and the mail outbox, write concurrently without errors, and all stop on SIGTERM [${dialect}]`, async (t) => {
      const testDb = await createTestDatabase(dialect);
      t.after(() => testDb.cleanup());
      const {
        child,
        base,
        workerPids: pids,
        output,
        servedBy,
      } = await startCluster(t, testDb, {
        DEFAULT_USER: ADMIN.email,
        DEFAULT_PASSWORD: ADMIN.password,
        REQUIRE_2FA: 'false',
        // Eight browsers on one IP sign in at the same moment: attempts in flight count until their password is checked.
        LOGIN_MAX_ATTEMPTS: '20',
      });
      assert.equal(new Set(pids).size, 2);
      assert.ok(!pids.includes(child.pid ?? 0), 'the primary serves nothing itself');

      // Eight browsers sign in and change a setting (each request may reach either worker), while eight visitors
      // register (a transaction writing a user, a token and an email to send).
      // The sign-ins go one after another: sign-in attempts on one account are counted before the password is
      // checked, so eight in flight at once would look like guessing to the per-account pause (5 free).
      const browsers = Array.from({ length: 8 }, () => new Browser(base));
      const statuses: number[] = [];
      for (const browser of browsers) {
        await browser.fetch('/login');
        statuses.push((await browser.post('/login', ADMIN)).status);
      }
      await Promise.all([
        ...browsers.map(async (browser, i) => {
          for (let round = 0; round < 5; round++) {
            const page = await browser.fetch('/account');
            assert.match(page.body, /admin@example\.test/, 'signed in on whichever worker answers');
            statuses.push(
              (await browser.post('/account/notifications', { notify_tickets: (i + round) % 2 === 0 ? '1' : '0' }))
                .status,
            );
          }
        }),
        ...Array.from({ length: 8 }, async (_, i) => {
          const visitor = new Browser(base);
          await visitor.fetch('/register');
          const res = await visitor.post('/register', {
            email: `cluster${i}@example.com`,
            password: 'a long registration passphrase',
            password_confirm: 'a long registration passphrase',
          });
          statuses.push(res.status);
        }),
      ]);
      assert.deepEqual(
        statuses.filter((s) => s >= 400),
        [],
        `no request failed:\n${output()
          .split('\n')
          .filter((l) => /"level":50/.test(l))
          .join('\n')}`,
      );
      assert.deepEqual([...servedBy()].sort(), [...pids].sort(), 'both workers served requests');

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
      assert.equal(code, 0, output());
      for (const pid of pids) {
        assert.ok(!alive(pid), `worker ${pid} stopped with its primary`);
      }
    });
  }
});
