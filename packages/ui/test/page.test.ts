import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp, createLogger, type App } from '@jplink/kit';
import {
  assetUrl,
  button,
  codeBlock,
  CONTENT_SECURITY_POLICY,
  definitionList,
  emptyState,
  flashMessage,
  form,
  formField,
  html,
  page,
  pagination,
  registerUi,
  table,
} from '../src/index.ts';

const signedIn = () =>
  page({
    locale: 'ja',
    title: '<設定>',
    appName: 'JP-Link 管理画面',
    nav: [
      { href: '/', label: 'ホーム' },
      { href: '/settings', label: '設定', current: true },
      { href: 'javascript:alert(1)', label: 'bad' },
    ],
    user: { name: '佐藤 <b>' },
    csrfToken: 'tok"en',
    flash: { kind: 'success', text: '保存しました' },
    body: html`<p>本文</p>`,
  }).html;

describe('page', () => {
  it('is a complete document in the page language with the kit assets and a skip link', () => {
    const doc = signedIn();
    expect(doc.startsWith('<!doctype html>\n<html lang="ja">')).toBe(true);
    expect(doc).toContain('<meta charset="utf-8">');
    expect(doc).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(doc).toContain(`<link rel="stylesheet" href="${assetUrl('ui.css')}">`);
    expect(doc).toContain(`<script src="${assetUrl('ui.js')}" defer></script>`);
    expect(assetUrl('ui.css')).toMatch(/^\/assets\/ui\.css\?v=[A-Za-z0-9_-]{16}$/);
    expect(doc).toContain('<a class="skip-link" href="#main">本文へ移動</a>');
    expect(doc).toContain('<main id="main" tabindex="-1">');
    expect(doc).toContain('<title>&lt;設定&gt; | JP-Link 管理画面</title>');
    expect(doc).toContain('<h1>&lt;設定&gt;</h1>');
  });

  it('marks the current nav item, neutralises script URLs, and links both languages', () => {
    const doc = signedIn();
    expect(doc).toContain('<a href="/settings" aria-current="page">設定</a>');
    expect(doc).toContain('<a href="#">bad</a>');
    expect(doc).toContain('<a href="?lang=ja" hreflang="ja" lang="ja" aria-current="true">日本語</a>');
    expect(doc).toContain('<a href="?lang=en" hreflang="en" lang="en">English</a>');
  });

  it('shows the user and a POST sign-out form carrying the CSRF token', () => {
    const doc = signedIn();
    expect(doc).toContain('佐藤 &lt;b&gt;');
    expect(doc).toMatch(/<form method="post" action="\/sign-out" class="sign-out"><input type="hidden" name="_csrf" value="tok&quot;en">/);
    // @ts-expect-error — a signed-in page needs the CSRF token
    expect(() => page({ locale: 'en', title: 't', appName: 'a', nav: [], user: { name: 'x' }, body: '' })).toThrow(/csrfToken/);
  });

  it('signed out, in English: no user box, English chrome', () => {
    const doc = page({ locale: 'en', title: 'Sign in', appName: 'JP-Link', nav: [], body: '' }).html;
    expect(doc).toContain('<html lang="en">');
    expect(doc).toContain('Skip to content');
    expect(doc).not.toContain('sign-out');
    expect(doc).not.toContain('nav-toggle'); // no menu without nav items
  });

  it('has no inline script or style, which the CSP would block', () => {
    const doc = signedIn();
    expect(doc).not.toMatch(/\sstyle=/);
    expect(doc).not.toMatch(/\son[a-z]+=/);
    expect(doc.match(/<script[^>]*>/g)).toEqual([`<script src="${assetUrl('ui.js')}" defer>`]);
  });
});

