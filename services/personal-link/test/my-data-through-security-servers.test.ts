// My Data (docs/protocols/my-data.md) for real: a Center and three Security Servers — Personal-Link's
// (its own member), RP A's and RP B's (the provider, with an Adapter Server over a real PostgreSQL
// table of residents). The resident consents on /my/data ("本人によるデータ閲覧"), the consent is
// reflected through both Security Servers, and Personal-Link reads the resident's rows through its
// own Security Server (X-Road-Client = its subsystem, X-JPLink-Base-Id = the BaseID). Shown in
// Chromium on a phone-sized page with Japanese screenshots (test/artifacts/), the JSON download, and
// the refusals: no session, CSRF on the consent form, another resident's data, a provider that
// refuses, a provider that cannot be reached, withdrawal.
import { mkdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, newPhonePage, type Browser } from '@jplink/testing';
import { PROVIDER_SUBSYSTEM, type RunningSs, type TestNetwork } from '@jplink/security-server/testing';
import type { RunningAdapter } from '@jplink/adapter-server/testing';
import { CODE, PL_SUBSYSTEM, residentColumns, startPlNetwork, type PlNetwork } from './pl-network.ts';
import { HttpBrowser, parseForms, startTestPersonalLink, type RunningPersonalLink } from '../src/testing.ts';
import { browserSignIn, residentSignIn } from './helpers.ts';

const CLINIC = 'toyono-clinic';
const artifacts = new URL('./artifacts/', import.meta.url);

let network: PlNetwork;
let net: TestNetwork;
let plSs: RunningSs;
let adapter: RunningAdapter;
let pl: RunningPersonalLink;
let browser: Browser;
let clinicToken: string;
let hanakoBaseId: string;
let taro: { browser: HttpBrowser; baseId: string };

async function rpApi(path: string, body: unknown, method = 'POST') {
  const r = await fetch(`${pl.baseUrl}/api/pl/v1${path}`, { method, headers: { authorization: `Bearer ${clinicToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return r.status;
}
/** RP B's application links the resident: its own ID conversion row at its Adapter Server, and the notices to Personal-Link. */
async function linkAtClinic(baseId: string, localUserId: string) {
  expect(await rpApi('/id-conversions', { baseId, localUserId: `patient-${localUserId}` })).toBe(200);
  expect(await rpApi('/links', { baseId })).toBe(200);
  expect((await adapter.admin('PUT', `/api/v1/id-conversions/${baseId}`, { localUserId })).status).toBe(200);
}
const mydataLogs = (ss: RunningSs) => ss.ss.database.db.selectFrom('log_records').select(['side', 'client', 'service', 'x_road_id']).where('x_road_id', 'like', 'mydata-%').execute();

beforeAll(async () => {
  await mkdir(artifacts, { recursive: true });
  network = await startPlNetwork();
  ({ net, plSs, adapter } = network);
  const { sample } = network;
  // RP B: a personal list service over its residents table, published and granted to Personal-Link.
  const saved = await adapter.admin('POST', `/api/v1/subsystems/${CODE}/services`, { name: 'residents', title: '住民一覧', kind: 'list', key: 'id', connection: sample.connection.name, table: { schema: sample.schema, name: 'residents' }, columns: residentColumns, personal: { userIdColumn: 'user_id' } });
  expect(saved.status, JSON.stringify(saved.body)).toBe(201);
  const published = await adapter.admin('POST', `/api/v1/subsystems/${CODE}/publish`, { grantTo: PL_SUBSYSTEM });
  expect(published.status, JSON.stringify(published.body)).toBe(200);

  pl = await startTestPersonalLink({ PL_SS_URL: plSs.informationSystemUrl, PL_SUBSYSTEM });
  const clinic = await pl.registerRp({ clientId: CLINIC, memberSubsystem: PROVIDER_SUBSYSTEM, displayName: { ja: 'とよの健診センター', en: 'Toyono Checkups' }, grantTypes: ['client_credentials'] });
  expect((await pl.admin('PUT', `/api/v1/clients/${CLINIC}/api-access`, { scopes: ['pl:ids', 'pl:consents'] })).status).toBe(200);
  const tok = await fetch(`${pl.issuer}/token`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${CLINIC}:${clinic.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&scope=pl%3Aids%20pl%3Aconsents' });
  clinicToken = ((await tok.json()) as { access_token: string }).access_token;
  browser = await launchBrowser();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await pl?.stop();
  await network?.stop();
});

describe('the operator', () => {
  it('records what a provider offers in My Data; malformed offers and unknown RPs are refused', async () => {
    const bad = await pl.admin('PUT', `/api/v1/clients/${CLINIC}/my-data`, { subsystemCode: CODE, dataItems: ['name'], services: [{ name: '../admin', title: { ja: 'x', en: 'x' } }] });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'KIT_VALIDATION_FAILED']);
    const extra = await pl.admin('PUT', `/api/v1/clients/${CLINIC}/my-data`, { subsystemCode: CODE, dataItems: ['name'], services: [{ name: 'residents', title: { ja: 'x', en: 'x' } }], sql: 'drop' });
    expect(extra.status).toBe(400);
    const unknown = await pl.admin('PUT', '/api/v1/clients/nobody-here/my-data', { subsystemCode: CODE, dataItems: ['name'], services: [{ name: 'residents', title: { ja: 'x', en: 'x' } }] });
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'PL_CLIENT_NOT_FOUND']);
    expect((await pl.admin('GET', `/api/v1/clients/${CLINIC}/my-data`)).body.error.code).toBe('PL_MY_DATA_NOT_OFFERED');
    const set = await pl.admin('PUT', `/api/v1/clients/${CLINIC}/my-data`, { subsystemCode: CODE, dataItems: ['name', 'city'], services: [{ name: 'residents', title: { ja: '受診者情報', en: 'Patient record' } }] });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(set.body).toMatchObject({ clientId: CLINIC, subsystemCode: CODE, dataItems: ['name', 'city'] });
    const doc = (await (await fetch(`${pl.adminUrl}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toContain('/api/v1/clients/{clientId}/my-data');
  });
});

