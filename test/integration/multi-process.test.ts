import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { createTestDatabase } from '../helpers/build-app.ts';
import { Browser } from '../helpers/cluster.ts';
import { databaseUrlOf, startAppProcess } from '../support/app-process.ts';

const ADMIN = { email: 'admin@example.test', password: 'multi process admin passphrase' };

/** src/server.ts on a port the OS picks, once it listens. */
const startProcess = (env: Record<string, string>) => startAppProcess({ env: { LOG_LEVEL: 'info', ...env }, port: 0 });

describe(
  'several processes on one PostgreSQL',
  { skip: !process.env.TEST_DATABASE_URL && 'needs TEST_DATABASE_URL' },
  () => {
    test('sessions, CSRF tokens, lockouts and the mail outbox are shared; every email is sent exactly once', async (t) => {
      const received: string[] = [];
      const smtp = new SMTPServer({
        authOptional: true,
        disabledCommands: ['STARTTLS'],
        onData(stream, session, callback) {
          stream.resume();
          stream.on('end', () => {
            received.push(...session.envelope.rcptTo.map((r) => r.address));
            callback();
          });
        },
      });
      await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
      t.after(() => new Promise<void>((resolve) => smtp.close(() => resolve())));

      const db = await createTestDatabase('postgres');
      t.after(() => db.cleanup());
      const url = databaseUrlOf(db.database);
      const env = {
        DATABASE_URL: url,
        DATA_DIR: db.dataDir,
        SECRET_KEY: 'multi-process-secret-key-0123456789abcdef',
        PEPPER: 'multi-process-pepper-0123456789abcdefghij',
        DEFAULT_USER: ADMIN.email,
        DEFAULT_PASSWORD: ADMIN.password,
        REQUIRE_2FA: 'false',
        SMTP_URL: `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`,
      };
      // Both start together: migrations and the first administrator must cope.
      const [a, b] = await Promise.all([startProcess(env), startProcess(env)]);
      t.after(() => {
        a.child.kill('SIGTERM');
        b.child.kill('SIGTERM');
      });

      // Signed in on A, signed in on B; a CSRF token from A's page works on B.
      const browser = new Browser();
      await browser.fetch(`${a.url}/login`);
      const login = await browser.post(`${a.url}/login`, ADMIN);
      assert.equal(login.status, 303, login.body.slice(0, 300));
      assert.match((await browser.fetch(`${b.url}/`)).body, /You are signed in as/);
      await browser.fetch(`${a.url}/account`);
      const onB = await browser.post(`${b.url}/account/notifications`, { notify_tickets: '0' });
      assert.equal(onB.status, 303, 'a token issued by A is accepted by B');

      // A lockout counted on A holds on B.
      for (let i = 0; i < 5; i++) {
        const attacker = new Browser();
        await attacker.fetch(`${a.url}/login`);
        assert.equal(
          (await attacker.post(`${a.url}/login`, { email: `nobody${i}@example.com`, password: 'wrong password' }))
            .status,
          401,
        );
      }
      const late = new Browser();
      await late.fetch(`${b.url}/login`);
      assert.equal((await late.post(`${b.url}/login`, ADMIN)).status, 429, 'locked on B by failures on A');

      // Registrations on both processes: each queued email is delivered once, by whichever worker claims it.
      const addresses = Array.from({ length: 8 }, (_, i) => `multi${i}@example.com`);
      await Promise.all(
        addresses.map(async (email, i) => {
          const visitor = new Browser();
          const base = i % 2 === 0 ? a.url : b.url;
          await visitor.fetch(`${base}/register`);
          const res = await visitor.post(`${base}/register`, {
            email,
            password: 'a long registration passphrase',
            password_confirm: 'a long registration passphrase',
          });
          assert.equal(res.status, 200);
        }),
      );
      const deadline = Date.now() + 20_000;
      while (received.filter((r) => r.startsWith('multi')).length < addresses.length && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
      }
      await new Promise((r) => setTimeout(r, 6000)); // past a worker poll, so a duplicate would have arrived
      assert.deepEqual(
        received.filter((r) => r.startsWith('multi')).sort(),
        addresses.sort(),
        'each email exactly once',
      );
    });
  },
);
