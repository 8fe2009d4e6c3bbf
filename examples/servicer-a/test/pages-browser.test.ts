// In Chromium on a 360 px phone, on a real network (Center, A's and B's Security Servers, B's
// Adapter Server): a resident who uses B signs in to A with Personal-Link, asks for consent, approves
// it in Personal-Link, comes back to A and sees B's vitals and a recommendation; withdraws in
// Personal-Link and sees A's refusal; signs out of A and then of Personal-Link — in Japanese, without
// horizontal scrolling. Screenshots go to test/artifacts/ (git-ignored).
import { mkdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, newPhonePage, type Browser, type Page } from '@jplink/testing';
import { deliverReflection, linkB, startShopStack, type ShopStack } from './helpers.ts';

const artifacts = new URL('./artifacts/', import.meta.url);
let stack: ShopStack;
let browser: Browser;

beforeAll(async () => {
  await mkdir(artifacts, { recursive: true });
  stack = await startShopStack({ network: true });
  browser = await launchBrowser();
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const noHorizontalScroll = async (page: Page) => expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360);
const shot = (page: Page, name: string) => page.screenshot({ path: new URL(name, artifacts).pathname, fullPage: true });

describe('servicer A in Chromium on a phone', () => {
  it('signs in, asks for consent, shows B’s vitals, shows the refusal after withdrawal, and signs out', async () => {
    await linkB(stack); // the resident already uses B (signed in there once)
    const page = await newPhonePage(browser);
    page.on('dialog', (d) => void d.accept());
    await page.goto(`${stack.appUrl}/`);
    expect(await page.textContent('h1')).toBe('おかいものサポートへようこそ');
    await noHorizontalScroll(page);
    await shot(page, 'servicer-a-top.png');

    await page.click('a[href="/auth/sign-in"]');
    await page.waitForURL(/\/interaction\//);
    await page.click('button[data-upstream="google"]');
    await page.waitForURL(/\/google\/interaction\//);
    await page.click('button[data-user="hanako"]');
    await page.waitForURL((u) => u.pathname.startsWith('/interaction/') || u.href === `${stack.appUrl}/`);
    if (new URL(page.url()).pathname.startsWith('/interaction/')) await page.click('form[action$="/confirm"] button');
    await page.waitForURL(`${stack.appUrl}/`);
    expect(await page.textContent('h1')).toBe('こんにちは、山田 花子 さん');
    expect(await page.textContent('[data-user-id]')).toBe('S-000001');
    await noHorizontalScroll(page);
    await shot(page, 'servicer-a-home.png');

    await page.click('main a[href="/recommendations"]');
    await page.waitForURL(`${stack.appUrl}/recommendations`);
    expect(await page.textContent('main')).toContain('ヘルスケアサービスの記録を使ってよろしいですか');
    await noHorizontalScroll(page);
    await shot(page, 'servicer-a-ask.png');

    // Personal-Link's approval page, then back to A.
    await page.click('form[action="/consents/request"] button');
    await page.waitForURL((u) => u.href.startsWith(`${stack.pl.baseUrl}/my/consents/`));
    const approvalUrl = page.url();
    const consentId = decodeURIComponent(new URL(approvalUrl).pathname.split('/').pop()!);
    // Personal-Link's resident pages have their own sign-in, then come back to the approval page.
    // (The dev upstream still knows hanako from the sign-in to A, so it may not ask again.)
    await page.click('button[data-upstream="google"]');
    await page.waitForURL((u) => u.pathname.includes('/google/interaction/') || u.href === approvalUrl);
    if (page.url() !== approvalUrl) await page.click('button[data-user="hanako"]');
    await page.waitForURL(approvalUrl);
    expect(await page.textContent('main')).toContain('おかいものサポート');
    await shot(page, 'servicer-a-consent-at-personal-link.png');
    await page.click('form[action$="/approve"] button');
    await page.waitForURL(/done=given/);
    await deliverReflection(stack.health, consentId);
    await page.click('a[href$="/consents/done"]');
    await page.waitForURL(`${stack.appUrl}/recommendations`);
    expect(await page.locator('tbody tr').count()).toBe(14);
    expect(await page.textContent('main')).toContain('あなたへのおすすめ');
    expect(await page.textContent('thead')).toContain('最高血圧');
    await noHorizontalScroll(page);
    await shot(page, 'servicer-a-vitals.png');

    // The resident withdraws in Personal-Link; A's next fetch is refused.
    await page.goto(approvalUrl);
    await page.click('form[action$="/withdraw"] button');
    await page.waitForURL(/done=withdrawn/);
    await deliverReflection(stack.health, consentId);
    await page.goto(`${stack.appUrl}/recommendations`);
    expect(await page.textContent('[data-refusal="consent-required"]')).toContain('健康記録を受け取る同意が取り消されたか、期限が切れています。');
    expect(await page.locator('tbody tr').count()).toBe(0);
    await noHorizontalScroll(page);
    await shot(page, 'servicer-a-refused.png');

    // Sign out (behind the menu button on a narrow screen), then of Personal-Link by the link.
    const toggle = page.locator('[data-nav-toggle]');
    if (await toggle.isVisible()) await toggle.click();
    await page.click('form[action="/sign-out"] button');
    await page.waitForURL(`${stack.appUrl}/sign-out`);
    expect(await page.textContent('h1')).toBe('サインアウトしました');
    await noHorizontalScroll(page);
    await shot(page, 'servicer-a-signed-out.png');
    await page.click('a[href*="/session/end"]');
    await page.waitForURL((u) => u.pathname.includes('/session/end'));
    await page.click('button[name="logout"][value="yes"]');
    await page.waitForURL(`${stack.appUrl}/`);
    expect(await page.textContent('main')).toContain('Personal-Link でサインイン');
    await page.goto(`${stack.appUrl}/recommendations`);
    expect(new URL(page.url()).pathname).toBe('/');
    await page.context().close();
  }, 120_000);
});
