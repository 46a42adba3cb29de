import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { formatTicketNumber } from '../../src/features/tickets/ticket.schemas.ts';
import { freshUser, signIn } from './helpers/browser.ts';
import { asUser } from './helpers/http.ts';
import { tinyPng } from './helpers/png.ts';
import { openTicketOver, PRINTER_SUBJECT, seedConversation, TICKET_PAGE_STATES } from './helpers/tickets.ts';
import { e2eSuite } from './helpers/suite.ts';

describe('tickets in a real browser', () => {
  const { server, open, assertClean, auditPages } = e2eSuite();

  const nav = (page: Page) => page.getByRole('navigation', { name: 'Main' });
  const meta = (page: Page, term: string) =>
    page.locator('.ticket-meta div', { has: page.locator('dt', { hasText: new RegExp(`^${term}$`) }) }).locator('dd');
  const flash = (page: Page) => page.locator('.alert--success');

  test('a client opens a ticket with a screenshot; staff reply, add a note and manage it; the client sees the reply, not the note, and resolves it', async (t) => {
    const client = await open(t);
    const staff = await open(t);
    const carol = await freshUser(server, 'carol.client');
    const ada = await freshUser(server, 'ada.admin', { role: 'administrator' });
    const subject = `Scanner jams on double-sided pages ${Date.now()}`;
    const png = tinyPng(20);

    // The client: an empty list first, then the form.
    let page = client.page;
    await signIn(page, server, carol);
    await nav(page).getByRole('link', { name: 'Tickets' }).click();
    await page.getByRole('heading', { level: 1, name: 'Your tickets' }).waitFor();
    assert.ok(await page.getByText('You have no tickets yet. Open one when you need help.').isVisible());
    assert.equal(await page.locator('table').count(), 0);
    await page.getByRole('link', { name: 'New ticket' }).click();
    await page.getByRole('heading', { level: 1, name: 'New ticket' }).waitFor();
    assert.equal(await page.title(), 'New ticket · Support');
    await page.getByLabel('Subject').fill(subject);
    await page.getByLabel('Category (optional)').selectOption('Technical problem');
    await page.getByLabel('Priority').selectOption('high');
    await page
      .getByLabel('Message')
      .fill(
        'The scanner jams on every double-sided page.\nSingle-sided works.\n\n  Steps: load 10 pages, press Duplex.',
      );
    await page
      .getByLabel('Attachments (optional)')
      .setInputFiles({ name: 'jam.png', mimeType: 'image/png', buffer: png });
    await page.getByRole('button', { name: 'Open ticket' }).click();
    await page.waitForURL(/\/tickets\/\d+$/);
    const ticketId = Number(/\/tickets\/(\d+)$/.exec(page.url())?.[1]);
    const ticketUrl = `${server.baseUrl}/tickets/${ticketId}`;
    assert.equal((await flash(page).innerText()).trim(), 'Your ticket is open. We will reply here and by email.');
    assert.equal(
      (await page.getByRole('heading', { level: 1 }).innerText()).trim(),
      `${formatTicketNumber(ticketId)} ${subject}`,
    );
    assert.equal((await meta(page, 'Status').innerText()).trim(), 'Awaiting staff reply');
    assert.equal((await meta(page, 'Priority').innerText()).trim(), 'High');
    assert.equal((await meta(page, 'Category').innerText()).trim(), 'Technical problem');
    // The message keeps its line breaks and paragraphs (it is Markdown: leading spaces go), and the attachment is
    // there, byte for byte.
    const first = page.locator('.thread .message').first();
    assert.equal(
      await first.locator('.message__body').innerText(),
      'The scanner jams on every double-sided page.\nSingle-sided works.\n\nSteps: load 10 pages, press Duplex.',
    );
    assert.equal(await first.locator('.message__body').getAttribute('dir'), 'auto');
    const attachment = first.getByRole('list', { name: 'Attachments' }).getByRole('link', { name: 'jam.png' });
    const downloaded = await page.request.get(
      new URL((await attachment.getAttribute('href')) ?? '', server.baseUrl).href,
    );
    assert.equal(downloaded.headers()['content-type'], 'image/png');
    assert.ok((await downloaded.body()).equals(png));
    // Listed, with its status.
    await nav(page).getByRole('link', { name: 'Tickets' }).click();
    const row = page.locator('tbody tr', { hasText: subject });
    assert.equal(await row.count(), 1);
    assert.equal((await row.locator('td[data-label="Status"]').innerText()).trim(), 'Awaiting staff reply');
    assert.equal(await page.getByText('1 ticket, newest activity first.').count(), 1);

    // Staff: the ticket is in the list of all tickets; open it.
    page = staff.page;
    await signIn(page, server, ada);
    await nav(page).getByRole('link', { name: 'Tickets' }).click();
    await page.getByRole('heading', { level: 1, name: 'All tickets' }).waitFor();
    const staffRow = page.locator('tbody tr', { hasText: subject });
    assert.equal((await staffRow.locator('td[data-label="Client"]').innerText()).trim(), carol.email);
    assert.equal((await staffRow.locator('td[data-label="Assignee"]').innerText()).trim(), 'Unassigned');
    await staffRow.getByRole('link').click();
    await page.waitForURL(ticketUrl);
    assert.equal((await meta(page, 'Client').innerText()).trim(), carol.email);
    const side = page.getByRole('complementary', { name: 'Ticket actions' });
    assert.ok(await side.getByRole('heading', { name: 'Manage' }).isVisible());

    // A reply, then an internal note.
    const replyText = 'Thanks! Please try the "Straight paper path" setting.\nIt avoids the duplex roller.';
    await page.getByLabel('Message').fill(replyText);
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await flash(page).getByText('Your reply was sent.').waitFor();
    assert.equal((await meta(page, 'Status').innerText()).trim(), 'Awaiting client reply');
    const noteText = `Internal: the duplex roller was recalled in batch 7 (${ticketId}).`;
    // The note is its own tab, colour and button; no checkbox.
    assert.equal(await page.locator('input[type="checkbox"][name="internal"]').count(), 0);
    assert.equal(
      await page.getByRole('textbox', { name: 'Internal note' }).isVisible(),
      false,
      'the reply tab is first',
    );
    await page.locator('label[for="composer-note"]').click();
    await page.getByText('Only staff see this', { exact: false }).waitFor();
    assert.equal(await page.getByLabel('Message', { exact: true }).isVisible(), false);
    await page.getByRole('textbox', { name: 'Internal note' }).fill(noteText);
    await page.getByRole('button', { name: 'Add internal note' }).click();
    await flash(page).getByText('Internal note added.').waitFor();
    const note = page.locator('.message--note');
    assert.equal(await note.count(), 1);
    assert.equal((await note.locator('.message__body').innerText()).trim(), noteText);
    assert.ok(await note.getByText('Internal note', { exact: true }).isVisible());
    assert.notEqual(
      await note.evaluate((e) => getComputedStyle(e).backgroundColor),
      await page
        .locator('.message:not(.message--note)')
        .first()
        .evaluate((e) => getComputedStyle(e).backgroundColor),
      'a note looks different from a message',
    );

    // The properties form: assign to oneself, raise the priority.
    await side.getByLabel('Assignee').selectOption({ label: ada.email });
    await side.getByLabel('Priority').selectOption('urgent');
    await side.getByRole('button', { name: 'Save changes' }).click();
    await flash(page).getByText('Changes saved.').waitFor();
    assert.equal((await meta(page, 'Assignee').innerText()).trim(), ada.email);
    assert.equal((await meta(page, 'Priority').innerText()).trim(), 'Urgent');
    await page.locator('.thread__event', { hasText: 'Priority changed from High to Urgent' }).waitFor();
    await page.locator('.thread__event', { hasText: `Assignee changed from nobody to ${ada.email}` }).waitFor();
    // Saving the same values again changes nothing.
    await side.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('status').getByText('Nothing was changed.').waitFor();

    // The client: the reply from "Support", the new status, no note, no staff-only event.
    page = client.page;
    await page.goto(ticketUrl);
    assert.equal((await meta(page, 'Status').innerText()).trim(), 'Awaiting client reply');
    const reply = page.locator('.message--staff');
    assert.equal(await reply.count(), 1);
    assert.equal(await reply.locator('.message__body').innerText(), replyText);
    assert.ok(await reply.locator('.message__head').getByText('Support', { exact: true }).first().isVisible());
    const mainText = await page.getByRole('main').innerText();
    assert.ok(!mainText.includes('recalled in batch'), 'the note is not shown to the client');
    assert.ok(!mainText.includes('Internal note'), 'nor is there any trace of it');
    assert.ok(!mainText.includes('Assignee'), 'assignment is staff business');
    assert.equal(await page.getByRole('heading', { name: 'Manage' }).count(), 0);
    assert.equal(await page.getByLabel('Internal note (only staff can see it)').count(), 0);
    assert.equal((await meta(page, 'Priority').innerText()).trim(), 'Urgent');

    await page.getByRole('button', { name: 'Mark as resolved' }).click();
    await flash(page).getByText('The ticket is resolved. Reply at any time to reopen it.').waitFor();
    assert.equal((await meta(page, 'Status').innerText()).trim(), 'Resolved');
    await page.getByRole('heading', { level: 2, name: 'Reply to reopen this ticket' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Mark as resolved' }).count(), 0);
    await page.locator('.thread__event', { hasText: 'Status changed to Resolved' }).waitFor();
    await nav(page).getByRole('link', { name: 'Tickets' }).click();
    assert.equal(
      (await page.locator('tbody tr', { hasText: subject }).locator('td[data-label="Status"]').innerText()).trim(),
      'Resolved',
    );
    assertClean(client.problems);
    assertClean(staff.problems);
  });

  test("another client gets the 404 page for someone else's ticket, and never sees it listed or found", async (t) => {
    const { page, problems } = await open(t);
    const { ticketId, subject } = await seedConversation(server);
    const mallory = await freshUser(server, 'mallory.client');
    await signIn(page, server, mallory);
    for (const path of [`/tickets/${ticketId}`, `/tickets/${ticketId}/delete`]) {
      const response = await page.goto(`${server.baseUrl}${path}`);
      assert.equal(response?.status(), 404, path);
      await page.getByRole('heading', { level: 1, name: 'Page not found' }).waitFor();
      assert.equal(await page.title(), 'Page not found · Support');
      assert.ok(!(await page.content()).includes(subject), `${path} does not give the subject away`);
    }
    await page.goto(`${server.baseUrl}/tickets`);
    assert.ok(await page.getByText('You have no tickets yet.').isVisible());
    await page.getByLabel('Search').fill('printer firmware');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('No tickets match these filters.').waitFor();
    assert.ok(!(await page.content()).includes(subject));
    assertClean(problems);
  });

  test('search and filters on the list page find the ticket; Clear brings back the rest', async (t) => {
    const { page, problems } = await open(t);
    const client = await freshUser(server, 'searching.client');
    const subjects = { router: 'Router reboots at night', invoice: 'Question about the April invoice' };
    await asUser(server, client, async (s) => {
      await openTicketOver(s, {
        subject: subjects.router,
        message: 'Every night around 03:00 the router restarts; the log says watchdog timeout.',
      });
      await openTicketOver(s, {
        subject: subjects.invoice,
        message: 'Why is the VAT different this month?',
        category: 'Billing',
      });
    });
    await signIn(page, server, client);
    await page.goto(`${server.baseUrl}/tickets`);
    assert.equal(await page.locator('tbody tr').count(), 2);

    // A word from a message, not the subject.
    await page.getByLabel('Search').fill('watchdog');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/[?&]q=watchdog/);
    assert.deepEqual(
      await page
        .locator('tbody tr .ticket-link')
        .allInnerTexts()
        .then((l) => l.map((s) => s.replace(/^#\d+\s*/, ''))),
      [subjects.router],
    );
    assert.equal(await page.getByLabel('Search').inputValue(), 'watchdog', 'the search stays in the box');
    // Combined with a status that does not match: nothing.
    await page.getByLabel('Status').selectOption('resolved');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('No tickets match these filters.').waitFor();
    await page.getByRole('link', { name: 'Clear' }).click();
    await page.waitForURL(`${server.baseUrl}/tickets`);
    assert.equal(await page.locator('tbody tr').count(), 2);

    // Staff search everything.
    await page.context().clearCookies();
    await signIn(page, server, await freshUser(server, 'searching.admin', { role: 'administrator' }));
    await page.goto(`${server.baseUrl}/tickets`);
    await page.getByLabel('Search').fill('VAT');
    await page.getByLabel('Category').selectOption('Billing');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/category=Billing/);
    const found = await page.locator('tbody tr .ticket-link').allInnerTexts();
    assert.ok(
      found.some((s) => s.endsWith(subjects.invoice)),
      found.join(', '),
    );
    assert.ok(!found.some((s) => s.endsWith(subjects.router)));
    assertClean(problems);
  });

  test('an administrator deletes a ticket through the confirmation page', async (t) => {
    const { page, problems } = await open(t);
    const { ticketId, client } = await seedConversation(server);
    const number = formatTicketNumber(ticketId);
    await signIn(page, server, await freshUser(server, 'ada.admin', { role: 'administrator' }));
    await page.goto(`${server.baseUrl}/tickets/${ticketId}`);
    await page.getByRole('link', { name: 'Delete ticket…' }).click();
    await page.getByRole('heading', { level: 1, name: `Delete ${number}?` }).waitFor();
    assert.ok((await page.getByRole('main').innerText()).includes(`“${PRINTER_SUBJECT}”`));
    // Changing one's mind first.
    await page.getByRole('link', { name: 'Keep it' }).click();
    await page.waitForURL(`${server.baseUrl}/tickets/${ticketId}`);
    await page.getByRole('link', { name: 'Delete ticket…' }).click();
    await page.getByRole('button', { name: 'Delete the ticket' }).click();
    await page.waitForURL(`${server.baseUrl}/tickets`);
    assert.equal((await page.locator('.alert--success').innerText()).trim(), `Ticket ${number} was deleted.`);
    const gone = await page.goto(`${server.baseUrl}/tickets/${ticketId}`);
    assert.equal(gone?.status(), 404);
    // The client's list no longer has it either.
    const left = await server.app.db.selectFrom('tickets').select('id').where('client_id', '=', client.id).execute();
    assert.deepEqual(left, []);
    assertClean(problems);
  });

  test('every ticket page passes axe-core in light and dark, and fits a 320px phone', async (t) => {
    await auditPages(t, TICKET_PAGE_STATES, { context: { viewport: { width: 1280, height: 800 } } });
  });
});
