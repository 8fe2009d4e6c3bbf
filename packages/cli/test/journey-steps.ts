// The resident's journey through a running devnet, in Chromium on a 360 px phone, in Japanese
// (used by journey.test.ts; docs/journey.md walks the same steps by hand and shows these
// screenshots). Each step saves a screenshot named after it in `shots`.
import { join } from 'node:path';
import type { DevnetManifest } from '@jplink/contracts';
import { newPhonePage, type Browser, type Page } from '@jplink/testing';

export interface JourneyResult {
  /** A's member number and B's patient number for the resident. */
  shopUserId: string;
  healthUserId: string;
  consentId: string;
  /** What A showed from B (the vitals table's rows). */
  vitalsRows: number;
  /** The message A showed after the withdrawal. */
  refusal: { reason: string | null; text: string };
}

interface Resident {
  user: string;
  upstream: string;
}

const at = (origin: string, path: string | RegExp) => (u: URL) => u.origin === origin && (typeof path === 'string' ? u.pathname === path : path.test(u.pathname));

/** A fresh phone (own cookies) for `steps`; on failure a full-page screenshot `failed.png` and the page's text in the error. */
async function onPhone<T>(browser: Browser, shots: string, steps: (page: Page, shot: (name: string) => Promise<unknown>) => Promise<T>): Promise<T> {
  // Scale 1: the screenshots are what docs/journey.md shows (360 px wide, small files).
  const page = await newPhonePage(browser, { deviceScaleFactor: 1 });
  // Personal-Link asks "really withdraw?" in a dialog: the resident says yes.
  page.on('dialog', (dialog) => void dialog.accept());
  try {
    return await steps(page, (name) => page.screenshot({ path: join(shots, `${name}.png`) }));
  } catch (error) {
    await page.screenshot({ path: join(shots, 'failed.png'), fullPage: true }).catch(() => {});
    throw new Error(`journey stopped at ${page.url()}: ${(error as Error).message}\n${(await page.textContent('main').catch(() => ''))?.slice(0, 800)}`, { cause: error });
  } finally {
    await page.context().close();
  }
}

/** Personal-Link's sign-in after a servicer sent the browser there: the upstream ID, the test user, and (first time per servicer) the confirmation. */
async function signInAtPersonalLink(page: Page, manifest: DevnetManifest, resident: Resident, back: (u: URL) => boolean, shot: (name: string) => Promise<unknown>, prefix: string) {
  const pl = manifest.personalLink!.appUrl;
  await page.waitForURL((u) => back(u) || u.pathname.startsWith('/interaction/'));
  if (back(new URL(page.url()))) return;
  if (await page.locator(`button[data-upstream="${resident.upstream}"]`).count()) {
    await shot(`${prefix}-personal-link-sign-in`);
    await page.click(`button[data-upstream="${resident.upstream}"]`);
    await page.waitForURL((u) => u.pathname.includes('/interaction/') && u.origin !== pl);
    await shot(`${prefix}-upstream-id`);
    await page.click(`button[data-user="${resident.user}"]`);
    await page.waitForURL((u) => back(u) || (u.origin === pl && u.pathname.startsWith('/interaction/')));
  }
  if (!back(new URL(page.url()))) {
    await shot(`${prefix}-personal-link-confirm`);
    await page.click('form[action$="/confirm"] button');
    await page.waitForURL(back);
  }
}

/** Signs in to servicer A from its top page; returns the member number A shows. */
async function signInToShopping(page: Page, manifest: DevnetManifest, resident: Resident, shot: (name: string) => Promise<unknown>, names: { top: string; prefix: string }): Promise<string> {
  const a = manifest.servicers[0]!.appUrl!;
  await page.goto(`${a}/`);
  await shot(names.top);
  await page.click('a[href="/auth/sign-in"]');
  await signInAtPersonalLink(page, manifest, resident, at(a, '/'), shot, names.prefix);
  return (await page.textContent('[data-user-id]'))!.trim();
}

/** A's recommendations page once B refuses: the refusal A shows. */
async function refusalAtShopping(page: Page, manifest: DevnetManifest) {
  await page.goto(`${manifest.servicers[0]!.appUrl!}/recommendations`);
  const box = page.locator('[data-refusal]');
  await box.waitFor();
  return { reason: await box.getAttribute('data-refusal'), text: (await box.textContent())!.trim() };
}

