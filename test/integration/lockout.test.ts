import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { deviceCookieName } from '../../src/features/auth/device-cookie.ts';
import { MAX_PAUSE_MS, throttleKey } from '../../src/features/auth/login-throttle.ts';
import { buildApp } from '../../src/app.ts';
import { connect } from '../../src/db/connect.ts';
import { TestClock } from '../../src/lib/clock.ts';
import { buildTestApp, type TestApp } from '../helpers/build-app.ts';
import { TestClient } from '../helpers/client.ts';
import { dialects } from '../helpers/dialects.ts';
import { createUser } from '../helpers/factories.ts';
import { linkIn, mailsTo } from '../helpers/mail.ts';
import { redisReachable, redisTestEnv, TEST_REDIS_URL } from '../helpers/redis.ts';
import { atOnce, statusCounts } from '../helpers/parallel.ts';

/**
 * Real argon2 here (not the tests' fast hasher): attempts fired at once must all be counted while the first ones are
 * still being checked, and only a password check that takes argon2's real time keeps that window open.
 */
const REAL_ARGON2 = { hasher: 'argon2' } as const;

const WRONG = 'credential stuffing guess 1';
const NEW_PASSWORD = 'brand new quiet harbour';

let ipSeq = 0;
/** A fresh IPv4 address per request: the attack comes from many IPs, so only the per-account counter stops it. */
function nextIp(): string {
  ipSeq += 1;
  return `10.${(ipSeq >> 16) & 255}.${(ipSeq >> 8) & 255}.${ipSeq & 255}`;
}

/** Counts argon2 verifications from now on. */
function countVerifications(app: FastifyInstance): () => number {
  let n = 0;
  const real = app.hasher.verify;
  app.hasher.verify = (stored, password) => {
    n += 1;
    return real(stored, password);
  };
  return () => n;
}

/** `n` sign-in attempts at the same moment, each from its own IP with its own login page and CSRF token. */
async function attack(
  app: FastifyInstance | FastifyInstance[],
  email: string,
  n: number,
  password = WRONG,
): Promise<LightMyRequestResponse[]> {
  const apps = Array.isArray(app) ? app : [app];
  const clients: TestClient[] = [];
  for (let i = 0; i < n; i++) {
    const client = new TestClient(apps[i % apps.length] as FastifyInstance, { remoteAddress: nextIp() });
    await client.get('/login');
    clients.push(client);
  }
  return atOnce(n, (i) => (clients[i] as TestClient).post('/login', { email, password }));
}

const stranger = (app: FastifyInstance) => new TestClient(app, { remoteAddress: nextIp() });

async function throttleRow(t: TestApp, email: string) {
  return t.db.selectFrom('login_throttles').selectAll().where('key', '=', throttleKey(email)).executeTakeFirst();
}

function unlockPath(text: string): string {
  const match = /https?:\/\/\S+?(\/unlock\/[A-Za-z0-9_-]{43})\b/.exec(text);
  assert.ok(match, `no unlock link in: ${text}`);
  return match[1] as string;
}

