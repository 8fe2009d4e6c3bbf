// A resident's approval and withdrawal wait for the data provider (issue 6, scope 5): with the
// reflection worker pointed at a local HTTP server that plays Personal-Link's Security Server, the
// page says "withdrawn" only once the provider acknowledged that version; otherwise that it is
// recorded and being delivered (attempts, last error), and the consent page shows each version's
// delivery state.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpBrowser, parseForms, startTestPersonalLink, type RunningPersonalLink } from '../src/testing.ts';

const PL_SUBSYSTEM = 'JP-TEST/GOV/9999999999999/personal-link';
const RETURN = 'https://shop.example.jp/consents/done';

type Answer = { status: number; body: unknown };
interface FakeSs {
  url: string;
  seen: { url: string; body: any }[];
  answer: (consentId: string) => Answer;
  close(): Promise<void>;
}

async function startFakeSs(): Promise<FakeSs> {
  const fake: FakeSs = { url: '', seen: [], answer: (consentId) => ({ status: 200, body: { consentId, result: 'updated' } }), close: async () => {} };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
      fake.seen.push({ url: req.url!, body });
      const answer = fake.answer(decodeURIComponent(req.url!.split('/').pop()!));
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return fake;
}

const ack: FakeSs['answer'] = (consentId) => ({ status: 200, body: { consentId, result: 'updated' } });
const unavailable: FakeSs['answer'] = () => ({ status: 503, body: { error: { code: 'KIT_UNAVAILABLE', message: 'down', requestId: 'r' } } });
const forbidden: FakeSs['answer'] = () => ({ status: 403, body: { error: { code: 'ADAPTER_CONSENT_FORBIDDEN', message: 'no', requestId: 'r' } } });

let pl: RunningPersonalLink;
let fake: FakeSs;
let browser: HttpBrowser;
let baseId: string;
let tShop: string;