export async function runJourney(manifest: DevnetManifest, browser: Browser, shots: string, options: Partial<Resident> = {}): Promise<JourneyResult> {
  const resident: Resident = { user: options.user ?? 'hanako', upstream: options.upstream ?? 'google' };
  const a = manifest.servicers[0]!.appUrl!;
  const b = manifest.servicers[1]!.appUrl!;
  const pl = manifest.personalLink!.appUrl;
  return onPhone(browser, shots, async (page, shot) => {
    // 1. Servicer A: sign in through Personal-Link with a local upstream ID.
    const shopUserId = await signInToShopping(page, manifest, resident, shot, { top: '01-shopping-top', prefix: '02' });
    await shot('03-shopping-signed-in');

    // 2. Servicer B: the same resident signs in there too (links B).
    await page.goto(`${b}/`);
    await page.click('a[href="/auth/login"]');
    await signInAtPersonalLink(page, manifest, resident, at(b, '/vitals'), shot, '04');
    const healthUserId = (await page.textContent('#patient-number'))!.trim();
    await shot('05-healthcare-vitals');

    // 3. A asks for consent to B's vitals; the resident approves at Personal-Link.
    await page.goto(`${a}/recommendations`);
    await shot('06-shopping-ask');
    // A's form sends the browser straight on to Personal-Link's approval page.
    await page.click('form[action="/consents/request"] button');
    await page.waitForURL(at(pl, /^\/my\/consents\/[^/]+$/));
    const consentId = new URL(page.url()).pathname.split('/').pop()!;
    // Personal-Link's resident pages have their own sign-in (the same upstream ID).
    const signIn = page.locator(`form[action="/my/sign-in"] button[data-upstream="${resident.upstream}"]`);
    if (await signIn.count()) {
      await signIn.click();
      // The upstream may remember the resident from the first sign-in and come straight back.
      await page.locator(`button[data-user="${resident.user}"], form[action$="/approve"]`).first().waitFor();
      if (await page.locator(`button[data-user="${resident.user}"]`).count()) await page.click(`button[data-user="${resident.user}"]`);
      await page.waitForURL(at(pl, `/my/consents/${consentId}`));
    }
    await shot('08-personal-link-consent');
    await page.click('form[action$="/approve"] button');
    await page.waitForURL((u) => at(a, '/recommendations')(u) || u.searchParams.has('done'));
    if (!at(a, '/recommendations')(new URL(page.url()))) {
      await shot('09-personal-link-approved');
      await page.click(`a[href^="${a}/consents/done"]`);
      await page.waitForURL(at(a, '/recommendations'));
    }

    // 4. A shows B's vitals, fetched through A's and B's Security Servers.
    await page.locator('[data-recommendation]').waitFor();
    const vitalsRows = await page.locator('tbody tr').count();
    await shot('10-shopping-vitals');

    // 5. The resident withdraws the consent at Personal-Link.
    await page.goto(`${pl}/my/consents/${consentId}`);
    await page.click('form[action$="/withdraw"] button');
    await page.waitForURL((u) => u.searchParams.get('done') === 'withdrawn');
    await shot('11-personal-link-withdrawn');

    // 6. A's next fetch is refused, with a clear message.
    const refusal = await refusalAtShopping(page, manifest);
    await shot('12-shopping-refused');
    return { shopUserId, healthUserId, consentId, vitalsRows, refusal };
  });
}

/** After a restart: the same resident signs in to A again on a new phone; A's member number and its recommendations page. */
export async function revisitShopping(manifest: DevnetManifest, browser: Browser, shots: string, options: Partial<Resident> = {}) {
  const resident: Resident = { user: options.user ?? 'hanako', upstream: options.upstream ?? 'google' };
  return onPhone(browser, shots, async (page, shot) => {
    const shopUserId = await signInToShopping(page, manifest, resident, shot, { top: '20-restart-shopping-top', prefix: '20-restart' });
    await page.goto(`${manifest.servicers[0]!.appUrl!}/recommendations`);
    const text = (await page.textContent('main'))!;
    await shot('21-restart-shopping-recommendations');
    return { shopUserId, text, askAgain: await page.locator('form[action="/consents/request"] button').count() };
  });
}
