import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { CHECK_EMAIL_MESSAGE } from '../../src/features/accounts/registration.routes.ts';
import { RESET_SENT_MESSAGE } from '../../src/features/accounts/password-reset.routes.ts';
import { INVALID_CREDENTIALS } from '../../src/features/auth/login.routes.ts';
import { createUser } from '../helpers/factories.ts';
import {
  ACCOUNT_PAGE_STATES,
  completeTwoFactorSetup,
  continuePastRecoveryCodes,
  fillNewPassword,
  GOOD_PASSWORD,
  mailboxOf,
  openEmailedLink,
  requestPasswordReset,
  signIn,
  submitLogin,
  submitRegistration,
  uniqueEmail,
} from './helpers/browser.ts';
import { e2eSuite } from './helpers/suite.ts';

// Registration allows 10 per IP an hour (registrationIp in src/lib/limits.ts) and every browser here is 127.0.0.1: this file
// registers 6 times in all (4 in the flows and the no-JavaScript check, 2 for the check-email page state).

describe('accounts in a real browser, with a real SMTP server', () => {
  const { server, open, assertClean, auditPages } = e2eSuite({ smtp: true });

  const strengthOf = (page: Page, id = 'f-password') => page.locator(`#${id}-strength`);
  const mainText = async (page: Page) => (await page.getByRole('main').innerText()).trim();

  test('a new client registers from the sign-in page, confirms the emailed link and signs in', async (t) => {
    const { page, problems } = await open(t);
    const email = uniqueEmail('new.client');
    await page.goto(`${server.baseUrl}/`);
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByRole('heading', { level: 1, name: 'Create your account' }).waitFor();
    assert.equal(await page.title(), 'Create account · Support');

    // The strength meter follows the typing, and is announced politely through the field's description.
    const password = page.getByLabel('Password', { exact: true });
    const meter = strengthOf(page);
    assert.equal(await meter.getAttribute('aria-live'), 'polite');
    assert.equal(
      await password.getAttribute('aria-describedby'),
      'f-password-hint f-password-strength',
      'the hint is kept, the meter appended',
    );
    assert.equal(await password.getAttribute('data-min-length'), '12');
    assert.equal((await meter.innerText()).trim(), '');
    await password.fill('short');
    assert.equal(await meter.innerText(), 'Password strength: Too short');
    await password.fill('password1234');
    assert.equal(await meter.innerText(), 'Password strength: Weak');
    await password.fill(GOOD_PASSWORD);
    assert.equal(await meter.innerText(), 'Password strength: Strong');
    assert.equal(await page.locator('.strength').getAttribute('data-level'), 'strong');

    // A weak password first: the server refuses it and says why; the email is kept.
    const weak = await submitRegistration(page, server, email, 'password1234');
    assert.equal(weak.status(), 400);
    const reason = page.locator('#f-password-error');
    assert.match(await reason.innerText(), /too common/);
    assert.equal(await page.getByLabel('Email').inputValue(), email);
    assert.equal(await page.getByLabel('Password', { exact: true }).inputValue(), '');
    assert.equal(
      await page.getByLabel('Password', { exact: true }).getAttribute('aria-describedby'),
      'f-password-hint f-password-error f-password-strength',
    );
    assert.equal(await page.getByLabel('Password', { exact: true }).getAttribute('aria-invalid'), 'true');
    // The person starts where the problem is.
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'f-password');

    const good = await submitRegistration(page, server, email, GOOD_PASSWORD);
    assert.equal(good.status(), 200);
    await page.getByRole('heading', { level: 1, name: 'Check your email' }).waitFor();
    assert.ok((await mainText(page)).includes(CHECK_EMAIL_MESSAGE));

    // The email really went out over SMTP, to this address, with a link under APP_URL (this server).
    const mail = await mailboxOf(server).waitFor(email, /Confirm your email address/);
    assert.deepEqual(mail.to, [email]);
    assert.equal(mail.from, 'parapet@localhost');
    assert.ok(mail.html.includes('Confirm my email address'), 'an HTML part with the button');
    const link = /https?:\/\/\S+/.exec(mail.text)?.[0] ?? '';
    assert.ok(link.startsWith(`${server.baseUrl}/verify-email?token=`), link);

    // Opening the link shows a button; only the button confirms.
    await page.goto(link);
    await page.getByRole('heading', { level: 1, name: 'Confirm your email address' }).waitFor();
    await page.getByRole('button', { name: 'Confirm my email address' }).click();
    await page.waitForURL(`${server.baseUrl}/login`);
    assert.equal(
      (await page.getByRole('status').innerText()).trim(),
      'Your email address is verified. You can sign in now.',
    );

    // The link works once.
    const reused = await page.goto(link);
    assert.equal(reused?.status(), 400);
    await page.getByRole('heading', { level: 1, name: 'This link is not valid' }).waitFor();

    // The first sign-in sets up the second factor: the key by hand, a code from it, the recovery codes.
    await page.goto(`${server.baseUrl}/login`);
    await submitLogin(page, email, GOOD_PASSWORD);
    const { recoveryCodes } = await completeTwoFactorSetup(page, server, email);
    assert.equal(recoveryCodes.length, 10);
    await continuePastRecoveryCodes(page, server);
    const header = page.locator('header');
    assert.ok(await header.getByText(email, { exact: true }).isVisible());
    assert.ok(await header.getByText('Client', { exact: true }).isVisible());
    assertClean(problems);
  });

  test('registering an address that already has an account shows the very same page', async (t) => {
    const { page, problems } = await open(t);
    await submitRegistration(page, server, uniqueEmail('fresh'), GOOD_PASSWORD);
    await page.getByRole('heading', { level: 1, name: 'Check your email' }).waitFor();
    const forNewAddress = await mainText(page);

    await page.goto(`${server.baseUrl}/register`);
    const response = await submitRegistration(page, server, server.client.email, GOOD_PASSWORD);
    assert.equal(response.status(), 200);
    await page.getByRole('heading', { level: 1, name: 'Check your email' }).waitFor();
    assert.equal(await mainText(page), forNewAddress);
    assert.equal(await page.title(), 'Check your email · Support');
    // The owner hears about it instead.
    const notice = await mailboxOf(server).waitFor(server.client.email, /tried to create/);
    assert.match(notice.text, /forgot-password/);
    assertClean(problems);
  });

  test('an unverified user who signs in is asked to verify and can get a new link', async (t) => {
    const { page, problems } = await open(t);
    const user = await createUser(server.app, { email: uniqueEmail('unverified'), verified: false });
    await page.goto(`${server.baseUrl}/login`);
    await submitLogin(page, user.email, user.password);
    await page.waitForURL(`${server.baseUrl}/verify-email/pending`);
    await page.getByRole('heading', { level: 1, name: 'Verify your email' }).waitFor();
    assert.ok((await mainText(page)).includes(user.email));
    // Not signed in yet: no navigation, and the home page leads back here.
    assert.equal(await page.getByRole('navigation', { name: 'Main' }).count(), 0);
    await page.goto(`${server.baseUrl}/`);
    await page.waitForURL(`${server.baseUrl}/verify-email/pending`);

    await page.getByRole('button', { name: 'Send a new link' }).click();
    await page.waitForURL(`${server.baseUrl}/verify-email/pending`);
    assert.equal((await page.getByRole('status').innerText()).trim(), `We sent a new link to ${user.email}.`);

    await openEmailedLink(page, server, user.email, /Confirm your email address/, '/verify-email');
    await page.getByRole('button', { name: 'Confirm my email address' }).click();
    await page.waitForURL(`${server.baseUrl}/login`);
    await page.getByRole('status').getByText('Your email address is verified').waitFor();
    await signIn(page, server, user);
    assertClean(problems);
  });

  test('a forgotten password is reset through the emailed link; the old one stops working', async (t) => {
    const { page, problems } = await open(t);
    const user = await createUser(server.app, { email: uniqueEmail('forgetful') });
    await requestPasswordReset(page, server, user.email);
    assert.ok((await mainText(page)).includes(RESET_SENT_MESSAGE));

    await openEmailedLink(page, server, user.email, /Reset your Support password/, '/reset-password');
    await page.getByRole('heading', { level: 1, name: 'Choose a new password' }).waitFor();
    await fillNewPassword(page, 'too short', 'too short', 'New password');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.locator('#f-password-error').getByText('Use at least 12 characters').waitFor();

    const newPassword = 'violet harbour crossing 19';
    await fillNewPassword(page, newPassword, newPassword, 'New password');
    assert.equal(await strengthOf(page).innerText(), 'Password strength: Strong');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.waitForURL(`${server.baseUrl}/login`);
    assert.equal(
      (await page.getByRole('status').innerText()).trim(),
      'Your password has been changed and every session was signed out. Sign in with your new password.',
    );

    const old = await submitLogin(page, user.email, user.password);
    assert.equal(old.status(), 401);
    assert.equal((await page.getByRole('alert').innerText()).trim(), INVALID_CREDENTIALS);
    await signIn(page, server, { ...user, password: newPassword });
    // And the owner is told.
    await mailboxOf(server).waitFor(user.email, /password was changed/);
    assertClean(problems);
  });

  test('the account page changes the password, lists sessions and signs one out', async (t) => {
    const here = await open(t);
    const elsewhere = await open(t);
    const user = await createUser(server.app, { email: uniqueEmail('account') });
    await signIn(here.page, server, user);
    await signIn(elsewhere.page, server, user);

    const page = here.page;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Account' }).click();
    await page.getByRole('heading', { level: 1, name: 'Your account' }).waitFor();
    assert.equal(await page.title(), 'Your account · Support');

    // Wrong current password first: refused, with the reason at the field.
    const newPassword = 'copper kettle meadow 58';
    const form = page.getByRole('region', { name: 'Change password' });
    await form.getByLabel('Current password').fill('not my password');
    await fillNewPassword(form, newPassword, newPassword, 'New password');
    await form.getByRole('button', { name: 'Change password' }).click();
    await page.locator('#f-current_password-error').getByText('Your current password is not correct.').waitFor();
    // The page a failed form re-renders still marks where the person is.
    assert.equal(
      await page
        .getByRole('navigation', { name: 'Main' })
        .getByRole('link', { name: 'Account' })
        .getAttribute('aria-current'),
      'page',
    );

    await form.getByLabel('Current password').fill(user.password);
    await fillNewPassword(form, newPassword, newPassword, 'New password');
    await form.getByRole('button', { name: 'Change password' }).click();
    await page
      .getByRole('status')
      .getByText('Your password has been changed. Every other session was signed out.')
      .waitFor();
    // The other browser was signed out by the change.
    await elsewhere.page.goto(`${server.baseUrl}/`);
    await elsewhere.page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();

    // Signed in again elsewhere: two sessions, this one marked.
    await signIn(elsewhere.page, server, { ...user, password: newPassword });
    await page.reload();
    const rows = page.locator('table tbody tr');
    assert.equal(await rows.count(), 2);
    const current = rows.filter({ hasText: 'This session' });
    assert.equal(await current.count(), 1);
    assert.equal(await current.getByRole('button').count(), 0, 'this session has no sign-out button of its own');
    const other = rows.filter({ hasNotText: 'This session' });
    assert.match(await other.locator('td[data-label="IP address"]').innerText(), /127\.0\.0\.1/);

    await other.getByRole('button', { name: /^Sign out/ }).click();
    await page.getByRole('status').getByText('That session has been signed out.').waitFor();
    assert.equal(await rows.count(), 1);
    assert.equal(await page.getByRole('button', { name: 'Sign out everywhere else' }).count(), 0);

    // The other browser's next page is the sign-in form.
    await elsewhere.page.reload();
    await elsewhere.page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    assert.equal(await elsewhere.page.getByRole('button', { name: 'Sign out' }).count(), 0);
    assertClean(here.problems);
    assertClean(elsewhere.problems);
  });

  test('registration works with JavaScript disabled (no meter, same result)', async (t) => {
    const { page, problems } = await open(t, { javaScriptEnabled: false });
    await page.goto(`${server.baseUrl}/register`);
    assert.equal(await page.locator('.strength').count(), 0);
    assert.equal(
      await page.getByLabel('Password', { exact: true }).getAttribute('aria-describedby'),
      'f-password-hint',
    );
    const response = await submitRegistration(page, server, uniqueEmail('nojs'), GOOD_PASSWORD);
    assert.equal(response.status(), 200);
    await page.getByRole('heading', { level: 1, name: 'Check your email' }).waitFor();
    assertClean(problems);
  });

  // Opening a state is the slow part (accounts, sign-ins, email): each is opened once, then checked in light,
  // in dark, and at the width of a small phone.
  test('every account page passes axe-core in light and dark, and fits a 320px phone, where the sessions table becomes labelled rows', async (t) => {
    // Beyond axe, the audit finds an id used twice (a label then names the wrong field, as two "Current password"
    // fields on the account page once did) and a field with no label of its own.
    await auditPages(t, ACCOUNT_PAGE_STATES, {
      context: { colorScheme: 'light' },
      async onPhone(page, state) {
        if (state.name === 'account') {
          const thead = await page.locator('table thead').boundingBox();
          assert.ok(thead && thead.height <= 1, 'the column headings are left to screen readers on a phone');
          const label = await page
            .locator('td[data-label="Last seen"]')
            .first()
            .evaluate((td) => getComputedStyle(td, '::before').content);
          assert.equal(label, '"Last seen"', 'each cell shows its column name');
        }
      },
    });
  });
});
