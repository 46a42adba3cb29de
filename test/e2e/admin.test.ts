import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { INVALID_CREDENTIALS } from '../../src/features/auth/login.routes.ts';
import { ADMIN_PAGE_STATES, adminOn } from './helpers/admin.ts';
import {
  completeTwoFactorSetup,
  continuePastRecoveryCodes,
  fillNewPassword,
  freshUser,
  GOOD_PASSWORD,
  mailboxOf,
  signIn,
  submitLogin,
  uniqueEmail,
} from './helpers/browser.ts';
import { linkIn } from './helpers/smtp.ts';
import { e2eSuite } from './helpers/suite.ts';

describe('administration in a real browser', () => {
  const { server, open, assertClean, auditPages } = e2eSuite({ smtp: true });

  /** The <dd> after the <dt> `term` in the user page's details list. */
  const detail = (page: Page, term: string) =>
    page.locator('dl.details dt', { hasText: new RegExp(`^${term}$`) }).locator('xpath=following-sibling::dd[1]');

  test('an administrator finds and opens users, and creates an account whose invitation leads to a password and a second factor', async (t) => {
    const { page, problems } = await open(t);
    await adminOn(page, server, 'Users', 'Users');
    assert.equal(await page.title(), 'Users · Support');
    const carolRow = page.locator('tbody tr', { hasText: server.client.email });
    assert.equal((await carolRow.locator('td[data-label="Role"]').innerText()).trim(), 'Client');
    assert.equal((await carolRow.locator('td[data-label="2FA"]').innerText()).trim(), 'On');

    // Filters: by role and by part of the address.
    await page.getByLabel('Email or name').fill('carol.client@');
    await page.getByLabel('Role').selectOption('client');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/role=client/);
    const roles = await page.locator('tbody td[data-label="Role"]').allInnerTexts();
    assert.ok(roles.length >= 1 && roles.every((r) => r.trim() === 'Client'), roles.join(', '));
    assert.equal(await page.locator('tbody tr', { hasText: server.admin.email }).count(), 0);
    await page.getByLabel('Role').selectOption('agent');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('No users match.').waitFor();

    // The user page.
    await page.goto(`${server.baseUrl}/admin/users`);
    await page.getByRole('link', { name: server.client.email }).click();
    await page.getByRole('heading', { level: 1, name: server.client.email }).waitFor();
    assert.equal(await page.title(), `${server.client.email} · Support`);
    assert.equal((await detail(page, 'Two-factor').innerText()).trim(), 'On');
    assert.equal((await detail(page, 'Email verified').innerText()).trim(), 'Yes');
    assert.equal((await detail(page, 'Status').innerText()).trim(), 'Active');
    assert.equal(await page.getByLabel('Email').inputValue(), server.client.email);
    assert.ok(await page.getByRole('button', { name: 'Reset two-factor' }).isVisible());
    await page.locator('.breadcrumb').getByRole('link', { name: 'Users' }).click();
    await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();

    // A new account: a bad address first, then a good one.
    await page.getByRole('link', { name: 'Create account' }).click();
    await page.getByRole('heading', { level: 1, name: 'Create an account' }).waitFor();
    await page.getByLabel('Email').fill('ivy at example');
    await page.getByRole('button', { name: 'Create and send invitation' }).click();
    await page.locator('#f-email-error').getByText('Enter an email address like name@example.com.').waitFor();
    assert.equal(await page.getByLabel('Email').getAttribute('aria-invalid'), 'true');
    const email = uniqueEmail('ivy.agent');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Name (optional)').fill('Ivy Agent');
    await page.getByLabel('Role').selectOption('agent');
    await page.getByRole('button', { name: 'Create and send invitation' }).click();
    await page.getByRole('heading', { level: 1, name: email }).waitFor();
    assert.equal(
      (await page.getByRole('status').innerText()).trim(),
      `Account created. An invitation was sent to ${email}.`,
    );
    assert.equal((await detail(page, 'Email verified').innerText()).trim(), 'No');
    assert.equal((await detail(page, 'Two-factor').innerText()).trim(), 'Not set up');
    const userUrl = page.url();

    // The invited person, in their own browser: the emailed link, a password, then the second factor.
    const invited = await open(t);
    const mail = await mailboxOf(server).waitFor(email, /You have been invited/);
    await invited.page.goto(linkIn(mail, '/invitation', server.baseUrl));
    await invited.page.getByRole('heading', { level: 1, name: 'Welcome! Choose your password' }).waitFor();
    await fillNewPassword(invited.page, GOOD_PASSWORD);
    await invited.page.getByRole('button', { name: 'Set password' }).click();
    await invited.page.waitForURL(`${server.baseUrl}/login`);
    assert.equal(
      (await invited.page.getByRole('status').innerText()).trim(),
      'Your password is set. Sign in to finish setting up your account.',
    );
    await submitLogin(invited.page, email, GOOD_PASSWORD);
    await completeTwoFactorSetup(invited.page, server, email);
    await continuePastRecoveryCodes(invited.page, server);
    assert.ok(await invited.page.locator('header').getByText('Agent', { exact: true }).isVisible());
    // The link worked once.
    const again = await invited.page.goto(linkIn(mail, '/invitation', server.baseUrl));
    assert.equal(again?.status(), 400);

    await page.goto(userUrl);
    assert.equal((await detail(page, 'Email verified').innerText()).trim(), 'Yes');
    assert.equal((await detail(page, 'Two-factor').innerText()).trim(), 'On');
    assertClean(problems);
    assertClean(invited.problems);
  });

  test('saving another role asks first (cancel keeps the old role), then says the person was signed out', async (t) => {
    const { page, problems } = await open(t);
    const maria = await freshUser(server, 'maria.client');
    await adminOn(page, server, 'Users', 'Users');
    await page.goto(`${server.baseUrl}/admin/users/${maria.id}`);
    // A name-only change asks nothing.
    const asked: string[] = [];
    page.on('dialog', (dialog) => {
      asked.push(dialog.message());
      void (asked.length === 1 ? dialog.dismiss() : dialog.accept());
    });
    await page.getByLabel('Name').fill('Maria');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Changes saved.').waitFor();
    assert.deepEqual(asked, []);

    await page.getByLabel('Role').selectOption('agent');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForTimeout(300);
    assert.equal(asked.length, 1);
    assert.match(asked[0] ?? '', /Saving another role signs Maria out of every session/);
    assert.equal((await page.locator('.page-head .badge').innerText()).trim(), 'Client', 'cancelled: nothing saved');

    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Maria’s role is now Agent.').waitFor();
    assert.equal(asked.length, 2);
    assert.equal((await page.locator('.page-head .badge').innerText()).trim(), 'Agent');
    assertClean(problems);
  });

  test('wrong passwords show up on the failed sign-ins page, with the IP address and the accounts tried', async (t) => {
    const { page, problems } = await open(t);
    const target = uniqueEmail('targeted');
    for (let i = 0; i < 3; i++) {
      await page.goto(`${server.baseUrl}/login`);
      const response = await submitLogin(page, target, `guess number ${i}`);
      assert.equal(response.status(), 401);
      assert.equal((await page.getByRole('alert').innerText()).trim(), INVALID_CREDENTIALS);
    }
    await adminOn(page, server, 'Failed sign-ins', 'Failed sign-in attempts');
    assert.equal(await page.title(), 'Failed sign-ins · Support');
    const row = page.locator('tbody tr', { has: page.locator('code', { hasText: /^127\.0\.0\.1$/ }) });
    assert.equal(await row.count(), 1);
    assert.ok(Number(await row.locator('td[data-label="Attempts"]').innerText()) >= 3);
    assert.ok((await row.locator('td[data-label="Accounts tried"]').innerText()).includes(target));
    assert.equal((await row.locator('td[data-label="Locked until"]').innerText()).trim(), 'Not locked');
    assertClean(problems);
  });

  test('the audit log filters by event, user and IP address', async (t) => {
    const { page, problems } = await open(t);
    const admin = await adminOn(page, server, 'Audit log', 'Audit log');
    assert.ok((await page.locator('tbody tr').count()) > 0);

    // The filter offers events by their names in words.
    await page.getByLabel('Event').selectOption({ label: 'Signed in' });
    await page.getByLabel('User email').fill(admin.email);
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/event=login\.success/);
    const events = await page.locator('tbody td[data-label="Event"]').allInnerTexts();
    assert.ok(events.length >= 1, 'the sign-in that opened this page is logged');
    assert.ok(
      events.every((e) => e.trim() === 'Signed in'),
      events.join(', '),
    );
    const actors = await page.locator('tbody td[data-label="Actor"]').allInnerTexts();
    assert.ok(
      actors.every((a) => a.trim() === admin.email),
      actors.join(', '),
    );
    // The filters stay filled in.
    assert.equal(await page.getByLabel('Event').inputValue(), 'login.success');
    assert.equal(await page.getByLabel('User email').inputValue(), admin.email);

    await page.getByLabel('IP address').fill('127.0.0.1');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/ip=127\.0\.0\.1/);
    const ips = await page.locator('tbody td[data-label="IP"]').allInnerTexts();
    assert.ok(ips.length >= 1 && ips.every((ip) => ip.trim() === '127.0.0.1'), ips.join(', '));

    await page.getByLabel('IP address').fill('10.9.9.9');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('No events match.').waitFor();
    await page.getByRole('link', { name: 'Clear' }).click();
    await page.waitForURL(`${server.baseUrl}/admin/audit`);
    assert.equal(await page.getByLabel('IP address').inputValue(), '');
    assert.ok((await page.locator('tbody tr').count()) > 1);
    assertClean(problems);
  });

  test('a client gets the 404 page for every administration address, and no links to them', async (t) => {
    const { page, problems } = await open(t);
    await signIn(page, server, await freshUser(server, 'curious.client'));
    const nav = page.getByRole('navigation', { name: 'Main' });
    for (const name of ['Users', 'Failed sign-ins', 'Audit log', 'Mail']) {
      assert.equal(await nav.getByRole('link', { name }).count(), 0, `no "${name}" link`);
    }
    for (const path of [
      '/admin/users',
      `/admin/users/${server.admin.id}`,
      '/admin/users/new',
      '/admin/failed-logins',
      '/admin/audit',
      '/admin/mail',
    ]) {
      const response = await page.goto(`${server.baseUrl}${path}`);
      assert.equal(response?.status(), 404, path);
      await page.getByRole('heading', { level: 1, name: 'Page not found' }).waitFor();
      assert.ok(!(await page.content()).includes(server.admin.email), `${path} shows no one's address`);
    }
    assertClean(problems);
  });

  test('every administration page passes axe-core in light and dark, and fits a 320px phone', async (t) => {
    await auditPages(t, ADMIN_PAGE_STATES, { context: { viewport: { width: 1280, height: 800 } } });
  });
});