/** The reproduction: 140 wrong passwords at once, then the owner signs in. */
async function reproduction(t: TestApp) {
  const { app, db, clock } = t;
  // The only administrator: nobody on the network may be able to lock them out.
  const owner = await createUser(app, { role: 'administrator' });
  const browser = new TestClient(app, { remoteAddress: '192.0.2.10' });
  const step = await browser.login(owner.email, owner.password);
  assert.match(String(step.headers.location), /^\/login\/two-factor/);
  assert.equal(browser.cookies.get(deviceCookieName(t.config)), undefined, 'no device cookie before the second factor');
  await browser.get(String(step.headers.location));
  assert.equal(
    (await browser.post('/login/two-factor', { code: browser.nextCode(owner.totpSecret ?? '') })).statusCode,
    303,
  );
  const device = browser.cookies.get(deviceCookieName(t.config));
  assert.ok(device, 'a full sign-in sets the device cookie');
  await browser.post('/logout');

  const verifications = countVerifications(app);
  const responses = await attack(app, owner.email, 140);
  assert.deepEqual(statusCounts(responses), { 401: 5, 429: 135 }, 'five free attempts, then refused');
  assert.equal(verifications(), 5, 'argon2 ran only for the five admitted attempts');
  const row = await throttleRow(t, owner.email);
  assert.equal(row?.failures, 5, 'the count stays bounded');
  const retryAfter = responses.filter((r) => r.statusCode === 429).map((r) => Number(r.headers['retry-after']));
  assert.ok(Math.max(...retryAfter) <= 30, `a 30-second pause, not a century: ${Math.max(...retryAfter)}`);
  const setCookie = responses.map((r) => String(r.headers['set-cookie'] ?? ''));
  assert.ok(!setCookie.some((c) => c.includes('parapet_device')), 'no device cookie for failures');

  // During the pause a stranger with the right password is refused, without argon2...
  const before = verifications();
  assert.equal((await stranger(app).login(owner.email, owner.password)).statusCode, 429);
  assert.equal(verifications(), before);
  // ...but the owner's usual browser, carrying its device cookie, signs in completely.
  assert.equal(browser.cookies.get(deviceCookieName(t.config)), device);
  const fromDevice = await browser.login(owner.email, owner.password);
  assert.equal(fromDevice.statusCode, 303, 'the device cookie gets past the account pause');
  await browser.get(String(fromDevice.headers.location));
  const code = browser.nextCode(owner.totpSecret ?? ''); // (this moves the test clock on by 30 s)
  assert.equal((await browser.post('/login/two-factor', { code })).statusCode, 303);
  assert.match((await browser.get('/')).body, /You are signed in as/);
  assert.equal(
    (await throttleRow(t, owner.email))?.failures,
    5,
    "the device's sign-in leaves the account counter alone",
  );

  // One unlock email for the one pause.
  const mails = (await mailsTo(db, owner.email)).filter((m) => m.kind === 'unlock_account');
  assert.equal(mails.length, 1);

  // Once the pause has ended, the right password works from anywhere, and clears the counter.
  clock.advance(31_000);
  assert.equal((await stranger(app).login(owner.email, owner.password)).statusCode, 303);
  assert.equal(await throttleRow(t, owner.email), undefined);
  return { owner, responses };
}

