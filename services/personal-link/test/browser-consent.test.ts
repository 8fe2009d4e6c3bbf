// In Chromium: a resident signs in to Personal-Link → an RP asks for consent through the RP API →
// the resident approves it on the Japanese page → sees it active with its history → withdraws it.
// Screenshots go to test/artifacts/ (git-ignored).
import { mkdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, newPhonePage, type Browser } from '@jplink/testing';
import { startTestPersonalLink, type RunningPersonalLink } from '../src/testing.ts';

const artifacts = new URL('./artifacts/', import.meta.url);
let pl: RunningPersonalLink;
let browser: Browser;
const RETURN = 'https://shop.example.jp/consents/done';

async function token(rp: { clientId: string; clientSecret: string }) {
  const r = await fetch(`${pl.issuer}/token`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${rp.clientId}:${rp.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&scope=pl%3Aids%20pl%3Aconsents' });
  return ((await r.json()) as { access_token: string }).access_token;
}
async function api(tok: string, path: string, body: unknown) {
  const r = await fetch(`${pl.baseUrl}/api/pl/v1${path}`, { method: 'POST', headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: r.status, body: (await r.json()) as any };
}

beforeAll(async () => {
  await mkdir(artifacts, { recursive: true });
  pl = await startTestPersonalLink();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await pl?.stop();
});

describe('a resident in Chromium', () => {
  it('approves an RP’s consent request, sees it active with its history, and withdraws it', async () => {
    const cc = { grantTypes: ['client_credentials' as const] };
    const shop = await pl.registerRp({ clientId: 'toyono-shop', memberSubsystem: 'JP-TEST/COM/1111111111111/shopping', displayName: { ja: 'とよのショッピング', en: 'Toyono Shopping' }, ...cc });
    const clinic = await pl.registerRp({ clientId: 'toyono-clinic', memberSubsystem: 'JP-TEST/COM/2222222222222/healthcare', displayName: { ja: 'とよの健診センター', en: 'Toyono Checkups' }, ...cc });
    await pl.admin('PUT', '/api/v1/clients/toyono-shop/api-access', { scopes: ['pl:ids', 'pl:consents'], consentReturnUris: [RETURN] });
    await pl.admin('PUT', '/api/v1/clients/toyono-clinic/api-access', { scopes: ['pl:ids', 'pl:consents'] });

    const page = await newPhonePage(browser);
    page.on('dialog', (d) => void d.accept());
    await page.goto(`${pl.baseUrl}/my`);
    await page.click('button[data-upstream="google"]');
    await page.waitForURL(/\/google\/interaction\//);
    await page.click('button[data-user="hanako"]');
    await page.waitForURL(`${pl.baseUrl}/my`);
    const baseId = (await page.textContent('code[data-base-id]'))!;

    const [tShop, tClinic] = await Promise.all([token(shop), token(clinic)]);
    for (const [tok, local] of [[tShop, 'shop-1'], [tClinic, 'patient-1']] as const) {
      expect((await api(tok, '/id-conversions', { baseId, localUserId: local })).status).toBe(200);
      expect((await api(tok, '/links', { baseId })).status).toBe(200);
    }
    const created = await api(tShop, '/consent-requests', {
      baseId,
      provider: 'toyono-clinic',
      subsystemCode: 'checkups',
      dataItems: ['height', 'weight', 'checked_on'],
      purpose: { code: 'childcare-support', description: { ja: '子育て支援サービスで成長記録を表示するため', en: 'To show growth records in the childcare support service' } },
      validUntil: new Date(Date.now() + 365 * 86400_000).toISOString(),
      returnUri: RETURN,
    });
    expect(created.status).toBe(201);

    await page.goto(created.body.approvalUrl);
    await expect.poll(() => page.textContent('h1')).toBe('情報提供の許諾のお願い');
    expect(await page.textContent('main')).toContain('とよのショッピング が、とよの健診センター にあるあなたの情報を受け取ることへの許諾を求めています。');
    await page.screenshot({ path: new URL('consent-request.png', artifacts).pathname, fullPage: true });
    await page.click('form[action$="/approve"] button');
    await page.waitForURL(/done=given/);
    expect(await page.textContent('main')).toContain('許諾中');
    expect(await page.textContent('main')).toContain('許諾しました');
    expect(await page.getAttribute('[data-chain]', 'data-chain')).toBe('ok');
    await page.screenshot({ path: new URL('consent-given.png', artifacts).pathname, fullPage: true });

    await page.goto(`${pl.baseUrl}/my/consents`);
    expect(await page.textContent('main')).toContain('とよのショッピング ← とよの健診センター');
    await page.screenshot({ path: new URL('consents-list.png', artifacts).pathname, fullPage: true });

    await page.goto(created.body.approvalUrl);
    await page.click('form[action$="/withdraw"] button');
    await page.waitForURL(/done=withdrawn/);
    expect(await page.textContent('main')).toContain('取り消し済み');
    expect(await page.textContent('main')).toContain('取り消しました');
    await page.screenshot({ path: new URL('consent-withdrawn.png', artifacts).pathname, fullPage: true });
    await page.goto(`${pl.baseUrl}/my/provision`);
    await page.screenshot({ path: new URL('provision-history.png', artifacts).pathname, fullPage: true });
    await page.context().close();
  }, 60_000);
});
