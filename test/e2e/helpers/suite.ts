import assert from 'node:assert/strict';
import { after, before, type TestContext } from 'node:test';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import {
  axeInBothSchemes,
  inParallel,
  sidewaysOverflow,
  structureProblems,
  watchContext,
  type PageState,
} from './browser.ts';
import { launchBrowser, startServer, type E2eServer, type StartServerOptions } from './server.ts';

export interface E2eSuite {
  /** The suite's server; its fields are filled in by the suite's `before` hook, so read them inside tests only. */
  server: E2eServer;
  /** A fresh browser context (no cookies), closed with the test, watched for console errors, exceptions and CSP violations. */
  open(t: TestContext, options?: BrowserContextOptions): Promise<{ page: Page; problems: string[] }>;
  /** Fails with the problems the browser reported, if any. */
  assertClean(problems: string[]): void;
  /**
   * Opens every state (two at a time, each in its own context) and fails with everything found: duplicate ids and
   * unlabelled fields (unless `structure: false`), axe-core violations in light and dark, sideways scrolling at
   * 320px, `onPhone`'s own checks at that size, and browser problems.
   */
  auditPages(
    t: TestContext,
    states: readonly PageState[],
    opts?: {
      context?: BrowserContextOptions;
      structure?: boolean;
      onPhone?: (page: Page, state: PageState) => Promise<void>;
    },
  ): Promise<void>;
}

/**
 * The scaffold of an e2e file, called at the top of its `describe`: one server (startServer(options)) and one
 * Chromium for all its tests, started before them and closed after them.
 */
export function e2eSuite(options: StartServerOptions = {}): E2eSuite {
  const server = {} as E2eServer;
  let browser: Browser | undefined;
  let started: E2eServer | undefined;

  before(async () => {
    const [s, b] = await Promise.allSettled([startServer(options), launchBrowser()]);
    started = s.status === 'fulfilled' ? s.value : undefined;
    browser = b.status === 'fulfilled' ? b.value : undefined;
    if (s.status === 'rejected') {
      throw s.reason;
    }
    if (b.status === 'rejected') {
      throw b.reason;
    }
    Object.assign(server, s.value);
  });
  after(async () => {
    await browser?.close();
    await started?.close();
  });

  const open: E2eSuite['open'] = async (t, contextOptions = {}) => {
    assert.ok(browser, 'the browser did not start');
    const context = await browser.newContext(contextOptions);
    t.after(() => context.close());
    // Fail in seconds, not Playwright's default 30, when an element never appears.
    context.setDefaultTimeout(10_000);
    const { problems } = await watchContext(context);
    const page = await context.newPage();
    return { page, problems };
  };
  const assertClean = (problems: string[]) =>
    assert.deepEqual(problems, [], `the browser reported problems:\n${problems.join('\n')}`);

  return {
    server,
    open,
    assertClean,
    async auditPages(t, states, opts = {}) {
      const failures: string[] = [];
      await inParallel(states, async (state) => {
        const { page, problems } = await open(t, opts.context);
        await state.open(page, server);
        if (opts.structure !== false) {
          const structure = await structureProblems(page);
          if (structure) {
            failures.push(`[${state.name}] ${structure}`);
          }
        }
        failures.push(...(await axeInBothSchemes(page, state.name, (m) => t.diagnostic(m))));
        await page.setViewportSize({ width: 320, height: 640 });
        const overflow = await sidewaysOverflow(page);
        if (overflow) {
          failures.push(`[${state.name}] scrolls sideways: ${overflow}`);
        }
        await opts.onPhone?.(page, state);
        // The axe run itself must not trip the CSP either.
        assertClean(problems);
        await page.context().close();
      });
      assert.equal(failures.length, 0, `problems found:\n\n${failures.join('\n\n')}`);
    },
  };
}
