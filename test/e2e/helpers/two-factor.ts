import type { Page } from 'playwright-core';
import {
  completeTwoFactorSetup,
  freshUser,
  type PageState,
  signIn,
  submitCode,
  submitLogin,
  wrongTotp,
} from './browser.ts';
import type { E2eServer } from './server.ts';

/** A fresh account without a second factor, after its password: the browser is on the setup page. */
async function openSetup(page: Page, server: E2eServer): Promise<string> {
  const user = await freshUser(server, 'new.starter', { twoFactor: false });
  await page.goto(`${server.baseUrl}/login`);
  await submitLogin(page, user.email, user.password);
  await page.waitForURL((url) => url.pathname === '/two-factor/setup');
  await page.getByRole('heading', { level: 1, name: 'Set up two-factor authentication' }).waitFor();
  return user.email;
}

/** A fresh enrolled account after its password: the browser is on "Enter your code". Returns its secret. */
async function openCodePage(page: Page, server: E2eServer): Promise<string> {
  const user = await freshUser(server, 'returning');
  await page.goto(`${server.baseUrl}/login`);
  await submitLogin(page, user.email, user.password);
  await page.waitForURL(`${server.baseUrl}/login/two-factor`);
  await page.getByRole('heading', { level: 1, name: 'Enter your code' }).waitFor();
  return user.totpSecret ?? '';
}

/** Sign-in's second step and the account's two-factor pages. */
export const TWO_FACTOR_PAGE_STATES: readonly PageState[] = [
  { name: 'two-factor-setup', open: async (page, server) => void (await openSetup(page, server)) },
  {
    name: 'two-factor-setup-error',
    open: async (page, server) => {
      await openSetup(page, server);
      await page.getByText('Can’t scan? Enter the key by hand').click();
      const secret = (await page.getByLabel('Setup key').innerText()).replace(/\s+/g, '');
      await page.getByLabel('Code from your app').fill(wrongTotp(secret));
      await page.getByRole('button', { name: 'Turn on two-factor authentication' }).click();
      await page.getByRole('alert').getByText('That code is not valid').waitFor();
      // The key again, open: the disclosure's content is part of what is checked and shot.
      await page.getByText('Can’t scan? Enter the key by hand').click();
      await page.getByLabel('Setup key').waitFor();
    },
  },
  { name: 'two-factor-code', open: async (page, server) => void (await openCodePage(page, server)) },
  {
    name: 'two-factor-code-error',
    open: async (page, server) => {
      const secret = await openCodePage(page, server);
      await submitCode(page, wrongTotp(secret));
      await page.getByRole('alert').getByText('That code is not valid').waitFor();
    },
  },
  {
    name: 'two-factor-recovery-codes',
    open: async (page, server) => {
      await completeTwoFactorSetup(page, server, await openSetup(page, server));
    },
  },
  {
    name: 'account-two-factor',
    open: async (page, server) => {
      await signIn(page, server, await freshUser(server, 'careful'));
      await page.goto(`${server.baseUrl}/account/two-factor`);
      await page.getByRole('heading', { level: 1, name: 'Two-factor authentication' }).waitFor();
    },
  },
  {
    name: 'reauth',
    open: async (page, server) => {
      await signIn(page, server, await freshUser(server, 'careful'));
      await page.goto(`${server.baseUrl}/reauth?next=${encodeURIComponent('/account/two-factor')}`);
      await page.getByRole('heading', { level: 1, name: 'Confirm it’s you' }).waitFor();
    },
  },
];
