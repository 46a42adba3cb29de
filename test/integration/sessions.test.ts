import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { purgeExpiredSessions } from '../../src/db/session.repository.ts';
import { buildTestApp } from '../helpers/build-app.ts';
import { TestClient } from '../helpers/client.ts';
import { dialects } from '../helpers/dialects.ts';
import { createUser } from '../helpers/factories.ts';

const MINUTE = 60_000;

for (const dialect of dialects()) {
  describe(`sessions [${dialect}]`, () => {
    test('an idle session ends after SESSION_IDLE_MINUTES; activity keeps it alive', async (t) => {
      const { app, clock, db } = await buildTestApp(t, dialect, { SESSION_IDLE_MINUTES: '30' });
      const user = await createUser(app);
      const client = new TestClient(app);
      await client.signIn(user);

      clock.advance(29 * MINUTE);
      assert.match((await client.get('/')).body, /You are signed in/);
      clock.advance(29 * MINUTE);
      assert.match((await client.get('/')).body, /You are signed in/, 'the last request renewed the idle window');

      clock.advance(31 * MINUTE);
      const expired = await client.get('/');
      assert.match(expired.body, /<h1 id="login-title">Sign in<\/h1>/);
      assert.equal(client.cookies.has('parapet_session'), false, 'cookie cleared');
      assert.equal((await db.selectFrom('sessions').selectAll().execute()).length, 0, 'row deleted');
    });

    test('a session ends at its absolute lifetime however active it is', async (t) => {
      const { app, clock } = await buildTestApp(t, dialect, {
        SESSION_IDLE_MINUTES: '30',
        SESSION_ABSOLUTE_MINUTES: '120',
      });
      const user = await createUser(app);
      const client = new TestClient(app);
      await client.signIn(user);
      for (let i = 0; i < 5; i++) {
        clock.advance(20 * MINUTE);
        assert.match((await client.get('/')).body, /You are signed in/);
      }
      clock.advance(21 * MINUTE);
      assert.doesNotMatch((await client.get('/')).body, /You are signed in/);
    });

    test('disabling a user ends their sessions at once', async (t) => {
      const { app, db, clock } = await buildTestApp(t, dialect);
      const user = await createUser(app);
      const client = new TestClient(app);
      await client.signIn(user);
      await db.updateTable('users').set({ disabled_at: clock.now() }).where('id', '=', user.id).execute();
      assert.doesNotMatch((await client.get('/')).body, /You are signed in/);
      assert.equal((await db.selectFrom('sessions').selectAll().execute()).length, 0);
    });

    test('a forged or malformed session cookie is ignored and cleared', async (t) => {
      const { app } = await buildTestApp(t, dialect);
      for (const value of ['x'.repeat(43), 'short', `${'a'.repeat(43)}'--`, '']) {
        const res = await app.inject({ url: '/', headers: { cookie: `parapet_session=${encodeURIComponent(value)}` } });
        assert.equal(res.statusCode, 200);
        assert.match(res.body, /Sign in/);
      }
    });

    test('expired sessions are purged from the table', async (t) => {
      const { app, db, clock } = await buildTestApp(t, dialect);
      const user = await createUser(app);
      await new TestClient(app).signIn(user);
      await new TestClient(app).signIn(user);
      assert.equal(await purgeExpiredSessions(db, clock.now(), app.config.session.idleMs), 0);
      clock.advance(31 * MINUTE);
      assert.equal(await purgeExpiredSessions(db, clock.now(), app.config.session.idleMs), 2);
      assert.equal((await db.selectFrom('sessions').selectAll().execute()).length, 0);
    });

    test('the server stores no session for anonymous visitors, even on forms', async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      await new TestClient(app).get('/login');
      assert.equal((await db.selectFrom('sessions').selectAll().execute()).length, 0);
    });
  });
}
