// Measures, per limit, how many guesses an attacker gets in one hour: from one IP and from many.
// Runs the real app in-process on a temporary SQLite database (PostgreSQL when TEST_DATABASE_URL is set and
// --postgres is given), with simulated time: every attacker sends an attempt, waits Retry-After when refused,
// and tries again a second after an answered one. Only password hashing is swapped for a cheap stand-in, so
// that thousands of attempts take seconds (the limits count the same either way).
//   node --import tsx scripts/measure-limits.ts [--postgres]
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { connect } from '../src/db/connect.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { currentTotp } from '../src/features/two-factor/totp.ts';
import { TestClock } from '../src/lib/clock.ts';
import { createTestDatabase, TEST_ENV, testHasher } from '../test/helpers/build-app.ts';
import { TestClient } from '../test/helpers/client.ts';
import { createUser, type TestUser, countTokens } from '../test/helpers/factories.ts';

const HOUR_MS = 3_600_000;
const MANY = 20;

const clock = new TestClock(Date.UTC(2026, 0, 5, 9, 0, 0));
// rate-limiter-flexible reads Date.now(): the whole process runs on the simulated clock.
Date.now = () => clock.now();

async function freshApp(env: Record<string, string>): Promise<{ app: FastifyInstance; close: () => Promise<void> }> {
  const testDb = await createTestDatabase(process.argv.includes('--postgres') ? 'postgres' : 'sqlite');
  const config = loadConfig({ ...TEST_ENV, DATA_DIR: testDb.dataDir, ...env });
  config.database = testDb.database;
  const conn = connect(config.database, { poolSize: 4 });
  await migrateToLatest(conn);
  const app = await buildApp(config, { conn, clock, hasher: testHasher(config, 'fast'), logger: false });
  return {
    app,
    close: async () => {
      await app.close();
      await conn.close();
      await testDb.cleanup();
    },
  };
}

type Attempt = (i: number) => Promise<{ res: LightMyRequestResponse; checked: boolean }>;

/**
 * Runs one attacker per IP for one simulated hour, each sending its next attempt as soon as the last answer allows
 * (a 429's Retry-After, else one second); `start(ip)` sets the attacker up and returns its attempt. Returns the
 * number of guesses that were actually checked.
 */
async function runHour(ips: number, start: (ip: string) => Attempt | Promise<Attempt>): Promise<number> {
  const attackers = await Promise.all(
    Array.from({ length: ips }, async (_, k) => ({ attempt: await start(ipOf(k)), next: clock.now() })),
  );
  const end = clock.now() + HOUR_MS;
  let checked = 0;
  for (let i = 0; ; i++) {
    const attacker = attackers.reduce((a, b) => (b.next < a.next ? b : a));
    if (attacker.next >= end) {
      break;
    }
    clock.advance(Math.max(0, attacker.next - clock.now()));
    const { res, checked: wasChecked } = await attacker.attempt(i);
    checked += wasChecked ? 1 : 0;
    const retryAfter = res.statusCode === 429 ? Number(res.headers['retry-after'] ?? 1) : 1;
    attacker.next = clock.now() + retryAfter * 1000;
  }
  return checked;
}

const ipOf = (k: number) => `2001:db8:${(k + 1).toString(16)}::1`;
/** A guess was checked (and was wrong): the answer has this status and says so. */
const wrong = (res: LightMyRequestResponse, code: number, says: RegExp) =>
  res.statusCode === code && says.test(res.body);

function wrongCode(user: TestUser, i: number): string {
  const right = currentTotp(user.totpSecret ?? '', clock.now());
  const code = String((i * 7919) % 1_000_000).padStart(6, '0');
  return code === right ? String((Number(code) + 1) % 1_000_000).padStart(6, '0') : code;
}

/** A client at `ip` signed in up to the code step (or completely). */
async function signedIn(app: FastifyInstance, user: TestUser, ip: string, full: boolean): Promise<TestClient> {
  const client = new TestClient(app, { remoteAddress: ip });
  if (full) {
    await client.signIn(user);
  } else {
    await client.login(user.email, user.password);
  }
  return client;
}

/** A client at `ip` on `page`, signed in again whenever its session lapsed (the page no longer answers 2xx). */
async function staySignedIn(
  app: FastifyInstance,
  user: TestUser,
  ip: string,
  full: boolean,
  page: string,
): Promise<() => Promise<TestClient>> {
  let client = await signedIn(app, user, ip, full);
  return async () => {
    if (!(await client.get(page)).statusCode.toString().startsWith('2')) {
      client = await signedIn(app, user, ip, full);
      await client.get(page);
    }
    return client;
  };
}

const anonymous = (app: FastifyInstance, ip: string) => new TestClient(app, { remoteAddress: ip });

type Scenario = (app: FastifyInstance, ips: number) => Promise<number>;

