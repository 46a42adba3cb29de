import { randomBytes } from 'node:crypto';
import type { InboxStatus } from '../../../src/db/database.ts';
import { storeInboxMessage } from '../../../src/features/inbound/inbox.repository.ts';
import { adminOn } from './admin.ts';
import { freshUser, type PageState, signIn, uniqueEmail } from './browser.ts';
import type { E2eServer } from './server.ts';
import { seedConversation } from './tickets.ts';

interface SampleMail {
  status: InboxStatus;
  fromName: string;
  fromAddress: string;
  subject: string;
  body: string;
  reason?: string;
  outcome?: string;
  lastError?: string;
  ageMinutes?: number;
}

/** A real MIME message with a text part and a PDF attachment, as an IMAP server would hand it over. */
function mime(mail: SampleMail, messageId: string): Buffer {
  const pdf = Buffer.from('%PDF-1.4\n% sample\n'.repeat(40)).toString('base64');
  return Buffer.from(
    [
      `From: ${mail.fromName} <${mail.fromAddress}>`,
      'To: Support <support@example.com>',
      `Subject: ${mail.subject}`,
      `Message-ID: <${messageId}>`,
      `Date: ${new Date().toUTCString()}`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      '',
      mail.body,
      '--b1',
      'Content-Type: application/pdf; name="error-log.pdf"',
      'Content-Disposition: attachment; filename="error-log.pdf"',
      'Content-Transfer-Encoding: base64',
      '',
      pdf,
      '--b1--',
      '',
    ].join('\r\n'),
  );
}

/** Stores a message as the IMAP poller would, then leaves it as the worker would have. Returns its id. */
async function insertMail(server: E2eServer, mail: SampleMail): Promise<number> {
  const messageId = `${randomBytes(6).toString('hex')}@mail.example.com`;
  const receivedAt = Date.now() - (mail.ageMinutes ?? 3) * 60_000;
  const stored = await storeInboxMessage(server.app.db, {
    source: 'imap',
    sourceId: `1:${messageId}`,
    messageId,
    raw: mime(mail, messageId),
    envelope: null,
    receivedAt,
  });
  if (!stored.stored) {
    throw new Error('the sample message was not stored');
  }
  await server.app.db
    .updateTable('mail_inbox')
    .set({
      status: mail.status,
      reason: mail.reason ?? null,
      outcome: mail.outcome ?? null,
      last_error: mail.lastError ?? null,
      from_name: mail.fromName,
      from_address: mail.fromAddress,
      subject: mail.subject,
      attempts: mail.status === 'failed' ? 5 : 1,
      processed_at: ['applied', 'ignored', 'rejected'].includes(mail.status) ? receivedAt + 2000 : null,
    })
    .where('id', '=', stored.id)
    .execute();
  return stored.id;
}

const REPLY_BODY = [
  'Hello,',
  '',
  'The printer still shows error 49 after the update you sent. I attach the log.',
  '',
  'Best regards,',
  'Mallory',
  '',
  'On Fri, 4 Dec 2026 at 16:02, Support <support@example.com> wrote:',
  '> Please install the update and tell us if it helps.',
].join('\n');