describe('a resident in Chromium', () => {
  it('consents to My Data, sees only their own consented data fetched through JP-Link, and downloads it as JSON', async () => {
    const page = await newPhonePage(browser);
    hanakoBaseId = await browserSignIn(page, pl.baseUrl, 'hanako');
    await linkAtClinic(hanakoBaseId, 'u-001');
    // The clinic describes one of its two items (項目説明): 氏名 for `name`; `city` stays an id.
    expect(await rpApi(`/data-items/${CODE}`, { items: [{ id: 'name', label: { ja: '氏名', en: 'Name' } }] }, 'PUT')).toBe(200);

    // The navigation of every resident page leads here (folded into the menu on a phone).
    expect(await page.getAttribute('nav a[href="/my/data"]', 'href')).toBe('/my/data');
    await page.goto(`${pl.baseUrl}/my/data`);
    expect(await page.textContent('h1')).toBe('マイデータ');
    const offer = (await page.textContent(`[data-my-data="${CLINIC}"]`))!;
    expect(offer).toContain('とよの健診センター');
    expect(offer).toContain('まだ許諾していません');
    expect(offer).toContain('本人によるデータ閲覧');
    expect(await page.textContent(`[data-my-data="${CLINIC}"] [data-item="name"]`)).toBe('氏名');
    expect(await page.textContent(`[data-my-data="${CLINIC}"] [data-item="city"] code`)).toBe('city');
    await page.screenshot({ path: new URL('my-data-offer.png', artifacts).pathname, fullPage: true });

    await page.click(`form[action="/my/data/${CLINIC}/consent"] button`);
    await page.waitForURL(`${pl.baseUrl}/my/data/${CLINIC}`);
    const main = (await page.textContent('main'))!;
    expect(main).toContain('受診者情報');
    // Column headers as the clinic labelled them; undescribed ones as they are.
    const headers = await page.$$eval('main th', (ths) => ths.map((th) => th.textContent));
    expect(headers).toContain('氏名');
    expect(headers).toContain('city');
    expect(headers).not.toContain('name');
    expect(main).toContain('山田 花子');
    expect(main).toContain('tokyo');
    // Not consented (email), and not another resident's rows.
    expect(main).not.toContain('hanako@example.jp');
    expect(main).not.toContain('佐藤 太郎');
    expect(await page.getAttribute('[data-service="residents"]', 'data-result')).toBe('ok');
    // Phone width: the page does not scroll sideways (tables scroll in their own box).
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360);
    await page.screenshot({ path: new URL('my-data-view.png', artifacts).pathname, fullPage: true });

    const download = await page.evaluate(async (url) => {
      const r = await fetch(url);
      return { status: r.status, disposition: r.headers.get('content-disposition'), type: r.headers.get('content-type'), text: await r.text() };
    }, `/my/data/${CLINIC}/download`);
    expect(download.status).toBe(200);
    expect(download.type).toBe('application/json; charset=utf-8');
    expect(download.disposition).toMatch(new RegExp(`^attachment; filename="my-data-${CLINIC}-\\d{4}-\\d{2}-\\d{2}\\.json"$`));
    const json = JSON.parse(download.text);
    expect(json).toMatchObject({
      format: 'jplink-my-data/1',
      baseId: hanakoBaseId,
      provider: { clientId: CLINIC, subsystem: PROVIDER_SUBSYSTEM, subsystemCode: CODE, name: { ja: 'とよの健診センター' } },
      services: [{ service: 'residents', status: 'ok', rows: [{ name: '山田 花子', city: 'tokyo' }], truncated: false }],
    });

    // The consent is an ordinary one: given by the resident, reflected to RP B with Personal-Link's subsystem as the client.
    const stored = await adapter.admin('GET', `/api/v1/consents?baseId=${hanakoBaseId}`);
    expect(stored.body).toEqual([expect.objectContaining({ consentId: json.consentId, client: PL_SUBSYSTEM, subsystemCode: CODE, purpose: 'self-access', status: 'active', dataItems: ['name', 'city'] })]);
    await page.goto(`${pl.baseUrl}/my/consents/${json.consentId}`);
    expect(await page.textContent('main')).toContain('Personal-Link（マイデータ）');
    expect(await page.textContent('main')).toContain('本人によるデータ閲覧');

    // Through both Security Servers, as Personal-Link's subsystem; RP A's server was not on the path.
    for (const [ss, side] of [[plSs, 'client'], [net.provider, 'server']] as const) {
      const logged = await mydataLogs(ss);
      expect(logged.length).toBe(2); // the view and the download
      for (const l of logged) expect(l).toMatchObject({ side, client: PL_SUBSYSTEM, service: `${PROVIDER_SUBSYSTEM}/${CODE}` });
    }
    expect(await mydataLogs(net.consumer)).toEqual([]);
    const audited = (await pl.admin('GET', '/api/v1/audit-events?action=my-data.fetched')).body as Array<{ actor: string; target: string; details: any }>;
    expect(audited[0]).toMatchObject({ actor: `resident:${hanakoBaseId}`, target: CLINIC, details: { services: [{ service: 'residents', status: 'ok', rows: 1 }] } });
    expect(JSON.stringify(audited)).not.toContain('山田');

    await page.goto(`${pl.baseUrl}/my/data?lang=en`);
    expect(await page.textContent('h1')).toBe('My Data');
    await page.context().close();
  }, 120_000);
});

