import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import {
  completeTwoFactorSetup,
  continuePastRecoveryCodes,
  freshUser,
  GOOD_PASSWORD,
  nextTotp,
  openEmailedLink,
  signIn,
  signOut,
  submitCode,
  submitLogin,
  submitRegistration,
  uniqueEmail,
  wrongTotp,
} from './helpers/browser.ts';
import { TWO_FACTOR_PAGE_STATES } from './helpers/two-factor.ts';
import { e2eSuite } from './helpers/suite.ts';

// Codes: every code typed here comes from nextTotp, which never offers a step twice for one user (the server's
// replay guard) and waits for the next 30-second step only when a user has used three in one; each test has
// its own users, so none waits. Wrong codes count against 30 per IP in 15 minutes: this file types 4.

const WRONG_CODE = 'That code is not valid. Codes change every 30 seconds, and each one works only once.';

describe('two-factor authentication in a real browser', () => {
  const { server, open, assertClean, auditPages } = e2eSuite({ smtp: true });

  const path = (page: Page) => new URL(page.url()).pathname;

  test('a new client registers, sets up an authenticator, saves the recovery codes, and signs in with codes that work once', async (t) => {
    const { page, problems } = await open(t);
    const email = uniqueEmail('two.factor');
    await submitRegistration(page, server, email, GOOD_PASSWORD);
    await page.getByRole('heading', { level: 1, name: 'Check your email' }).waitFor();
    await openEmailedLink(page, server, email, /Confirm your email address/, '/verify-email');
    await page.getByRole('button', { name: 'Confirm my email address' }).click();
    await page.waitForURL(`${server.baseUrl}/login`);

    // The password leads to the setup page, and nowhere else until it is done.
    await submitLogin(page, email, GOOD_PASSWORD);
    await page.waitForURL((url) => url.pathname === '/two-factor/setup');
    assert.equal(await page.title(), 'Set up two-factor authentication · Support');
    assert.equal(await page.getByRole('navigation', { name: 'Main' }).count(), 0);
    const qr = page.getByRole('img', { name: 'QR code to add this account to your authenticator app' });
    assert.ok(await qr.isVisible());
    assert.match(
      (await qr.getAttribute('src')) ?? '',
      /^data:image\/svg\+xml;base64,/,
      'the QR code is made by the server, not fetched from elsewhere',
    );
    // The key is there for typing by hand, behind a disclosure, in groups of four.
    const key = page.getByLabel('Setup key');
    assert.equal(await key.isVisible(), false);
    await page.getByText('Can’t scan? Enter the key by hand').click();
    assert.ok(await key.isVisible());
    assert.match(await key.innerText(), /^[A-Z2-7]{4}( [A-Z2-7]{4})+$/);
    const otpauth = await page.getByRole('link', { name: 'otpauth link' }).getAttribute('href');
    assert.match(otpauth ?? '', /^otpauth:\/\/totp\/.*secret=[A-Z2-7]+/);
    await page.goto(`${server.baseUrl}/tickets`);
    await page.waitForURL((url) => url.pathname === '/two-factor/setup');

    // A wrong code is refused, with the reason; then the key from the page works.
    await page.getByLabel('Code from your app').fill(wrongTotp((await key.innerText()).replace(/\s+/g, '')));
    const refused = page.waitForResponse(
      (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/two-factor/setup',
    );
    await page.getByRole('button', { name: 'Turn on two-factor authentication' }).click();
    assert.equal((await refused).status(), 400);
    assert.equal((await page.getByRole('alert').innerText()).trim(), WRONG_CODE);

    const { totpSecret, recoveryCodes } = await completeTwoFactorSetup(page, server, email);
    assert.equal(await page.title(), 'Your recovery codes · Support');
    assert.equal(recoveryCodes.length, 10);
    assert.equal(new Set(recoveryCodes).size, 10, 'ten different codes');
    // The download is made in the page (a data: link): nothing is fetched, and the file holds every code.
    const downloadLink = page.getByRole('link', { name: 'Download as .txt' });
    assert.equal(await downloadLink.getAttribute('download'), 'parapet-recovery-codes.txt');
    const [download] = await Promise.all([page.waitForEvent('download'), downloadLink.click()]);
    assert.equal(download.suggestedFilename(), 'parapet-recovery-codes.txt');
    const file = await readFile(await download.path(), 'utf8');
    for (const code of recoveryCodes) {
      assert.ok(file.includes(code), `the file has ${code}`);
    }
    await continuePastRecoveryCodes(page, server);
    assert.ok(await page.locator('header').getByText(email, { exact: true }).isVisible());

    // Signing in again: the password, then a code.
    await signOut(page, server);
    await submitLogin(page, email, GOOD_PASSWORD);
    await page.waitForURL(`${server.baseUrl}/login/two-factor`);
    assert.equal(await page.title(), 'Two-factor authentication · Support');
    const code = await nextTotp(server, { email, totpSecret });
    const accepted = await submitCode(page, code);
    assert.equal(accepted.status(), 303);
    await page.waitForURL((url) => url.pathname === '/');

    // The same code again, in the same 30 seconds: refused, and the person is told why.
    await signOut(page, server);
    await submitLogin(page, email, GOOD_PASSWORD);
    await page.waitForURL(`${server.baseUrl}/login/two-factor`);
    const replayed = await submitCode(page, code);
    assert.equal(replayed.status(), 401);
    assert.equal((await page.getByRole('alert').innerText()).trim(), WRONG_CODE);
    // Still half signed in: nothing else opens. A fresh code does.
    await page.goto(`${server.baseUrl}/`);
    await page.waitForURL(`${server.baseUrl}/login/two-factor`);
    await submitCode(page, await nextTotp(server, { email, totpSecret }));
    await page.waitForURL((url) => url.pathname === '/');
    await page.getByRole('heading', { level: 1, name: /^Welcome/ }).waitFor();
    assertClean(problems);
  });

  test('between the password and the code, every page leads back to the code page', async (t) => {
    const { page, problems } = await open(t);
    const user = await freshUser(server, 'halfway');
    await page.goto(`${server.baseUrl}/login`);
    await submitLogin(page, user.email, user.password);
    await page.waitForURL(`${server.baseUrl}/login/two-factor`);
    for (const target of ['/tickets', '/account', '/account/two-factor', '/tickets/new', '/']) {
      await page.goto(`${server.baseUrl}${target}`);
      assert.equal(path(page), '/login/two-factor', `${target} leads to the code page`);
      await page.getByRole('heading', { level: 1, name: 'Enter your code' }).waitFor();
      assert.equal(await page.getByRole('navigation', { name: 'Main' }).count(), 0);
    }
    // "Cancel and sign out" really ends the half-signed-in session.
    await page.getByRole('button', { name: 'Cancel and sign out' }).click();
    await page.waitForURL(`${server.baseUrl}/login`);
    await page.goto(`${server.baseUrl}/tickets`);
    assert.equal(path(page), '/login');
    assertClean(problems);
  });

  test('an administrator created without a second factor sets one up at the first sign-in', async (t) => {
    const { page, problems } = await open(t);
    const admin = await freshUser(server, 'new.admin', { role: 'administrator', twoFactor: false });
    await page.goto(`${server.baseUrl}/login`);
    await submitLogin(page, admin.email, admin.password);
    await page.waitForURL((url) => url.pathname === '/two-factor/setup');
    // The administration is not reachable on the way.
    await page.goto(`${server.baseUrl}/admin/users`);
    assert.equal(path(page), '/two-factor/setup');

    const { totpSecret } = await completeTwoFactorSetup(page, server, admin.email);
    await continuePastRecoveryCodes(page, server);
    assert.ok(await page.locator('header').getByText('Administrator', { exact: true }).isVisible());
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click();
    await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
    // The users list now says so.
    const row = page.locator('tbody tr', { hasText: admin.email });
    assert.equal((await row.locator('td[data-label="2FA"]').innerText()).trim(), 'On');

    await page.goto(`${server.baseUrl}/account/two-factor`);
    await page.getByRole('heading', { level: 1, name: 'Two-factor authentication' }).waitFor();
    assert.match(await page.getByRole('main').innerText(), /You have\s+10\s+unused recovery codes/);

    await signOut(page, server);
    await signIn(page, server, { ...admin, totpSecret });
    assertClean(problems);
  });

  test('every two-factor page passes axe-core in light and dark, with no serious or critical violations', async (t) => {
    // Also no sideways scrolling on a small phone (the setup key, the recovery codes).
    await auditPages(t, TWO_FACTOR_PAGE_STATES);
  });
});
