import type { RenderedMail } from '../../mail/templates.tsx';
import { renderToString } from 'preact-render-to-string';

type Kind = 'ticket_opened' | 'ticket_opened_for_you' | 'client_replied' | 'staff_replied' | 'resolved' | 'client_quieted';

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
export function ticketNotificationMail(input: { kind: Kind; ticketLabel: string; link: string; body: string | null; by: string }): RenderedMail {
  const headline = HEADLINE[input.kind](input.by);
  const quote = input.body && input.body.length > MAX_QUOTE ? `${input.body.slice(0, MAX_QUOTE)}…` : input.body;
  const html = renderToString(
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>{headline}</title>
      </head>
      <body style="margin:0;padding:24px;background:#f5f7fb;font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;color:#1a2233;line-height:1.5">
        <div style="max-width:560px;margin:0 auto;background:#ffffff;border:1px solid #d3dae6;border-radius:10px;padding:24px">
          <p style="margin:0 0 16px;font-weight:700;color:#2b59c3">Parapet</p>
          <h1 style="font-size:20px;margin:0 0 8px">{headline}</h1>
          <p style="margin:0 0 16px;color:#4d5a70">{input.ticketLabel}</p>
          {quote && <div style="white-space:pre-wrap;border-left:3px solid #d3dae6;padding:4px 12px;margin:0 0 16px">{quote}</div>}
          <p>
            <a href={input.link} style="display:inline-block;background:#2b59c3;color:#ffffff;padding:12px 20px;border-radius:8px;text-decoration:none;font-weight:600">
              {input.kind === 'client_quieted' ? 'Open the tickets awaiting staff' : 'Open the ticket'}
            </a>
          </p>
        </div>
        <p style="max-width:560px;margin:16px auto 0;color:#4d5a70;font-size:13px">You can turn ticket emails off on your account page.</p>
      </body>
    </html>,
  );
  return {
    kind: `ticket.${input.kind}`,
    subject: `[${input.ticketLabel.slice(0, 120)}] ${headline}`,
    html: `<!doctype html>${html}`,
    text: [headline, input.ticketLabel, '', ...(quote ? [quote, ''] : []), `${input.kind === 'client_quieted' ? 'Open the tickets awaiting staff' : 'Open the ticket'}: ${input.link}`, '', '-- ', 'Parapet (turn ticket emails off on your account page)', ''].join('\n'),
  };
}
