import type { Page } from 'playwright-core';
import type { TestUser } from '../../helpers/factories.ts';
import { freshUser, mailboxOf, type PageState, signIn, uniqueEmail } from './browser.ts';
import { asUser, HttpSession } from './http.ts';
import type { E2eServer } from './server.ts';
import { issueToken } from '../../../src/features/accounts/token.repository.ts';
import { throttleKey } from '../../../src/features/auth/login-throttle.ts';
import { countAttempt } from '../../../src/features/auth/login-throttle.repository.ts';
import { linkIn } from './smtp.ts';

/** Signs in a fresh administrator and opens an item of the main navigation. */
export async function adminOn(
  page: Page,
  server: E2eServer,
  link: 'Users' | 'Failed sign-ins' | 'Audit log' | 'Mail',
  heading: string,
): Promise<TestUser> {
  const admin = await freshUser(server, 'ada.admin', { role: 'administrator' });
  await signIn(page, server, admin);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: link }).click();
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
  return admin;
}

/** Wrong passwords from 127.0.0.1 for `email`, as a browser's login form would send them. */
export async function failSignIns(server: E2eServer, email: string, times: number): Promise<void> {
  const visitor = await HttpSession.anonymous(server);
  try {
    for (let i = 0; i < times; i++) {
      await visitor.get('/login');
      const res = await visitor.post('/login', { email, password: `not the password ${i}` });
      if (res.status() !== 401) {
        throw new Error(`a wrong password answered ${res.status()}`);
      }
    }
  } finally {
    await visitor.dispose();
  }
}

/** An administrator creates an account through the form; returns the link of the invitation email it sends. */
export async function inviteOver(
  server: E2eServer,
  admin: TestUser,
  input: { email: string; name: string; role: string },
): Promise<string> {
  await asUser(server, admin, async (s) => {
    await s.get('/admin/users/new');
    await s.submit('/admin/users', input);
  });
  const mail = await mailboxOf(server).waitFor(input.email, /You have been invited/);
  return linkIn(mail, '/invitation', server.baseUrl);
}

/** The administration pages; the invitation state needs a server with { smtp: true }. */
export const ADMIN_PAGE_STATES: readonly PageState[] = [
  { name: 'admin-users', open: async (page, server) => void (await adminOn(page, server, 'Users', 'Users')) },
  {
    name: 'admin-users-filtered',
    open: async (page, server) => {
      await adminOn(page, server, 'Users', 'Users');
      await page.getByLabel('Email or name').fill('carol');
      await page.getByLabel('Role').selectOption('client');
      await page.getByRole('button', { name: 'Apply' }).click();
      await page.waitForURL(/role=client/);
    },
  },
  {
    name: 'admin-user',
    open: async (page, server) => {
      const user = await freshUser(server, 'carol.client', { twoFactor: false });
      await adminOn(page, server, 'Users', 'Users');
      await page.getByRole('link', { name: user.email }).click();
      await page.getByRole('heading', { level: 1, name: user.email }).waitFor();
    },
  },
  {
    // Sign-in paused by failed attempts: the pause is made in the database (from the browser's IP, the same
    // attempts would also spend the IP's budget that the administrator is about to sign in from).
    name: 'admin-user-paused',
    open: async (page, server) => {
      const user = await freshUser(server, 'paula.paused', { twoFactor: false });
      for (let i = 0; i < 6; i++) {
        await countAttempt(server.app.db, throttleKey(user.email), Date.now());
      }
      await adminOn(page, server, 'Users', 'Users');
      await page.goto(`${server.baseUrl}/admin/users/${user.id}`);
      await page.getByRole('button', { name: 'Unlock sign-in' }).waitFor();
    },
  },
  {
    // The page behind the emailed "unlock my account" link.
    name: 'unlock-confirm',
    open: async (page, server) => {
      const user = await freshUser(server, 'paula.paused', { twoFactor: false });
      const token = await issueToken(server.app.db, Date.now(), user.id, 'unlock');
      await page.goto(`${server.baseUrl}/unlock/${token}`);
      await page.getByRole('heading', { level: 1, name: 'Unlock sign-in' }).waitFor();
    },
  },
  {
    // After a role change: the flash says who was signed out of how many sessions.
    name: 'admin-user-role-changed',
    open: async (page, server) => {
      const user = await freshUser(server, 'maria.client');
      await asUser(server, user, async () => undefined);
      await adminOn(page, server, 'Users', 'Users');
      await page.goto(`${server.baseUrl}/admin/users/${user.id}`);
      await page.getByLabel('Name').fill('Maria');
      await page.getByLabel('Role').selectOption('agent');
      page.once('dialog', (dialog) => void dialog.accept());
      await page.getByRole('button', { name: 'Save' }).click();
      await page.getByText('Maria’s role is now Agent.').waitFor();
    },
  },
  {
    name: 'admin-delete-user',
    open: async (page, server) => {
      const user = await freshUser(server, 'leaving.client');
      await adminOn(page, server, 'Users', 'Users');
      await page.goto(`${server.baseUrl}/admin/users/${user.id}`);
      await page.getByRole('link', { name: 'Delete account…' }).click();
      await page.getByRole('heading', { level: 1, name: `Delete ${user.email}?` }).waitFor();
    },
  },
  {
    name: 'admin-new-user',
    open: async (page, server) => {
      await adminOn(page, server, 'Users', 'Users');
      await page.getByRole('link', { name: 'Create account' }).click();
      await page.getByRole('heading', { level: 1, name: 'Create an account' }).waitFor();
    },
  },
  {
    name: 'admin-new-user-error',
    open: async (page, server) => {
      await adminOn(page, server, 'Users', 'Users');
      await page.getByRole('link', { name: 'Create account' }).click();
      await page.getByLabel('Email').fill('not-an-address');
      await page.getByRole('button', { name: 'Create and send invitation' }).click();
      await page.getByText('Enter an email address like name@example.com.').waitFor();
    },
  },
  {
    name: 'invitation',
    open: async (page, server) => {
      const admin = await freshUser(server, 'ada.admin', { role: 'administrator' });
      await page.goto(
        await inviteOver(server, admin, { email: uniqueEmail('invited'), name: 'Ivy Invited', role: 'agent' }),
      );
      await page.getByRole('heading', { level: 1, name: 'Welcome! Choose your password' }).waitFor();
    },
  },
  {
    name: 'admin-failed-logins',
    open: async (page, server) => {
      await failSignIns(server, uniqueEmail('forgetful'), 2);
      await failSignIns(server, 'nobody@example.test', 1);
      await adminOn(page, server, 'Failed sign-ins', 'Failed sign-in attempts');
    },
  },
  { name: 'admin-audit', open: async (page, server) => void (await adminOn(page, server, 'Audit log', 'Audit log')) },
  {
    name: 'admin-audit-filtered',
    open: async (page, server) => {
      const admin = await adminOn(page, server, 'Audit log', 'Audit log');
      await page.getByLabel('Event').selectOption({ label: 'Signed in' });
      await page.getByLabel('User email').fill(admin.email);
      await page.getByRole('button', { name: 'Apply' }).click();
      await page.waitForURL(/event=login.success/);
    },
  },
];
