import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildTestApp } from '../helpers/build-app.ts';
import { TestClient } from '../helpers/client.ts';
import { dialects } from '../helpers/dialects.ts';
import { createUser } from '../helpers/factories.ts';

const PRODUCTION = { NODE_ENV: 'production', APP_URL: 'https://help.example.com', MAIL_TRANSPORT: 'disabled' };

for (const dialect of dialects()) {
  describe(`HTTPS and proxies [${dialect}]`, () => {
    test('production redirects plain HTTP to HTTPS on the APP_URL host, whatever Host says', async (t) => {
      const { app } = await buildTestApp(t, dialect, PRODUCTION);
      const res = await app.inject({ url: '/login?next=%2Fx', headers: { host: 'evil.example' } });
      assert.equal(res.statusCode, 308);
      assert.equal(res.headers.location, 'https://help.example.com/login?next=%2Fx');
      assert.equal(res.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains');
      // Health checks from a local load balancer still answer over plain HTTP.
      assert.equal((await app.inject('/healthz')).statusCode, 200);
    });

    test('an untrusted peer cannot claim HTTPS or another IP with forwarded headers', async (t) => {
      const { app, db } = await buildTestApp(t, dialect, PRODUCTION);
      const res = await app.inject({
        url: '/login',
        headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.9' },
      });
      assert.equal(res.statusCode, 308, 'X-Forwarded-Proto ignored without TRUST_PROXY');

      const { app: devApp, db: devDb } = await buildTestApp(t, dialect);
      const client = new TestClient(devApp, { headers: { 'x-forwarded-for': '203.0.113.9' } });
      await client.login('nobody@example.test', 'whatever password here');
      const row = await devDb.selectFrom('failed_logins').select('ip').executeTakeFirstOrThrow();
      assert.equal(row.ip, '127.0.0.1', 'the socket address, not the spoofed header');
      assert.equal((await db.selectFrom('failed_logins').selectAll().execute()).length, 0);
    });

    test('behind a trusted proxy: HTTPS is believed, pages carry HSTS, cookies are Secure and __Host-', async (t) => {
      const { app, db } = await buildTestApp(t, dialect, { ...PRODUCTION, TRUST_PROXY: 'loopback' });
      const user = await createUser(app);
      const client = new TestClient(app, {
        headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '198.51.100.7', host: 'help.example.com' },
      });
      const page = await client.get('/login');
      assert.equal(page.statusCode, 200);
      assert.equal(page.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains');
      assert.match(
        String(page.headers['set-cookie']),
        /^__Host-parapet_csrf=[^;]+; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
      );

      const res = await client.post(
        '/login',
        { email: user.email, password: user.password },
        { origin: 'https://help.example.com' },
      );
      assert.equal(res.statusCode, 303);
      assert.match(
        String(res.headers['set-cookie']),
        /__Host-parapet_session=[^;]+; Max-Age=\d+; Path=\/; HttpOnly; Secure; SameSite=Lax/,
      );
      const session = await db.selectFrom('sessions').select('ip').executeTakeFirstOrThrow();
      assert.equal(session.ip, '198.51.100.7', 'the client address from the trusted proxy');

      // A peer that is not the trusted proxy is still redirected and keeps its own address.
      const outsider = await app.inject({
        url: '/login',
        remoteAddress: '192.0.2.50',
        headers: { 'x-forwarded-proto': 'https' },
      });
      assert.equal(outsider.statusCode, 308);
    });
  });
}