describe('refusals', () => {
  it('without a session: the pages offer the sign-in, the download is 401, the consent form is refused (CSRF)', async () => {
    const anonymous = new HttpBrowser();
    const list = await anonymous.request(`${pl.baseUrl}/my/data`);
    expect(list.status).toBe(200);
    expect(parseForms(list.text).some((f) => f.fields.upstream === 'google')).toBe(true);
    expect(list.text).not.toContain('とよの健診センター');
    const view = await anonymous.request(`${pl.baseUrl}/my/data/${CLINIC}`);
    expect(view.text).not.toContain('山田 花子');
    const download = await anonymous.request(`${pl.baseUrl}/my/data/${CLINIC}/download`);
    expect(download.status).toBe(401);
    expect(download.text).toContain('PL_SIGN_IN_REQUIRED');
    const post = await anonymous.request(`${pl.baseUrl}/my/data/${CLINIC}/consent`, { form: {} });
    expect(post.status).toBe(403);
  });

  it('the consent form needs the session’s CSRF token; nothing is consented without it', async () => {
    taro = await residentSignIn(pl.baseUrl, 'taro');
    await linkAtClinic(taro.baseId, 'u-002');
    const page = await taro.browser.follow(`${pl.baseUrl}/my/data`);
    const consentForm = parseForms(page.text).find((f) => f.action === `/my/data/${CLINIC}/consent`)!;
    expect(consentForm.fields._csrf).toBeTruthy();
    expect((await taro.browser.request(`${pl.baseUrl}/my/data/${CLINIC}/consent`, { form: {} })).status).toBe(403);
    expect((await taro.browser.request(`${pl.baseUrl}/my/data/${CLINIC}/consent`, { form: { _csrf: 'forged' } })).status).toBe(403);
    const rows = await pl.database.db.selectFrom('consents').select('consent_id').where('base_id', '=', taro.baseId).execute();
    expect(rows).toEqual([]);
    // Without a consent of his own, Hanako's consent does not let Taro read anything.
    const view = await taro.browser.request(`${pl.baseUrl}/my/data/${CLINIC}`);
    expect(view.status).toBe(404);
    expect(view.text).toContain('PL_CONSENT_NOT_FOUND');
    expect(view.text).not.toContain('山田 花子');
  });

  it('another resident sees only their own rows; a provider that refuses is said plainly', async () => {
    const page = await taro.browser.follow(`${pl.baseUrl}/my/data`);
    const consentForm = parseForms(page.text).find((f) => f.action === `/my/data/${CLINIC}/consent`)!;
    const shown = await taro.browser.follow(new URL(consentForm.action, page.url), { form: consentForm.fields });
    expect(shown.url.pathname).toBe(`/my/data/${CLINIC}`);
    expect(shown.text).toContain('佐藤 太郎');
    expect(shown.text).toContain('osaka');
    expect(shown.text).not.toContain('山田 花子');
    // A service that is not linked (or offers nothing) is 404 for him.
    expect((await taro.browser.request(`${pl.baseUrl}/my/data/nobody-here`)).status).toBe(404);

    // RP B no longer knows Taro (its ID conversion row removed): its Adapter Server refuses.
    expect((await adapter.admin('DELETE', `/api/v1/id-conversions/${taro.baseId}`)).status).toBe(204);
    const refused = await taro.browser.request(`${pl.baseUrl}/my/data/${CLINIC}`);
    expect(refused.status).toBe(200);
    expect(refused.text).toContain('data-result="refused"');
    expect(refused.text).toContain('とよの健診センター がデータの提供に応じませんでした（ADAPTER_PERSONAL_NO_CONSENT）');
    expect(refused.text).not.toContain('佐藤 太郎');
    // Each view is an exchange with the provider: at most 20 a minute per resident (this instance).
    let limited: { status: number; text: string } | undefined;
    let allowed = 0;
    for (let i = 0; i < 25 && !limited; i++) {
      const r = await taro.browser.request(`${pl.baseUrl}/my/data/${CLINIC}/download`);
      if (r.status === 429) limited = r;
      else allowed++;
    }
    expect(limited?.text).toContain('PL_MY_DATA_RATE_LIMITED');
    expect(allowed).toBeLessThanOrEqual(20);
  });

  it('after withdrawal Personal-Link reads nothing more; a provider that cannot be reached is said plainly', async () => {
    const hanako = await residentSignIn(pl.baseUrl, 'hanako');
    expect(hanako.baseId).toBe(hanakoBaseId);
    const consent = await pl.database.db.selectFrom('consents').select('consent_id').where('base_id', '=', hanakoBaseId).where('status', '=', 'given').executeTakeFirstOrThrow();
    const detail = await hanako.browser.follow(`${pl.baseUrl}/my/consents/${consent.consent_id}`);
    const withdraw = parseForms(detail.text).find((f) => f.action.endsWith('/withdraw'))!;
    const done = await hanako.browser.follow(new URL(withdraw.action, detail.url), { form: withdraw.fields });
    expect(done.text).toContain('取り消しました');
    expect((await adapter.admin('GET', `/api/v1/consents?baseId=${hanakoBaseId}`)).body).toEqual([expect.objectContaining({ status: 'withdrawn' })]);
    const after = await hanako.browser.request(`${pl.baseUrl}/my/data/${CLINIC}`);
    expect(after.status).toBe(404);
    expect(after.text).toContain('PL_CONSENT_NOT_FOUND');
    expect((await hanako.browser.follow(`${pl.baseUrl}/my/data`)).text).toContain('まだ許諾していません');

    // Consent again, then RP B's Adapter Server goes away: its Security Server cannot reach it.
    const list = await hanako.browser.follow(`${pl.baseUrl}/my/data`);
    const again = parseForms(list.text).find((f) => f.action === `/my/data/${CLINIC}/consent`)!;
    expect((await hanako.browser.follow(new URL(again.action, list.url), { form: again.fields })).text).toContain('山田 花子');
    await adapter.stop();
    const down = await hanako.browser.request(`${pl.baseUrl}/my/data/${CLINIC}`);
    expect(down.status).toBe(200);
    expect(down.text).toContain('data-result="unreachable"');
    expect(down.text).toMatch(/とよの健診センター に接続できませんでした（[^）]+）。時間をおいて再度お試しください。/);
    const failed = (await pl.admin('GET', '/api/v1/audit-events?action=my-data.fetched')).body as Array<{ outcome: string; details: any }>;
    expect(failed[0]).toMatchObject({ outcome: 'failure', details: { services: [{ service: 'residents', status: 'unreachable' }] } });
  }, 60_000);
});
