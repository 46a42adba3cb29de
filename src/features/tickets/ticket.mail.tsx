import { EmailButton, mailHtml, mailText, PRODUCT } from '../../mail/layout.tsx';
import type { RenderedMail } from '../../mail/templates.tsx';

type Kind =
  'ticket_opened' | 'ticket_opened_for_you' | 'client_replied' | 'staff_replied' | 'resolved' | 'client_quieted';

const HEADLINE: Record<Kind, (by: string) => string> = {
  ticket_opened: (by) => `New ticket from ${by}`,
  ticket_opened_for_you: () => 'Our support team opened a ticket for you',
  client_replied: (by) => `${by} replied`,
  staff_replied: () => 'Support replied to your ticket',
  resolved: () => 'Your ticket was resolved',
  client_quieted: () => 'A very active client: their further updates this hour are not emailed',
};

const MAX_QUOTE = 4000;

/**
 * A ticket notification. It carries only client-visible text: callers never pass internal notes.
 * User text is escaped by JSX in the HTML part.
 */
export function ticketNotificationMail(input: {
  kind: Kind;
  ticketLabel: string;
  link: string;
  body: string | null;
  by: string;
}): RenderedMail {
  const headline = HEADLINE[input.kind](input.by);
  const quote = input.body && input.body.length > MAX_QUOTE ? `${input.body.slice(0, MAX_QUOTE)}…` : input.body;
  const action = input.kind === 'client_quieted' ? 'Open the tickets awaiting staff' : 'Open the ticket';
  return {
    kind: `ticket.${input.kind}`,
    subject: `[${input.ticketLabel.slice(0, 120)}] ${headline}`,
    html: mailHtml(
      { title: headline, subtitle: input.ticketLabel, footer: 'You can turn ticket emails off on your account page.' },
      [
        quote && (
          <div style="white-space:pre-wrap;border-left:3px solid #d3dae6;padding:4px 12px;margin:0 0 16px">{quote}</div>
        ),
        <EmailButton href={input.link} label={action} />,
      ],
    ),
    text: mailText(
      [headline, input.ticketLabel, '', ...(quote ? [quote, ''] : []), `${action}: ${input.link}`],
      `${PRODUCT} (turn ticket emails off on your account page)`,
    ),
  };
}
