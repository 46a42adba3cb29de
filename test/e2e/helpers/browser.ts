import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type axe from 'axe-core';
import type { BrowserContext, Page, Response } from 'playwright-core';
import type { E2eServer, TestUser } from './server.ts';

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
        // status (404, or 401 for a failed sign-in) is intended. Anything else from a page is a problem.
        const loc = msg.location();
        const ownDocumentStatus = /^Failed to load resource: the server responded with a status of (401|404)\b/.test(msg.text()) && loc.url === page.url();
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
  const response = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/login');
  await page.getByRole('button', { name: 'Sign in' }).click();
  return response;
}

/** Signs in through the login form and waits for the home page. */
export async function signIn(page: Page, server: E2eServer, user: TestUser): Promise<void> {
  await page.goto(`${server.baseUrl}/login`);
  await submitLogin(page, user.email, user.password);
  await page.waitForURL(`${server.baseUrl}/`);
  await page.getByRole('heading', { level: 1, name: /^Welcome/ }).waitFor();
}

/** Clicks "Sign out" and waits for the login page. */
export async function signOut(page: Page, server: E2eServer): Promise<void> {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(`${server.baseUrl}/login`);
  await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
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
  { name: 'home-administrator', open: (page, server) => signIn(page, server, server.admin) },
  { name: 'home-client', open: (page, server) => signIn(page, server, server.client) },
  {
    name: 'signed-out',
    open: async (page, server) => {
      await signIn(page, server, server.client);
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

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

type AxeGlobal = { axe?: typeof axe };

/**
 * Runs axe-core on the current page. The source is injected with evaluate (DevTools protocol, not a
 * <script> tag), so the page's CSP needs no exception and the check sees the page exactly as served.
 */
export async function runAxe(page: Page): Promise<axe.Result[]> {
  const loaded = await page.evaluate(() => typeof (globalThis as AxeGlobal).axe === 'object');
  if (!loaded) {
    await page.evaluate(AXE_SOURCE);
  }
  const results = await page.evaluate(() => {
    const a = (globalThis as AxeGlobal).axe;
    if (!a) {
      throw new Error('axe-core did not load');
    }
    return a.run({ resultTypes: ['violations'] });
  });
  return results.violations;
}

export const BLOCKING_IMPACTS = new Set(['serious', 'critical']);

/** One readable block per violation: rule, impact, help link, and each offending node with axe's explanation. */
export function formatViolations(label: string, violations: axe.Result[]): string {
  return violations
    .map((v) => {
      const nodes = v.nodes.map((n) => `    - ${n.target.join(' ')}\n      ${n.html}\n      ${(n.failureSummary ?? '').replace(/\n/g, '\n      ')}`).join('\n');
      return `[${label}] ${v.id} (${v.impact ?? 'unknown'}): ${v.help}\n  ${v.helpUrl}\n${nodes}`;
    })
    .join('\n\n');
}
