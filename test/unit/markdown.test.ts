import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isSafeHref, renderMarkdown, renderMarkdownForEmail } from '../../src/views/markdown.ts';
import { assertNoInjectedMarkup } from '../security/html-check.ts';
import { XSS_PAYLOADS } from '../security/xss-payloads.ts';

const html = (text: string) => renderMarkdown(text).__html;
const REL = 'rel="noopener noreferrer nofollow"';

describe('markdown renderer', () => {
  test('headings are bold paragraphs, not page headings', () => {
    assert.equal(
      html('# Title\n## Sub'),
      '<p class="md-heading md-heading--1">Title</p>\n<p class="md-heading md-heading--2">Sub</p>\n',
    );
  });

  test('lists, emphasis and single newlines as line breaks', () => {
    assert.equal(html('- one\n- two'), '<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n');
    assert.equal(html('1. a\n2. b'), '<ol>\n<li>a</li>\n<li>b</li>\n</ol>\n');
    assert.equal(html('Hello *you*\nsecond line'), '<p>Hello <em>you</em><br>\nsecond line</p>\n');
  });

  test('code blocks, fences and inline code keep their text escaped', () => {
    assert.equal(html('```js\nconst a = "<b>";\n```'), '<pre><code>const a = &quot;&lt;b&gt;&quot;;\n</code></pre>\n');
    assert.equal(html('    indented <i>'), '<pre><code>indented &lt;i&gt;\n</code></pre>\n');
    assert.equal(html('use `a<b`'), '<p>use <code>a&lt;b</code></p>\n');
  });

  test('quoted lines are a blockquote', () => {
    assert.equal(html('> quoted\n> more'), '<blockquote>\n<p>quoted<br>\nmore</p>\n</blockquote>\n');
  });

  test('raw HTML is text', () => {
    assert.equal(html('<b onclick="x">hi</b>'), '<p>&lt;b onclick=&quot;x&quot;&gt;hi&lt;/b&gt;</p>\n');
  });

  test('links and bare URLs open safely with rel noopener noreferrer nofollow', () => {
    assert.equal(
      html('[docs](https://example.com/a?b=1&c=2)'),
      `<p><a href="https://example.com/a?b=1&amp;c=2" ${REL} target="_blank">docs</a></p>\n`,
    );
    assert.equal(
      html('see www.example.com'),
      `<p>see <a href="http://www.example.com" ${REL} target="_blank">www.example.com</a></p>\n`,
    );
    assert.match(
      html('<mailto:help@example.com>'),
      /<a href="mailto:help@example.com" rel="noopener noreferrer nofollow"/,
    );
  });

  test('only http, https and mailto: other schemes stay text', () => {
    for (const href of [
      'javascript:alert(1)',
      'JaVaScRiPt:alert(1)',
      'vbscript:x',
      'data:text/html,x',
      'data:image/png;base64,AAAA',
      'file:///etc/passwd',
      '//evil.example/x',
      '/relative',
      'ftp://x.example/',
    ]) {
      assert.equal(isSafeHref(href), false, href);
      assert.doesNotMatch(html(`[x](${href})`), /<a /, href);
      assert.doesNotMatch(html(`[x][r]\n\n[r]: ${href}`), /<a /, href);
    }
    assert.doesNotMatch(html('[x](&#106;avascript:alert(1))'), /<a /);
    assert.doesNotMatch(html('<javascript:alert(1)>'), /<a /);
    assert.equal(isSafeHref('https://example.com'), true);
    assert.equal(isSafeHref('mailto:a@example.com'), true);
  });

  test('an image is a link to it, never an <img>', () => {
    assert.equal(
      html('![cat](https://evil.example/cat.png)'),
      `<p><a href="https://evil.example/cat.png" ${REL} target="_blank">cat</a></p>\n`,
    );
    assert.equal(html('![cat](data:image/png;base64,AAAA)'), '<p>![cat](data:image/png;base64,AAAA)</p>\n');
    assert.doesNotMatch(html('![x" onerror="alert(1)](https://x.example/a.png)'), /<img|onerror="/);
  });

  test('emails get inline styles, pages classes only', () => {
    const email = renderMarkdownForEmail('> q\n\n`c`\n\n```\nblock\n```').__html;
    assert.match(email, /<blockquote style="[^"]*border-left/);
    assert.match(email, /<code style="/);
    assert.match(email, /<pre style="/);
    assert.doesNotMatch(html('> q\n\n`c`'), /style=/);
  });

  test('no XSS payload survives, in pages or emails', () => {
    for (const payload of XSS_PAYLOADS) {
      assertNoInjectedMarkup(html(payload), `page: ${payload}`);
      assertNoInjectedMarkup(renderMarkdownForEmail(payload).__html, `email: ${payload}`, { email: true });
      assert.doesNotMatch(html(payload), /<(img|script|iframe|svg)\b/i, payload);
    }
  });

  test('pathological input renders in bounded time', () => {
    for (const unit of ['*[', '[', '![', '*a ', '**', '<', '[a](', '> ', '`']) {
      const text = unit.repeat(Math.ceil(100_000 / unit.length));
      const start = performance.now();
      const out = html(text);
      const ms = performance.now() - start;
      assert.ok(out.length > 0);
      assert.ok(ms < 200, `100 KB of ${JSON.stringify(unit)} took ${Math.round(ms)} ms`);
    }
    // Many paragraphs of unclosed brackets, each small enough on its own: the budget is per message.
    const paragraphs = `${'*['.repeat(500)}\n\n`.repeat(100);
    const start = performance.now();
    html(paragraphs);
    assert.ok(performance.now() - start < 200, 'paragraphs of unclosed brackets');
  });

  test('text past the scanning budget is still shown, escaped, with its line breaks', () => {
    const out = html(`${'['.repeat(3000)}<b>\nnext`);
    assert.ok(out.includes('&lt;b&gt;<br>\nnext'));
  });
});
