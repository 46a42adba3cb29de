import { EmailButton, mailHtml, mailText, PRODUCT } from '../../mail/layout.tsx';
import type { TicketMailStyle } from '../../mail/mailer.ts';
import type { RenderedMail } from '../../mail/templates.tsx';
import { REPLY_ABOVE_LINE, ticketMailSubject } from '../../mail/thread.ts';

type Kind =
  'ticket_opened' | 'ticket_opened_for_you' | 'ticket_received' | 'client_replied' | 'staff_replied' | 'resolved';

/** Who reads the email: the ticket's client, or staff. */
const TO_STAFF: Record<Kind, boolean> = {
  ticket_opened: true,
  ticket_opened_for_you: false,
  ticket_received: false,
  client_replied: true,
  staff_replied: false,
  resolved: false,
};

const HEADLINE: Record<Kind, (by: string) => string> = {
  ticket_opened: (by) => `New ticket from ${by}`,
  ticket_opened_for_you: () => 'Our support team opened a ticket for you',
  ticket_received: () => 'We received your request',
  client_replied: (by) => `${by} replied`,
  staff_replied: () => 'Support replied to your ticket',
  resolved: () => 'Your ticket was resolved',
};

/** What happens next, for the client: after their request was received, or a ticket was opened for them. */
function nextSteps(kind: Kind, style: TicketMailStyle): string[] {
  if (kind !== 'ticket_received' && kind !== 'ticket_opened_for_you') {
    return [];
  }
  return [
    'What happens next: our support team reads every request and answers as soon as they can. You will get an email when they reply.',
    style.repliesByEmail
      ? 'To add details, reply to this email or open the ticket in the portal.'
      : 'To add details, open the ticket in the portal.',
  ];
}

/** The small print of ticket mail: whether a reply by email reaches the ticket, and how to turn these emails off. */
function footer(toStaff: boolean, style: TicketMailStyle): string[] {
  return [
    style.repliesByEmail
      ? `Reply to this email to add to ${toStaff ? 'the' : 'your'} ticket, or open it in the portal.`
      : 'Replies to this email are not read: to answer, open the ticket in the portal.',
    'You can turn ticket emails off on your account page.',
  ];
}

const MAX_QUOTE = 4000;

/**
 * A ticket notification. Its subject is the ticket's (`[#000123] Printer on fire`, the same for every event, so mail
 * programs keep one conversation); the event is the headline. It carries only client-visible text: callers never
 * pass internal notes, and with MAIL_INCLUDE_CONTENT=false no message text at all. User text is escaped by JSX in
 * the HTML part.
 */
export function ticketNotificationMail(input: {
  kind: Kind;
  ticket: { id: number; subject: string };
  link: string;
  body: string | null;
  by: string;
  style: TicketMailStyle;
}): RenderedMail {
  const { kind, ticket, link, style } = input;
  const toStaff = TO_STAFF[kind];
  const headline = HEADLINE[kind](input.by);
  const subject = ticketMailSubject(ticket.id, ticket.subject);
  const body = style.includeContent ? input.body : null;
  const quote = body && body.length > MAX_QUOTE ? `${body.slice(0, MAX_QUOTE)}…` : body;
  const withheld = !style.includeContent && input.body !== null ? 'The message is in the portal.' : null;
  const intro = kind === 'ticket_received' ? `We received your request ${subject}.` : null;
  const steps = nextSteps(kind, style);
  const small = footer(toStaff, style);
  const hint = style.repliesByEmail ? REPLY_ABOVE_LINE : undefined;
  return {
    kind: `ticket.${kind}`,
    ticketId: ticket.id,
    subject,
    html: mailHtml({ title: headline, subtitle: subject, footer: small, replyHint: hint }, [
      intro && <p>{intro}</p>,
      quote && (
        <div dir="auto" style="white-space:pre-wrap;border-left:3px solid #d3dae6;padding:4px 12px;margin:0 0 16px">
          {quote}
        </div>
      ),
      withheld && <p>{withheld}</p>,
      <EmailButton href={link} label="Open the ticket" />,
      ...steps.map((line) => <p style="color:#4d5a70;font-size:14px">{line}</p>),
    ]),
    text: mailText(
      [
        ...(hint ? [hint, ''] : []),
        headline,
        subject,
        '',
        ...(intro ? [intro, ''] : []),
        ...(quote ? [quote, ''] : []),
        ...(withheld ? [withheld, ''] : []),
        `Open the ticket: ${link}`,
        ...(steps.length > 0 ? ['', ...steps] : []),
      ],
      [PRODUCT, ...small].join('\n'),
    ),
  };
}

/**
 * To staff, once an hour at most per client: this client's further updates are not emailed one by one. It is about
 * no single ticket, so it is not threaded.
 */
export function clientQuietedMail(input: { link: string; email: string; perHour: number }): RenderedMail {
  const headline = 'A very active client: their further updates this hour are not emailed';
  const label = `More than ${input.perHour} updates from ${input.email} in an hour`;
  const body = `${input.email} has opened or replied to tickets more than ${input.perHour} times in the last hour. Their further updates this hour are not emailed one by one; they are all in the portal, awaiting staff.`;
  const action = 'Open the tickets awaiting staff';
  return {
    kind: 'ticket.client_quieted',
    subject: `[${label.slice(0, 120)}] ${headline}`,
    html: mailHtml(
      { title: headline, subtitle: label, footer: 'You can turn ticket emails off on your account page.' },
      [<p>{body}</p>, <EmailButton href={input.link} label={action} />],
    ),
    text: mailText(
      [headline, label, '', body, '', `${action}: ${input.link}`],
      `${PRODUCT} (turn ticket emails off on your account page)`,
    ),
  };
}