describe('components', () => {
  it('formField links label, help and error, and marks required and invalid', () => {
    const f = formField({ locale: 'ja', name: 'memberCode', label: 'メンバーコード', required: true, help: '半角英数字', error: '入力してください', value: '"x"' }).html;
    expect(f).toContain('<label for="field-memberCode">メンバーコード <span class="field-required">必須</span></label>');
    expect(f).toContain('<p class="field-help" id="field-memberCode-help">半角英数字</p>');
    expect(f).toContain(
      '<input id="field-memberCode" name="memberCode" required aria-invalid="true" aria-describedby="field-memberCode-help field-memberCode-error" type="text" value="&quot;x&quot;">',
    );
    expect(f).toContain('<p class="field-error" id="field-memberCode-error">入力してください</p>');
    expect(f).toContain('class="field field-invalid"');
    const plain = formField({ locale: 'en', name: 'q', label: 'Search' }).html;
    expect(plain).toBe('<div class="field"><label for="field-q">Search</label><input id="field-q" name="q" type="text"></div>');
  });

  it('formField renders select, textarea and checkbox', () => {
    const select = formField({ locale: 'en', name: 'cls', type: 'select', label: 'Class', value: 'COM', options: [{ value: 'GOV', label: 'Government' }, { value: 'COM', label: 'Company' }] }).html;
    expect(select).toContain('<option value="GOV">Government</option><option value="COM" selected>Company</option>');
    const textarea = formField({ locale: 'en', name: 'doc', type: 'textarea', label: 'OpenAPI', value: '</textarea><script>' }).html;
    expect(textarea).toContain('<textarea id="field-doc" name="doc" rows="6">&lt;/textarea&gt;&lt;script&gt;</textarea>');
    const checkbox = formField({ locale: 'ja', name: 'agree', type: 'checkbox', label: '同意する', checked: true, required: true }).html;
    expect(checkbox).toContain('<input id="field-agree" name="agree" required type="checkbox" value="on" checked><label for="field-agree">同意する');
  });

  it('form posts with the hidden _csrf field; button carries data-confirm', () => {
    const f = form({ action: '/members/1/delete', csrfToken: 'abc', confirm: '削除しますか？', body: button({ label: '削除', kind: 'danger' }) }).html;
    expect(f).toBe(
      '<form method="post" action="/members/1/delete" class="form" data-confirm="削除しますか？"><input type="hidden" name="_csrf" value="abc"><button type="submit" class="button button-danger">削除</button></form>',
    );
  });

  it('table has a caption and a scroll container labelled by it; empty tables say so', () => {
    const t = table({ id: 'm', caption: 'メンバー', columns: ['名前', '件数'], numeric: [1], rows: [['<x>', 3]] }).html;
    expect(t).toBe(
      '<div class="table-scroll" role="region" tabindex="0" aria-labelledby="m-caption"><table id="m"><caption id="m-caption">メンバー</caption><thead><tr><th scope="col">名前</th><th scope="col" class="num">件数</th></tr></thead><tbody><tr><td>&lt;x&gt;</td><td class="num">3</td></tr></tbody></table></div>',
    );
    expect(table({ caption: 'c', columns: ['a', 'b'], rows: [], empty: 'なし' }).html).toContain('<td class="table-empty" colspan="2">なし</td>');
  });

  it('codeBlock shows objects as indented, escaped JSON', () => {
    expect(codeBlock({ a: '<b>' }).html).toBe('<pre class="code-block" tabindex="0"><code>{\n  &quot;a&quot;: &quot;&lt;b&gt;&quot;\n}</code></pre>');
  });

  it('flash messages, definition lists, empty states and pagination', () => {
    expect(flashMessage({ kind: 'error', text: 'x' }).html).toBe('<div class="flash flash-error" role="alert">x</div>');
    expect(flashMessage({ kind: 'info', text: 'x' }).html).toContain('role="status"');
    expect(definitionList([['ID', '<1>']]).html).toBe('<dl class="details"><div class="details-row"><dt>ID</dt><dd>&lt;1&gt;</dd></div></dl>');
    expect(emptyState({ title: 'まだありません' }).html).toBe('<div class="empty-state"><p class="empty-state-title">まだありません</p></div>');
    const p = pagination({ locale: 'ja', page: 2, pages: 3, href: (n) => `/members?page=${n}` }).html;
    expect(p).toContain('<a rel="prev" href="/members?page=1">前のページ</a><span aria-current="page">2 / 3 ページ</span><a rel="next" href="/members?page=3">次のページ</a>');
    expect(pagination({ locale: 'en', page: 1, pages: 1, href: String }).html).toBe('');
  });
});

describe('registerUi', () => {
  let app: App;
  beforeAll(async () => {
    app = createHttpApp({ name: 'ui', logger: createLogger({ name: 'ui', level: 'silent' }), bodyLimit: 1024 });
    registerUi(app, { secureCookies: false });
    app.get('/page', async (request, reply) => reply.sendPage(page({ locale: request.locale, title: 't', appName: 'a', nav: [], body: '' })));
    app.get('/missing', async (_request, reply) => reply.sendPage(html`<p>x</p>`, 404));
    app.post('/form', async (request) => request.body);
    await app.ready();
  });
  afterAll(() => app.close());

  it('sendPage sends HTML with the security headers', async () => {
    const res = await app.inject({ url: '/page' });
    expect(res.statusCode).toBe(200);
    expect(res.headers).toMatchObject({
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'same-origin',
      'x-frame-options': 'DENY',
      'cache-control': 'no-store',
    });
    expect(res.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(res.body.startsWith('<!doctype html>')).toBe(true);
    expect((await app.inject({ url: '/missing' })).statusCode).toBe(404);
  });

  it('serves the assets with an ETag: immutable for the hashed URL, revalidated otherwise', async () => {
    const css = await app.inject({ url: assetUrl('ui.css') });
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(css.body).toContain('Noto Sans CJK JP');
    const etag = css.headers.etag as string;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{16}"$/);

    const plain = await app.inject({ url: '/assets/ui.css' });
    expect(plain.headers['cache-control']).toBe('public, max-age=0, must-revalidate');
    const again = await app.inject({ url: '/assets/ui.css', headers: { 'if-none-match': etag } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');

    const js = await app.inject({ url: assetUrl('ui.js') });
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.body).toContain('data-confirm');
  });

  it('parses urlencoded forms within the app body limit', async () => {
    const ok = await app.inject({ method: 'POST', url: '/form', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'a=1&b=%E6%97%A5%E6%9C%AC' });
    expect(ok.json()).toEqual({ a: '1', b: '日本' });
    const big = await app.inject({ method: 'POST', url: '/form', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `a=${'x'.repeat(2000)}` });
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe('KIT_BODY_TOO_LARGE');
  });
});
