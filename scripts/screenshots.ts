// Full-page screenshots of every page state at phone and desktop widths, light and dark, for visual review:
//   npm run screenshots   →   test-results/screenshots/<page>-<width>-<scheme>.png
//   npm run screenshots -- account register   →   only the states whose name contains one of the words
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { BrowserContextOptions } from 'playwright-core';
import { ADMIN_PAGE_STATES } from '../test/e2e/helpers/admin.ts';
import {
  ACCOUNT_PAGE_STATES,
  inParallel,
  PAGE_STATES,
  type PageState,
  watchContext,
} from '../test/e2e/helpers/browser.ts';
import { MAIL_ADMIN_PAGE_STATES } from '../test/e2e/helpers/mail-admin.ts';
import { launchBrowser, startServer } from '../test/e2e/helpers/server.ts';
import { TICKET_PAGE_STATES } from '../test/e2e/helpers/tickets.ts';
import { TWO_FACTOR_PAGE_STATES } from '../test/e2e/helpers/two-factor.ts';

const OUT_DIR = path.resolve(import.meta.dirname, '../test-results/screenshots');

const VIEWPORTS: Array<{ width: number; height: number; options: BrowserContextOptions }> = [
  { width: 390, height: 844, options: { isMobile: true, hasTouch: true } },
  { width: 1280, height: 800, options: {} },
];
const SCHEMES = ['light', 'dark'] as const;

async function main(): Promise<void> {
  const started = Date.now();
  const filters = process.argv.slice(2);
  const all = [
    ...PAGE_STATES,
    ...ACCOUNT_PAGE_STATES,
    ...TWO_FACTOR_PAGE_STATES,
    ...TICKET_PAGE_STATES,
    ...ADMIN_PAGE_STATES,
    ...MAIL_ADMIN_PAGE_STATES,
  ];
  const states = all.filter((s) => filters.length === 0 || filters.some((f) => s.name.includes(f)));
  if (states.length === 0) {
    throw new Error(`no page state matches ${filters.join(', ')}`);
  }
  mkdirSync(OUT_DIR, { recursive: true });
  // A real SMTP server behind the app, so states can follow emailed links (verification, password reset).
  const [server, browser] = await Promise.all([startServer({ smtp: true }), launchBrowser()]);
  const problems: string[] = [];
  let count = 0;
  try {
    // Each state is opened once per width (a fresh context: it starts signed out, as a new visitor would) and
    // shot in both schemes; two at a time, since opening a state mostly waits on the server.
    const jobs = VIEWPORTS.flatMap((viewport) =>
      states.map((state): [typeof viewport, PageState] => [viewport, state]),
    );
    await inParallel(jobs, async ([viewport, state]) => {
      const context = await browser.newContext({
        ...viewport.options,
        viewport: { width: viewport.width, height: viewport.height },
      });
      context.setDefaultTimeout(10_000);
      const watched = await watchContext(context);
      try {
        const page = await context.newPage();
        await state.open(page, server);
        // Screenshots show the page at rest: no autofocus ring, no caret.
        await page.evaluate('document.activeElement && document.activeElement.blur()');
        for (const colorScheme of SCHEMES) {
          await page.emulateMedia({ colorScheme });
          const file = path.join(OUT_DIR, `${state.name}-${viewport.width}-${colorScheme}.png`);
          await page.screenshot({ path: file, fullPage: true, caret: 'hide', animations: 'disabled' });
          count += 1;
          console.log(path.relative(process.cwd(), file));
        }
      } catch (error) {
        problems.push(`${state.name} at ${viewport.width}px: ${(error as Error).message}`);
      } finally {
        problems.push(...watched.problems);
        await context.close();
      }
    });
  } finally {
    await browser.close();
    await server.close();
  }
  console.log(`${count} screenshots in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  if (problems.length > 0) {
    console.error(`The browser reported problems:\n${problems.join('\n')}`);
    process.exitCode = 1;
  }
}

await main();
