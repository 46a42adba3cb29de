import type { ComponentChildren } from 'preact';
import { renderToString } from 'preact-render-to-string';

export const PRODUCT = 'Parapet';

const DEFAULT_FOOTER = `You received this email because of activity on your ${PRODUCT} account. If it was not you, you can ignore it.`;

interface EmailLayoutProps {
  /** The headline, also the document title. */
  title: string;
  /** A line under the headline (a ticket's number and subject). */
  subtitle?: string | undefined;
  /** The small print under the card, one paragraph each. */
  footer?: string | string[] | undefined;
  /** A line above everything (ticket mail that can be answered: where to type the reply). */
  replyHint?: string | undefined;
  children?: ComponentChildren;
}

const SMALL_PRINT = 'max-width:560px;margin:16px auto 0;color:#4d5a70;font-size:13px';

/** The one frame of every email: the product name, the headline, the content in a card, the small print. */
export function EmailLayout({ title, subtitle, footer = DEFAULT_FOOTER, replyHint, children }: EmailLayoutProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{title}</title>
      </head>
      <body style="margin:0;padding:24px;background:#f5f7fb;font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;color:#1a2233;line-height:1.5">
        {replyHint !== undefined && (
          <p style="max-width:560px;margin:0 auto 12px;color:#8a94a6;font-size:12px">{replyHint}</p>
        )}
        <div style="max-width:560px;margin:0 auto;background:#ffffff;border:1px solid #d3dae6;border-radius:10px;padding:24px">
          <p style="margin:0 0 16px;font-weight:700;color:#2b59c3">{PRODUCT}</p>
          {/* The headline and subtitle may carry people's text (a name, a ticket's subject) in any script. */}
          <h1 dir="auto" style={`font-size:20px;margin:0 0 ${subtitle === undefined ? 16 : 8}px`}>
            {title}
          </h1>
          {subtitle !== undefined && (
            <p dir="auto" style="margin:0 0 16px;color:#4d5a70">
              {subtitle}
            </p>
          )}
          {children}
        </div>
        {(Array.isArray(footer) ? footer : [footer]).map((line) => (
          <p style={SMALL_PRINT}>{line}</p>
        ))}
      </body>
    </html>
  );
}

/** The email's call to action. */
export function EmailButton({ href, label }: { href: string; label: string }) {
  return (
    <p style="margin:24px 0">
      <a
        href={href}
        style="display:inline-block;background:#2b59c3;color:#ffffff;padding:12px 20px;border-radius:8px;text-decoration:none;font-weight:600"
      >
        {label}
      </a>
    </p>
  );
}

/** The HTML part: the layout around `body`, as a document. */
export function mailHtml(layout: Omit<EmailLayoutProps, 'children'>, body: ComponentChildren): string {
  return `<!doctype html>${renderToString(<EmailLayout {...layout}>{body}</EmailLayout>)}`;
}

/** The text part: the lines, then the signature after the conventional "-- " separator. */
export function mailText(lines: string[], signature: string = PRODUCT): string {
  return `${lines.join('\n')}\n\n-- \n${signature}\n`;
}
