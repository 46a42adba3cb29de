import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { buildTestApp } from '../helpers/build-app.ts';
import { TestClient } from '../helpers/client.ts';
import { dialects } from '../helpers/dialects.ts';
import { createUser } from '../helpers/factories.ts';
import { mailsTo } from '../helpers/mail.ts';
import { openTicket, postMessage } from '../helpers/tickets.ts';

const SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10"/></svg>';
const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(64)]);

function brandFiles() {
  const dir = mkdtempSync(path.join(tmpdir(), 'parapet-brand-'));
  writeFileSync(path.join(dir, 'logo.svg'), SVG);
  writeFileSync(path.join(dir, 'logo.png'), PNG);
  return { svg: path.join(dir, 'logo.svg'), png: path.join(dir, 'logo.png') };
}

const userZone = async (db: Awaited<ReturnType<typeof buildTestApp>>['db'], id: number) =>
  (await db.selectFrom('users').select('time_zone').where('id', '=', id).executeTakeFirstOrThrow()).time_zone;

for (const dialect of dialects()) {
  describe(`time zones [${dialect}]`, () => {
    test('times render in the account’s zone, else the browser’s cookie, else UTC, relative with the exact time', async (t) => {
      const { app, db, clock } = await buildTestApp(t, dialect);
      const user = await createUser(app);
      const client = new TestClient(app);
      await client.signIn(user);
      await client.get('/account');
      clock.advance(4 * 60_000); // within the idle timeout and the account page’s freshness

      const utc = (await client.get('/account')).body;
      assert.match(utc, /<time datetime="[^"]+Z" title="[^"]+ UTC">4 minutes ago<\/time>/);
      assert.match(utc, /data-report-time-zone/, 'an account without a zone asks the browser for it');

      client.cookies.set('tz', 'America/New_York');
      assert.match((await client.get('/account')).body, /title="[^"]+ GMT-5">4 minutes ago/);
      client.cookies.set('tz', 'Not/AZone');
      assert.match((await client.get('/account')).body, /title="[^"]+ UTC">/);

      // The browser's one-time report (fetch from app.js): saved, 204, and only when the account has none.
      const report = await client.post('/account/time-zone', { time_zone: 'Europe/Paris', detected: '1' });
      assert.equal(report.statusCode, 204);
      assert.equal(await userZone(db, user.id), 'Europe/Paris');
      const page = (await client.get('/account')).body;
      assert.match(page, /title="[^"]+ CET">4 minutes ago/);
      assert.doesNotMatch(page, /data-report-time-zone/);
      assert.match(page, /<option value="Europe\/Paris" selected>Europe\/Paris<\/option>/);

      assert.equal(
        (await client.post('/account/time-zone', { time_zone: 'Asia/Tokyo', detected: '1' })).statusCode,
        204,
      );
      assert.equal(await userZone(db, user.id), 'Europe/Paris', 'a report never overrides a zone already set');

      // The account page's select: a chosen zone replaces it; a made-up one is refused with the form again.
      const chosen = await client.post('/account/time-zone', { time_zone: 'Asia/Tokyo' });
      assert.equal(chosen.statusCode, 303);
      assert.equal(await userZone(db, user.id), 'Asia/Tokyo');
      const bad = await client.post('/account/time-zone', { time_zone: 'Mars/Olympus_Mons' });
      assert.equal(bad.statusCode, 400);
      assert.match(bad.body, /Choose a time zone from the list/);
      assert.equal((await client.post('/account/time-zone', { time_zone: 'x'.repeat(65) })).statusCode, 400);
      assert.equal(await userZone(db, user.id), 'Asia/Tokyo');
    });

    test('the ticket thread says who replied last and how long the client has waited', async (t) => {
      const { app, clock } = await buildTestApp(t, dialect);
      const user = await createUser(app);
      const agent = await createUser(app, { role: 'agent', email: 'agent@example.com' });
      const client = new TestClient(app);
      await client.signIn(user);
      const id = await openTicket(client);
      clock.advance(3 * 3_600_000 + 60_000);
      const staff = new TestClient(app);
      await staff.signIn(agent);
      const waiting = (await staff.get(`/tickets/${id}`)).body;
      assert.match(waiting, /Last reply by <bdi>[^<]+<\/bdi> <time[^>]*>3 hours ago<\/time>/);
      assert.match(waiting, /Waiting for 3 hours/);

      await postMessage(staff, id, 'We are on it.');
      await client.signIn(user); // the first session ended while idle
      const answered = (await client.get(`/tickets/${id}`)).body;
      assert.match(answered, /Last reply by <bdi>Support<\/bdi> <time[^>]*>just now<\/time>/);
      assert.doesNotMatch(answered, /Waiting for/);
    });
  });

  describe(`branding [${dialect}]`, () => {
    test('PORTAL_NAME, the logo and the accent in pages; Parapet only in the footer; logo and stylesheet served safely', async (t) => {
      const files = brandFiles();
      const { app } = await buildTestApp(t, dialect, {
        PORTAL_NAME: 'Acme Help',
        PORTAL_LOGO: files.svg,
        PORTAL_ACCENT: '#0b6e4f',
      });
      const page = await app.inject({ url: '/login' });
      assert.match(page.body, /<title>Sign in · Acme Help<\/title>/);
      assert.match(page.body, /<span>Acme Help<\/span>/);
      assert.equal(page.body.match(/Parapet/g)?.length, 1);
      assert.match(page.body, /Powered by Parapet/);

      const css = /<link rel="stylesheet" href="(\/assets\/brand\.[0-9a-f]{12}\.css)"/.exec(page.body)?.[1] ?? '';
      const sheet = await app.inject({ url: css });
      assert.equal(sheet.statusCode, 200);
      assert.match(String(sheet.headers['content-type']), /^text\/css/);
      assert.match(sheet.body, /--button-bg: #0b6e4f;/);
      assert.match(String(sheet.headers['cache-control']), /immutable/);

      const logo =
        /<img class="brand__logo" src="(\/assets\/brand\/logo\.[0-9a-f]{12}\.svg)"/.exec(page.body)?.[1] ?? '';
      const served = await app.inject({ url: logo });
      assert.equal(served.statusCode, 200);
      assert.equal(served.headers['content-type'], 'image/svg+xml');
      assert.match(String(served.headers['content-security-policy']), /default-src 'none'.*sandbox/);
      assert.equal(served.headers['x-content-type-options'], 'nosniff');
      assert.equal(served.body, SVG);
    });

    test('emails carry the portal’s name, accent and PNG logo; the TOTP issuer is the portal’s name', async (t) => {
      const files = brandFiles();
      const { app, db } = await buildTestApp(t, dialect, {
        PORTAL_NAME: 'Acme Help',
        PORTAL_LOGO: files.png,
        PORTAL_ACCENT: '#0b6e4f',
        REQUIRE_2FA: 'true',
      });
      const client = new TestClient(app);
      await client.get('/forgot-password');
      const user = await createUser(app, { email: 'maria@example.com' });
      await client.post('/forgot-password', { email: user.email });
      const [mail] = await mailsTo(db, user.email);
      assert.ok(mail);
      assert.equal(mail.subject, 'Reset your Acme Help password');
      assert.match(
        mail.html_body,
        /color:#0b6e4f[^>]*>.*<img src="http:\/\/127\.0\.0\.1:3000\/assets\/brand\/logo\.[0-9a-f]{12}\.png"/s,
      );
      assert.match(mail.html_body, /background:#0b6e4f/);
      assert.doesNotMatch(mail.html_body + mail.text_body, /Parapet/);
      assert.match(mail.text_body, /\n-- \nAcme Help\n$/);

      const fresh = await createUser(app, { email: 'new@example.com', twoFactor: false });
      const enrol = new TestClient(app);
      await enrol.login(fresh.email, fresh.password);
      const setup = (await enrol.get('/two-factor/setup')).body;
      assert.match(setup, /otpauth:\/\/totp\/Acme%20Help:new%40example\.com\?issuer=Acme%20Help&amp;/);
    });
  });
}