/** Mail in every state the page shows: held (with a reason), failed, ignored, applied, and a bounced address. */
async function seedMail(server: E2eServer): Promise<number> {
  const held = await insertMail(server, {
    status: 'held',
    fromName: 'Mallory Example',
    fromAddress: 'mallory.with.a.long.address@customer-domain.example.com',
    subject: 'Re: [#000042] Printer shows error 49 after the firmware update',
    body: REPLY_BODY,
    reason: 'No DKIM or SPF pass aligned with customer-domain.example.com: SPF softfail, no DKIM signature',
  });
  await insertMail(server, {
    status: 'held',
    fromName: 'New Person',
    fromAddress: 'someone@unknown.example.org',
    subject: 'Question about my invoice',
    body: 'Hi, where can I find my invoice?',
    reason: 'Unknown sender: invited to verify the address',
  });
  await insertMail(server, {
    status: 'failed',
    fromName: 'Carol Client',
    fromAddress: 'carol@example.com',
    subject: 'Cannot sign in',
    body: 'It says my code is wrong.',
    lastError: 'Error: connect ECONNREFUSED 127.0.0.1:5432',
    ageMinutes: 45,
  });
  await insertMail(server, {
    status: 'applied',
    fromName: 'Carol Client',
    fromAddress: 'carol@example.com',
    subject: 'Re: [#000017] Export is empty',
    body: 'Thanks, it works now.',
    outcome: 'reply',
  });
  await insertMail(server, {
    status: 'ignored',
    fromName: 'Dave',
    fromAddress: 'dave@example.net',
    subject: 'Out of office: Re: [#000017] Export is empty',
    body: 'I am away until Monday.',
    outcome: 'auto_reply',
  });
  const now = Date.now();
  await server.app.db
    .insertInto('undeliverable_addresses')
    .values({
      address: uniqueEmail('bounced'),
      reason: '550 5.1.1 The email account that you tried to reach does not exist',
      source: 'mailgun',
      bounces: 3,
      first_at: now - 3 * 86_400_000,
      last_at: now - 3_600_000,
    })
    .onConflict((oc) => oc.doNothing())
    .execute();
  return held;
}

export const MAIL_ADMIN_PAGE_STATES: readonly PageState[] = [
  {
    name: 'admin-mail',
    open: async (page, server) => {
      await seedMail(server);
      await adminOn(page, server, 'Mail', 'Mail');
    },
  },
  {
    name: 'admin-mail-agent',
    open: async (page, server) => {
      await seedMail(server);
      const agent = await freshUser(server, 'alex.agent', { role: 'agent' });
      await signIn(page, server, agent);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Mail' }).click();
      await page.getByRole('heading', { level: 1, name: 'Mail' }).waitFor();
    },
  },
  {
    // The user page of an address a bounce reported.
    name: 'admin-mail-user-undeliverable',
    open: async (page, server) => {
      const user = await freshUser(server, 'bounced.client');
      const now = Date.now();
      await server.app.db
        .insertInto('undeliverable_addresses')
        .values({
          address: user.email,
          reason: '550 5.1.1 The email account that you tried to reach does not exist',
          source: 'imap',
          first_at: now - 2 * 86_400_000,
          last_at: now,
        })
        .execute();
      await adminOn(page, server, 'Mail', 'Mail');
      await page.goto(`${server.baseUrl}/admin/users/${user.id}`);
      await page.getByText('Email undeliverable since').waitFor();
    },
  },
  {
    // A ticket whose first message came by email: staff see a link to the original.
    name: 'admin-mail-ticket-original',
    open: async (page, server) => {
      const { agent, ticketId, client } = await seedConversation(server);
      const inboxId = await insertMail(server, {
        status: 'applied',
        fromName: 'Carol Client',
        fromAddress: client.email,
        subject: 'Printer smokes after the firmware update',
        body: REPLY_BODY,
        outcome: 'new_ticket',
      });
      const first = await server.app.db
        .selectFrom('ticket_messages')
        .select((eb) => eb.fn.min('id').as('id'))
        .where('ticket_id', '=', ticketId)
        .executeTakeFirstOrThrow();
      await server.app.db
        .updateTable('ticket_messages')
        .set({ inbox_id: inboxId })
        .where('id', '=', Number(first.id))
        .execute();
      await server.app.db.updateTable('mail_inbox').set({ ticket_id: ticketId }).where('id', '=', inboxId).execute();
      await signIn(page, server, agent);
      await page.goto(`${server.baseUrl}/tickets/${ticketId}`);
      await page.getByRole('link', { name: 'View the original email' }).waitFor();
    },
  },
  {
    name: 'admin-mail-message',
    open: async (page, server) => {
      const held = await seedMail(server);
      await adminOn(page, server, 'Mail', 'Mail');
      await page.goto(`${server.baseUrl}/admin/mail/${held}`);
      await page.getByRole('heading', { level: 2, name: 'Original text' }).waitFor();
    },
  },
];