for (const dialect of dialects()) {
  describe(`account lockout [${dialect}]`, () => {
    test('140 wrong passwords at once: bounded count, no century lock, the owner keeps signing in; an unknown email answers the same', async (t) => {
      const testApp = await buildTestApp(t, dialect, {}, REAL_ARGON2);
      const { responses } = await reproduction(testApp);
      const { app, db } = testApp;

      const ghost = 'nobody.here@example.com';
      const unknown = await attack(app, ghost, 140);
      assert.deepEqual(statusCounts(unknown), statusCounts(responses), 'the same statuses for an unknown email');
      const strip = (r: LightMyRequestResponse | undefined, email: string) =>
        (r?.body ?? '').replace(/value="[^"]*"/g, '').replaceAll(email, 'EMAIL');
      const first = (list: LightMyRequestResponse[], status: number) => list.find((r) => r.statusCode === status);
      const owner = (await db.selectFrom('users').select('email').executeTakeFirstOrThrow()).email;
      // Attempts at once get their counts in any order: the 401 pages (with their notices) compared as sets.
      const all401 = (list: LightMyRequestResponse[], email: string) =>
        list
          .filter((r) => r.statusCode === 401)
          .map((r) => strip(r, email))
          .sort();
      assert.deepEqual(all401(unknown, ghost), all401(responses, owner));
      assert.equal(strip(first(unknown, 429), ghost), strip(first(responses, 429), owner));
      assert.equal(first(unknown, 429)?.headers['retry-after'] !== undefined, true);
      assert.equal((await mailsTo(db, ghost)).length, 0);
    });

    test('the form warns before a pause, the lockout page says when and offers ways back; the same for an unknown email', async (t) => {
      const { app } = await buildTestApp(t, dialect);
      const owner = await createUser(app);
      const ghost = 'nobody.at.all@example.com';
      const strip = (body: string, email: string) => body.replace(/value="[^"]*"/g, '').replaceAll(email, 'EMAIL');
      /** Seven wrong passwords, each from its own network: only the email's counter counts. */
      const run = async (email: string) => {
        const pages: Array<{ status: number; body: string }> = [];
        for (let i = 0; i < 7; i++) {
          const res = await stranger(app).login(email, WRONG);
          pages.push({ status: res.statusCode, body: strip(res.body, email) });
        }
        return pages;
      };
      const known = await run(owner.email);
      const unknown = await run(ghost);
      assert.deepEqual(
        known.map((p) => p.status),
        [401, 401, 401, 401, 401, 429, 429],
      );
      assert.deepEqual(unknown, known, 'every page the same for an unknown email');
      const texts = known.map((p) => p.body);
      assert.doesNotMatch(texts[1] ?? '', /attempts? left/, 'no warning while far from a pause');
      assert.match(texts[2] ?? '', /2 attempts left before sign-in is paused for 30 seconds\./);
      assert.match(texts[3] ?? '', /1 attempt left before sign-in is paused for 30 seconds\./);
      assert.match(texts[4] ?? '', /Sign-in is now paused\. Try again in 30 seconds/);
      assert.match(texts[5] ?? '', /Sign-in paused/);
      assert.match(texts[5] ?? '', /Too many attempts to sign in\. Try again in 30 seconds\./);
      assert.doesNotMatch(texts[5] ?? '', /minute\(s\)/);
      assert.match(texts[5] ?? '', /href="\/forgot-password"/);
      assert.match(texts[5] ?? '', /href="\/login">Back to sign in/);
      // The time is the real time left.
      (app.clock as TestClock).advance(12_000);
      assert.match((await stranger(app).login(ghost, WRONG)).body, /Try again in 18 seconds\./);

      // One network: its own limit (LOGIN_MAX_ATTEMPTS = 5 per LOGIN_WINDOW_MINUTES) pauses it for LOGIN_LOCK_MINUTES.
      const sameNetwork = new TestClient(app, { remoteAddress: '198.51.100.7' });
      const statuses: number[] = [];
      const bodies: string[] = [];
      for (let i = 0; i < 6; i++) {
        const res = await sameNetwork.login(`someone${i}@example.com`, WRONG);
        statuses.push(res.statusCode);
        bodies.push(res.body);
      }
      assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429]);
      assert.match(bodies[2] ?? '', /2 attempts left before sign-in is paused for 5 minutes\./);
      assert.match(bodies[3] ?? '', /1 attempt left before sign-in is paused for 5 minutes\./);
      assert.match(bodies[4] ?? '', /Sign-in is now paused\. Try again in 5 minutes/);
      assert.match(bodies[5] ?? '', /Try again in 5 minutes\./);
      // The lockout page keeps where the user was going.
      await sameNetwork.get('/login?next=%2Ftickets%2F12');
      const withNext = await sameNetwork.post('/login', {
        email: 'x@example.com',
        password: WRONG,
        next: '/tickets/12',
      });
      assert.equal(withNext.statusCode, 429);
      assert.match(withNext.body, /href="\/login\?next=%2Ftickets%2F12">Back to sign in/);
    });

    test('two app processes sharing the database admit five attempts between them, however many arrive at once', async (t) => {
      const first = await buildTestApp(t, dialect, {}, REAL_ARGON2);
      const conn = connect(first.config.database, { poolSize: 2 });
      const second = await buildApp(first.config, { conn, clock: new TestClock(first.clock.now()), logger: false });
      t.after(async () => {
        await second.close();
        await conn.close();
      });
      const victim = await createUser(first.app);
      const verifications = [countVerifications(first.app), countVerifications(second)];
      assert.deepEqual(statusCounts(await attack([first.app, second], victim.email, 100)), { 401: 5, 429: 95 });
      assert.equal(
        verifications.reduce((sum, count) => sum + count(), 0),
        5,
      );
      assert.equal((await throttleRow(first, victim.email))?.failures, 5);
    });

    test('an attempt counted first that turns out right leaves nothing paused', async (t) => {
      const testApp = await buildTestApp(t, dialect, {}, REAL_ARGON2);
      const { app } = testApp;
      const owner = await createUser(app, { twoFactor: false });
      // Five attempts at once, all admitted: four wrong, one right. Whichever number the right one got (even
      // the fifth, which starts a pause), its success clears the counter.
      const clients: TestClient[] = [];
      for (let i = 0; i < 5; i++) {
        const client = stranger(app);
        await client.get('/login');
        clients.push(client);
      }
      const results = await atOnce(5, (i) =>
        (clients[i] as TestClient).post('/login', { email: owner.email, password: i === 4 ? owner.password : WRONG }),
      );
      assert.deepEqual(statusCounts(results), { 303: 1, 401: 4 });
      // (A wrong attempt counted after the success, under heavy load, may start a fresh count, never a pause.)
      const row = await throttleRow(testApp, owner.email);
      assert.ok(
        !row || (row.failures < 5 && row.locked_until <= testApp.clock.now()),
        `still paused: ${JSON.stringify(row)}`,
      );
      assert.equal((await stranger(app).login(owner.email, owner.password)).statusCode, 303, 'not paused');
    });

    test('pauses double up to the cap: the guesses per hour are bounded and nothing locks for good', async (t) => {
      const { app, clock } = await buildTestApp(t, dialect, {}, REAL_ARGON2);
      const victim = await createUser(app, { twoFactor: false });
      const verifications = countVerifications(app);
      const start = clock.now();
      const admittedBy = (ms: number, log: Array<{ at: number; admitted: number }>) =>
        log.filter((e) => e.at - start < ms).reduce((sum, e) => sum + e.admitted, 0);
      const log: Array<{ at: number; admitted: number }> = [];
      let longest = 0;
      while (clock.now() - start < 2 * 3_600_000) {
        const round = await attack(app, victim.email, 8);
        const counts = statusCounts(round);
        log.push({ at: clock.now(), admitted: counts[401] ?? 0 });
        assert.ok((counts[401] ?? 0) <= 5);
        const wait = Math.max(
          ...round.filter((r) => r.statusCode === 429).map((r) => Number(r.headers['retry-after'])),
        );
        assert.ok(wait * 1000 <= MAX_PAUSE_MS, `pause ${wait}s over the cap`);
        longest = Math.max(longest, wait);
        clock.advance(wait * 1000);
      }
      // 5 free, then pauses of 30, 60, 120, 240, 480 s and 15 min: 12 guesses in the first hour, 4 an hour after.
      assert.equal(admittedBy(3_600_000, log), 12);
      assert.equal(admittedBy(2 * 3_600_000, log), 16);
      assert.equal(longest * 1000, MAX_PAUSE_MS);
      assert.equal(verifications(), 16, 'argon2 ran once per admitted guess, never for a refused one');
      // The right password after the last pause still works.
      assert.equal((await stranger(app).login(victim.email, victim.password)).statusCode, 303);
    });

    test('a completed password reset clears every per-account counter, and the owner signs in at once', async (t) => {
      const testApp = await buildTestApp(t, dialect, {}, REAL_ARGON2);
      const { app, db } = testApp;
      const victim = await createUser(app);
      // The per-account code limiter: wrong codes until codes are refused.
      const halfway = stranger(app);
      const step = await halfway.login(victim.email, victim.password);
      await halfway.get(String(step.headers.location));
      for (let i = 0; i < app.limits.secondFactorAccount.rule.points; i++) {
        await halfway.post('/login/two-factor', { code: '000000' });
      }
      assert.equal(
        (await halfway.post('/login/two-factor', { code: halfway.nextCode(victim.totpSecret ?? '') })).statusCode,
        429,
      );
      // The sign-in pause, by parallel failures.
      assert.deepEqual(statusCounts(await attack(app, victim.email, 40)), { 401: 5, 429: 35 });
      assert.equal((await stranger(app).login(victim.email, victim.password)).statusCode, 429);

      const client = stranger(app);
      await client.get('/forgot-password');
      await client.post('/forgot-password', { email: victim.email });
      const link = linkIn(
        (await mailsTo(db, victim.email)).find((m) => m.kind === 'reset_password'),
        '/reset-password',
      );
      await client.get(link);
      const done = await client.post('/reset-password', {
        token: new URL(link, 'http://x').searchParams.get('token') ?? '',
        password: NEW_PASSWORD,
        password_confirm: NEW_PASSWORD,
      });
      assert.equal(done.statusCode, 303);
      assert.equal(await throttleRow(testApp, victim.email), undefined);

      const after = await stranger(app).signIn({ ...victim, password: NEW_PASSWORD });
      assert.equal(after.statusCode, 303, 'no pause and no code lock after the reset');
      assert.equal(after.headers.location, '/');
    });

    test('the emailed unlock link restores access, works once, needs CSRF, and is sent at most once an hour', async (t) => {
      const testApp = await buildTestApp(t, dialect, {}, REAL_ARGON2);
      const { app, db } = testApp;
      const victim = await createUser(app, { twoFactor: false });
      await attack(app, victim.email, 30);
      const mails = (await mailsTo(db, victim.email)).filter((m) => m.kind === 'unlock_account');
      assert.equal(mails.length, 1);
      assert.match(mails[0]?.subject ?? '', /paused/);
      const path = unlockPath(mails[0]?.text_body ?? '');

      const owner = stranger(app);
      const page = await owner.get(path);
      assert.equal(page.statusCode, 200);
      assert.equal(page.headers['referrer-policy'], 'no-referrer');
      assert.match(page.body, /<form method="post" action="\/unlock\/[A-Za-z0-9_-]{43}"/);
      assert.equal((await owner.get(path)).statusCode, 200, 'looking at the page does not use the link');
      assert.equal((await stranger(app).login(victim.email, victim.password)).statusCode, 429, 'still paused');
      assert.equal((await owner.post(path, { _csrf: null })).statusCode, 403, 'no CSRF token, no unlock');
      assert.equal((await owner.post(path, { _csrf: 'forged' })).statusCode, 403);

      const used = await atOnce(5, () => owner.post(path));
      assert.deepEqual(
        statusCounts(used),
        { 303: 1, 400: 4 },
        'the link works once, even when used five times at once',
      );
      assert.equal(await throttleRow(testApp, victim.email), undefined);
      const audit = await db
        .selectFrom('audit_events')
        .select(['details', 'actor_user_id'])
        .where('event', '=', 'login.unlocked')
        .execute();
      assert.equal(audit.length, 1);
      assert.match(audit[0]?.details ?? '', /email_link/);
      assert.equal((await stranger(app).login(victim.email, victim.password)).statusCode, 303);
      assert.equal((await owner.get(path)).statusCode, 400, 'used up');
      assert.equal((await owner.get('/unlock/not-a-token')).statusCode, 400);

      // A new attack pauses the account again at once, but the owner is not mailed again within the hour.
      assert.deepEqual(statusCounts(await attack(app, victim.email, 10)), { 401: 5, 429: 5 });
      assert.equal((await mailsTo(db, victim.email)).filter((m) => m.kind === 'unlock_account').length, 1);
    });

    test('an administrator sees the pause and unlocks sign-in; audited; clients cannot', async (t) => {
      const testApp = await buildTestApp(t, dialect, {}, REAL_ARGON2);
      const { app, db } = testApp;
      const adminUser = await createUser(app, { role: 'administrator' });
      const admin = new TestClient(app, { remoteAddress: '192.0.2.20' });
      await admin.signIn(adminUser);
      const victim = await createUser(app, { twoFactor: false });
      const before = await admin.get(`/admin/users/${victim.id}`);
      assert.match(before.body, /No recent failed attempts/);
      assert.doesNotMatch(before.body, /Unlock sign-in/);

      await attack(app, victim.email, 20);
      const page = await admin.get(`/admin/users/${victim.id}`);
      assert.match(page.body, /Paused for 1 more minute\(s\) after 5 failed attempts/);
      assert.match(page.body, /Unlock sign-in/);

      const client = new TestClient(app, { remoteAddress: '192.0.2.21' });
      await client.signIn(await createUser(app));
      assert.equal((await client.post(`/admin/users/${victim.id}/unlock`)).statusCode, 404);
      assert.ok(await throttleRow(testApp, victim.email), 'a client changes nothing');
      assert.equal((await admin.post(`/admin/users/${victim.id}/unlock`, { _csrf: null })).statusCode, 403);

      await admin.get(`/admin/users/${victim.id}`);
      const res = await admin.post(`/admin/users/${victim.id}/unlock`);
      assert.equal(res.statusCode, 303);
      assert.match((await admin.get(String(res.headers.location))).body, /Sign-in is unlocked/);
      const audit = await db
        .selectFrom('audit_events')
        .select(['actor_user_id', 'target_user_id', 'details'])
        .where('event', '=', 'login.unlocked')
        .execute();
      assert.equal(audit.length, 1);
      assert.equal(audit[0]?.actor_user_id, adminUser.id);
      assert.equal(audit[0]?.target_user_id, victim.id);
      assert.match(audit[0]?.details ?? '', /administrator/);
      assert.equal((await stranger(app).login(victim.email, victim.password)).statusCode, 303);
    });

    test('device cookies: bound to the user and the password, forged or foreign ones count as untrusted, and a device has its own bounded counter', async (t) => {
      const testApp = await buildTestApp(t, dialect, { REQUIRE_2FA: 'false' }, REAL_ARGON2);
      const { app, clock } = testApp;
      const name = deviceCookieName(testApp.config);
      const owner = await createUser(app, { twoFactor: false });
      const other = await createUser(app, { twoFactor: false });
      const browser = stranger(app);
      const signedIn = await browser.login(owner.email, owner.password);
      assert.equal(signedIn.statusCode, 303);
      assert.equal(signedIn.headers.location, '/');
      const cookie = browser.cookies.get(name) ?? '';
      assert.match(cookie, /^v1\.\d+\.[A-Za-z0-9_-]{22}\.\d+\.[A-Za-z0-9_-]{43}$/);
      assert.match(
        String(signedIn.headers['set-cookie']),
        new RegExp(`${name}=[^;]+; Max-Age=15552000; Path=/; HttpOnly; SameSite=Lax`),
      );
      await attack(app, owner.email, 10);
      await attack(app, other.email, 10);

      const withCookie = (value: string) => {
        const c = stranger(app);
        c.cookies.set(name, value);
        return c;
      };
      const tampered = cookie.replace(/.$/, (ch) => (ch === 'A' ? 'B' : 'A'));
      assert.equal(
        (await withCookie(tampered).login(owner.email, owner.password)).statusCode,
        429,
        'a tampered cookie is not trusted',
      );
      assert.equal(
        (await withCookie(cookie).login(other.email, other.password)).statusCode,
        429,
        "one user's cookie does not help another account",
      );
      assert.equal((await withCookie(cookie).login(owner.email, owner.password)).statusCode, 303);

      // Wrong passwords from the trusted device are counted on the device's own counter, with the same pauses.
      const device = withCookie(browser.cookies.get(name) ?? '');
      await device.get('/login');
      const fromDevice = await atOnce(20, async () => device.post('/login', { email: owner.email, password: WRONG }));
      assert.deepEqual(statusCounts(fromDevice), { 401: 5, 429: 15 });

      // Changing the password voids the device cookie.
      clock.advance(MAX_PAUSE_MS);
      const changer = stranger(app);
      await changer.login(owner.email, owner.password);
      await changer.get('/account/password');
      const changed = await changer.post('/account/password', {
        current_password: owner.password,
        password: NEW_PASSWORD,
        password_confirm: NEW_PASSWORD,
      });
      assert.equal(changed.statusCode, 303);
      await attack(app, owner.email, 10);
      assert.equal(
        (await withCookie(cookie).login(owner.email, NEW_PASSWORD)).statusCode,
        429,
        'the old device cookie no longer counts',
      );
      assert.equal(
        (await withCookie(changer.cookies.get(name) ?? '').login(owner.email, NEW_PASSWORD)).statusCode,
        303,
        'the browser that changed it got a new one',
      );
    });
  });
}

