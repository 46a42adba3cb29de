import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type axe from 'axe-core';
import type { BrowserContext, Locator, Page, Response } from 'playwright-core';
import { randomBytes } from 'node:crypto';
import { currentTotp, timeStep, TOTP_PERIOD_SECONDS } from '../../../src/features/two-factor/totp.ts';
import type { Priority, TicketStatus } from '../../../src/db/database.ts';
import { createUser, DEFAULT_TEST_PASSWORD } from '../../helpers/factories.ts';
import { insertTickets } from '../../helpers/tickets.ts';
import type { E2eServer, TestUser } from './server.ts';
import { linkIn, type Mailbox } from './smtp.ts';

/**
 * Collects everything a page should never do: console errors, uncaught exceptions and CSP violations.
 * The `securitypolicyviolation` listener is added before any page script runs and reports through a binding,
 * so it works under the app's strict CSP.
 */
export async function watchContext(context: BrowserContext): Promise<{ problems: string[] }> {
  const problems: string[] = [];
  await context.exposeBinding('__parapetReportCsp', (source, report: string) => {
    problems.push(`CSP violation on ${source.page?.url() ?? '?'}: ${report}`);
  });
  await context.addInitScript(`
    document.addEventListener('securitypolicyviolation', function (e) {
      window.__parapetReportCsp(e.violatedDirective + ' blocked ' + (e.blockedURI || '(inline)') + ' at ' + e.sourceFile + ':' + e.lineNumber);
    });
  `);
  const watch = (page: Page) => {
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warning') {
        // Chromium logs the status of a document it was asked to load; an error page answering with its own
        // status (404; 401 for a failed sign-in; 400 for a form with errors or an invalid emailed link; 413/429 for a
        // form kept with its text after an upload or a quota was refused) is
        // intended. Anything else from a page is a problem.
        const loc = msg.location();
        const ownDocumentStatus =
          /^Failed to load resource: the server responded with a status of (400|401|404|413|429)\b/.test(msg.text()) &&
          loc.url === page.url();
        if (!ownDocumentStatus) {
          problems.push(`console ${msg.type()} on ${page.url()}: ${msg.text()} (${loc.url}:${loc.lineNumber})`);
        }
      }
    });
    page.on('pageerror', (error) => problems.push(`uncaught exception on ${page.url()}: ${error.message}`));
  };
  context.pages().forEach(watch);
  context.on('page', watch);
  return { problems };
}

