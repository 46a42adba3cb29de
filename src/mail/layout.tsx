import { createContext, type ComponentChildren } from 'preact';
import { useContext } from 'preact/hooks';
import { renderToString } from 'preact-render-to-string';
import type { RenderedMail } from './templates.tsx';

/** What every email takes from the configuration: the portal's name (PORTAL_NAME), accent and logo. */
export interface MailBrand {
  name: string;
  /** PORTAL_ACCENT (checked for 4.5:1 against white at start), or the default blue. */
  accent: string;
  /** The absolute URL of a PNG or WebP PORTAL_LOGO (mail programs do not show SVG), or null. */
  logoUrl: string | null;
}

/** The brand of an installation without PORTAL_* settings. */
export const DEFAULT_ACCENT = '#2b59c3';

/**
 * An email as a template returns it: written once the brand is known. `Mailer.enqueue` writes it with the
 * configured brand, so services call templates exactly as before.
 */
export type MailDraft = (brand: MailBrand) => RenderedMail;

const BrandContext = createContext<MailBrand>({ name: 'Support', accent: DEFAULT_ACCENT, logoUrl: null });

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

/** The one frame of every email: the portal's name (and logo), the headline, the content in a card, the small print. */
export function EmailLayout({ title, subtitle, footer, replyHint, children }: EmailLayoutProps) {
  const brand = useContext(BrandContext);
  const small =
    footer ??
    `You received this email because of activity on your ${brand.name} account. If it was not you, you can ignore it.`;
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
          <p style={`margin:0 0 16px;font-weight:700;color:${brand.accent}`}>
            {brand.logoUrl && (
              <img
                src={brand.logoUrl}
                alt=""
                height="28"
                style="height:28px;width:auto;max-width:160px;vertical-align:middle;margin-right:8px;border:0"
              />
            )}
            <span style="vertical-align:middle">{brand.name}</span>
          </p>
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
        {(Array.isArray(small) ? small : [small]).map((line) => (
          <p style={SMALL_PRINT}>{line}</p>
        ))}
      </body>
    </html>
  );
}

/** The email's call to action. */
export function EmailButton({ href, label }: { href: string; label: string }) {
  const brand = useContext(BrandContext);
  return (
    <p style="margin:24px 0">
      <a
        href={href}
        style={`display:inline-block;background:${brand.accent};color:#ffffff;padding:12px 20px;border-radius:8px;text-decoration:none;font-weight:600`}
      >
        {label}
      </a>
    </p>
  );
}

/** The HTML part: the layout around `body`, as a document, in the brand's name and colour. */
export function mailHtml(
  brand: MailBrand,
  layout: Omit<EmailLayoutProps, 'children'>,
  body: ComponentChildren,
): string {
  return `<!doctype html>${renderToString(
    <BrandContext.Provider value={brand}>
      <EmailLayout {...layout}>{body}</EmailLayout>
    </BrandContext.Provider>,
  )}`;
}

/** The text part: the lines, then the signature (the portal's name) after the conventional "-- " separator. */
export function mailText(lines: string[], signature: string): string {
  return `${lines.join('\n')}\n\n-- \n${signature}\n`;
}
