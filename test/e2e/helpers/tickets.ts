import type { Page } from 'playwright-core';
import type { TestUser } from '../../helpers/factories.ts';
import { freshUser, type PageState, signIn } from './browser.ts';
import { asUser, type FormFile, type HttpSession } from './http.ts';
import { tinyPng } from './png.ts';
import type { E2eServer } from './server.ts';

export interface NewTicket {
  subject: string;
  message: string;
  priority?: 'low' | 'normal' | 'high' | 'urgent';
  category?: string;
  attachment?: FormFile;
}

/** A screenshot a client might attach: a real PNG. */
export function pngFile(name = 'screenshot.png'): FormFile {
  return { name, mimeType: 'image/png', buffer: tinyPng(24) };
}

/** Submits the new-ticket form; returns the id of the ticket it opened. */
export async function openTicketOver(session: HttpSession, input: NewTicket): Promise<number> {
  await session.get('/tickets/new');
  const res = await session.submit(
    '/tickets',
    {
      subject: input.subject,
      message: input.message,
      priority: input.priority ?? 'normal',
      category: input.category ?? '',
    },
    input.attachment ? { attachments: input.attachment } : {},
  );
  const id = Number(/^\/tickets\/(\d+)$/.exec(new URL(res.url()).pathname)?.[1]);
  if (!id) {
    throw new Error(`opening "${input.subject}" ended on ${res.url()}`);
  }
  return id;
}

/** A reply (or, for staff, an internal note: its own form) through the ticket page. */
export async function replyOver(
  session: HttpSession,
  ticketId: number,
  message: string,
  internal = false,
): Promise<void> {
  await session.get(`/tickets/${ticketId}`);
  await session.submit(`/tickets/${ticketId}/${internal ? 'notes' : 'messages'}`, { message });
}

/** The staff "Manage" form. */
export async function manageOver(
  session: HttpSession,
  ticketId: number,
  fields: { assignee: string; priority: string; category: string },
): Promise<void> {
  await session.get(`/tickets/${ticketId}`);
  await session.submit(`/tickets/${ticketId}/properties`, fields);
}

export async function resolveOver(session: HttpSession, ticketId: number): Promise<void> {
  await session.get(`/tickets/${ticketId}`);
  await session.submit(`/tickets/${ticketId}/resolve`, {});
}

export const PRINTER_SUBJECT = 'Printer smokes after the firmware update';

export interface Conversation {
  client: TestUser;
  agent: TestUser;
  ticketId: number;
  subject: string;
}

/**
 * A ticket with a bit of everything, all through the forms: a client's message over several lines with an
 * attachment; an agent who assigns it to themself and raises the priority (events), adds an internal note and
 * replies (so it awaits the client).
 */
export async function seedConversation(server: E2eServer): Promise<Conversation> {
  const [client, agent] = await Promise.all([
    freshUser(server, 'carol.client'),
    freshUser(server, 'sam.agent', { role: 'agent' }),
  ]);
  const subject = PRINTER_SUBJECT;
  const ticketId = await asUser(server, client, (s) =>
    openTicketOver(s, {
      subject,
      message:
        'Since this morning’s update the printer in room 4 smokes for a few seconds when it starts.\nIt still prints, but the smell is strong.\n\nModel: LaserJet 4200, serial CNB-2241-77',
      category: 'Technical problem',
      attachment: pngFile('printer-display.png'),
    }),
  );
  await asUser(server, agent, async (s) => {
    await manageOver(s, ticketId, { assignee: String(agent.id), priority: 'high', category: 'Technical problem' });
    await replyOver(
      s,
      ticketId,
      'Legacy plan customer: the 4200 firmware 2.1 had a fan-control bug. Check the version before sending anyone.',
      true,
    );
    await replyOver(
      s,
      ticketId,
      'Thank you for the details — please unplug the printer for now.\n\nCould you tell us the firmware version? You find it under Settings → About → Firmware.',
    );
  });
  return { client, agent, ticketId, subject };
}

export const MARKDOWN_SUBJECT = 'Export fails with a formatted error';

/** A client's message with Markdown (a list, inline code, a code block, a quote, links) and an image attachment. */
export async function seedMarkdownTicket(server: E2eServer): Promise<{ client: TestUser; ticketId: number }> {
  const client = await freshUser(server, 'carol.client');
  const ticketId = await asUser(server, client, (s) =>
    openTicketOver(s, {
      subject: MARKDOWN_SUBJECT,
      message: [
        '## What happens',
        'The **CSV export** stops half way. What I tried:',
        '',
        '1. Choose *Reports → Export*',
        '2. Run `export --all --format=csv`',
        '3. Wait about a minute',
        '',
        '> Your last answer said the export was fixed in 4.2.',
        '',
        '```',
        'Error: timeout after 60000 ms',
        '    at exportRows (export.js:118)',
        '```',
        '',
        'The guide is at https://example.com/help/export and the chart ![status chart](https://example.com/chart.png) is attached as well.',
      ].join('\n'),
      category: 'Technical problem',
      attachment: pngFile('export-error.png'),
    }),
  );
  return { client, ticketId };
}

