import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { INVALID_CREDENTIALS } from '../../src/features/auth/login.routes.ts';
import { createUser } from '../helpers/factories.ts';
import { PAGE_STATES, type PageState, signIn, signOut, submitLogin } from './helpers/browser.ts';
import { e2eSuite } from './helpers/suite.ts';

describe('foundation in a real browser', () => {
  const { server, open, assertClean, auditPages } = e2eSuite();

  test('an anonymous visitor to / sees the sign-in form with visible labels', async (t) => {
    const { page, problems } = await open(t);
    const response = await page.goto(`${server.baseUrl}/`);
    assert.equal(response?.status(), 200);
    assert.equal(await page.title(), 'Sign in · Support');
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    for (const label of ['Email', 'Password']) {
      assert.ok(
        await page.locator('label', { hasText: new RegExp(`^${label}$`) }).isVisible(),
        `label "${label}" is visible`,
      );
    }
    assert.equal(await page.getByLabel('Email').getAttribute('type'), 'email');
    assert.equal(await page.getByLabel('Password', { exact: true }).getAttribute('type'), 'password');
    assert.ok(await page.getByRole('button', { name: 'Sign in' }).isVisible());
    // Signed-out pages show no account controls.
    assert.equal(await page.getByRole('button', { name: 'Sign out' }).count(), 0);
    // app.js loaded under the CSP and added the show-password toggle.
    await page.getByRole('button', { name: 'Show password' }).click();
    assert.equal(await page.getByLabel('Password', { exact: true }).getAttribute('type'), 'text');
    assertClean(problems);
  });

  test('a wrong password and an unknown email get the identical message and status', async (t) => {
    const { page, problems } = await open(t);
    const seen: Array<{ status: number; alert: string }> = [];
    for (const email of [server.admin.email, 'nobody-here@example.test']) {
      await page.goto(`${server.baseUrl}/login`);
      const response = await submitLogin(page, email, 'definitely not the password');
      const alert = page.getByRole('alert');
      await alert.waitFor();
      seen.push({ status: response.status(), alert: (await alert.innerText()).trim() });
      // The email is kept so the person can correct the password; the password is not.
      assert.equal(await page.getByLabel('Email').inputValue(), email);
      assert.equal(await page.getByLabel('Password', { exact: true }).inputValue(), '');
    }
    assert.deepEqual(seen, [
      { status: 401, alert: INVALID_CREDENTIALS },
      { status: 401, alert: INVALID_CREDENTIALS },
    ]);
    assert.equal(INVALID_CREDENTIALS, 'Invalid email or password.');
    assertClean(problems);
  });

  test('the administrator signs in, sees their email and role, and signs out', async (t) => {
    const { page, problems } = await open(t);
    await signIn(page, server, server.admin);
    assert.equal(await page.title(), 'Home · Support');
    const header = page.locator('header');
    assert.ok(await header.getByText(server.admin.email, { exact: true }).isVisible());
    assert.ok(await header.getByText('Administrator', { exact: true }).isVisible());
    assert.ok(await page.getByRole('main').getByText(server.admin.email).isVisible());
    assert.equal(
      await page
        .getByRole('navigation', { name: 'Main' })
        .getByRole('link', { name: 'Home' })
        .getAttribute('aria-current'),
      'page',
    );

    await signOut(page, server);
    const status = page.getByRole('status');
    assert.equal((await status.innerText()).trim(), 'You have signed out.');
    assert.equal(await page.getByRole('button', { name: 'Sign out' }).count(), 0);
    // The session is really gone: the home page asks for a sign-in again, and the message was shown once.
    await page.goto(`${server.baseUrl}/`);
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    assert.equal(await page.getByRole('status').count(), 0);
    assertClean(problems);
  });

  test('a client signs in and sees the Client badge', async (t) => {
    const { page, problems } = await open(t);
    await signIn(page, server, server.client);
    const header = page.locator('header');
    assert.ok(await header.getByText(server.client.email, { exact: true }).isVisible());
    assert.ok(await header.getByText('Client', { exact: true }).isVisible());
    assert.equal(await header.getByText('Administrator', { exact: true }).count(), 0);
    assertClean(problems);
  });

  test('an unknown address shows a friendly 404 page', async (t) => {
    const { page, problems } = await open(t);
    const response = await page.goto(`${server.baseUrl}/no-such-page`);
    assert.equal(response?.status(), 404);
    assert.equal(await page.title(), 'Page not found · Support');
    await page.getByRole('heading', { level: 1, name: 'Page not found' }).waitFor();
    assert.ok(await page.getByText('The page you asked for does not exist').isVisible());
    // Styled like the rest of the app, with a way back.
    assert.equal(await page.locator('link[rel="stylesheet"]').count(), 1);
    await page.getByRole('link', { name: 'Go to the start page' }).click();
    await page.waitForURL(`${server.baseUrl}/`);
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    assertClean(problems);
  });

  test('sign-in and sign-out work with JavaScript disabled', async (t) => {
    const { page, problems } = await open(t, { javaScriptEnabled: false });
    await page.goto(`${server.baseUrl}/`);
    // No enhancement ran: the plain password field, no toggle.
    assert.equal(await page.getByRole('button', { name: 'Show password' }).count(), 0);
    const failed = await submitLogin(page, server.client.email, 'wrong password here');
    assert.equal(failed.status(), 401);
    assert.equal((await page.getByRole('alert').innerText()).trim(), INVALID_CREDENTIALS);

    await signIn(page, server, server.client);
    assert.ok(await page.locator('header').getByText('Client', { exact: true }).isVisible());
    await signOut(page, server);
    assert.equal((await page.getByRole('status').innerText()).trim(), 'You have signed out.');
    assertClean(problems);
  });

  // Each state is opened once (a sign-in and an account of its own), then checked in light, in dark, and at
  // the width of a small phone.
  test('every page passes axe-core in light and dark with no serious or critical violations, and none scrolls sideways at 320px', async (t) => {
    const longEmail = await createUser(server.app, {
      role: 'administrator',
      email: `${'averylongmailboxname'.repeat(3)}@subdomain.example.test`,
    });
    const longEmailState: PageState = {
      name: 'home with a long email',
      open: (page) => signIn(page, server, longEmail),
    };
    await auditPages(t, [...PAGE_STATES, longEmailState], { structure: false });
  });
});
