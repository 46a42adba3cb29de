import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CHECK_EMAIL_MESSAGE } from '../../src/features/accounts/registration.routes.ts';
import { buildTestApp } from '../helpers/build-app.ts';
import { TestClient } from '../helpers/client.ts';
import { dialects } from '../helpers/dialects.ts';
import { createUser } from '../helpers/factories.ts';
import { linkIn, mailsTo } from '../helpers/mail.ts';

const PASSWORD = 'tangerine lighthouse orbit';
const HOUR = 3_600_000;

async function register(client: TestClient, email: string, password = PASSWORD, extra: Record<string, string> = {}) {
  await client.get('/register');
  return client.post('/register', { email, password, password_confirm: password, ...extra });
}

for (const dialect of dialects()) {
  describe(`registration and email verification [${dialect}]`, () => {
    test('a visitor registers from the login page, verifies by email and signs in', async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      const client = new TestClient(app);
      const login = await client.get('/');
      assert.match(login.body, /href="\/register"/);

      const res = await register(client, '  New.Client@Example.COM ');
      assert.equal(res.statusCode, 200);
      assert.ok(res.body.includes(CHECK_EMAIL_MESSAGE));
      const user = await db
        .selectFrom('users')
        .selectAll()
        .where('email', '=', 'new.client@example.com')
        .executeTakeFirstOrThrow();
      assert.equal(user.role, 'client');
      assert.equal(user.email_verified_at, null);

      const [mail] = await mailsTo(db, 'new.client@example.com');
      assert.equal(mail?.kind, 'verify_email');
      assert.ok(mail.html_body.length > 0 && mail.text_body.length > 0, 'HTML and text parts');
      const link = linkIn(mail, '/verify-email');
      const token = new URL(link, 'http://x').searchParams.get('token') ?? '';
      assert.ok(Buffer.from(token, 'base64url').length >= 16);
      const stored = await db.selectFrom('user_tokens').select('token_hash').executeTakeFirstOrThrow();
      assert.notEqual(stored.token_hash, token, 'only the hash is stored');

      // Unverified: the password works but only reaches the "verify your email" page.
      const signIn = await client.login('new.client@example.com', PASSWORD);
      assert.equal(signIn.headers.location, '/verify-email/pending');
      assert.match((await client.get('/verify-email/pending')).body, /Verify your email/);
      assert.equal((await client.get('/')).headers.location, '/verify-email/pending');
      assert.equal((await client.get('/account')).statusCode, 303, 'the account page is out of reach');

      // Opening the link changes nothing by itself (mail scanners fetch links); the button does.
      const page = await client.get(link);
      assert.equal(page.headers['referrer-policy'], 'no-referrer');
      assert.match(page.body, /Confirm my email address/);
      assert.equal(
        (await db.selectFrom('users').select('email_verified_at').where('id', '=', user.id).executeTakeFirstOrThrow())
          .email_verified_at,
        null,
      );
      const confirm = await client.post('/verify-email', { token });
      assert.equal(confirm.statusCode, 303);
      assert.notEqual(
        (await db.selectFrom('users').select('email_verified_at').where('id', '=', user.id).executeTakeFirstOrThrow())
          .email_verified_at,
        null,
      );

      // The link is single-use.
      const reused = await client.get(link);
      assert.equal(reused.statusCode, 400);
      assert.match(reused.body, /invalid, has already been used, or has expired/);
      await client.get('/login');
      assert.equal((await client.post('/verify-email', { token })).statusCode, 400);

      // Verified: the password now leads to the mandatory authenticator setup (two-factor tests go on from there).
      assert.equal((await client.login('new.client@example.com', PASSWORD)).headers.location, '/two-factor/setup');
    });

    test('registering an existing address looks exactly like a new one and emails the owner instead', async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      const owner = await createUser(app, { email: 'taken@example.com' });
      const existing = await register(new TestClient(app), 'taken@example.com');
      const fresh = await register(new TestClient(app), 'fresh@example.com');
      assert.equal(existing.statusCode, fresh.statusCode);
      const strip = (body: string) => body.replace(/value="[^"]*"/g, '');
      assert.equal(strip(existing.body), strip(fresh.body));

      const mails = await mailsTo(db, 'taken@example.com');
      assert.deepEqual(
        mails.map((m) => m.kind),
        ['registration_attempt'],
      );
      assert.match(mails[0]?.text_body ?? '', /forgot-password/);
      const stillOne = await db.selectFrom('users').selectAll().where('email', '=', 'taken@example.com').execute();
      assert.equal(stillOne.length, 1);
      assert.equal(stillOne[0]?.password_hash, owner.password_hash, 'the owner’s password is untouched');
    });

    test('a registrant cannot choose a role', async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      const res = await register(new TestClient(app), 'climber@example.com', PASSWORD, { role: 'administrator' });
      assert.ok(res.statusCode < 500);
      const users = await db.selectFrom('users').select('role').where('email', '=', 'climber@example.com').execute();
      assert.ok(users.every((u) => u.role === 'client'));
    });

    test('the password policy refuses weak passwords with a reason and keeps the email', async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      const cases: Array<[string, string, RegExp]> = [
        ['short pw', 'short pw', /at least 12 characters/],
        ['password1234', 'password1234', /too common/],
        ['iloveyou1234', 'iloveyou1234', /too common/],
        ['my parapet password', 'my parapet password', /name of this service/],
        ['jane.doe is my password', 'jane.doe is my password', /your email address/],
        [PASSWORD, `${PASSWORD} typo`, /not the same/],
      ];
      for (const [password, confirm, reason] of cases) {
        const client = new TestClient(app);
        await client.get('/register');
        const res = await client.post('/register', {
          email: 'jane.doe@example.com',
          password,
          password_confirm: confirm,
        });
        assert.equal(res.statusCode, 400, password);
        assert.match(res.body, reason);
        assert.match(res.body, /value="jane\.doe@example\.com"/);
      }
      const long = 'søren kierkegaard wrote either/or in 1843, '.repeat(2);
      assert.equal(
        (await register(new TestClient(app), 'long@example.com', long)).statusCode,
        200,
        'long passwords are welcome',
      );
      assert.equal(
        (await db.selectFrom('users').selectAll().where('email', '=', 'jane.doe@example.com').execute()).length,
        0,
      );
      for (const bad of ['not-an-email', 'a@b', '<script>@x.com', `${'a'.repeat(250)}@example.com`]) {
        const res = await register(new TestClient(app), bad);
        assert.equal(res.statusCode, 400, bad);
      }
      assert.equal((await db.selectFrom('mail_outbox').selectAll().execute()).length, 1);
    });

    test('verification links expire after 24 hours; a new one can be requested, within limits', async (t) => {
      const { app, db, clock } = await buildTestApp(t, dialect);
      const client = new TestClient(app);
      await register(client, 'late@example.com');
      const oldLink = linkIn((await mailsTo(db, 'late@example.com'))[0], '/verify-email');
      clock.advance(25 * HOUR);
      assert.equal((await client.get(oldLink)).statusCode, 400);

      await client.login('late@example.com', PASSWORD);
      await client.get('/verify-email/pending');
      for (let i = 0; i < 3; i++) {
        const res = await client.post('/verify-email/resend');
        assert.equal(res.statusCode, 303);
      }
      const flooded = await client.post('/verify-email/resend');
      assert.equal(flooded.statusCode, 303);
      assert.match((await client.get('/verify-email/pending')).body, /sent several links already/);
      const mails = await mailsTo(db, 'late@example.com');
      assert.equal(mails.length, 4, 'the original and three resends');

      // Only the newest link works.
      const second = linkIn(mails[1], '/verify-email');
      const newest = linkIn(mails[3], '/verify-email');
      assert.equal((await client.get(second)).statusCode, 400);
      assert.equal((await client.get(newest)).statusCode, 200);
      const token = new URL(newest, 'http://x').searchParams.get('token') ?? '';
      assert.equal((await client.post('/verify-email', { token })).statusCode, 303);
      assert.equal(client.cookies.has('parapet_session'), false, 'the half-signed-in session ended');
    });

    test('registration is rate limited per IP', async (t) => {
      const { app } = await buildTestApp(t, dialect);
      for (let i = 0; i < 10; i++) {
        assert.equal((await register(new TestClient(app), `bulk${i}@example.com`)).statusCode, 200);
      }
      const limited = await register(new TestClient(app), 'bulk10@example.com');
      assert.equal(limited.statusCode, 429);
      assert.ok(Number(limited.headers['retry-after']) > 0);
    });

    test('verify and resend refuse missing CSRF tokens', async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      const client = new TestClient(app);
      await register(client, 'csrf@example.com');
      const token =
        new URL(linkIn((await mailsTo(db, 'csrf@example.com'))[0], '/verify-email'), 'http://x').searchParams.get(
          'token',
        ) ?? '';
      assert.equal((await client.post('/verify-email', { token, _csrf: null })).statusCode, 403);
      assert.equal(
        (
          await client.post('/register', {
            email: 'x@example.com',
            password: PASSWORD,
            password_confirm: PASSWORD,
            _csrf: 'nope',
          })
        ).statusCode,
        403,
      );
      assert.equal(
        (await db.selectFrom('users').select('email_verified_at').executeTakeFirstOrThrow()).email_verified_at,
        null,
      );
    });
  });
}