describe('account lockout with REDIS_URL set', async () => {
  const reachable = await redisReachable();
  for (const dialect of dialects()) {
    test(
      `[${dialect}] the reproduction holds and a reset restores access`,
      { skip: !reachable && `no Redis at ${TEST_REDIS_URL}` },
      async (t) => {
        // Its own key prefix: the per-user limiters (unlock mail, codes) are keyed by user id, which every fresh test database reuses.
        const testApp = await buildTestApp(t, dialect, redisTestEnv(t), REAL_ARGON2);
        const { owner } = await reproduction(testApp);
        const { app, db } = testApp;
        assert.deepEqual(statusCounts(await attack(app, owner.email, 40)), { 401: 5, 429: 35 });
        const client = stranger(app);
        await client.get('/forgot-password');
        await client.post('/forgot-password', { email: owner.email });
        const link = linkIn(
          (await mailsTo(db, owner.email)).find((m) => m.kind === 'reset_password'),
          '/reset-password',
        );
        await client.get(link);
        const token = new URL(link, 'http://x').searchParams.get('token') ?? '';
        assert.equal(
          (await client.post('/reset-password', { token, password: NEW_PASSWORD, password_confirm: NEW_PASSWORD }))
            .statusCode,
          303,
        );
        assert.equal((await stranger(app).signIn({ ...owner, password: NEW_PASSWORD })).headers.location, '/');
      },
    );
  }
});
