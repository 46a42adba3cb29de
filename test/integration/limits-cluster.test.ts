import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createTestDatabase } from '../helpers/build-app.ts';
import { Browser, startCluster } from '../helpers/cluster.ts';
import { atOnce, statusCounts } from '../helpers/parallel.ts';

const ADMIN = { email: 'admin@example.test', password: 'limits cluster admin passphrase' };
const N = 100;
const MAX_ATTEMPTS = 5;

describe(
  'limits across processes (PostgreSQL, WORKERS=2, real HTTP)',
  { skip: !process.env.TEST_DATABASE_URL && 'needs TEST_DATABASE_URL' },
  () => {
    test('100 sign-in attempts at once from one IP, spread over both workers, get at most 5 password checks', async (t) => {
      const testDb = await createTestDatabase('postgres');
      t.after(() => testDb.cleanup());
      const { base, workerPids, output, servedBy } = await startCluster(t, testDb, {
        DEFAULT_USER: ADMIN.email,
        DEFAULT_PASSWORD: ADMIN.password,
        REQUIRE_2FA: 'false',
        LOGIN_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
      });
      const browser = new Browser(base);
      await browser.fetch('/login');
      const before = output().length;
      const responses = await atOnce(N, (i) =>
        browser.post(
          '/login',
          i === N / 2 ? ADMIN : { email: `stuffed${i}@example.com`, password: 'a wrong password guess' },
        ),
      );
      const statuses = statusCounts(responses);
      assert.ok(
        (statuses[401] ?? 0) <= MAX_ATTEMPTS && (statuses[401] ?? 0) >= MAX_ATTEMPTS - 1,
        JSON.stringify(statuses),
      );
      assert.ok((statuses[303] ?? 0) <= 1, JSON.stringify(statuses));
      assert.equal((statuses[401] ?? 0) + (statuses[303] ?? 0) + (statuses[429] ?? 0), N, JSON.stringify(statuses));
      // Give the log lines of the last requests a moment to arrive through the pipes.
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.deepEqual([...servedBy(before)].sort(), [...workerPids].sort(), 'both workers answered the burst');
      const late = await browser.post('/login', ADMIN);
      assert.equal(late.status, 429, 'the budget is spent for the right password too, whichever worker answers');
    });
  },
);
