// Full-page screenshots of every page state at phone and desktop widths, light and dark, for visual review:
//   npm run screenshots   →   test-results/screenshots/<page>-<width>-<scheme>.png
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { BrowserContextOptions } from 'playwright-core';
import { PAGE_STATES, watchContext } from '../test/e2e/helpers/browser.ts';
import { launchBrowser, startServer } from '../test/e2e/helpers/server.ts';

const OUT_DIR = path.resolve(import.meta.dirname, '../test-results/screenshots');

const VIEWPORTS: Array<{ width: number; height: number; options: BrowserContextOptions }> = [
  { width: 390, height: 844, options: { isMobile: true, hasTouch: true } },
  { width: 1280, height: 800, options: {} },
];
const SCHEMES = ['light', 'dark'] as const;

async function main(): Promise<void> {
  const started = Date.now();
  mkdirSync(OUT_DIR, { recursive: true });
  const [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  const problems: string[] = [];
  let count = 0;
  try {
    for (const viewport of VIEWPORTS) {
      for (const colorScheme of SCHEMES) {
        for (const state of PAGE_STATES) {
          // A fresh context per shot: every state starts signed out, as a new visitor would.
          const context = await browser.newContext({ ...viewport.options, viewport: { width: viewport.width, height: viewport.height }, colorScheme });
          context.setDefaultTimeout(10_000);
          const watched = await watchContext(context);
          try {
            const page = await context.newPage();
            await state.open(page, server);
            // Screenshots show the page at rest: no autofocus ring, no caret.
            await page.evaluate('document.activeElement && document.activeElement.blur()');
            const file = path.join(OUT_DIR, `${state.name}-${viewport.width}-${colorScheme}.png`);
            await page.screenshot({ path: file, fullPage: true, caret: 'hide', animations: 'disabled' });
            count += 1;
            console.log(path.relative(process.cwd(), file));
          } finally {
            problems.push(...watched.problems);
            await context.close();
          }
        }
      }
    }
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
