import assert from 'node:assert/strict';

const TAG = /<([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^\s"'>/=]+(?:="[^"]*")?)*)\s*\/?>/g;
const ATTR = /([^\s"'>/=]+)(?:="([^"]*)")?/g;
const FORBIDDEN_TAGS = new Set([
  'iframe',
  'object',
  'embed',
  'svg',
  'math',
  'base',
  'frame',
  'frameset',
  'portal',
  'applet',
  'template',
  'noscript',
  'isindex',
  'keygen',
  'marquee',
  'video',
  'audio',
]);
const URL_ATTRS = new Set(['href', 'src', 'action', 'formaction', 'xlink:href', 'background', 'data', 'poster']);

function decode(value: string): string {
  return value
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/**
 * Parses the tags of server-rendered HTML (Preact's output always double-quotes attributes) and fails if
 * any markup could run script: an element we never emit, an on* attribute, a javascript: URL, an inline
 * or foreign script, a meta refresh. Text that merely *contains* payloads, escaped, passes.
 */
export function assertNoInjectedMarkup(html: string, where: string, opts: { email?: boolean } = {}): void {
  let scripts = 0;
  for (const match of html.matchAll(TAG)) {
    const tag = (match[1] ?? '').toLowerCase();
    const attrs = [...(match[2] ?? '').matchAll(ATTR)].map(
      (a) => [(a[1] ?? '').toLowerCase(), decode(a[2] ?? '')] as const,
    );
    assert.ok(!FORBIDDEN_TAGS.has(tag), `${where}: <${tag}> in ${match[0].slice(0, 120)}`);
    if (tag === 'script') {
      scripts += 1;
      const src = attrs.find(([name]) => name === 'src')?.[1] ?? '';
      assert.match(
        src,
        /^\/assets\/js\/app\.[0-9a-f]{12}\.js$/,
        `${where}: foreign or inline script ${match[0].slice(0, 120)}`,
      );
    }
    if (tag === 'img' && !opts.email) {
      // Pages load images only from their own origin (message images are links; thumbnails use the attachment route).
      const src = attrs.find(([name]) => name === 'src')?.[1] ?? '';
      assert.ok(
        (src.startsWith('/') && !src.startsWith('//')) || src.startsWith('data:image/'),
        `${where}: image from elsewhere ${match[0].slice(0, 120)}`,
      );
    }
    if (tag === 'meta') {
      assert.ok(!attrs.some(([name]) => name === 'http-equiv'), `${where}: meta http-equiv`);
    }
    for (const [name, value] of attrs) {
      assert.ok(!name.startsWith('on'), `${where}: event handler attribute ${name} in ${match[0].slice(0, 120)}`);
      if (!opts.email) {
        assert.notEqual(name, 'style', `${where}: style attribute from content`);
      }
      if (URL_ATTRS.has(name)) {
        const v = [...value]
          .filter((c) => c.charCodeAt(0) > 0x20)
          .join('')
          .toLowerCase();
        assert.ok(
          !v.startsWith('javascript:') &&
            !v.startsWith('vbscript:') &&
            !v.startsWith('data:text/html') &&
            !(name === 'href' && (v.startsWith('data:') || v.startsWith('file:'))),
          `${where}: dangerous URL ${name}=${value.slice(0, 80)}`,
        );
      }
    }
  }
  if (!opts.email) {
    assert.ok(scripts <= 1, `${where}: ${scripts} script tags`);
  }
}
