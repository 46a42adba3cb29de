import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Dialect } from '../../src/db/connect.ts';
import { generateRecoveryCodes, replaceRecoveryCodes } from '../../src/features/two-factor/recovery-codes.ts';
import { currentTotp } from '../../src/features/two-factor/totp.ts';
import { buildTestApp } from '../helpers/build-app.ts';
import { TestClient } from '../helpers/client.ts';
import { dialects } from '../helpers/dialects.ts';
import { createUser, type TestUser, countTokens } from '../helpers/factories.ts';
import { atOnce, statusCounts } from '../helpers/parallel.ts';
import { linkIn, mailsTo } from '../helpers/mail.ts';
import { redisReachable, redisTestEnv } from '../helpers/redis.ts';

const N = 100;

interface Setup {
  label: string;
  dialect: Dialect;
  redis: boolean;
}

async function build(t: TestContext, setup: Setup, env: Record<string, string> = {}) {
  // Real argon2, not the tests' fast hasher: the requests fired at once must meet the limits while the admitted
  // ones are still in their password check, which only argon2's real time keeps open.
  return buildTestApp(t, setup.dialect, { ...env, ...(setup.redis ? redisTestEnv(t) : {}) }, { hasher: 'argon2' });
}

/** Counts argon2 verifications from now on: each one is a password check the limits let through. */
function countVerifications(app: FastifyInstance): () => number {
  let count = 0;
  const verify = app.hasher.verify.bind(app.hasher);
  app.hasher.verify = async (stored, password) => {
    count += 1;
    return verify(stored, password);
  };
  return () => count;
}

/** POSTs a form with the client's cookies and CSRF token, optionally from another address. */
function post(
  client: TestClient,
  url: string,
  fields: Record<string, string>,
  remoteAddress?: string,
): Promise<LightMyRequestResponse> {
  return client.request({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ _csrf: client.csrfToken(), ...fields }).toString(),
    ...(remoteAddress ? { remoteAddress } : {}),
  });
}

/** A six-digit code the user's authenticator does not show now, nor one step before or after. */
function wrongTotp(user: TestUser, now: number, i: number): string {
  const valid = new Set([-30_000, 0, 30_000].map((d) => currentTotp(user.totpSecret ?? '', now + d)));
  for (let n = i * 7919; ; n += 1) {
    const code = String(n % 1_000_000).padStart(6, '0');
    if (!valid.has(code)) {
      return code;
    }
  }
}

const count = (responses: LightMyRequestResponse[], pattern: RegExp) =>
  responses.filter((r) => pattern.test(r.body)).length;