/** Fills the sign-in form and submits it; resolves with the response to the POST. */
export async function submitLogin(page: Page, email: string, password: string): Promise<Response> {
  await page.getByLabel('Email').fill(email);
  // exact: the "Show password" toggle that app.js adds is labelled too.
  await page.getByLabel('Password', { exact: true }).fill(password);
  const response = page.waitForResponse(
    (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/login',
  );
  await page.getByRole('button', { name: 'Sign in' }).click();
  return response;
}

const STEP_MS = TOTP_PERIOD_SECONDS * 1000;

/** Per server and user: the newest TOTP time step a code was made for here (the server's replay guard mirrored). */
const usedSteps = new Map<string, number>();

/**
 * The code the user's authenticator app would offer now, for a time step the server has not seen used yet.
 * The server accepts the current step ±1, and only a step newer than the last one used (each code works once):
 * so up to three codes per 30 seconds need no waiting (the previous step, the current, the next); after that
 * this waits for the next step. Every code typed into the browser comes from here, so the record stays true;
 * give each test its own users and the waiting stays rare.
 */
export async function nextTotp(server: E2eServer, user: { email: string; totpSecret: string }): Promise<string> {
  const key = `${server.baseUrl} ${user.email.toLowerCase()}`;
  for (;;) {
    const now = Date.now();
    const step = timeStep(now);
    const left = (step + 1) * STEP_MS - now;
    const last = usedSteps.get(key) ?? Number.NEGATIVE_INFINITY;
    // The previous step only with seconds to spare: it leaves the server's window at the next boundary.
    const candidates = [left > 5_000 ? step - 1 : null, step, step + 1].filter(
      (s): s is number => s !== null && s > last,
    );
    const chosen = candidates[0];
    if (chosen !== undefined) {
      usedSteps.set(key, chosen);
      return currentTotp(user.totpSecret, chosen * STEP_MS + STEP_MS / 2);
    }
    await new Promise((resolve) => setTimeout(resolve, left + 50));
  }
}

/** Six digits that are not the user's code in any step the server would accept now (for the wrong-code paths). */
export function wrongTotp(totpSecret: string): string {
  const now = Date.now();
  const valid = new Set([-2, -1, 0, 1, 2].map((d) => currentTotp(totpSecret, now + d * STEP_MS)));
  for (let n = 123456; ; n = (n + 1) % 1_000_000) {
    const code = String(n).padStart(6, '0');
    if (!valid.has(code)) {
      return code;
    }
  }
}

/** Types a code on "Enter your code" and submits it; resolves with the response to the POST. */
export async function submitCode(page: Page, code: string): Promise<Response> {
  await page.getByLabel('Authentication code').fill(code);
  const response = page.waitForResponse(
    (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/login/two-factor',
  );
  await page.getByRole('button', { name: 'Verify' }).click();
  return response;
}

/**
 * Signs in through the login form, then the authenticator code when the account has one, and waits for the
 * home page. Every browser sign-in goes through here (or through submitLogin for the failing and
 * half-signed-in cases, and completeTwoFactorSetup for an account without a second factor yet).
 */
export async function signIn(
  page: Page,
  server: E2eServer,
  user: { email: string; password: string; totpSecret?: string | null },
): Promise<void> {
  await page.goto(`${server.baseUrl}/login`);
  await submitLogin(page, user.email, user.password);
  const where = async () =>
    `${page.url()} ("${await page
      .locator('h1')
      .first()
      .innerText()
      .catch(() => '?')}")`;
  try {
    await page.waitForURL((url) => url.pathname === '/' || url.pathname === '/login/two-factor');
  } catch (error) {
    throw new Error(
      `signIn(${user.email}): expected the code page or the home page after the password, but the browser is on ${await where()}`,
      { cause: error },
    );
  }
  if (new URL(page.url()).pathname === '/login/two-factor') {
    if (!user.totpSecret) {
      throw new Error(`signIn(${user.email}): the server asks for a code, but this user has no totpSecret`);
    }
    await submitCode(page, await nextTotp(server, { email: user.email, totpSecret: user.totpSecret }));
    try {
      await page.waitForURL((url) => url.pathname === '/');
    } catch (error) {
      const alert = await page
        .getByRole('alert')
        .innerText()
        .catch(() => '');
      throw new Error(`signIn(${user.email}): the code was not accepted; the browser is on ${await where()} ${alert}`, {
        cause: error,
      });
    }
  }
  await page.getByRole('heading', { level: 1, name: /^Welcome/ }).waitFor();
}

/**
 * On "Set up two-factor authentication" (an account without a second factor, right after its password):
 * reads the setup key as someone without a camera would, types the code it makes, and stops on the recovery
 * codes page. Returns the secret (for later sign-ins) and the ten recovery codes.
 */
export async function completeTwoFactorSetup(
  page: Page,
  server: E2eServer,
  email: string,
): Promise<{ totpSecret: string; recoveryCodes: string[] }> {
  await page.waitForURL((url) => url.pathname === '/two-factor/setup');
  await page.getByRole('heading', { level: 1, name: 'Set up two-factor authentication' }).waitFor();
  await page.getByText('Can’t scan? Enter the key by hand').click();
  const key = page.getByLabel('Setup key');
  // Shown in groups of four for typing by hand; an app takes it without the spaces.
  const totpSecret = (await key.innerText()).replace(/\s+/g, '');
  await page.getByLabel('Code from your app').fill(await nextTotp(server, { email, totpSecret }));
  await page.getByRole('button', { name: 'Turn on two-factor authentication' }).click();
  await page.getByRole('heading', { level: 1, name: 'Save your recovery codes' }).waitFor();
  const recoveryCodes = (await page.locator('.recovery-codes li').allInnerTexts()).map((c) => c.trim());
  return { totpSecret, recoveryCodes };
}

/** From the recovery codes page after a first enrolment: "I have saved my codes — continue" to the home page. */
export async function continuePastRecoveryCodes(page: Page, _server: E2eServer): Promise<void> {
  await page.getByRole('link', { name: 'I have saved my codes — continue' }).click();
  // To the page the sign-in was for (its `next`, kept through the first enrolment), or home.
  await page.waitForURL((url) => !['/two-factor/setup', '/login', '/login/two-factor'].includes(url.pathname));
  if (new URL(page.url()).pathname !== '/') {
    return;
  }
  await page.getByRole('heading', { level: 1, name: /^Welcome/ }).waitFor();
}

/**
 * A new account for one state or test, so no two share a user (sign-in codes, rate limits, sessions).
 * Verified and enrolled in TOTP unless told otherwise.
 */
export async function freshUser(
  server: E2eServer,
  name: string,
  overrides: Parameters<typeof createUser>[1] = {},
): Promise<TestUser> {
  // One hash of the default password per server, not one per account: the suites make a hundred.
  let hash = defaultPasswordHashes.get(server);
  if (!hash) {
    hash = server.app.hasher.hash(DEFAULT_TEST_PASSWORD);
    defaultPasswordHashes.set(server, hash);
  }
  const passwordHash =
    overrides.password === undefined && overrides.passwordHash === undefined ? await hash : undefined;
  return createUser(server.app, { email: uniqueEmail(name), ...(passwordHash ? { passwordHash } : {}), ...overrides });
}

const defaultPasswordHashes = new WeakMap<E2eServer, Promise<string>>();

/** Clicks "Sign out" and waits for the login page. */
export async function signOut(page: Page, server: E2eServer): Promise<void> {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(`${server.baseUrl}/login`);
  await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
}

/**
 * Tickets for the home pages: `client`'s, of every status and age (hours to days), two waiting for the client's
 * reply; with `staff`, some assigned to them and some to nobody.
 */
async function seedHomeTickets(server: E2eServer, client: { id: number }, staff?: { id: number }): Promise<void> {
  const HOUR = 3_600_000;
  const rows: Array<{ subject: string; status: TicketStatus; priority: Priority; hours: number; mine: boolean }> = [
    {
      subject: 'Invoice 2026-114 shows the wrong VAT rate',
      status: 'awaiting_client',
      priority: 'normal',
      hours: 2,
      mine: true,
    },
    {
      subject: 'Cannot upload files larger than 5 MB',
      status: 'awaiting_staff',
      priority: 'high',
      hours: 5,
      mine: false,
    },
    {
      subject: 'Password reset email never arrives',
      status: 'awaiting_staff',
      priority: 'urgent',
      hours: 27,
      mine: true,
    },
    {
      subject: 'Export to CSV drops accented characters',
      status: 'awaiting_client',
      priority: 'low',
      hours: 50,
      mine: false,
    },
    {
      subject: 'How do I add a colleague to our account?',
      status: 'awaiting_staff',
      priority: 'normal',
      hours: 76,
      mine: false,
    },
    {
      subject: 'Printer driver download link is broken',
      status: 'resolved',
      priority: 'normal',
      hours: 200,
      mine: true,
    },
  ];
  const now = Date.now();
  const ids = await insertTickets(server.app.db, client, rows.length, now, (i) => {
    const r = rows[i];
    if (!r) {
      throw new Error(`no row ${i}`);
    }
    const at = now - r.hours * HOUR;
    return { subject: r.subject, status: r.status, priority: r.priority, createdAt: at, updatedAt: at };
  });
  if (staff) {
    const mine = ids.filter((_, i) => rows[i]?.mine);
    await server.app.db.updateTable('tickets').set({ assignee_id: staff.id }).where('id', 'in', mine).execute();
  }
}

/** Every distinct page state, reached the way a person would; shared by the axe checks and the screenshots. */
export interface PageState {
  name: string;
  open(page: Page, server: E2eServer): Promise<void>;
}

export const PAGE_STATES: readonly PageState[] = [
  {
    name: 'login',
    open: async (page, server) => {
      await page.goto(`${server.baseUrl}/`);
      await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    },
  },
  {
    name: 'login-error',
    open: async (page, server) => {
      await page.goto(`${server.baseUrl}/login`);
      await submitLogin(page, server.admin.email, 'not the right password');
      await page.getByRole('alert').waitFor();
    },
  },
  // Each state signs in a user of its own: one user's codes would soon run out (see nextTotp).
  {
    name: 'home-client-empty',
    open: async (page, server) => {
      await signIn(page, server, await freshUser(server, 'carol.client'));
      await page.getByRole('heading', { level: 2, name: 'You have no tickets yet' }).waitFor();
    },
  },
  {
    name: 'home-client',
    open: async (page, server) => {
      const client = await freshUser(server, 'carol.client');
      await seedHomeTickets(server, client);
      await signIn(page, server, client);
      await page.getByRole('heading', { level: 2, name: /^Waiting for your reply/ }).waitFor();
    },
  },
  {
    name: 'home-agent',
    open: async (page, server) => {
      const agent = await freshUser(server, 'alex.agent', { role: 'agent' });
      await seedHomeTickets(server, await freshUser(server, 'maria.client'), agent);
      await signIn(page, server, agent);
      await page.getByRole('heading', { level: 2, name: /^Assigned to me/ }).waitFor();
    },
  },
  {
    name: 'home-admin',
    open: async (page, server) => {
      const admin = await freshUser(server, 'ada.admin', { role: 'administrator' });
      await seedHomeTickets(server, await freshUser(server, 'maria.client'), admin);
      const now = Date.now();
      await server.app.db
        .insertInto('failed_logins')
        .values(
          [1, 2, 3].map((i) => ({
            ip: `198.51.100.${i}`,
            email: `guess${i}@example.test`,
            user_id: null,
            reason: 'wrong_password',
            created_at: now - i * 60_000,
          })),
        )
        .execute();
      await signIn(page, server, admin);
      await page.getByRole('heading', { level: 2, name: 'Security' }).waitFor();
    },
  },
  {
    name: 'signed-out',
    open: async (page, server) => {
      await signIn(page, server, await freshUser(server, 'carol.client'));
      await signOut(page, server);
    },
  },
  {
    name: 'not-found',
    open: async (page, server) => {
      await page.goto(`${server.baseUrl}/no-such-page`);
      await page.getByRole('heading', { level: 1, name: 'Page not found' }).waitFor();
    },
  },
];

/** The SMTP server a test server delivers to; the account states need one (startServer({ smtp: true })). */
export function mailboxOf(server: E2eServer): Mailbox {
  if (!server.mailbox) {
    throw new Error('this needs a server started with { smtp: true }');
  }
  return server.mailbox;
}

let emailCounter = 0;

/** A fresh address on every call, so states and flows never share an account (or its rate limits). */
export function uniqueEmail(name: string): string {
  emailCounter += 1;
  return `${name}.${emailCounter}.${randomBytes(3).toString('hex')}@example.test`;
}

/** A password the server's policy accepts (long, not common, no email or product name in it). */
export const GOOD_PASSWORD = 'tangerine lighthouse orbit 7';

/** Waits for the email to `to` whose subject matches, and opens its link to `path` (e.g. '/reset-password'). */
export async function openEmailedLink(
  page: Page,
  server: E2eServer,
  to: string,
  subject: RegExp,
  path: string,
): Promise<Response | null> {
  const mail = await mailboxOf(server).waitFor(to, subject);
  return page.goto(linkIn(mail, path, server.baseUrl));
}

/** Fills a new-password pair (register, reset, account) and leaves submitting to the caller. */
export async function fillNewPassword(
  scope: Page | Locator,
  password: string,
  confirm = password,
  label = 'Password',
): Promise<void> {
  await scope.getByLabel(label, { exact: true }).fill(password);
  await scope.getByLabel(`Confirm ${label.toLowerCase()}`, { exact: true }).fill(confirm);
}

/** Registers through the form, starting from the sign-in page's "Create an account" link. */
export async function submitRegistration(
  page: Page,
  server: E2eServer,
  email: string,
  password: string,
  confirm = password,
): Promise<Response> {
  if (new URL(page.url()).pathname !== '/register') {
    await page.goto(`${server.baseUrl}/login`);
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByRole('heading', { level: 1, name: 'Create your account' }).waitFor();
  }
  await page.getByLabel('Email').fill(email);
  await fillNewPassword(page, password, confirm);
  const response = page.waitForResponse(
    (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/register',
  );
  await page.getByRole('button', { name: 'Create account' }).click();
  return response;
}

/** Asks for a password reset from the sign-in page's "Forgot password?" link; ends on "Check your email". */
export async function requestPasswordReset(page: Page, server: E2eServer, email: string): Promise<void> {
  await page.goto(`${server.baseUrl}/login`);
  await page.getByRole('link', { name: 'Forgot password?' }).click();
  await page.getByRole('heading', { level: 1, name: 'Reset your password' }).waitFor();
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Send reset link' }).click();
  await page.getByRole('heading', { level: 1, name: 'Check your email' }).waitFor();
}

/** An unverified account signed in with its password: the browser is on "Verify your email". */
async function signInUnverified(page: Page, server: E2eServer): Promise<TestUser> {
  const user = await createUser(server.app, { email: uniqueEmail('pending'), verified: false });
  await page.goto(`${server.baseUrl}/login`);
  await submitLogin(page, user.email, user.password);
  await page.waitForURL(`${server.baseUrl}/verify-email/pending`);
  await page.getByRole('heading', { level: 1, name: 'Verify your email' }).waitFor();
  return user;
}

/** The reset-password page, reached through the email a reset request sends. */
async function openResetPage(page: Page, server: E2eServer): Promise<void> {
  const user = await createUser(server.app, { email: uniqueEmail('forgetful') });
  await requestPasswordReset(page, server, user.email);
  await openEmailedLink(page, server, user.email, /Reset your/, '/reset-password');
  await page.getByRole('heading', { level: 1, name: 'Choose a new password' }).waitFor();
}

/** The account page of a fresh client that is also signed in from a second browser (so two sessions are listed). */
async function openAccountWithTwoSessions(page: Page, server: E2eServer): Promise<TestUser> {
  const user = await createUser(server.app, { email: uniqueEmail('account') });
  const browser = page.context().browser();
  if (!browser) {
    throw new Error('no browser');
  }
  const elsewhere = await browser.newContext();
  try {
    await signIn(await elsewhere.newPage(), server, user);
  } finally {
    await elsewhere.close();
  }
  await signIn(page, server, user);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Account' }).click();
  await page.getByRole('heading', { level: 1, name: 'Your account' }).waitFor();
  await page.locator('table tbody tr').nth(1).waitFor();
  return user;
}

/** The pages of registration, verification, password reset and the account page; need a server with { smtp: true }. */
export const ACCOUNT_PAGE_STATES: readonly PageState[] = [
  {
    name: 'register',
    open: async (page, server) => {
      await page.goto(`${server.baseUrl}/login`);
      await page.getByRole('link', { name: 'Create an account' }).click();
      await page.getByRole('heading', { level: 1, name: 'Create your account' }).waitFor();
    },
  },
  {
    name: 'register-typing',
    open: async (page, server) => {
      await page.goto(`${server.baseUrl}/register`);
      await page.getByLabel('Email').fill('sam.sample@example.test');
      // Long enough, varied, but short of a passphrase: the meter says "Fair".
      await page.getByLabel('Password', { exact: true }).fill('Correct-Horse7');
      await page.getByText('Password strength: Fair').waitFor();
    },
  },
  {
    name: 'register-errors',
    open: async (page, server) => {
      await submitRegistration(page, server, 'not-an-email', 'password1234');
      await page.getByText('too common').waitFor();
    },
  },
  {
    name: 'check-email',
    open: async (page, server) => {
      await submitRegistration(page, server, uniqueEmail('newcomer'), GOOD_PASSWORD);
      await page.getByRole('heading', { level: 1, name: 'Check your email' }).waitFor();
    },
  },
  { name: 'verify-pending', open: async (page, server) => void (await signInUnverified(page, server)) },
  {
    name: 'verify-resent',
    open: async (page, server) => {
      await signInUnverified(page, server);
      await page.getByRole('button', { name: 'Send a new link' }).click();
      await page.getByRole('status').getByText('We sent a new link').waitFor();
    },
  },
  {
    name: 'confirm-email',
    open: async (page, server) => {
      const user = await signInUnverified(page, server);
      await page.getByRole('button', { name: 'Send a new link' }).click();
      await page.getByRole('status').waitFor();
      await openEmailedLink(page, server, user.email, /Confirm your email/, '/verify-email');
      await page.getByRole('heading', { level: 1, name: 'Confirm your email address' }).waitFor();
    },
  },
  {
    name: 'invalid-link',
    open: async (page, server) => {
      await page.goto(`${server.baseUrl}/verify-email?token=${randomBytes(32).toString('base64url')}`);
      await page.getByRole('heading', { level: 1, name: 'This link is not valid' }).waitFor();
    },
  },
  {
    name: 'forgot-password',
    open: async (page, server) => {
      await page.goto(`${server.baseUrl}/login`);
      await page.getByRole('link', { name: 'Forgot password?' }).click();
      await page.getByRole('heading', { level: 1, name: 'Reset your password' }).waitFor();
    },
  },
  { name: 'reset-password', open: openResetPage },
  {
    name: 'reset-password-error',
    open: async (page, server) => {
      await openResetPage(page, server);
      await fillNewPassword(page, 'short one', 'short one', 'New password');
      await page.getByRole('button', { name: 'Change password' }).click();
      await page.getByText('Use at least').waitFor();
    },
  },
  { name: 'account', open: async (page, server) => void (await openAccountWithTwoSessions(page, server)) },
  {
    name: 'account-errors',
    open: async (page, server) => {
      await openAccountWithTwoSessions(page, server);
      const form = page.getByRole('region', { name: 'Change password' });
      await form.getByLabel('Current password').fill('not my password at all');
      await fillNewPassword(form, 'password1234', 'password1234', 'New password');
      await form.getByRole('button', { name: 'Change password' }).click();
      await page.getByText('Your current password is not correct.').waitFor();
    },
  },
];

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

type AxeGlobal = { axe?: typeof axe };

/**
 * Runs axe-core on the current page. The source is injected with evaluate (DevTools protocol, not a
 * <script> tag), so the page's CSP needs no exception and the check sees the page exactly as served.
 */
export async function runAxe(page: Page, onlyRules?: readonly string[]): Promise<axe.Result[]> {
  const loaded = await page.evaluate(() => typeof (globalThis as AxeGlobal).axe === 'object');
  if (!loaded) {
    await page.evaluate(AXE_SOURCE);
  }
  const results = await page.evaluate(
    (rules) => {
      const a = (globalThis as AxeGlobal).axe;
      if (!a) {
        throw new Error('axe-core did not load');
      }
      return a.run({ resultTypes: ['violations'], ...(rules ? { runOnly: { type: 'rule', values: rules } } : {}) });
    },
    onlyRules ? [...onlyRules] : null,
  );
  return results.violations;
}

/** The rules whose outcome can change with the colour scheme (everything else is the same page twice). */
export const COLOUR_RULES = ['color-contrast', 'link-in-text-block'] as const;

export const BLOCKING_IMPACTS = new Set(['serious', 'critical']);

/** One readable block per violation: rule, impact, help link, and each offending node with axe's explanation. */
export function formatViolations(label: string, violations: axe.Result[]): string {
  return violations
    .map((v) => {
      const nodes = v.nodes
        .map(
          (n) =>
            `    - ${n.target.join(' ')}\n      ${n.html}\n      ${(n.failureSummary ?? '').replace(/\n/g, '\n      ')}`,
        )
        .join('\n');
      return `[${label}] ${v.id} (${v.impact ?? 'unknown'}): ${v.help}\n  ${v.helpUrl}\n${nodes}`;
    })
    .join('\n\n');
}

/**
 * axe-core on the page as it stands, in light and then in dark (the same page: opening a state is the slow part).
 * Returns the serious and critical findings, formatted; hands the minor ones to `note` (t.diagnostic).
 */
export async function axeInBothSchemes(page: Page, label: string, note: (message: string) => void): Promise<string[]> {
  const failures: string[] = [];
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    // Every rule in light; in dark only what colours decide (contrast), which halves the time per page.
    const violations = await runAxe(page, colorScheme === 'dark' ? COLOUR_RULES : undefined);
    const blocking = violations.filter((v) => BLOCKING_IMPACTS.has(v.impact ?? ''));
    const minor = violations.filter((v) => !BLOCKING_IMPACTS.has(v.impact ?? ''));
    if (minor.length > 0) {
      note(`minor axe findings on ${label} (${colorScheme}):\n${formatViolations(label, minor)}`);
    }
    if (blocking.length > 0) {
      failures.push(formatViolations(`${label}, ${colorScheme}`, blocking));
    }
  }
  return failures;
}

/**
 * What axe lets through: an id used twice (a label then names the wrong field) and a form field without exactly
 * one label of its own. Returns a description, or null when the page has neither.
 */
export async function structureProblems(page: Page): Promise<string | null> {
  const found = await page.evaluate(() => {
    const ids = [...document.querySelectorAll('[id]')].map((e) => e.id);
    const fields = [
      ...document.querySelectorAll<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>(
        'input:not([type="hidden"]), select, textarea',
      ),
    ];
    return {
      duplicateIds: ids.filter((id, i) => ids.indexOf(id) !== i),
      unlabelled: fields.filter((field) => field.labels?.length !== 1).map((field) => field.name),
    };
  });
  if (found.duplicateIds.length === 0 && found.unlabelled.length === 0) {
    return null;
  }
  return `duplicate ids: ${found.duplicateIds.join(', ') || '-'}; fields without exactly one label: ${found.unlabelled.join(', ') || '-'}`;
}

/**
 * How far the page scrolls sideways ('' when it fits its viewport), naming the elements that stick out (those
 * not inside a box that scrolls or clips them), so a failure says where to look.
 */
export async function sidewaysOverflow(page: Page): Promise<string> {
  return page.evaluate(() => {
    const root = document.documentElement;
    const overflow = root.scrollWidth - root.clientWidth;
    if (overflow <= 0) {
      return '';
    }
    // No named functions in here: tsx would wrap them in a helper (__name) that the page does not have.
    const culprits = [...document.querySelectorAll('body *')]
      .filter((el) => {
        if (el.getBoundingClientRect().right <= root.clientWidth + 0.01) {
          return false;
        }
        for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
          if (getComputedStyle(p).overflowX !== 'visible') {
            return false;
          }
        }
        return true;
      })
      .slice(0, 5)
      .map(
        (el) =>
          `<${el.tagName.toLowerCase()} class="${el.className}"> right edge at ${el.getBoundingClientRect().right.toFixed(1)}px`,
      );
    return `${root.scrollWidth}px wide in a ${root.clientWidth}px viewport: ${culprits.join('; ') || 'no element found'}`;
  });
}

/** Runs `fn` over the items, `width` at a time (each item opening its own browser context and accounts). */
export async function inParallel<T>(items: readonly T[], fn: (item: T) => Promise<void>, width = 2): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: width }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
        await fn(item);
      }
    }),
  );
}
