// Headless Chromium for page tests: Debian's browser, driven by playwright-core (which downloads nothing).
// playwright-core is loaded on the first launch only: it is ~7 MB of source that every process
// importing this package (test servers, benchmark children) would otherwise hold — about 40 MB of
// a benchmarked Security Server's resident memory (docs/performance.md, 2026-12-08).
import { existsSync } from 'node:fs';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

// Nothing in the background: no update checks, sync or field trials reaching the network.
const ARGS = [
  '--headless',
  '--no-sandbox', // tests run as root in CI, where Chromium's sandbox refuses to start
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/**
 * Starts Chromium. Each launch gets a fresh, temporary profile (playwright's
 * `launch` makes one and deletes it on close), so no cookies or cache leak
 * between tests. Close it in `afterAll`.
 */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`${CHROMIUM_PATH} is missing: page tests need Debian's Chromium. Install it with: apt-get install -y chromium fonts-noto-cjk`);
  }
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS, headless: true });
}

async function newPage(browser: Browser, options: BrowserContextOptions): Promise<Page> {
  const context = await browser.newContext({ locale: 'ja-JP', timezoneId: 'Asia/Tokyo', ...options });
  return context.newPage();
}

/** A 360×740 phone (the narrowest screen we support), Japanese, touch. Its own context: own cookies. */
export function newPhonePage(browser: Browser, options: BrowserContextOptions = {}): Promise<Page> {
  return newPage(browser, { viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, ...options });
}

/** A 1280×800 desktop window, Japanese. Its own context: own cookies. */
export function newDesktopPage(browser: Browser, options: BrowserContextOptions = {}): Promise<Page> {
  return newPage(browser, { viewport: { width: 1280, height: 800 }, ...options });
}

export type { Browser, Page } from 'playwright-core';