/** Three tickets of one client in three different states; returns the client. */
async function clientWithTickets(server: E2eServer): Promise<TestUser> {
  const [client, agent] = await Promise.all([
    freshUser(server, 'carol.client'),
    freshUser(server, 'sam.agent', { role: 'agent' }),
  ]);
  const [invoice, vpn, login] = await asUser(server, client, async (s) => [
    await openTicketOver(s, {
      subject: 'Invoice 2024-118 charged twice',
      message: 'My card was charged twice for the March invoice.',
      category: 'Billing',
    }),
    await openTicketOver(s, {
      subject: 'VPN drops every few minutes',
      message: 'The VPN disconnects every 5–10 minutes since Monday.',
      category: 'Technical problem',
      priority: 'urgent',
    }),
    await openTicketOver(s, {
      subject: 'Cannot change my display name',
      message: 'The save button does nothing.',
      priority: 'low',
    }),
  ]);
  await asUser(server, agent, async (s) => {
    await replyOver(s, invoice, 'We refunded the second charge; it shows within 3 working days.');
    await resolveOver(s, login);
  });
  void vpn;
  return client;
}

async function goToTickets(page: Page, heading: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Tickets' }).click();
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
}

async function openNewTicket(page: Page, server: E2eServer): Promise<void> {
  await signIn(page, server, await freshUser(server, 'carol.client'));
  await goToTickets(page, 'Your tickets');
  await page.getByRole('link', { name: 'New ticket' }).click();
  await page.getByRole('heading', { level: 1, name: 'New ticket' }).waitFor();
}

async function staffOnTicketList(page: Page, server: E2eServer): Promise<void> {
  await seedConversation(server);
  await signIn(page, server, await freshUser(server, 'ada.admin', { role: 'administrator' }));
  await goToTickets(page, 'All tickets');
}

async function openTicketAsStaff(page: Page, server: E2eServer): Promise<Conversation> {
  const conversation = await seedConversation(server);
  await signIn(page, server, await freshUser(server, 'ada.admin', { role: 'administrator' }));
  await page.goto(`${server.baseUrl}/tickets/${conversation.ticketId}`);
  await page.getByRole('heading', { level: 2, name: 'Manage' }).waitFor();
  return conversation;
}

/** A subject that is one unbroken pasted URL, longer than any column. */
export const URL_SUBJECT =
  'https://intranet.example.com/printers/floor-2/queue?job=a8f3c2d19e7b4f60a1c5d2e8f9b0a3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0';
export const RTL_SUBJECT = 'המדפסת בקומה 2 לא מדפיסה!';
export const RTL_MESSAGE =
  'الطابعة في الطابق الثاني لا تطبع منذ صباح اليوم.\nجربنا إعادة التشغيل، لكن المشكلة ما زالت قائمة.';

/**
 * Tickets whose text tests the lists: a client with a long address opens one with a pasted URL as its subject and
 * one in Hebrew with an Arabic message; an agent with a long address takes the first (the other stays unassigned).
 */
export async function seedLongText(server: E2eServer): Promise<{ client: TestUser; agent: TestUser; rtlId: number }> {
  const [client, agent] = await Promise.all([
    freshUser(server, 'maria.fernanda.rodriguez-de-la-vega.accounts-payable'),
    freshUser(server, 'christopher.alexander.montgomery-support', { role: 'agent' }),
  ]);
  const urlId = await asUser(server, client, (s) =>
    openTicketOver(s, { subject: URL_SUBJECT, message: 'The link above shows the stuck job.' }),
  );
  const rtlId = await asUser(server, client, (s) => openTicketOver(s, { subject: RTL_SUBJECT, message: RTL_MESSAGE }));
  await asUser(server, agent, (s) =>
    manageOver(s, urlId, { assignee: String(agent.id), priority: 'high', category: '' }),
  );
  return { client, agent, rtlId };
}

