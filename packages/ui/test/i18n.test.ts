import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp, createLogger, type App } from '@jplink/kit';
import { defineMessages, html, localeFromAcceptLanguage, registerUi, translator, uiMessages } from '../src/index.ts';

describe('defineMessages', () => {
  it('requires the English keys to match the Japanese ones (types and at startup)', () => {
    // @ts-expect-error — `bye` is missing in en
    expect(() => defineMessages({ ja: { hi: 'こんにちは', bye: 'さようなら' }, en: { hi: 'Hello' } })).toThrow(/bye: missing in en/);
    // @ts-expect-error — `extra` is not a Japanese key
    expect(() => defineMessages({ ja: { hi: 'こんにちは' }, en: { hi: 'Hello', extra: 'x' } })).toThrow(/extra: in en but not in ja/);
  });

  it('requires the same placeholders in both languages', () => {
    expect(() => defineMessages({ ja: { n: '{count} 件' }, en: { n: '{total} items' } })).toThrow(/n: placeholders differ/);
  });

  it('the shared UI strings exist in both languages', () => {
    expect(Object.keys(uiMessages.en).sort()).toEqual(Object.keys(uiMessages.ja).sort());
    for (const key of ['signIn', 'signOut', 'save', 'cancel', 'delete', 'required', 'languageJa', 'languageEn', 'nextPage', 'previousPage', 'errorCsrf'] as const) {
      expect(uiMessages.ja[key]).toBeTruthy();
      expect(uiMessages.en[key]).toBeTruthy();
    }
    expect(uiMessages.ja.signIn).toBe('サインイン');
  });
});

describe('translator', () => {
  const m = defineMessages({
    ja: { greeting: 'こんにちは、{name} さん', count: '{n} 件中 {shown} 件', plain: '保存しました' },
    en: { greeting: 'Hello, {name}', count: '{shown} of {n}', plain: 'Saved' },
  });

  it('fills placeholders in the chosen language', () => {
    expect(translator(m, 'ja')('greeting', { name: '佐藤' })).toBe('こんにちは、佐藤 さん');
    expect(translator(m, 'en')('count', { n: 10, shown: 3 })).toBe('3 of 10');
    expect(translator(m, 'en')('plain')).toBe('Saved');
  });

  it('params are escaped when the text is rendered through html', () => {
    const t = translator(m, 'ja');
    expect(html`<p>${t('greeting', { name: '<script>alert(1)</script>' })}</p>`.html).toBe('<p>こんにちは、&lt;script&gt;alert(1)&lt;/script&gt; さん</p>');
  });

  it('checks keys and params at the type level', () => {
    const t = translator(m, 'ja');
    // @ts-expect-error — unknown key
    t('nope');
    // @ts-expect-error — `greeting` needs { name }
    t('greeting');
    // @ts-expect-error — `plain` takes no params
    t('plain', { x: 1 });
  });
});

describe('locale negotiation', () => {
  let app: App;
  beforeAll(async () => {
    app = createHttpApp({ name: 'i18n', logger: createLogger({ name: 'i18n', level: 'silent' }) });
    registerUi(app, { secureCookies: true });
    app.get('/', async (request) => ({ locale: request.locale }));
    await app.ready();
  });
  afterAll(() => app.close());

  const localeOf = async (url: string, headers: Record<string, string> = {}) => (await app.inject({ url, headers })).json().locale;

  it('defaults to Japanese', async () => {
    expect(await localeOf('/')).toBe('ja');
    expect(await localeOf('/', { 'accept-language': 'fr-FR, de;q=0.8' })).toBe('ja');
  });

  it('follows Accept-Language by q-value', async () => {
    expect(await localeOf('/', { 'accept-language': 'en-US,en;q=0.9' })).toBe('en');
    expect(await localeOf('/', { 'accept-language': 'en;q=0.5, ja;q=0.8' })).toBe('ja');
    expect(await localeOf('/', { 'accept-language': 'fr, en-GB;q=0.7, ja;q=0' })).toBe('en');
    expect(localeFromAcceptLanguage('ja-JP')).toBe('ja');
    expect(localeFromAcceptLanguage('*')).toBeUndefined();
  });

  it('the lang cookie wins over Accept-Language, and ?lang= over both', async () => {
    expect(await localeOf('/', { cookie: 'lang=en', 'accept-language': 'ja' })).toBe('en');
    expect(await localeOf('/?lang=ja', { cookie: 'lang=en', 'accept-language': 'en' })).toBe('ja');
    expect(await localeOf('/', { cookie: 'lang=fr', 'accept-language': 'en' })).toBe('en');
    expect(await localeOf('/?lang=xx')).toBe('ja');
  });

  it('stores a ?lang= choice in a SameSite=Lax cookie', async () => {
    const res = await app.inject({ url: '/?lang=en' });
    expect(res.json().locale).toBe('en');
    const cookie = res.cookies.find((c) => c.name === 'lang');
    expect(cookie).toMatchObject({ value: 'en', sameSite: 'Lax', path: '/', httpOnly: true, secure: true });
    expect((await app.inject({ url: '/' })).cookies).toEqual([]);
  });
});
