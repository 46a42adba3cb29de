import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildTestApp } from '../helpers/build-app.ts';
import { TestClient } from '../helpers/client.ts';
import { dialects } from '../helpers/dialects.ts';
import { createUser } from '../helpers/factories.ts';

for (const dialect of dialects()) {
  describe(`CSRF [${dialect}]`, () => {
    test('login refuses a missing, forged or foreign token with a friendly 403 and signs nobody in', async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      const user = await createUser(app);
      const client = new TestClient(app);
      await client.get('/login');
      const good = client.csrfToken();

      const other = new TestClient(app);
      await other.get('/login');
      const foreign = other.csrfToken();

      for (const token of [null, '', 'forged', good.slice(0, -2) + 'AA', foreign]) {
        const res = await client.post('/login', { email: user.email, password: user.password, _csrf: token });
        assert.equal(res.statusCode, 403, `token ${String(token)}`);
        assert.match(res.body, /This form has expired or was sent from another site/);
      }
      // Without the anonymous cookie, even a once-valid token is worthless.
      const noCookie = await app.inject({
        method: 'POST',
        url: '/login',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ _csrf: good, email: user.email, password: user.password }).toString(),
      });
      assert.equal(noCookie.statusCode, 403);
      assert.equal((await db.selectFrom('sessions').selectAll().execute()).length, 0);
      assert.equal(
        (await db.selectFrom('failed_logins').selectAll().execute()).length,
        0,
        'refused before any credential check',
      );

      assert.equal((await client.post('/login', { email: user.email, password: user.password })).statusCode, 303);
    });

    test('a cross-site request is refused even with a valid token', async (t) => {
      const { app } = await buildTestApp(t, dialect);
      const user = await createUser(app);
      const client = new TestClient(app);
      await client.get('/login');
      const crossSite = await client.post(
        '/login',
        { email: user.email, password: user.password },
        { 'sec-fetch-site': 'cross-site' },
      );
      assert.equal(crossSite.statusCode, 403);
      const badOrigin = await client.post(
        '/login',
        { email: user.email, password: user.password },
        { origin: 'https://evil.example' },
      );
      assert.equal(badOrigin.statusCode, 403);
      // A page sent with Referrer-Policy: no-referrer makes the browser send "Origin: null" on its forms.
      const nullFromSameSite = await client.post(
        '/login',
        { email: 'x@example.com', password: 'wrong password here' },
        { origin: 'null', 'sec-fetch-site': 'same-origin' },
      );
      assert.equal(nullFromSameSite.statusCode, 401, 'accepted past CSRF (and then refused as bad credentials)');
      const nullCrossSite = await client.post(
        '/login',
        { email: 'x@example.com', password: 'wrong password here' },
        { origin: 'null', 'sec-fetch-site': 'cross-site' },
      );
      assert.equal(nullCrossSite.statusCode, 403);
      const nullUnvouched = await client.post(
        '/login',
        { email: 'x@example.com', password: 'wrong password here' },
        { origin: 'null' },
      );
      assert.equal(
        nullUnvouched.statusCode,
        403,
        'a null origin without Sec-Fetch-Site (sandboxed frames, old browsers) is refused',
      );
      const sameOrigin = await client.post(
        '/login',
        { email: user.email, password: user.password },
        { origin: 'http://127.0.0.1:3000', 'sec-fetch-site': 'same-origin' },
      );
      assert.equal(sameOrigin.statusCode, 303);
    });

    test('logout needs the token bound to the current session; the pre-login token no longer works', async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      const user = await createUser(app);
      const client = new TestClient(app);
      await client.get('/login');
      const anonymousToken = client.csrfToken();
      await client.signIn(user);

      assert.equal((await client.post('/logout', { _csrf: null })).statusCode, 403);
      assert.equal((await client.post('/logout', { _csrf: anonymousToken })).statusCode, 403);
      assert.equal((await db.selectFrom('sessions').selectAll().execute()).length, 1, 'still signed in');

      // A logout GET changes nothing.
      assert.equal((await client.get('/logout')).statusCode, 404);
      assert.equal((await db.selectFrom('sessions').selectAll().execute()).length, 1);

      await client.get('/');
      const out = await client.post('/logout');
      assert.equal(out.statusCode, 303);
      assert.equal(out.headers.location, '/login');
      assert.equal((await db.selectFrom('sessions').selectAll().execute()).length, 0);
      const after = await client.get('/login');
      assert.match(after.body, /You have signed out/);
    });

    test('a token sent in the x-csrf-token header is accepted (for scripts that enhance forms)', async (t) => {
      const { app } = await buildTestApp(t, dialect);
      const user = await createUser(app);
      const client = new TestClient(app);
      await client.signIn(user);
      await client.get('/');
      const token = client.csrfToken();
      const res = await client.request({ method: 'POST', url: '/logout', headers: { 'x-csrf-token': token } });
      assert.equal(res.statusCode, 303);
    });
  });
}
