import { describe, expect, it } from 'vitest';
import { attrs, escapeHtml, html, isSafeHtml, join, raw, safeUrl } from '../src/index.ts';

// Payloads that break out of text, quoted attributes (both quote kinds), backtick-quoted
// attributes (old IE), comments, and script/style contexts when not escaped.
const XSS = [
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '"><script>alert(1)</script>',
  "' onmouseover='alert(1)",
  '" onfocus="alert(1)" autofocus="',
  '` onload=`alert(1)',
  '</textarea><script>alert(1)</script>',
  '</title><svg onload=alert(1)>',
  '<!--<img src="--><img src=x onerror=alert(1)//">',
  '&lt;script&gt;alert(1)&lt;/script&gt;',
  '<a href="javascript:alert(1)">x</a>',
  '<<SCRIPT>alert("XSS");//<</SCRIPT>',
  '\u0000<script>alert(1)</script>',
  '＜script＞全角は無害＜/script＞',
];

/** What a browser would show: undo exactly our escapes. */
function unescape(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39|#96);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#96': '`' })[e]!);
}

describe('html', () => {
  it('escapes every interpolated string in text and attribute contexts, and the browser sees the original text', () => {
    for (const payload of XSS) {
      const text = html`<p>${payload}</p>`.html;
      const attr = html`<input value="${payload}" title='${payload}'>`.html;
      const inner = (s: string, open: string, close: string) => s.slice(open.length, s.length - close.length);
      expect(inner(text, '<p>', '</p>')).not.toMatch(/[<>"'`]/);
      expect(unescape(inner(text, '<p>', '</p>'))).toBe(payload);
      const [, v1, v2] = /^<input value="([^"]*)" title='([^']*)'>$/.exec(attr) ?? [];
      expect(unescape(v1!)).toBe(payload);
      expect(unescape(v2!)).toBe(payload);
    }
  });

  it('escapes & < > " \' and backtick', () => {
    expect(escapeHtml(`&<>"'\``)).toBe('&amp;&lt;&gt;&quot;&#39;&#96;');
    expect(html`${'a & b'}`.html).toBe('a &amp; b');
  });

  it('inserts nested SafeHtml as is, joins arrays, and renders nothing for null, undefined and false', () => {
    const item = (s: string) => html`<li>${s}</li>`;
    const out = html`<ul>${['<a>', 'b'].map(item)}</ul>${null}${undefined}${false}${0}${12n}`;
    expect(out.html).toBe('<ul><li>&lt;a&gt;</li><li>b</li></ul>012');
    expect(html`${['<b>', html`<i>x</i>`, [null, 'y']]}`.html).toBe('&lt;b&gt;<i>x</i>y');
    expect(String(out)).toBe(out.html);
    expect(isSafeHtml(out)).toBe(true);
    expect(isSafeHtml({ html: '<script>' })).toBe(false);
  });

  it('refuses values that would print as [object Object] or "true"', () => {
    expect(() => html`${{ a: 1 } as never}`).toThrow(TypeError);
    expect(() => html`${true as never}`).toThrow(/true/);
  });

  it('refuses an interpolation in an unquoted attribute, where escaping cannot help', () => {
    expect(() => html`<a href=${'x onclick=alert(1)'}>x</a>`).toThrow(/quote attribute values/);
    expect(() => html`<div class = ${'x'}>`).toThrow(SyntaxError);
    expect(() => html`<input${attrs({ required: true })} value=${'1'}>`).toThrow(SyntaxError);
    // "=" in text, outside any tag, is just text.
    expect(html`<p>a = ${'1'}</p>`.html).toBe('<p>a = 1</p>');
  });

  it('raw inserts trusted markup unchanged', () => {
    expect(html`<div>${raw('<b>ok</b>')}</div>`.html).toBe('<div><b>ok</b></div>');
  });

  it('join drops empty parts and escapes the separator', () => {
    expect(join(['a', null, html`<b>b</b>`, ''], ' & ').html).toBe('a &amp; <b>b</b>');
  });
});

describe('attrs', () => {
  it('writes true as a bare attribute, omits false/null/undefined, escapes values', () => {
    const a = attrs({ type: 'text', required: true, disabled: false, placeholder: undefined, title: null, value: '"><script>', maxlength: 20 });
    expect(a.html).toBe(' type="text" required value="&quot;&gt;&lt;script&gt;" maxlength="20"');
    expect(html`<input${a}>`.html).toBe('<input type="text" required value="&quot;&gt;&lt;script&gt;" maxlength="20">');
  });

  it('rejects attribute names that could inject markup', () => {
    expect(() => attrs({ 'onclick="x" a': 'b' })).toThrow(/invalid attribute name/);
    expect(() => attrs({ '><script>': 'x' })).toThrow(/invalid attribute name/);
  });
});

describe('safeUrl', () => {
  it('keeps relative and http(s)/mailto/tel URLs', () => {
    for (const url of ['/members/1', '?lang=en', '#main', './x', 'members', 'https://example.jp/a?b=c', 'http://localhost:8080', 'mailto:a@example.jp', 'tel:0312345678']) {
      expect(safeUrl(url)).toBe(url);
    }
  });

  it('replaces script and data URLs, however they are disguised, with #', () => {
    for (const url of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', ' javascript:alert(1)', 'java\tscript:alert(1)', 'java\nscript:alert(1)', '\u0001javascript:alert(1)', 'data:text/html,<script>alert(1)</script>', 'vbscript:msgbox(1)']) {
      expect(safeUrl(url)).toBe('#');
    }
  });
});