const scenarios: Array<{ limit: string; target: string; env?: Record<string, string>; run: Scenario }> = [
  {
    limit: 'login_ip',
    target: 'passwords of many accounts (credential stuffing)',
    run: (app, ips) =>
      runHour(ips, (ip) => {
        const client = anonymous(app, ip);
        return async (i) => {
          const res = await client.login(`victim${i}@example.com`, 'a wrong password guess');
          return { res, checked: wrong(res, 401, /Invalid email or password/) };
        };
      }),
  },
  {
    limit: 'login_ip + per-account throttle',
    target: "one account's password",
    run: async (app, ips) => {
      const user = await createUser(app);
      return runHour(ips, (ip) => {
        const client = anonymous(app, ip);
        return async () => {
          const res = await client.login(user.email, 'a wrong password guess');
          return { res, checked: wrong(res, 401, /Invalid email or password/) };
        };
      });
    },
  },
  {
    limit: 'code_account + code_ip',
    target: "one account's TOTP or recovery codes (password known)",
    run: async (app, ips) => {
      const user = await createUser(app);
      return runHour(ips, async (ip) => {
        const client = await staySignedIn(app, user, ip, false, '/login/two-factor');
        return async (i) => {
          const res = await (await client()).post('/login/two-factor', { code: wrongCode(user, i) });
          return { res, checked: wrong(res, 401, /That code is not valid/) };
        };
      });
    },
  },
  {
    limit: 'code_ip',
    target: 'TOTP codes of 8 accounts (passwords known), each IP cycling through them',
    run: async (app, ips) => {
      const users = await Promise.all(Array.from({ length: 8 }, () => createUser(app)));
      return runHour(ips, async (ip) => {
        const clients = await Promise.all(users.map((user) => staySignedIn(app, user, ip, false, '/login/two-factor')));
        return async (i) => {
          const u = i % users.length;
          const client = await (clients[u] as () => Promise<TestClient>)();
          const res = await client.post('/login/two-factor', { code: wrongCode(users[u] as TestUser, i) });
          return { res, checked: wrong(res, 401, /That code is not valid/) };
        };
      });
    },
  },
  {
    limit: 'password_check_account',
    target:
      "one account's password from a stolen session (/reauth; /account/password and /account/email share the budget)",
    // A password-only account, so that signing in again after a lapsed session needs no code.
    env: { REQUIRE_2FA: 'false' },
    run: async (app, ips) => {
      const user = await createUser(app, { twoFactor: false });
      return runHour(ips, async (ip) => {
        const client = await staySignedIn(app, user, ip, true, '/reauth');
        return async (i) => {
          const res = await (await client()).post('/reauth', { password: `wrong password ${i}` });
          return { res, checked: wrong(res, 401, /password is not correct/) };
        };
      });
    },
  },
  {
    limit: 'reset_ip',
    target: 'reset requests for many addresses',
    run: (app, ips) =>
      runHour(ips, (ip) => {
        const client = anonymous(app, ip);
        return async (i) => {
          await client.get('/forgot-password');
          const res = await client.post('/forgot-password', { email: `someone${i}@example.com` });
          return { res, checked: wrong(res, 200, /If an account exists/) };
        };
      }),
  },
  {
    limit: 'reset_address',
    target: 'reset emails to one address',
    run: async (app, ips) => {
      const user = await createUser(app);
      const before = await countTokens(app.db, user.id, 'reset_password');
      await runHour(ips, (ip) => {
        const client = anonymous(app, ip);
        return async () => {
          await client.get('/forgot-password');
          const res = await client.post('/forgot-password', { email: user.email });
          return { res, checked: false };
        };
      });
      return (await countTokens(app.db, user.id, 'reset_password')) - before;
    },
  },
  {
    limit: 'register_ip',
    target: 'new accounts',
    run: async (app, ips) => {
      let n = 0;
      return runHour(ips, (ip) => {
        const client = anonymous(app, ip);
        return async () => {
          await client.get('/register');
          n += 1;
          const password = 'a long registration passphrase';
          const res = await client.post('/register', {
            email: `newcomer${n}@example.com`,
            password,
            password_confirm: password,
          });
          return { res, checked: wrong(res, 200, /Check your email to finish/) };
        };
      });
    },
  },
  {
    limit: 'verify_resend',
    target: "verification emails to one unverified account's address",
    run: async (app, ips) => {
      const user = await createUser(app, { verified: false });
      await runHour(ips, async (ip) => {
        const client = await staySignedIn(app, user, ip, false, '/verify-email/pending');
        return async () => ({ res: await (await client()).post('/verify-email/resend', {}), checked: false });
      });
      return countTokens(app.db, user.id, 'verify_email');
    },
  },
];

console.log(`| Limit | Attacker guesses at | From one IP, per hour | From ${MANY} IPs (/64s), per hour |`);
console.log('| --- | --- | --- | --- |');
for (const scenario of scenarios) {
  const figures: number[] = [];
  for (const ips of [1, MANY]) {
    const { app, close } = await freshApp(scenario.env ?? {});
    try {
      figures.push(await scenario.run(app, ips));
    } finally {
      await close();
    }
  }
  console.log(`| \`${scenario.limit}\` | ${scenario.target} | ${figures[0]} | ${figures[1]} |`);
}
