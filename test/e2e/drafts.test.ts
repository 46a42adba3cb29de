// Issue 15, bug 5: typed text is never lost. Ticket forms keep a draft in the browser (restored after a reload,
// cleared once the server took the form), a file over the limit is refused before the upload with the text kept,
// and a reply sent after the session ended leads through sign-in back to the ticket with the draft.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { freshUser, nextTotp, signIn, submitCode, submitLogin } from './helpers/browser.ts';
import { asUser } from './helpers/http.ts';
import { e2eSuite } from './helpers/suite.ts';
import { openTicketOver } from './helpers/tickets.ts';

describe('drafts and typed text in a real browser', () => {
  const { server, open, assertClean } = e2eSuite();

  test('the new-ticket form restores its draft after a reload and forgets it once the ticket is open', async (t) => {
    const { page, problems } = await open(t);
    const carol = await freshUser(server, 'carol.client');
    await signIn(page, server, carol);
    await page.goto(`${server.baseUrl}/tickets/new`);
    await page.getByLabel('Subject').fill('Projector in room 4 flickers');
    await page.getByLabel('Message').fill('It flickers every few seconds.\nSince Monday.');
    await page.reload();
    await page.getByText('Draft restored', { exact: false }).waitFor();
    assert.equal(await page.getByLabel('Subject').inputValue(), 'Projector in room 4 flickers');
    assert.equal(await page.getByLabel('Message').inputValue(), 'It flickers every few seconds.\nSince Monday.');
    await page.getByRole('button', { name: 'Open ticket' }).click();
    await page.waitForURL(/\/tickets\/\d+$/);
    await page.goto(`${server.baseUrl}/tickets/new`);
    assert.equal(await page.getByLabel('Subject').inputValue(), '', 'the sent draft is gone');
    assert.equal(await page.getByText('Draft restored', { exact: false }).count(), 0);
    assertClean(problems);
  });

  test('a file over the limit is named before the upload and the form is not sent', async (t) => {
    const { page, problems } = await open(t);
    const carol = await freshUser(server, 'carol.client');
    await signIn(page, server, carol);
    await page.goto(`${server.baseUrl}/tickets/new`);
    const input = page.getByLabel('Attachments (optional)');
    const maxBytes = Number(await input.getAttribute('data-max-bytes'));
    assert.ok(maxBytes > 0, 'the form knows the limit');
    await page.getByLabel('Subject').fill('Scan of the contract');
    await page.getByLabel('Message').fill('Attached is the scan.');
    // A sparse file on disk: the browser reads its size without the test sending megabytes over the pipe.
    const dir = mkdtempSync(path.join(tmpdir(), 'parapet-e2e-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'contract.pdf');
    writeFileSync(file, '');
    truncateSync(file, maxBytes + 1);
    await input.setInputFiles(file);
    await page.getByText('“contract.pdf” is', { exact: false }).waitFor();
    await page.getByRole('button', { name: 'Open ticket' }).click();
    await page.waitForTimeout(300);
    assert.match(new URL(page.url()).pathname, /^\/tickets\/new$/, 'not sent');
    assert.equal(await page.getByLabel('Message').inputValue(), 'Attached is the scan.');
    // Buttons are not left disabled by a refused submit.
    assert.equal(await page.getByRole('button', { name: 'Open ticket' }).isDisabled(), false);
    assertClean(problems);
  });

  test('a reply sent after the session ended leads through sign-in back to the ticket, with the draft', async (t) => {
    const { page, problems } = await open(t);
    const carol = await freshUser(server, 'carol.client');
    const id = await asUser(server, carol, (s) => openTicketOver(s, { subject: 'VPN drops', message: 'Every hour.' }));
    await signIn(page, server, carol);
    await page.goto(`${server.baseUrl}/tickets/${id}`);
    const reply = 'It dropped again at 10:15, logs attached soon.';
    await page.getByLabel('Message').fill(reply);
    // The session ends elsewhere (signed out in another tab, or idle).
    await page.context().clearCookies();
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await page.waitForURL((url) => url.pathname === '/login');
    assert.equal(new URL(page.url()).searchParams.get('next'), `/tickets/${id}`);
    await submitLogin(page, carol.email, carol.password);
    await page.waitForURL((url) => url.pathname === '/login/two-factor');
    await submitCode(page, await nextTotp(server, { email: carol.email, totpSecret: carol.totpSecret ?? '' }));
    await page.waitForURL(`${server.baseUrl}/tickets/${id}`);
    await page.getByText('Draft restored', { exact: false }).waitFor();
    assert.equal(await page.getByLabel('Message').inputValue(), reply);
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await page.getByText(reply).first().waitFor();
    assertClean(problems);
  });
});
