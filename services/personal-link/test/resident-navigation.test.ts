// The signed-in resident pages (/my, /my/consents, /my/services, /my/provision, /my/data) share one
// navigation: each reaches the others, the current one is marked; on a 360 px phone the menu
// opens and every page is reachable.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, newPhonePage, type Browser } from '@jplink/testing';
import { HttpBrowser, parseForms, startTestPersonalLink, type RunningPersonalLink } from '../src/testing.ts';
import { browserSignIn } from './helpers.ts';

const PAGES = [
  { href: '/my', label: 'マイ ID' },
  { href: '/my/consents', label: '許諾' },
  { href: '/my/services', label: '連携サービス' },
  { href: '/my/provision', label: '提供履歴' },
  { href: '/my/data', label: 'マイデータ' },
];

let pl: RunningPersonalLink;
let browser: Browser | undefined;

beforeAll(async () => {
  pl = await startTestPersonalLink();
});
afterAll(async () => {
  await browser?.close();
  await pl?.stop();
});

const navOf = (text: string) => {
  const nav = /<nav class="site-nav"[^>]*>([\s\S]*?)<\/nav>/.exec(text)?.[1] ?? '';
  return [...nav.matchAll(/<a href="([^"]+)"( aria-current="page")?>([^<]+)<\/a>/g)].map((m) => ({ href: m[1], label: m[3], current: Boolean(m[2]) }));
};

describe('resident navigation', () => {
  it('every resident page has the same five entries, the current one marked', async () => {
    const http = new HttpBrowser();
    const chooser = await http.follow(`${pl.baseUrl}/my`);
    const form = parseForms(chooser.text).find((f) => f.fields.upstream === 'google')!;
    const atUpstream = await http.follow(new URL(form.action, chooser.url), { form: form.fields });
    const pick = parseForms(atUpstream.text).find((f) => f.buttons.some((b) => b.name === 'sub'))!;
    await http.follow(new URL(pick.action, atUpstream.url), { form: { sub: 'hanako' } });
    for (const here of PAGES) {
      const page = await http.follow(`${pl.baseUrl}${here.href}`);
      expect(page.status, here.href).toBe(200);
      expect(navOf(page.text), here.href).toEqual(PAGES.map((p) => ({ ...p, current: p.href === here.href })));
    }
    // English labels too.
    const en = await http.follow(`${pl.baseUrl}/my/consents?lang=en`);
    expect(navOf(en.text).map((n) => n.label)).toEqual(['My IDs', 'Consents', 'Linked services', 'Provision history', 'My Data']);
  });

  it('on a 360 px phone, the menu reaches each page from each page', async () => {
    browser = await launchBrowser();
    const page = await newPhonePage(browser);
    await browserSignIn(page, pl.baseUrl);
    for (const from of PAGES) {
      for (const to of PAGES) {
        if (to === from) continue;
        await page.goto(`${pl.baseUrl}${from.href}`);
        // Narrow screen: the navigation is behind the menu button.
        expect(await page.isVisible('#site-nav')).toBe(false);
        await page.click('[data-nav-toggle]');
        await page.click(`#site-nav a[href="${to.href}"]`);
        await page.waitForURL(`${pl.baseUrl}${to.href}`);
        expect(await page.getAttribute(`#site-nav a[href="${to.href}"]`, 'aria-current')).toBe('page');
      }
    }
    // Nothing wider than the screen.
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360);
    await page.context().close();
  }, 60_000);
});
