import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { freshUser, signIn } from './helpers/browser.ts';
import { e2eSuite } from './helpers/suite.ts';
import { RTL_SUBJECT, seedLongText, URL_SUBJECT } from './helpers/tickets.ts';

/** Cells whose content is wider than the cell, and whether the table is wider than its box. */
async function overflow(page: Page) {
  return page.evaluate(() => {
    const cells = [...document.querySelectorAll<HTMLElement>('.table td')]
      .filter((td) => td.scrollWidth > td.clientWidth + 1)
      .map((td) => `${td.dataset.label ?? '?'}: ${td.innerText.slice(0, 40)} (${td.scrollWidth} > ${td.clientWidth})`);
    const wrap = document.querySelector<HTMLElement>('.table-wrap');
    const table = document.querySelector<HTMLElement>('.table');
    return {
      cells,
      tableWider: wrap && table ? table.offsetWidth > wrap.clientWidth + 1 : true,
      pageWider: document.documentElement.scrollWidth > document.documentElement.clientWidth + 1,
    };
  });
}

describe('long and right-to-left text in lists', () => {
  const { server, open, assertClean } = e2eSuite();

  for (const width of [1280, 390]) {
    test(`at ${width}px a pasted URL subject and long addresses stay inside their columns`, async (t) => {
      const { page, problems } = await open(t, { viewport: { width, height: 900 } });
      const { client, agent } = await seedLongText(server);
      await signIn(page, server, await freshUser(server, 'ada.admin', { role: 'administrator' }));
      await page.goto(`${server.baseUrl}/tickets`);
      await page.getByRole('heading', { level: 1, name: 'All tickets' }).waitFor();

      const found = await overflow(page);
      const widths = await page.evaluate(
        () =>
          [...document.querySelectorAll<HTMLElement>('thead th')]
            .map((th) => `${th.innerText}=${th.offsetWidth}`)
            .join(' ') + ` wrap=${document.querySelector<HTMLElement>('.table-wrap')?.clientWidth}`,
      );
      assert.deepEqual(found.cells, [], 'no cell overflows');
      assert.equal(found.tableWider, false, `the table fits its box: ${widths}`);
      assert.equal(found.pageWider, false, 'no sideways scrolling');

      const row = page.locator('tbody tr', { hasText: URL_SUBJECT.slice(0, 40) }).filter({ hasText: client.email });
      const email = row.locator('td[data-label="Client"] .cell__line');
      const lines = await email.evaluate((el) => {
        const style = getComputedStyle(el);
        return Math.round(el.getBoundingClientRect().height / parseFloat(style.lineHeight));
      });
      assert.equal(lines, 1, 'the address is one line');
      assert.equal(await email.getAttribute('title'), client.email, 'the full address on hover');
      assert.equal(await row.locator('td[data-label="Assignee"] .cell__line').getAttribute('title'), agent.email);
      const unassigned = page
        .locator('tbody tr', { hasText: RTL_SUBJECT })
        .filter({ hasText: client.email })
        .locator('td[data-label="Assignee"]');
      const unassignedLines = await unassigned
        .locator('.cell__line')
        .evaluate((el) => Math.round(el.getBoundingClientRect().height / parseFloat(getComputedStyle(el).lineHeight)));
      assert.equal(unassignedLines, 1, '"Unassigned" is not split');

      if (width === 1280) {
        // The subject column does not take the whole table: the others keep room for their text.
        const widths = await page.evaluate(() =>
          Object.fromEntries(
            [...document.querySelectorAll<HTMLElement>('thead th')].map((th) => [th.innerText, th.offsetWidth]),
          ),
        );
        for (const [label, px] of Object.entries(widths)) {
          assert.ok(px >= 60, `${label} keeps its width (${px}px): ${JSON.stringify(widths)}`);
        }
      }
      assertClean(problems);
    });
  }

  test('a Hebrew subject reads right to left in the list and on the ticket', async (t) => {
    const { page, problems } = await open(t, { viewport: { width: 1280, height: 900 } });
    const { rtlId } = await seedLongText(server);
    await signIn(page, server, await freshUser(server, 'ada.admin', { role: 'administrator' }));
    await page.goto(`${server.baseUrl}/tickets/${rtlId}`);
    const direction = await page
      .locator('h1 span[dir="auto"]', { hasText: RTL_SUBJECT })
      .evaluate((el) => getComputedStyle(el).direction);
    assert.equal(direction, 'rtl');
    const body = await page
      .locator('.message__body')
      .first()
      .evaluate((el) => getComputedStyle(el).direction);
    assert.equal(body, 'rtl');
    await page.getByLabel('Message').fill('שלום');
    assert.equal(await page.getByLabel('Message').evaluate((el) => getComputedStyle(el).direction), 'rtl');
    assertClean(problems);
  });
});
