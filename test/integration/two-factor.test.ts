import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decrypt } from '../../src/lib/crypto.ts';
import { currentTotp, TOTP_PERIOD_SECONDS } from '../../src/features/two-factor/totp.ts';
import { createTwoFactorKeys } from '../../src/features/two-factor/two-factor.service.ts';
import { buildTestApp } from '../helpers/build-app.ts';
import { TestClient } from '../helpers/client.ts';
import { dialects } from '../helpers/dialects.ts';
import { createUser, type TestUser } from '../helpers/factories.ts';
import { openTicket } from '../helpers/tickets.ts';
import { mailsTo } from '../helpers/mail.ts';

const STEP_MS = TOTP_PERIOD_SECONDS * 1000;

function secretFromSetupPage(body: string): string {
  const grouped = /aria-label="Setup key">([A-Z2-7 ]+)</.exec(body)?.[1];
  assert.ok(grouped, 'the setup page shows the key as text');
  return grouped.replace(/ /g, '');
}

function recoveryCodesFrom(body: string): string[] {
  return [...body.matchAll(/<li><code>([A-Z0-9]{5}-[A-Z0-9]{5})<\/code><\/li>/g)].map((m) => m[1] ?? '');
}

for (const dialect of dialects()) {
  describe(`two-factor authentication [${dialect}]`, () => {
    test('enrolment is mandatory after the first password login, and nothing else is reachable until it is done', async (t) => {
      const { app, db, config } = await buildTestApp(t, dialect);
      const user = await createUser(app, { twoFactor: false, email: 'first@example.com' });
      const client = new TestClient(app);
      const res = await client.login(user.email, user.password);
      assert.equal(res.headers.location, '/two-factor/setup');
      const halfToken = client.cookies.get('parapet_session');

      // Every other page leads to the setup, which keeps where the user was going (the start page needs no next).
      for (const url of ['/', '/account', '/account/two-factor', '/login']) {
        const carried = ['/', '/login'].includes(url) ? '' : `?next=${encodeURIComponent(url)}`;
        assert.equal((await client.get(url)).headers.location, `/two-factor/setup${carried}`, url);
      }
      const page = await client.get('/two-factor/setup');
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /<img src="data:image\/svg\+xml;base64,[A-Za-z0-9+/=]+" alt="QR code/);
      const secret = secretFromSetupPage(page.body);
      assert.equal(secret.length, 32, '160 bits');
      assert.match(
        page.body,
        new RegExp(`otpauth://totp/Support:first%40example\\.com\\?issuer=Support&amp;secret=${secret}`),
      );
      assert.equal(
        (await db.selectFrom('users').select('totp_secret_enc').where('id', '=', user.id).executeTakeFirstOrThrow())
          .totp_secret_enc,
        null,
        'showing the page writes nothing',
      );
      assert.equal(
        (await client.post('/account/password', { current_password: 'x', password: 'y', password_confirm: 'y' }))
          .statusCode,
        401,
      );

      const wrong = await client.post('/two-factor/setup', {
        sealed: /name="sealed" value="([^"]+)"/.exec(page.body)?.[1] ?? '',
        code: '000000',
      });
      assert.equal(wrong.statusCode, 400);
      assert.match(wrong.body, /That code is not valid/);
      assert.equal(secretFromSetupPage(wrong.body), secret, 'the same secret is kept after a typo');

      const sealed = /name="sealed" value="([^"]+)"/.exec(wrong.body)?.[1] ?? '';
      const done = await client.post('/two-factor/setup', { sealed, code: currentTotp(secret, app.clock.now()) });
      assert.equal(done.statusCode, 200);
      const codes = recoveryCodesFrom(done.body);
      assert.equal(codes.length, 10);
      assert.equal(new Set(codes).size, 10);
      assert.match(done.body, /download="parapet-recovery-codes\.txt"/);
      assert.notEqual(client.cookies.get('parapet_session'), halfToken, 'a new token once fully signed in');
      assert.match((await client.get('/')).body, /You are signed in/);

      const stored = await db.selectFrom('users').selectAll().where('id', '=', user.id).executeTakeFirstOrThrow();
      assert.ok(stored.totp_secret_enc && !stored.totp_secret_enc.includes(secret), 'the secret is encrypted at rest');
      assert.equal(decrypt(createTwoFactorKeys(config).secret, stored.totp_secret_enc, `user:${user.id}`), secret);
      const hashes = await db.selectFrom('recovery_codes').select('code_hash').where('user_id', '=', user.id).execute();
      assert.equal(hashes.length, 10);
      assert.ok(
        hashes.every((h) => !codes.some((c) => h.code_hash.includes(c.replace('-', '')))),
        'codes are stored hashed',
      );
      assert.deepEqual(
        (await mailsTo(db, user.email)).map((m) => m.kind),
        ['two_factor_enabled'],
      );
      // The secret is never shown again.
      assert.doesNotMatch((await client.get('/account/two-factor')).body, new RegExp(secret));
    });

    test('a sealed setup secret from another session or account is refused', async (t) => {
      const { app } = await buildTestApp(t, dialect);
      const mallory = await createUser(app, { twoFactor: false });
      const victim = await createUser(app, { twoFactor: false });
      const m = new TestClient(app);
      await m.login(mallory.email, mallory.password);
      const page = (await m.get('/two-factor/setup')).body;
      const sealed = /name="sealed" value="([^"]+)"/.exec(page)?.[1] ?? '';
      const secret = secretFromSetupPage(page);
      const v = new TestClient(app);
      await v.login(victim.email, victim.password);
      await v.get('/two-factor/setup');
      const res = await v.post('/two-factor/setup', { sealed, code: currentTotp(secret, app.clock.now()) });
      assert.equal(res.statusCode, 400);
      assert.match(res.body, /setup expired/);
    });

    test('the code step: between password and code no page is reachable; wrong codes are failed logins', async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      const user = await createUser(app);
      const client = new TestClient(app);
      const res = await client.login(user.email, user.password);
      assert.equal(res.headers.location, '/login/two-factor');
      const halfToken = client.cookies.get('parapet_session');
      for (const url of ['/', '/account', '/account/two-factor', '/two-factor/setup']) {
        const carried = ['/', '/two-factor/setup'].includes(url) ? '' : `?next=${encodeURIComponent(url)}`;
        assert.equal((await client.get(url)).headers.location, `/login/two-factor${carried}`, url);
      }
      const page = await client.get('/login/two-factor');
      assert.match(page.body, /inputmode="numeric"/);
      assert.match(page.body, /autocomplete="one-time-code"/);

      assert.equal(
        (await client.post('/login/two-factor', { code: client.nextCode(user.totpSecret ?? ''), _csrf: null }))
          .statusCode,
        403,
        'CSRF still applies',
      );
      const wrong = await client.post('/login/two-factor', { code: '123456' });
      assert.equal(wrong.statusCode, 401);
      assert.match(wrong.body, /That code is not valid/);
      const failures = await db.selectFrom('failed_logins').select(['reason', 'user_id']).execute();
      assert.deepEqual(failures, [{ reason: 'wrong_code', user_id: user.id }]);

      const ok = await client.post('/login/two-factor', { code: client.nextCode(user.totpSecret ?? '') });
      assert.equal(ok.statusCode, 303);
      assert.equal(ok.headers.location, '/');
      assert.notEqual(client.cookies.get('parapet_session'), halfToken);
      assert.match((await client.get('/')).body, /You are signed in/);
    });

    test('a used code is refused when replayed, and a code from an hour ago never works', async (t) => {
      const { app, clock } = await buildTestApp(t, dialect);
      const user = await createUser(app);
      const secret = user.totpSecret ?? '';
      const first = new TestClient(app);
      await first.login(user.email, user.password);
      await first.get('/login/two-factor');
      const code = first.nextCode(secret);
      assert.equal((await first.post('/login/two-factor', { code })).statusCode, 303);

      // Same 30-second step, another browser: the code has been used.
      const second = new TestClient(app);
      await second.login(user.email, user.password);
      await second.get('/login/two-factor');
      assert.equal((await second.post('/login/two-factor', { code })).statusCode, 401);

      const hourAgo = currentTotp(secret, app.clock.now() - 3_600_000);
      clock.advance(STEP_MS);
      assert.equal((await second.post('/login/two-factor', { code: hourAgo })).statusCode, 401);
      // One step of drift either way is accepted.
      const previousStep = currentTotp(secret, app.clock.now() - STEP_MS + 1);
      const prev = await second.post('/login/two-factor', { code: previousStep });
      assert.equal(prev.statusCode, previousStep === code ? 401 : 303);
    });

    test('recovery codes replace a code exactly once, email the user and say how many remain', async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      const user = await createUser(app, { twoFactor: false });
      const client = new TestClient(app);
      await client.login(user.email, user.password);
      const page = (await client.get('/two-factor/setup')).body;
      const done = await client.post('/two-factor/setup', {
        sealed: /name="sealed" value="([^"]+)"/.exec(page)?.[1] ?? '',
        code: currentTotp(secretFromSetupPage(page), app.clock.now()),
      });
      const [code] = recoveryCodesFrom(done.body);
      assert.ok(code);

      const again = new TestClient(app);
      await again.login(user.email, user.password);
      await again.get('/login/two-factor');
      const used = await again.post('/login/two-factor', { code: code.toLowerCase().replace('-', ' ') });
      assert.equal(used.statusCode, 303);
      assert.match((await again.get('/')).body, /You have 9 left/);
      assert.ok(
        (await mailsTo(db, user.email)).some(
          (m) => m.kind === 'recovery_code_used' && m.text_body.includes('9 unused'),
        ),
      );

      const third = new TestClient(app);
      await third.login(user.email, user.password);
      await third.get('/login/two-factor');
      assert.equal((await third.post('/login/two-factor', { code })).statusCode, 401, 'a recovery code works once');
    });

    test('after five wrong codes the account pauses, even for the right code', async (t) => {
      const { app } = await buildTestApp(t, dialect);
      const user = await createUser(app);
      const client = new TestClient(app);
      await client.login(user.email, user.password);
      await client.get('/login/two-factor');
      for (let i = 0; i < 5; i++) {
        assert.equal((await client.post('/login/two-factor', { code: String(100000 + i) })).statusCode, 401);
      }
      const locked = await client.post('/login/two-factor', { code: client.nextCode(user.totpSecret ?? '') });
      assert.equal(locked.statusCode, 429);
      assert.ok(Number(locked.headers['retry-after']) > 0);
    });

    test('new recovery codes need the password and a code, and void the old set', async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      const user = await createUser(app);
      const client = new TestClient(app);
      await client.signIn(user);
      const page = await client.get('/account/two-factor');
      assert.match(page.body, /0<\/strong> unused recovery codes/);
      const bad = await client.post('/account/two-factor/recovery-codes', {
        current_password: 'wrong password!',
        code: client.nextCode(user.totpSecret ?? ''),
      });
      assert.equal(bad.statusCode, 400);
      const ok = await client.post('/account/two-factor/recovery-codes', {
        current_password: user.password,
        code: client.nextCode(user.totpSecret ?? ''),
      });
      const first = recoveryCodesFrom(ok.body);
      assert.equal(first.length, 10);
      await client.get('/account/two-factor');
      const second = recoveryCodesFrom(
        (
          await client.post('/account/two-factor/recovery-codes', {
            current_password: user.password,
            code: client.nextCode(user.totpSecret ?? ''),
          })
        ).body,
      );
      assert.equal(second.length, 10);
      assert.equal(
        (await db.selectFrom('recovery_codes').selectAll().where('user_id', '=', user.id).execute()).length,
        10,
      );
      const other = new TestClient(app);
      await other.login(user.email, user.password);
      await other.get('/login/two-factor');
      assert.equal(
        (await other.post('/login/two-factor', { code: first[0] ?? '' })).statusCode,
        401,
        'old codes are void',
      );
      assert.equal((await other.post('/login/two-factor', { code: second[0] ?? '' })).statusCode, 303);
    });

    test('re-enrolling needs the password and the old factor; afterwards only the new app works', async (t) => {
      const { app } = await buildTestApp(t, dialect);
      const user = await createUser(app);
      const client = new TestClient(app);
      await client.signIn(user);
      const page = await client.get('/account/two-factor/setup');
      const newSecret = secretFromSetupPage(page.body);
      const sealed = /name="sealed" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
      const noOld = await client.post('/account/two-factor/setup', {
        sealed,
        current_password: user.password,
        old_code: '000000',
        code: currentTotp(newSecret, app.clock.now()),
      });
      assert.equal(noOld.statusCode, 400);
      const sealedAgain = /name="sealed" value="([^"]+)"/.exec(noOld.body)?.[1] ?? '';
      const ok = await client.post('/account/two-factor/setup', {
        sealed: sealedAgain,
        current_password: user.password,
        old_code: client.nextCode(user.totpSecret ?? ''),
        code: currentTotp(newSecret, app.clock.now()),
      });
      assert.equal(ok.statusCode, 200);
      assert.equal(recoveryCodesFrom(ok.body).length, 10);

      const oldApp = new TestClient(app);
      await oldApp.login(user.email, user.password);
      await oldApp.get('/login/two-factor');
      assert.equal(
        (await oldApp.post('/login/two-factor', { code: oldApp.nextCode(user.totpSecret ?? '') })).statusCode,
        401,
      );
      assert.equal((await oldApp.post('/login/two-factor', { code: oldApp.nextCode(newSecret) })).statusCode, 303);
    });

    test('an administrator can reset a user’s 2FA: sessions end, enrolment is forced, the user is told, it is audited', async (t) => {
      const { app, db } = await buildTestApp(t, dialect);
      const admin = await createUser(app, { role: 'administrator' });
      const victim = await createUser(app);
      const victimClient = new TestClient(app);
      await victimClient.signIn(victim);

      // A client cannot reach the admin action at all.
      assert.equal((await victimClient.post(`/admin/users/${admin.id}/two-factor/reset`)).statusCode, 404);

      const adminClient = new TestClient(app);
      await adminClient.signIn(admin);
      await adminClient.get('/');
      assert.equal(
        (await adminClient.post(`/admin/users/${victim.id}/two-factor/reset`, { _csrf: null })).statusCode,
        403,
      );
      assert.equal((await adminClient.post('/admin/users/999999/two-factor/reset')).statusCode, 404);
      assert.equal((await adminClient.post(`/admin/users/${victim.id}/two-factor/reset`)).statusCode, 303);

      assert.doesNotMatch((await victimClient.get('/')).body, /You are signed in/);
      assert.equal(
        (await new TestClient(app).login(victim.email, victim.password)).headers.location,
        '/two-factor/setup',
      );
      assert.ok((await mailsTo(db, victim.email)).some((m) => m.kind === 'two_factor_reset'));
      const audit = await db
        .selectFrom('audit_events')
        .selectAll()
        .where('event', '=', '2fa.reset')
        .executeTakeFirstOrThrow();
      assert.equal(audit.actor_user_id, admin.id);
      assert.equal(audit.target_user_id, victim.id);
    });

    test('a link from a notification email opens after the first setup and after a reset, past the recovery codes', async (t) => {
      const { app } = await buildTestApp(t, dialect);
      const owner = await createUser(app);
      const agent = await createUser(app, { role: 'agent', twoFactor: false });
      const admin = await createUser(app, { role: 'administrator' });
      const tab = new TestClient(app);
      await tab.signIn(owner);
      const ticketUrl = `/tickets/${await openTicket(tab, { subject: 'Printer on fire' })}`;
      await tab.post('/logout');
      // With REQUIRE_2FA an account without an authenticator sets one up: the link from the email, the password...
      const enrolOnce = async (user: TestUser) => {
        const browser = new TestClient(app);
        const toLogin = await browser.get(ticketUrl);
        assert.equal(toLogin.headers.location, `/login?next=${encodeURIComponent(ticketUrl)}`);
        await browser.get(String(toLogin.headers.location));
        assert.match(browser.lastBody, new RegExp(`name="next" value="${ticketUrl}"`));
        const password = await browser.post('/login', { email: user.email, password: user.password, next: ticketUrl });
        // ...then the setup, which keeps the link in a hidden field...
        assert.equal(password.headers.location, `/two-factor/setup?next=${encodeURIComponent(ticketUrl)}`);
        const setup = await browser.get(String(password.headers.location));
        assert.match(setup.body, new RegExp(`name="next" value="${ticketUrl}"`));
        const sealed = /name="sealed" value="([^"]+)"/.exec(setup.body)?.[1] ?? '';
        const secret = secretFromSetupPage(setup.body);
        // A wrong code shows the form again, still with the link.
        const wrong = await browser.post('/two-factor/setup', { sealed, code: '000000', next: ticketUrl });
        assert.equal(wrong.statusCode, 400);
        assert.match(wrong.body, new RegExp(`name="next" value="${ticketUrl}"`));
        const done = await browser.post('/two-factor/setup', {
          sealed,
          code: currentTotp(secret, app.clock.now()),
          next: ticketUrl,
        });
        // ...and the recovery codes page continues to the ticket.
        assert.equal(done.statusCode, 200);
        assert.match(done.body, new RegExp(`<a class="button button--primary button--block" href="${ticketUrl}">`));
        const page = await browser.get(ticketUrl);
        assert.equal(page.statusCode, 200);
        assert.match(page.body, /Printer on fire/);
      };
      // The agent's first sign-in, from a new-ticket notification.
      await enrolOnce(agent);

      // An administrator resets the client's two-factor: at the next sign-in they enrol again, and the link survives.
      const adminTab = new TestClient(app);
      await adminTab.signIn(admin);
      await adminTab.get(`/admin/users/${owner.id}`);
      assert.equal((await adminTab.post(`/admin/users/${owner.id}/two-factor/reset`)).statusCode, 303);
      await enrolOnce(owner);
    });

    test('security changes need a recent sign-in: after 15 minutes the password and a code are asked again', async (t) => {
      const { app, clock } = await buildTestApp(t, dialect);
      const user = await createUser(app);
      const client = new TestClient(app);
      await client.signIn(user);
      assert.equal((await client.get('/account')).statusCode, 200);
      clock.advance(16 * 60_000);
      assert.equal((await client.get('/account')).headers.location, '/reauth?next=%2Faccount');
      assert.equal(
        (await client.post('/account/sessions/revoke-others')).headers.location?.startsWith('/reauth'),
        true,
      );
      const page = await client.get('/reauth?next=%2Faccount');
      assert.match(page.body, /Confirm it’s you/);
      const bad = await client.post('/reauth', { password: user.password, code: '000000', next: '/account' });
      assert.equal(bad.statusCode, 401);
      const ok = await client.post('/reauth', {
        password: user.password,
        code: client.nextCode(user.totpSecret ?? ''),
        next: '/account',
      });
      assert.equal(ok.headers.location, '/account');
      assert.equal((await client.get('/account')).statusCode, 200);
    });

    test('with REQUIRE_2FA=false a user without an authenticator signs in with the password alone', async (t) => {
      const { app } = await buildTestApp(t, dialect, { REQUIRE_2FA: 'false' });
      const user = await createUser(app, { twoFactor: false });
      const client = new TestClient(app);
      assert.equal((await client.login(user.email, user.password)).headers.location, '/');
      const enrolled = await createUser(app);
      assert.equal(
        (await new TestClient(app).login(enrolled.email, enrolled.password)).headers.location,
        '/login/two-factor',
        'an enrolled user still needs the code',
      );
    });
  });
}
