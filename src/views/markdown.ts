import MarkdownIt from 'markdown-it';
import type { Options, Renderer, Token } from 'markdown-it';

/**
 * The one place user text becomes HTML that is not escaped by JSX: ticket messages and notes, in pages and emails.
 *
 * CommonMark (markdown-it) with raw HTML off, so every `<` a user types is escaped; links only to http, https and
 * mailto, with `rel="noopener noreferrer nofollow"`; images in the text are never loaded (the page's CSP forbids other
 * origins anyway): `![alt](url)` becomes a link to the url. Headings are shown as bold paragraphs, so a message does
 * not add to the page's outline. Single newlines are kept as line breaks, since most people type plain text.
 */

/** HTML that came out of this renderer; the only value a view may pass to `dangerouslySetInnerHTML`. */
export interface RenderedMarkdown {
  readonly __html: string;
}

const SAFE_SCHEME = /^(https?:\/\/|mailto:)/i;

/** Only absolute http(s) and mailto links; no relative, javascript:, data:, vbscript:, file: or protocol-relative. */
export function isSafeHref(url: string): boolean {
  const trimmed = url.trim();
  if (!SAFE_SCHEME.test(trimmed)) {
    return false;
  }
  try {
    const parsed = new URL(trimmed);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' || parsed.protocol === 'mailto:';
  } catch {
    return false;
  }
}

const LINK_REL = 'noopener noreferrer nofollow';

/** Inline styles for email clients, which ignore stylesheets; pages use classes (app.css). */
const EMAIL_STYLE = {
  blockquote: 'margin:0 0 12px;padding:2px 12px;border-left:3px solid #d3dae6;color:#4d5a70',
  pre: 'margin:0 0 12px;padding:8px 12px;background:#f0f2f7;border-radius:6px;overflow-x:auto;white-space:pre-wrap;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px',
  code: 'padding:1px 4px;background:#f0f2f7;border-radius:4px;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px',
  p: 'margin:0 0 12px',
  heading: 'margin:0 0 12px;font-weight:700',
  a: 'color:#2b59c3',
  table: 'border-collapse:collapse;margin:0 0 12px',
  cell: 'border:1px solid #d3dae6;padding:4px 8px',
} as const;

type Mode = 'page' | 'email';

/**
 * How far markdown-it's link-label scan would read: from each `[` to its matching `]`, or to the end when unclosed.
 * Unclosed brackets make that scan quadratic (100 KB of `*[` took seconds), so past a budget a paragraph is plain text.
 */
function bracketScanCost(text: string): number {
  const open: number[] = [];
  let cost = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b) {
      open.push(i);
    } else if (c === 0x5d && open.length > 0) {
      cost += i - open.pop()!;
    }
  }
  for (const start of open) {
    cost += text.length - start;
  }
  return cost;
}

/** Characters of link-label scanning allowed per message (a few milliseconds); normal text uses a tiny fraction. */
const SCAN_BUDGET = 300_000;
/** Characters of inline text parsed per message: a whole message (MESSAGE_MAX is 20,000); text past it is plain. */
const INLINE_BUDGET = 20_000;

function setStyle(token: Token, style: string): void {
  token.attrSet('style', style);
}

function build(mode: Mode): MarkdownIt {
  const md = new MarkdownIt('default', { html: false, linkify: true, breaks: true, typographer: false });
  md.validateLink = isSafeHref;
  // Paragraphs past the scanning budget are shown as plain text (escaped, line breaks kept), not parsed.
  md.core.ruler.before('inline', 'scan_budget', (state) => {
    let spent = 0;
    let length = 0;
    for (const token of state.tokens) {
      if (token.type !== 'inline') {
        continue;
      }
      spent += bracketScanCost(token.content);
      length += token.content.length;
      if (spent > SCAN_BUDGET || length > INLINE_BUDGET) {
        token.type = 'plain_inline';
      }
    }
  });
  const escape = md.utils.escapeHtml;
  const rules = md.renderer.rules;
  const email = mode === 'email';
  const self = (tokens: Token[], idx: number, options: Options, _env: unknown, renderer: Renderer) =>
    renderer.renderToken(tokens, idx, options);

  rules.link_open = (tokens, idx, options, env, renderer) => {
    const token = tokens[idx]!;
    const href = token.attrGet('href') ?? '';
    if (!isSafeHref(href)) {
      // validateLink already refused it; never let an unchecked href through.
      token.attrs = [];
      token.tag = 'span';
      const close = tokens.slice(idx).find((t) => t.type === 'link_close');
      if (close) {
        close.tag = 'span';
      }
    } else {
      token.attrSet('rel', LINK_REL);
      token.attrSet('target', '_blank');
      if (email) {
        setStyle(token, EMAIL_STYLE.a);
      }
    }
    return self(tokens, idx, options, env, renderer);
  };
  // An image in the text is a link to it (or its text), never an <img> that loads from elsewhere.
  rules.image = (tokens, idx) => {
    const token = tokens[idx]!;
    const src = token.attrGet('src') ?? '';
    const alt = token.children ? md.renderer.renderInlineAsText(token.children, md.options, {}) : token.content;
    const label = escape(alt.trim() === '' ? src : alt);
    if (!isSafeHref(src)) {
      return label;
    }
    const style = email ? ` style="${EMAIL_STYLE.a}"` : '';
    return `<a href="${escape(md.normalizeLink(src))}" rel="${LINK_REL}" target="_blank"${style}>${label}</a>`;
  };
  // Headings: bold paragraphs, so a message cannot add headings to the page's outline.
  rules.heading_open = (tokens, idx) => {
    const level = tokens[idx]!.tag.slice(1);
    return email ? `<p style="${EMAIL_STYLE.heading}">` : `<p class="md-heading md-heading--${level}">`;
  };
  rules.heading_close = () => '</p>\n';
  rules.code_inline = (tokens, idx) => {
    const style = email ? ` style="${EMAIL_STYLE.code}"` : '';
    return `<code${style}>${escape(tokens[idx]!.content)}</code>`;
  };
  const block = (tokens: Token[], idx: number) => {
    const style = email ? ` style="${EMAIL_STYLE.pre}"` : '';
    return `<pre${style}><code>${escape(tokens[idx]!.content)}</code></pre>\n`;
  };
  rules['plain_inline'] = (tokens, idx) => escape(tokens[idx]!.content).replaceAll('\n', '<br>\n');
  rules.code_block = block;
  rules.fence = block;
  if (email) {
    const styled =
      (style: string) =>
      (tokens: Token[], idx: number, options: Options, env: unknown, renderer: Renderer): string => {
        setStyle(tokens[idx]!, style);
        return self(tokens, idx, options, env, renderer);
      };
    rules.blockquote_open = styled(EMAIL_STYLE.blockquote);
    rules.paragraph_open = styled(EMAIL_STYLE.p);
    rules.table_open = styled(EMAIL_STYLE.table);
    rules.th_open = styled(EMAIL_STYLE.cell);
    rules.td_open = styled(EMAIL_STYLE.cell);
  }
  return md;
}

const renderers: Record<Mode, MarkdownIt> = { page: build('page'), email: build('email') };

/** A message's text as HTML for a page (styled by app.css's `.md`). */
export function renderMarkdown(text: string): RenderedMarkdown {
  return { __html: renderers.page.render(text) };
}

/** A message's text as HTML for an email, with inline styles. */
export function renderMarkdownForEmail(text: string): RenderedMarkdown {
  return { __html: renderers.email.render(text) };
}
