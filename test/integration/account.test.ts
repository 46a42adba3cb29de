import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildTestApp } from '../helpers/build-app.ts';
import { TestClient } from '../helpers/client.ts';
import { dialects } from '../helpers/dialects.ts';
import { createUser } from '../helpers/factories.ts';
import { linkIn, mailsTo } from '../helpers/mail.ts';

const NEW_PASSWORD = 'violet canyon paper kite';
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0';

for (const dialect of dialects()) {
  describe(`account page [${dialect}]`, () => {
    test('changing the password needs the current one, ends other sessions and rotates this one', async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      const user = await createUser(app);
      const other = new TestClient(app);
      await other.signIn(user);
      const client = new TestClient(app);
      await client.signIn(user);
      const before = client.cookies.get('parapet_session');
      await client.get('/account');

      const wrong = await client.post('/account/password', {
        current_password: 'not it at all',
        password: NEW_PASSWORD,
        password_confirm: NEW_PASSWORD,
      });
      assert.equal(wrong.statusCode, 400);
      assert.match(wrong.body, /current password is not correct/);

      const ok = await client.post('/account/password', {
        current_password: user.password,
        password: NEW_PASSWORD,
        password_confirm: NEW_PASSWORD,
      });
      assert.equal(ok.statusCode, 303);
      assert.notEqual(client.cookies.get('parapet_session'), before);
      assert.match((await client.get('/account')).body, /Your password has been changed/);
      assert.doesNotMatch((await other.get('/')).body, /You are signed in/);
      assert.deepEqual(
        (await mailsTo(db, user.email)).map((m) => m.kind),
        ['password_changed'],
      );
      assert.equal((await new TestClient(app).login(user.email, NEW_PASSWORD)).statusCode, 303);
    });

    test('changing the email takes effect only when the new address is confirmed', async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      const user = await createUser(app, { email: 'old@example.com' });
      const client = new TestClient(app);
      await client.signIn(user);
      await client.get('/account');

      const noPassword = await client.post('/account/email', {
        email: 'new@example.com',
        current_password: 'wrong password here',
      });
      assert.equal(noPassword.statusCode, 400);
      assert.equal((await mailsTo(db, 'new@example.com')).length, 0);

      const res = await client.post('/account/email', { email: 'New@Example.com', current_password: user.password });
      assert.equal(res.statusCode, 303);
      assert.match((await client.get('/account')).body, /We sent a confirmation link to/);
      assert.equal(
        (await db.selectFrom('users').select('email').where('id', '=', user.id).executeTakeFirstOrThrow()).email,
        'old@example.com',
      );
      assert.deepEqual(
        (await mailsTo(db, 'old@example.com')).map((m) => m.kind),
        ['email_change_notice'],
      );
      const link = linkIn((await mailsTo(db, 'new@example.com'))[0], '/confirm-email-change');

      assert.equal((await client.get(link)).statusCode, 200);
      const token = new URL(link, 'http://x').searchParams.get('token') ?? '';
      assert.equal((await client.post('/confirm-email-change', { token })).statusCode, 303);
      assert.equal(
        (await db.selectFrom('users').select('email').where('id', '=', user.id).executeTakeFirstOrThrow()).email,
        'new@example.com',
      );
      assert.equal((await new TestClient(app).login('new@example.com', user.password)).statusCode, 303);
      assert.equal((await new TestClient(app).login('old@example.com', user.password)).statusCode, 401);
    });

    test('an address taken before confirmation is not stolen', async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      const user = await createUser(app, { email: 'me@example.com' });
      const client = new TestClient(app);
      await client.signIn(user);
      await client.get('/account');
      await client.post('/account/email', { email: 'wanted@example.com', current_password: user.password });
      await createUser(app, { email: 'wanted@example.com' });
      const token =
        new URL(
          linkIn((await mailsTo(db, 'wanted@example.com'))[0], '/confirm-email-change'),
          'http://x',
        ).searchParams.get('token') ?? '';
      await client.get('/account');
      assert.equal((await client.post('/confirm-email-change', { token })).statusCode, 409);
      assert.equal(
        (await db.selectFrom('users').select('email').where('id', '=', user.id).executeTakeFirstOrThrow()).email,
        'me@example.com',
      );
    });

    test('the session list shows each device and can end one or all others, never another user’s', async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      const user = await createUser(app);
      const stranger = await createUser(app);
      const phone = new TestClient(app, { headers: { 'user-agent': FIREFOX } });
      await phone.signIn(user);
      const laptop = new TestClient(app);
      await laptop.signIn(user);
      const strangerClient = new TestClient(app);
      await strangerClient.signIn(stranger);

      const page = await laptop.get('/account');
      assert.match(page.body, /Firefox on Linux/);
      assert.match(page.body, /This session/);
      const refs = [...page.body.matchAll(/action="\/account\/sessions\/([A-Za-z0-9_-]{22})\/revoke"/g)].map(
        (m) => m[1],
      );
      assert.equal(refs.length, 1, 'only the other session has a sign-out button');
      assert.ok(
        !page.body.includes(String((await db.selectFrom('sessions').select('id').executeTakeFirstOrThrow()).id)),
        'session ids never reach the page',
      );

      // The stranger cannot end the user's session with its reference.
      const strangerPage = await strangerClient.get('/account');
      assert.equal(strangerPage.statusCode, 200);
      assert.equal((await strangerClient.post(`/account/sessions/${refs[0]}/revoke`)).statusCode, 404);
      assert.equal((await laptop.post('/account/sessions/AAAAAAAAAAAAAAAAAAAAAA/revoke')).statusCode, 404);
      assert.equal((await laptop.post('/account/sessions/not-a-ref/revoke')).statusCode, 400);
      assert.match((await phone.get('/')).body, /You are signed in/);

      await laptop.get('/account');
      assert.equal((await laptop.post(`/account/sessions/${refs[0]}/revoke`)).statusCode, 303);
      assert.doesNotMatch((await phone.get('/')).body, /You are signed in/);
      assert.match((await laptop.get('/')).body, /You are signed in/);

      await phone.signIn(user);
      await laptop.get('/account');
      assert.equal((await laptop.post('/account/sessions/revoke-others')).statusCode, 303);
      assert.doesNotMatch((await phone.get('/')).body, /You are signed in/);
      assert.match((await strangerClient.get('/')).body, /You are signed in/, 'other users are untouched');
      assert.equal((await db.selectFrom('sessions').selectAll().where('user_id', '=', user.id).execute()).length, 1);
    });

    test('the account page and its actions need a signed-in user and a CSRF token', async (t) => {
      const { app } = await buildTestApp(t, dialect);
      const anonymous = new TestClient(app);
      assert.equal((await anonymous.get('/account')).headers.location, '/login?next=%2Faccount');
      await anonymous.get('/login');
      assert.equal(
        (await anonymous.post('/account/password', { current_password: 'x', password: 'y', password_confirm: 'y' }))
          .statusCode,
        401,
      );
      const user = await createUser(app);
      const client = new TestClient(app);
      await client.signIn(user);
      await client.get('/account');
      assert.equal(
        (
          await client.post('/account/password', {
            current_password: user.password,
            password: NEW_PASSWORD,
            password_confirm: NEW_PASSWORD,
            _csrf: null,
          })
        ).statusCode,
        403,
      );
      assert.equal((await client.post('/account/sessions/revoke-others', { _csrf: 'forged' })).statusCode, 403);
    });
    test('ticket emails can be switched off and on from the account page', async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      const user = await createUser(app);
      const client = new TestClient(app);
      await client.signIn(user);
      const page = await client.get('/account');
      assert.match(page.body, /Turn ticket emails off/);
      assert.match(page.body, /Manage two-factor authentication/);
      assert.equal((await client.post('/account/notifications', { notify_tickets: '0' })).statusCode, 303);
      assert.equal(
        (await db.selectFrom('users').select('notify_tickets').where('id', '=', user.id).executeTakeFirstOrThrow())
          .notify_tickets,
        0,
      );
      assert.match((await client.get('/account')).body, /Turn ticket emails on/);
      assert.equal((await client.post('/account/notifications', { notify_tickets: 'yes' })).statusCode, 400);
      assert.equal((await client.post('/account/notifications', { notify_tickets: '1', _csrf: null })).statusCode, 403);
      await client.get('/account');
      assert.equal((await client.post('/account/notifications', { notify_tickets: '1' })).statusCode, 303);
      assert.equal(
        (await db.selectFrom('users').select('notify_tickets').where('id', '=', user.id).executeTakeFirstOrThrow())
          .notify_tickets,
        1,
      );
    });
  });
}