describe('every limit admits at most its configured attempts when 100 arrive at once', async () => {
  const setups: Setup[] = dialects().map((dialect) => ({ label: dialect, dialect, redis: false }));
  if (await redisReachable()) {
    setups.push({ label: 'sqlite + REDIS_URL', dialect: 'sqlite', redis: true });
  }

  for (const setup of setups) {
    test(`login per IP: 99 wrong passwords and the right one at once from one IPv6 /64 give at most 5 checks, and the right password is then refused [${setup.label}]`, async (t) => {
      const { app } = await build(t, setup);
      const points = app.limits.loginIp.rule.points;
      const user = await createUser(app);
      const verifications = countVerifications(app);
      const client = new TestClient(app);
      await client.get('/login');
      const from = (i: number) => `2001:db8:7:1:${(i + 1).toString(16)}::1`;
      const responses = await atOnce(N, (i) =>
        post(
          client,
          '/login',
          i === N / 2
            ? { email: user.email, password: user.password }
            : { email: `stuffed${i}@example.com`, password: 'a wrong password guess' },
          from(i),
        ),
      );
      const statuses = statusCounts(responses);
      const signedIn = responses.filter((r) => r.statusCode === 303).length;
      assert.deepEqual(
        Object.keys(statuses).sort(),
        Object.keys(statuses)
          .filter((s) => ['303', '401', '429'].includes(s))
          .sort(),
        JSON.stringify(statuses),
      );
      assert.ok(
        (statuses[401] ?? 0) <= points && (statuses[401] ?? 0) >= points - 1,
        `${points} failures were checked: ${JSON.stringify(statuses)}`,
      );
      assert.ok(signedIn <= 1);
      assert.ok(verifications() <= points + signedIn, `argon2 ran ${verifications()} times`);
      assert.ok((statuses[429] ?? 0) >= N - points - 1, JSON.stringify(statuses));
      // The reproduction: once the budget is spent, the right password is refused too, from any address of the /64.
      assert.equal(
        (await post(client, '/login', { email: user.email, password: user.password }, '2001:db8:7:1:ffff::9'))
          .statusCode,
        429,
      );
      const elsewhere = new TestClient(app, { remoteAddress: '2001:db8:7:2::1' });
      assert.equal(
        (await elsewhere.login(user.email, user.password)).statusCode,
        303,
        'the next /64 is another client',
      );
    });

    for (const kind of ['TOTP code', 'recovery code'] as const) {
      test(`${kind} per account: 99 wrong and the right one at once give at most 5 checks [${setup.label}]`, async (t) => {
        const { app, clock, config, db } = await build(t, setup);
        const points = app.limits.secondFactorAccount.rule.points;
        const user = await createUser(app);
        const [recovery = ''] = await replaceRecoveryCodes(db, config.secretKey, user.id, clock.now());
        const client = new TestClient(app);
        await client.login(user.email, user.password);
        await client.get('/login/two-factor');
        const now = clock.now();
        const wrong =
          kind === 'TOTP code' ? (i: number) => wrongTotp(user, now, i) : () => generateRecoveryCodes()[0] ?? '';
        const right = kind === 'TOTP code' ? currentTotp(user.totpSecret ?? '', now) : recovery;
        const responses = await atOnce(N, (i) =>
          post(client, '/login/two-factor', { code: i === N / 2 ? right : wrong(i) }),
        );
        const statuses = statusCounts(responses);
        assert.ok(
          (statuses[401] ?? 0) <= points && (statuses[401] ?? 0) >= points - 1,
          `${points} wrong codes were checked: ${JSON.stringify(statuses)}`,
        );
        assert.ok(responses.filter((r) => r.statusCode === 303 && r.headers.location === '/').length <= 1);
        assert.ok((statuses[429] ?? 0) >= N - points - 1 - (statuses[303] ?? 0), JSON.stringify(statuses));
        const again = new TestClient(app);
        await again.login(user.email, user.password);
        await again.get('/login/two-factor');
        assert.equal(
          (await again.post('/login/two-factor', { code: again.nextCode(user.totpSecret ?? '') })).statusCode,
          429,
          'the budget is spent for the right code too',
        );
      });
    }

    test(`code checks per IP: 100 wrong codes at once for 8 accounts from one IP give at most 30 checks, at most 5 per account [${setup.label}]`, async (t) => {
      const { app, clock } = await build(t, setup);
      const perIp = app.limits.secondFactorIp.rule.points;
      const perAccount = app.limits.secondFactorAccount.rule.points;
      const users = await Promise.all(Array.from({ length: 8 }, () => createUser(app)));
      const clients = users.map((user) => ({ user, client: new TestClient(app) }));
      for (const { user, client } of clients) {
        await client.login(user.email, user.password);
        await client.get('/login/two-factor');
      }
      const now = clock.now();
      const responses = await atOnce(N, (i) => {
        const { user, client } = clients[i % clients.length] as (typeof clients)[number];
        return post(client, '/login/two-factor', { code: wrongTotp(user, now, i) });
      });
      assert.equal(statusCounts(responses)[401], perIp, JSON.stringify(statusCounts(responses)));
      for (let c = 0; c < clients.length; c++) {
        assert.ok(responses.filter((r, i) => i % clients.length === c && r.statusCode === 401).length <= perAccount);
      }
      assert.equal((statusCounts(responses)[401] ?? 0) + (statusCounts(responses)[429] ?? 0), N);
    });

    test(`/reauth: 99 wrong passwords and the right one at once give at most 5 password checks [${setup.label}]`, async (t) => {
      const { app } = await build(t, setup);
      const points = app.limits.currentPassword.rule.points;
      const user = await createUser(app);
      const client = new TestClient(app);
      await client.signIn(user);
      await client.get('/reauth');
      const code = client.nextCode(user.totpSecret ?? '');
      const verifications = countVerifications(app);
      const responses = await atOnce(N, (i) =>
        post(
          client,
          '/reauth',
          i === N / 2 ? { password: user.password, code } : { password: `wrong password ${i}`, code },
        ),
      );
      const statuses = statusCounts(responses);
      assert.ok((statuses[401] ?? 0) <= points && (statuses[401] ?? 0) >= points - 1, JSON.stringify(statuses));
      assert.ok(verifications() <= points + 1, `argon2 ran ${verifications()} times`);
      assert.ok((statuses[429] ?? 0) >= N - points - 1, JSON.stringify(statuses));
    });

    for (const route of ['/account/password', '/account/email'] as const) {
      test(`${route} (new limit): 99 wrong current passwords and the right one at once give at most 5 checks [${setup.label}]`, async (t) => {
        const { app } = await build(t, setup);
        const points = app.limits.currentPassword.rule.points;
        const user = await createUser(app);
        const client = new TestClient(app);
        await client.signIn(user);
        await client.get('/account');
        const verifications = countVerifications(app);
        // The right password comes with a mismatched confirmation (or an address), so the account stays as it is.
        const fields = (password: string): Record<string, string> =>
          route === '/account/password'
            ? { current_password: password, password: 'a brand new passphrase 1', password_confirm: 'does not match' }
            : { current_password: password, email: 'new.address@example.com' };
        const responses = await atOnce(N, (i) =>
          post(client, route, fields(i === N / 2 ? user.password : `wrong password ${i}`)),
        );
        const statuses = statusCounts(responses);
        const wrongChecked = count(responses, /Your current password is not correct/);
        assert.ok(
          wrongChecked <= points && wrongChecked >= points - 1,
          `${wrongChecked} wrong passwords checked: ${JSON.stringify(statuses)}`,
        );
        assert.ok(verifications() <= points + 1, `argon2 ran ${verifications()} times`);
        assert.ok((statuses[429] ?? 0) >= N - points - 1, JSON.stringify(statuses));
        assert.equal(
          (await post(client, route, fields(user.password))).statusCode,
          429,
          'the budget is spent for the right password too',
        );
      });
    }

    test(`a completed password reset clears the spent current-password budget [${setup.label}]`, async (t) => {
      const { app, db } = await build(t, setup);
      const user = await createUser(app);
      const client = new TestClient(app);
      await client.signIn(user);
      await client.get('/account');
      const points = app.limits.currentPassword.rule.points;
      for (let i = 0; i <= points; i++) {
        await post(client, '/account/email', {
          current_password: `wrong password ${i}`,
          email: 'new.address@example.com',
        });
      }
      assert.equal(
        (await post(client, '/account/email', { current_password: user.password, email: 'new.address@example.com' }))
          .statusCode,
        429,
      );
      const resetter = new TestClient(app);
      await resetter.get('/forgot-password');
      await resetter.post('/forgot-password', { email: user.email });
      const token =
        new URL(linkIn((await mailsTo(db, user.email)).at(-1), '/reset-password'), 'http://x').searchParams.get(
          'token',
        ) ?? '';
      await resetter.get(`/reset-password?token=${token}`);
      const password = 'a fresh passphrase after reset';
      assert.equal(
        (await resetter.post('/reset-password', { token, password, password_confirm: password })).statusCode,
        303,
      );
      const again = new TestClient(app);
      await again.signIn({ ...user, password });
      await again.get('/account');
      assert.equal(
        (await post(again, '/account/email', { current_password: password, email: 'new.address@example.com' }))
          .statusCode,
        303,
      );
    });

    test(`password reset per IP: 100 requests at once, at most 20 answered [${setup.label}]`, async (t) => {
      const { app } = await build(t, setup);
      const client = new TestClient(app);
      await client.get('/forgot-password');
      const responses = await atOnce(N, (i) => post(client, '/forgot-password', { email: `someone${i}@example.com` }));
      const statuses = statusCounts(responses);
      assert.equal(statuses[200], app.limits.resetIp.rule.points, JSON.stringify(statuses));
      assert.equal((statuses[200] ?? 0) + (statuses[429] ?? 0), N);
    });

    test(`password reset per address: 100 requests for one address from 100 IPs at once send at most 3 links [${setup.label}]`, async (t) => {
      const { app, db } = await build(t, setup);
      const user = await createUser(app);
      const client = new TestClient(app);
      await client.get('/forgot-password');
      const responses = await atOnce(N, (i) =>
        post(client, '/forgot-password', { email: user.email }, `198.51.100.${i + 1}`),
      );
      assert.deepEqual(statusCounts(responses), { 200: N }, 'the answer looks the same over the limit');
      assert.equal(await countTokens(db, user.id, 'reset_password'), app.limits.resetAddress.rule.points);
    });

    test(`registration per IP: 100 sign-ups at once create at most 10 accounts [${setup.label}]`, async (t) => {
      const { app, db } = await build(t, setup);
      const client = new TestClient(app);
      await client.get('/register');
      const password = 'a long registration passphrase';
      const responses = await atOnce(N, (i) =>
        post(client, '/register', { email: `newcomer${i}@example.com`, password, password_confirm: password }),
      );
      const statuses = statusCounts(responses);
      const points = app.limits.registrationIp.rule.points;
      assert.equal(statuses[200], points, JSON.stringify(statuses));
      assert.equal((statuses[200] ?? 0) + (statuses[429] ?? 0), N);
      const created = await db.selectFrom('users').select('id').where('email', 'like', 'newcomer%').execute();
      assert.equal(created.length, statuses[200] ?? 0);
    });

    test(`verification resend: 100 requests at once send at most 3 links (was: count sent tokens, then insert) [${setup.label}]`, async (t) => {
      const { app, db } = await build(t, setup);
      const user = await createUser(app, { verified: false });
      const client = new TestClient(app);
      await client.login(user.email, user.password);
      await client.get('/verify-email/pending');
      const responses = await atOnce(N, () => post(client, '/verify-email/resend', {}));
      assert.deepEqual(statusCounts(responses), { 303: N });
      assert.equal(await countTokens(db, user.id, 'verify_email'), app.limits.verificationResend.rule.points);
    });
  }
});
