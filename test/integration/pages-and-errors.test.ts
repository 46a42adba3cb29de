import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CONTENT_SECURITY_POLICY } from '../../src/plugins/security-headers.ts';
import { buildTestApp } from '../helpers/build-app.ts';
import { TestClient } from '../helpers/client.ts';
import { dialects } from '../helpers/dialects.ts';
import { createUser } from '../helpers/factories.ts';

for (const dialect of dialects()) {
  describe(`pages, headers and errors [${dialect}]`, () => {
    test('every response carries the security headers; the CSP allows no inline script', async (t) => {
      const { app } = await buildTestApp(t, dialect);
      for (const url of ['/', '/login', '/healthz', '/nope', app.asset('css/app.css')]) {
        const res = await app.inject(url);
        assert.equal(res.headers['content-security-policy'], CONTENT_SECURITY_POLICY, url);
        assert.equal(res.headers['x-content-type-options'], 'nosniff', url);
        assert.equal(res.headers['referrer-policy'], 'same-origin', url);
        assert.equal(res.headers['x-frame-options'], 'DENY', url);
      }
      assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe-inline|unsafe-eval/);
      for (const directive of ["object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "script-src 'self'"]) {
        assert.ok(CONTENT_SECURITY_POLICY.includes(directive), directive);
      }
      assert.equal(
        (await app.inject('/')).headers['strict-transport-security'],
        undefined,
        'no HSTS outside production',
      );
    });

    test('static assets are content-hashed, cached for a year, and unknown ones are 404', async (t) => {
      const { app } = await buildTestApp(t, dialect);
      const css = app.asset('css/app.css');
      assert.match(css, /^\/assets\/css\/app\.[0-9a-f]{12}\.css$/);
      const res = await app.inject(css);
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['content-type'], 'text/css; charset=utf-8');
      assert.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable');
      const again = await app.inject({ url: css, headers: { 'if-none-match': String(res.headers.etag) } });
      assert.equal(again.statusCode, 304);
      assert.equal((await app.inject('/assets/css/app.000000000000.css')).statusCode, 404);
      assert.equal((await app.inject('/assets/../src/config.ts')).statusCode, 404);
      const page = await app.inject('/login');
      assert.ok(page.body.includes(css) && page.body.includes(app.asset('js/app.js')), 'pages link the hashed files');
      assert.doesNotMatch(page.body, /https?:\/\/(?!127\.0\.0\.1)[a-z]/i, 'nothing loaded from another host');
    });

    test('404 and 500 are friendly pages that leak nothing', async (t) => {
      const { app } = await buildTestApp(t, dialect);
      app.get('/test/explode', { config: { access: 'public' } }, async () => {
        throw new Error('SELECT secret FROM users at /srv/app/src/secret.ts:12');
      });
      const missing = await app.inject('/no/such/page');
      assert.equal(missing.statusCode, 404);
      assert.match(missing.body, /Page not found/);
      assert.match(String(missing.headers['content-type']), /text\/html/);

      const boom = await app.inject('/test/explode');
      assert.equal(boom.statusCode, 500);
      assert.match(boom.body, /Something went wrong/);
      assert.doesNotMatch(boom.body, /SELECT|secret|\.ts|stack/i);
      const json = await app.inject({ url: '/test/explode', headers: { accept: 'application/json' } });
      assert.deepEqual(json.json(), {
        error: 'internal_error',
        message: 'Something went wrong on our side. Please try again in a moment.',
      });
    });

    test('a route without an access policy stops the app from starting', async (t) => {
      const { app } = await buildTestApp(t, dialect);
      assert.throws(() => app.get('/unguarded', async () => 'oops'), /declares no config\.access policy/);
    });

    test('the layout shows the user, their role and a sign-out form only when signed in', async (t) => {
      const { app } = await buildTestApp(t, dialect);
      const anonymous = await app.inject('/login');
      assert.doesNotMatch(anonymous.body, /Sign out|aria-label="Main"/);
      const admin = await createUser(app, { role: 'administrator' });
      const client = new TestClient(app);
      await client.signIn(admin);
      const home = await client.get('/');
      assert.match(home.body, /<nav aria-label="Main"/);
      assert.match(home.body, /badge--administrator">Administrator</);
      assert.match(home.body, /<form method="post" action="\/logout"/);
      assert.equal(home.headers['cache-control'], 'no-store');
    });

    test('user text is escaped in pages', async (t) => {
      const { app } = await buildTestApp(t, dialect);
      const res = await new TestClient(app).login('"><script>alert(1)</script>@x.y', 'some password here');
      assert.equal(res.statusCode, 401);
      assert.ok(!res.body.includes('<script>alert(1)</script>'));
      assert.ok(res.body.includes('&quot;>&lt;script>alert(1)&lt;/script>@x.y'));
    });
  });
}
