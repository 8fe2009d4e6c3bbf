// In Chromium on a 360 px phone: a resident opens B's top page, signs in with Personal-Link (local
// upstream ID), lands on "my vitals", opens one record and signs out — in Japanese, without
// horizontal scrolling. Screenshots go to test/artifacts/ (git-ignored).
import { mkdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, newPhonePage, type Browser, type Page } from '@jplink/testing';
import { startStack, type Stack } from './helpers.ts';

const artifacts = new URL('./artifacts/', import.meta.url);
let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  await mkdir(artifacts, { recursive: true });
  stack = await startStack();
  browser = await launchBrowser();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const noHorizontalScroll = async (page: Page) => expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360);
const shot = (page: Page, name: string) => page.screenshot({ path: new URL(name, artifacts).pathname, fullPage: true });

describe('servicer B in Chromium on a phone', () => {
  it('signs in with Personal-Link, shows my vitals and a record, and signs out', async () => {
    const page = await newPhonePage(browser);
    await page.goto(`${stack.appUrl}/`);
    expect(await page.textContent('h1')).toBe('すこやか健康手帳');
    await noHorizontalScroll(page);
    await shot(page, 'servicer-b-top.png');

    await page.click('a[href="/auth/login"]');
    await page.waitForURL(/\/interaction\//);
    await page.click('button[data-upstream="google"]');
    await page.waitForURL(/\/google\/interaction\//);
    await page.click('button[data-user="hanako"]');
    await page.waitForURL((u) => u.pathname.startsWith('/interaction/') || u.pathname === '/vitals');
    if (new URL(page.url()).pathname.startsWith('/interaction/')) await page.click('form[action$="/confirm"] button');
    await page.waitForURL(`${stack.appUrl}/vitals`);

    expect(await page.textContent('h1')).toBe('わたしのバイタル');
    expect(await page.textContent('#patient-number')).toBe('H-000001');
    expect(await page.locator('tbody tr').count()).toBe(14);
    expect(await page.textContent('main')).toContain('許可しているサービスはありません。');
    await noHorizontalScroll(page);
    await shot(page, 'servicer-b-vitals.png');

    await page.click('tbody tr:first-child a');
    await page.waitForURL(/\/vitals\/\d+$/);
    expect(await page.textContent('main')).toContain('最高血圧（mmHg）');
    await noHorizontalScroll(page);
    await shot(page, 'servicer-b-record.png');

    // The header's sign-out (behind the menu button on a narrow screen, if there is one).
    const toggle = page.locator('[data-nav-toggle]');
    if (await toggle.isVisible()) await toggle.click();
    await page.click('form[action="/auth/logout"] button');
    await page.waitForURL(`${stack.appUrl}/auth/logout`);
    expect(await page.textContent('h1')).toBe('ログアウトしました');
    await noHorizontalScroll(page);
    await shot(page, 'servicer-b-signed-out.png');
    // RP-initiated logout at Personal-Link: its confirmation, then back to B's top page.
    await page.click('a[href*="/session/end"]');
    await page.waitForURL((u) => u.pathname.includes('/session/end'));
    await page.click('button[name="logout"][value="yes"]');
    await page.waitForURL(`${stack.appUrl}/`);
    expect(await page.textContent('main')).toContain('Personal-Linkでログイン');
    await page.goto(`${stack.appUrl}/vitals`);
    expect(new URL(page.url()).pathname).toBe('/');
    await page.context().close();
  }, 90_000);
});