/** The ticket pages, for clients and staff. */
export const TICKET_PAGE_STATES: readonly PageState[] = [
  {
    // The staff list with a pasted URL as a subject and long addresses: columns keep their width.
    name: 'tickets-long-text',
    open: async (page, server) => {
      await seedLongText(server);
      await signIn(page, server, await freshUser(server, 'ada.admin', { role: 'administrator' }));
      await page.goto(`${server.baseUrl}/tickets?q=`);
      await page.getByRole('heading', { level: 1, name: 'All tickets' }).waitFor();
    },
  },
  {
    // A ticket in Hebrew with an Arabic message: right to left, punctuation on the correct side.
    name: 'ticket-rtl',
    open: async (page, server) => {
      const { rtlId } = await seedLongText(server);
      await signIn(page, server, await freshUser(server, 'ada.admin', { role: 'administrator' }));
      await page.goto(`${server.baseUrl}/tickets/${rtlId}`);
      await page.getByRole('heading', { level: 2, name: 'Manage' }).waitFor();
    },
  },
  {
    // A client past TICKETS_PER_HOUR: the form comes back with a notice and the typed text kept.
    name: 'ticket-new-quota',
    open: async (page, server) => {
      const client = await freshUser(server, 'carol.client');
      await signIn(page, server, client);
      for (let i = 0; i < server.app.config.env.TICKETS_PER_HOUR; i++) {
        await server.app.limits.ticketsPerClient.admit(`user:${client.id}`);
      }
      await goToTickets(page, 'Your tickets');
      await page.getByRole('link', { name: 'New ticket' }).click();
      await page.getByLabel('Subject').fill('The printer on floor 2 is jammed again');
      await page.getByLabel('Message').fill('It shows error E-42 and the paper tray will not open.');
      await page.getByRole('button', { name: 'Open ticket' }).click();
      await page.getByText('Your text is kept', { exact: false }).first().waitFor();
    },
  },
  {
    name: 'tickets-empty',
    open: async (page, server) => {
      await signIn(page, server, await freshUser(server, 'carol.client'));
      await goToTickets(page, 'Your tickets');
    },
  },
  {
    name: 'tickets-client',
    open: async (page, server) => {
      await signIn(page, server, await clientWithTickets(server));
      await goToTickets(page, 'Your tickets');
    },
  },
  { name: 'tickets-staff', open: staffOnTicketList },
  {
    name: 'tickets-filtered',
    open: async (page, server) => {
      await staffOnTicketList(page, server);
      await page.getByLabel('Search').fill('printer');
      await page.getByLabel('Status').selectOption('awaiting_client');
      await page.getByLabel('Priority').selectOption('high');
      await page.getByRole('button', { name: 'Apply' }).click();
      await page.waitForURL(/[?&]q=printer/);
      await page.getByRole('link', { name: 'Clear' }).waitFor();
    },
  },
  {
    name: 'tickets-no-match',
    open: async (page, server) => {
      await signIn(page, server, await freshUser(server, 'carol.client'));
      await page.goto(`${server.baseUrl}/tickets?q=xylophone&status=resolved`);
      await page.getByText('No tickets match these filters.').waitFor();
    },
  },
  { name: 'ticket-new', open: openNewTicket },
  {
    name: 'ticket-new-errors',
    open: async (page, server) => {
      await openNewTicket(page, server);
      await page.getByRole('button', { name: 'Open ticket' }).click();
      await page.getByText('Write a subject.').waitFor();
    },
  },
  {
    name: 'ticket-client',
    open: async (page, server) => {
      const { client, ticketId } = await seedConversation(server);
      await signIn(page, server, client);
      await page.goto(`${server.baseUrl}/tickets/${ticketId}`);
      await page.getByRole('heading', { level: 1, name: PRINTER_SUBJECT }).waitFor();
    },
  },
  {
    name: 'ticket-markdown',
    open: async (page, server) => {
      const { client, ticketId } = await seedMarkdownTicket(server);
      await signIn(page, server, client);
      await page.goto(`${server.baseUrl}/tickets/${ticketId}`);
      await page.getByRole('heading', { level: 1, name: MARKDOWN_SUBJECT }).waitFor();
    },
  },
  { name: 'ticket-staff', open: async (page, server) => void (await openTicketAsStaff(page, server)) },
  {
    // The composer's "Internal note" tab: its own colour, label and button.
    name: 'ticket-staff-note-tab',
    open: async (page, server) => {
      await openTicketAsStaff(page, server);
      await page.locator('label[for="composer-note"]').click();
      await page.getByRole('textbox', { name: 'Internal note' }).fill('Legacy plan: check the fan firmware first.');
    },
  },
  {
    // The client's other tickets beside the thread (on a phone: after it, with the actions above it).
    name: 'ticket-staff-other-tickets',
    open: async (page, server) => {
      const conversation = await seedConversation(server);
      await asUser(server, conversation.client, async (s) => {
        await openTicketOver(s, { subject: 'Invoice 2024-118 charged twice', message: 'Charged twice in March.' });
        await openTicketOver(s, { subject: 'VPN drops every few minutes', message: 'Since Monday.' });
      });
      await signIn(page, server, await freshUser(server, 'ada.admin', { role: 'administrator' }));
      await page.goto(`${server.baseUrl}/tickets/${conversation.ticketId}`);
      await page.getByRole('heading', { level: 2, name: 'Client’s other tickets' }).waitFor();
    },
  },
  {
    name: 'ticket-delete',
    open: async (page, server) => {
      await openTicketAsStaff(page, server);
      await page.getByRole('link', { name: 'Delete ticket…' }).click();
      await page.getByRole('heading', { level: 1, name: /^Delete #\d{6}\?$/ }).waitFor();
    },
  },
];
