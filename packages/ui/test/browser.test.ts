// The kit in a real browser: Chromium signs in, posts a CSRF-protected form, switches language,
// and the page fits a 360 px phone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '@jplink/kit';
import { freePort, launchBrowser, newPhonePage, type Browser, type Page } from '@jplink/testing';
import { buildDemoApp, USER } from './demo-app.ts';

const XSS_NOTE = `<img src=x onerror=alert(1)>"'\`メモ`;

/** The font families Chromium actually drew an element's text with. */
async function fontsUsed(page: Page, selector: string): Promise<string[]> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('DOM.enable');
  await cdp.send('CSS.enable');
  const { root } = await cdp.send('DOM.getDocument');
  const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector });
  const { fonts } = await cdp.send('CSS.getPlatformFontsForNode', { nodeId });
  await cdp.detach();
  return fonts.map((f) => f.familyName);
}

describe('pages in Chromium', () => {
  let app: App;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    app = buildDemoApp();
    const port = await freePort();
    await app.listen({ host: '127.0.0.1', port });
    base = `http://127.0.0.1:${port}`;
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('signs in, posts a protected form, switches to English, and fits a 360 px phone', async () => {
    const page = await newPhonePage(browser);
    const dialogs: string[] = [];
    const cspViolations: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    const overflow = () => page.evaluate<number>('document.documentElement.scrollWidth');

    // Signed out: the dashboard sends us to a Japanese sign-in page.
    await page.goto(`${base}/`);
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    expect(await page.getAttribute('html', 'lang')).toBe('ja');
    await expect.poll(() => page.textContent('h1')).toBe('サインイン');
    expect((await fontsUsed(page, 'h1')).join()).toMatch(/CJK/); // drawn with a Japanese font, not boxes

    // A wrong password is refused on the page, in Japanese.
    await page.fill('#field-username', USER.username);
    await page.fill('#field-password', 'wrong');
    await page.click('form button[type=submit]');
    await expect.poll(() => page.textContent('.flash-error')).toBe('ユーザー名またはパスワードが正しくありません。');

    await page.fill('#field-password', USER.password);
    await page.click('form button[type=submit]');
    await page.waitForURL(`${base}/`);
    expect(await page.textContent('h1')).toBe('ダッシュボード');
    expect(await page.textContent('.user-name')).toBe(USER.name);

    // A CSRF-protected post; what was typed comes back as text, never as markup.
    await page.fill('#field-note', XSS_NOTE);
    await page.click('form:has(#field-note) button[type=submit]');
    await page.waitForURL(`${base}/?saved=1`);
    expect(await page.textContent('.flash-success')).toBe('保存しました。');
    expect(await page.textContent('ul.notes li')).toBe(XSS_NOTE);
    expect(await page.locator('ul.notes img').count()).toBe(0);
    expect(dialogs).toEqual([]);

    // The phone: nothing wider than the screen (the wide table scrolls in its box); the menu folds.
    expect(await overflow()).toBeLessThanOrEqual(360);
    expect(await page.isVisible('.nav-toggle')).toBe(true);
    expect(await page.isVisible('#site-nav')).toBe(false);
    await page.click('.nav-toggle');
    expect(await page.isVisible('#site-nav a[aria-current="page"]')).toBe(true);

    // English, remembered across pages.
    await page.click('a[hreflang="en"]');
    await expect.poll(() => page.textContent('h1')).toBe('Dashboard');
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    await page.goto(`${base}/`);
    expect(await page.textContent('h1')).toBe('Dashboard');
    expect(await overflow()).toBeLessThanOrEqual(360);

    // Signing out (a POST with the session's token) ends the session.
    await page.click('.sign-out button');
    await page.waitForURL(`${base}/sign-in`);
    expect(await page.textContent('h1')).toBe('Sign in');
    await page.goto(`${base}/`);
    expect(new URL(page.url()).pathname).toBe('/sign-in');

    expect(cspViolations).toEqual([]);
    await page.context().close();
  });
});
