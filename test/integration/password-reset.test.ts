import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RESET_SENT_MESSAGE } from '../../src/features/accounts/password-reset.routes.ts';
import { buildTestApp } from '../helpers/build-app.ts';
import { TestClient } from '../helpers/client.ts';
import { dialects } from '../helpers/dialects.ts';
import { createUser } from '../helpers/factories.ts';
import { linkIn, mailsTo } from '../helpers/mail.ts';

const NEW_PASSWORD = 'brand new quiet harbour';

async function requestReset(client: TestClient, email: string) {
  await client.get('/forgot-password');
  return client.post('/forgot-password', { email });
}

for (const dialect of dialects()) {
  describe(`password reset [${dialect}]`, () => {
    test('known and unknown addresses get the same answer; only the known one gets mail', async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      const user = await createUser(app);
      assert.match((await new TestClient(app).get('/login')).body, /href="\/forgot-password"/);
      const known = await requestReset(new TestClient(app), user.email);
      const unknown = await requestReset(new TestClient(app), 'ghost@example.com');
      assert.equal(known.statusCode, 200);
      assert.equal(unknown.statusCode, known.statusCode);
      const strip = (body: string) => body.replace(/value="[^"]*"/g, '');
      assert.equal(strip(known.body), strip(unknown.body));
      assert.ok(known.body.includes(RESET_SENT_MESSAGE));
      assert.deepEqual(
        (await mailsTo(db, user.email)).map((m) => m.kind),
        ['reset_password'],
      );
      assert.equal((await mailsTo(db, 'ghost@example.com')).length, 0);
    });

    test('the link sets a new password once, ends every session and sends a notice', async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      const user = await createUser(app);
      const earlier = new TestClient(app);
      await earlier.signIn(user);
      assert.match((await earlier.get('/')).body, /You are signed in/);

      const client = new TestClient(app);
      await requestReset(client, user.email);
      const link = linkIn((await mailsTo(db, user.email))[0], '/reset-password');
      const page = await client.get(link);
      assert.equal(page.statusCode, 200);
      assert.equal(page.headers['referrer-policy'], 'no-referrer');
      const token = new URL(link, 'http://x').searchParams.get('token') ?? '';

      const weak = await client.post('/reset-password', {
        token,
        password: 'password1234',
        password_confirm: 'password1234',
      });
      assert.equal(weak.statusCode, 400);
      assert.match(weak.body, /too common/);

      const done = await client.post('/reset-password', {
        token,
        password: NEW_PASSWORD,
        password_confirm: NEW_PASSWORD,
      });
      assert.equal(done.statusCode, 303);
      assert.equal(done.headers.location, '/login');
      assert.equal(client.cookies.has('parapet_session'), false, 'not signed in automatically');

      assert.doesNotMatch((await earlier.get('/')).body, /You are signed in/, 'the earlier session ended');
      assert.equal(
        (await new TestClient(app).login(user.email, user.password)).statusCode,
        401,
        'the old password stops working',
      );
      assert.equal((await new TestClient(app).login(user.email, NEW_PASSWORD)).statusCode, 303);
      assert.deepEqual(
        (await mailsTo(db, user.email)).map((m) => m.kind),
        ['reset_password', 'password_changed'],
      );

      await client.get('/login');
      const again = await client.post('/reset-password', {
        token,
        password: 'yet another fine password',
        password_confirm: 'yet another fine password',
      });
      assert.equal(again.statusCode, 400, 'a used link fails');
      assert.equal((await client.get(link)).statusCode, 400);
    });

    test('reset links expire after an hour, and a newer link voids the older one', async (t) => {
      const { app, db, clock } = await buildTestApp(t, dialect);
      const user = await createUser(app);
      await requestReset(new TestClient(app), user.email);
      await requestReset(new TestClient(app), user.email);
      const [first, second] = await mailsTo(db, user.email);
      assert.equal((await new TestClient(app).get(linkIn(first, '/reset-password'))).statusCode, 400);
      assert.equal((await new TestClient(app).get(linkIn(second, '/reset-password'))).statusCode, 200);
      clock.advance(61 * 60_000);
      assert.equal((await new TestClient(app).get(linkIn(second, '/reset-password'))).statusCode, 400);
    });

    test('requests are limited per address (silently) and per IP (429)', async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      const user = await createUser(app);
      for (let i = 0; i < 5; i++) {
        assert.equal((await requestReset(new TestClient(app), user.email)).statusCode, 200);
      }
      assert.equal((await mailsTo(db, user.email)).length, 3, 'no more than 3 emails an hour to one address');
      for (let i = 0; i < 15; i++) {
        await requestReset(new TestClient(app), `other${i}@example.com`);
      }
      const limited = await requestReset(new TestClient(app), 'one-more@example.com');
      assert.equal(limited.statusCode, 429);
      assert.ok(Number(limited.headers['retry-after']) > 0);
      assert.match(limited.body, /Too many attempts/);
    });

    test('bad input: forged tokens, missing CSRF, malformed email', async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      const user = await createUser(app);
      const client = new TestClient(app);
      for (const token of ['', 'x', 'A'.repeat(43), "' OR 1=1 --"]) {
        assert.equal((await client.get(`/reset-password?token=${encodeURIComponent(token)}`)).statusCode, 400);
      }
      await client.get('/forgot-password');
      assert.equal((await client.post('/forgot-password', { email: user.email, _csrf: null })).statusCode, 403);
      assert.equal((await client.post('/forgot-password', { email: 'nope' })).statusCode, 400);
      assert.equal((await db.selectFrom('mail_outbox').selectAll().execute()).length, 0);
    });
  });
}