async function token(rp: { clientId: string; clientSecret: string }) {
  const r = await fetch(`${pl.issuer}/token`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${rp.clientId}:${rp.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&scope=pl%3Aids%20pl%3Aconsents' });
  return ((await r.json()) as { access_token: string }).access_token;
}
async function api(tok: string, path: string, body: unknown) {
  const r = await fetch(`${pl.baseUrl}/api/pl/v1${path}`, { method: 'POST', headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: r.status, body: (await r.json()) as any };
}

/** A new consent request of the shop, for data held by the clinic; returns its approval URL. */
async function requestConsent(): Promise<string> {
  const created = await api(tShop, '/consent-requests', {
    baseId,
    provider: 'toyono-clinic',
    subsystemCode: 'checkups',
    dataItems: ['height', 'weight'],
    purpose: { code: 'childcare-support', description: { ja: '成長記録を表示するため', en: 'To show growth records' } },
    validUntil: new Date(Date.now() + 365 * 86400_000).toISOString(),
    returnUri: RETURN,
  });
  expect(created.status).toBe(201);
  return created.body.approvalUrl;
}

/** Presses the button of the form whose action ends with `/action` on the page at `url`. */
async function press(url: string, action: 'approve' | 'withdraw') {
  const page = await browser.follow(url);
  const form = parseForms(page.text).find((f) => f.action.endsWith(`/${action}`));
  if (!form) throw new Error(`no ${action} form at ${url}`);
  const started = Date.now();
  const answer = await browser.follow(new URL(form.action, page.url), { form: form.fields });
  return { ...answer, ms: Date.now() - started };
}

const flashOf = (text: string) => /<div class="flash flash-(\w+)" role="\w+">([\s\S]*?)<\/div>/.exec(text);
const deliveryStates = (text: string) => Object.fromEntries([...text.matchAll(/data-delivery-state="([^"]+)" data-delivery-version="(\d+)"/g)].map((m) => [Number(m[2]), m[1]]));

beforeAll(async () => {
  fake = await startFakeSs();
  pl = await startTestPersonalLink({ PL_SS_URL: fake.url, PL_SUBSYSTEM, PL_REFLECTION_MAX_BACKOFF: '1', PL_REFLECTION_TIMEOUT: '2' });
  const cc = { grantTypes: ['client_credentials' as const] };
  const shop = await pl.registerRp({ clientId: 'toyono-shop', memberSubsystem: 'JP-TEST/COM/1111111111111/shopping', displayName: { ja: 'とよのショッピング', en: 'Toyono Shopping' }, ...cc });
  const clinic = await pl.registerRp({ clientId: 'toyono-clinic', memberSubsystem: 'JP-TEST/COM/2222222222222/healthcare', displayName: { ja: 'とよの健診センター', en: 'Toyono Checkups' }, ...cc });
  await pl.admin('PUT', '/api/v1/clients/toyono-shop/api-access', { scopes: ['pl:ids', 'pl:consents'], consentReturnUris: [RETURN] });
  await pl.admin('PUT', '/api/v1/clients/toyono-clinic/api-access', { scopes: ['pl:ids', 'pl:consents'] });

  browser = new HttpBrowser();
  const chooser = await browser.follow(`${pl.baseUrl}/my`);
  const form = parseForms(chooser.text).find((f) => f.fields.upstream === 'google')!;
  const atUpstream = await browser.follow(new URL(form.action, chooser.url), { form: form.fields });
  const pick = parseForms(atUpstream.text).find((f) => f.buttons.some((b) => b.name === 'sub'))!;
  const my = await browser.follow(new URL(pick.action, atUpstream.url), { form: { sub: 'hanako' } });
  baseId = /<code data-base-id>([^<]+)<\/code>/.exec(my.text)![1]!;

  let tClinic: string;
  [tShop, tClinic] = await Promise.all([token(shop), token(clinic)]);
  for (const [tok, local] of [[tShop, 'shop-1'], [tClinic, 'patient-1']] as const) {
    expect((await api(tok, '/id-conversions', { baseId, localUserId: local })).status).toBe(200);
    expect((await api(tok, '/links', { baseId })).status).toBe(200);
  }
}, 30_000);
afterAll(async () => {
  await pl?.stop();
  await fake?.close();
});

describe('approving and withdrawing with a provider that acknowledges', () => {
  it('says "given" and "withdrawn" only after the provider has each version, and shows the delivery of each version', async () => {
    fake.answer = ack;
    const url = await requestConsent();
    const consentId = url.split('/').pop()!;

    const given = await press(url, 'approve');
    expect(given.url.search).toBe('?done=given');
    expect(flashOf(given.text)?.[1]).toBe('success');
    expect(flashOf(given.text)?.[2]).toBe('許諾しました。許諾の証明書（受領書）を発行し、とよの健診センター にも反映されました。');
    expect(deliveryStates(given.text)).toEqual({ 2: 'acknowledged' });

    const withdrawn = await press(url, 'withdraw');
    expect(withdrawn.url.search).toBe('?done=withdrawn');
    expect(flashOf(withdrawn.text)?.[1]).toBe('success');
    expect(flashOf(withdrawn.text)?.[2]).toBe('許諾を取り消しました。とよの健診センター にも反映され、以後この情報は提供されません。');
    expect(deliveryStates(withdrawn.text)).toEqual({ 2: 'acknowledged', 3: 'acknowledged' });
    expect(withdrawn.text).toContain('提供するサービスへの反映');
    expect(withdrawn.text).toContain('反映済み');

    // What reached the "Security Server": version 2 active, then version 3 withdrawn.
    const sent = fake.seen.filter((s) => s.url.endsWith(`/${consentId}`));
    expect(sent.map((s) => [s.url, s.body.version, s.body.status])).toEqual([
      [`/r1/JP-TEST/COM/2222222222222/healthcare/consents/${consentId}`, 2, 'active'],
      [`/r1/JP-TEST/COM/2222222222222/healthcare/consents/${consentId}`, 3, 'withdrawn'],
    ]);
  }, 30_000);
});

describe('withdrawing while the provider cannot be reached', () => {
  it('says the withdrawal is recorded and being delivered (attempts, last error), then "withdrawn" once the provider has it', async () => {
    fake.answer = ack;
    const url = await requestConsent();
    await press(url, 'approve');

    fake.answer = unavailable;
    const pending = await press(url, 'withdraw');
    // It waited for the acknowledgement (about 5 s) before answering.
    expect(pending.ms).toBeGreaterThanOrEqual(4500);
    expect(pending.url.search).toBe('?done=withdrawn');
    const [, kind, text] = flashOf(pending.text)!;
    expect(kind).toBe('info');
    expect(text).toContain('許諾の取り消しを記録しました。とよの健診センター へはいま伝えているところです。反映が確認できるまでの間は、この情報が提供されることがあります。');
    expect(text).toMatch(/伝達の状況: 送信 [1-9]\d* 回・最後のエラー KIT_UNAVAILABLE \(503\)/);
    expect(pending.text).toContain('取り消し済み'); // the consent itself is withdrawn in Personal-Link
    expect(deliveryStates(pending.text)).toEqual({ 2: 'acknowledged', 3: 'pending' });
    expect(pending.text).toContain('伝達中');

    // The provider comes back: the retry (backoff ≤ 1 s) delivers it, and the same page now says "withdrawn".
    fake.answer = ack;
    await expect
      .poll(async () => flashOf((await browser.follow(`${url}?done=withdrawn`)).text)?.[2], { timeout: 10_000, interval: 250 })
      .toBe('許諾を取り消しました。とよの健診センター にも反映され、以後この情報は提供されません。');
    expect(deliveryStates((await browser.follow(url)).text)).toEqual({ 2: 'acknowledged', 3: 'acknowledged' });
  }, 30_000);

  it('says at once when the provider refuses the withdrawal for good', async () => {
    fake.answer = ack;
    const url = await requestConsent();
    await press(url, 'approve');

    fake.answer = forbidden;
    const refused = await press(url, 'withdraw');
    expect(refused.ms).toBeLessThan(4000); // failed permanently: no point in waiting
    const [, kind, text] = flashOf(refused.text)!;
    expect(kind).toBe('error');
    expect(text).toContain('許諾の取り消しを記録しました。');
    expect(text).toContain('とよの健診センター への伝達が拒否されました（ADAPTER_CONSENT_FORBIDDEN (403)）。運用担当者の対応が必要です。');
    expect(text).toContain('伝達の状況: 送信 1 回・最後のエラー ADAPTER_CONSENT_FORBIDDEN (403)');
    expect(deliveryStates(refused.text)).toEqual({ 2: 'acknowledged', 3: 'failed-permanently' });
    expect(refused.text).toContain('伝達できませんでした');
  }, 30_000);

  it('approval: "provider notified" only once acknowledged', async () => {
    fake.answer = unavailable;
    const url = await requestConsent();
    const given = await press(url, 'approve');
    const [, kind, text] = flashOf(given.text)!;
    expect(kind).toBe('info');
    expect(text).toContain('許諾しました。許諾の証明書（受領書）を発行しました。とよの健診センター へはいま伝えているところです。');
    expect(deliveryStates(given.text)).toEqual({ 2: 'pending' });
    fake.answer = ack;
  }, 30_000);
});
