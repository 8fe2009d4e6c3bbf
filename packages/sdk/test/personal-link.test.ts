// The SDK's Personal-Link client against a real Personal-Link (its OIDC token endpoint and RP API):
// every helper as a consumer RP (the shop) and a provider RP (the clinic), the client-credentials
// token fetched once and cached, fetched again once when the API answers 401, and each refusal as
// a PersonalLinkError with Personal-Link's status and code. The tokens are counted where
// Personal-Link stores them (oidc_models, model ClientCredentials).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpBrowser, parseForms, signInResident, startTestPersonalLink, type RunningPersonalLink } from '@jplink/personal-link/testing';
import { PersonalLinkError, createPersonalLinkClient, type PersonalLinkClient } from '../src/index.ts';

const RETURN = 'https://shop.example.jp/consents/done';

let pl: RunningPersonalLink;
let shopRp: { clientId: string; clientSecret: string };
let shop: PersonalLinkClient;
let clinic: PersonalLinkClient;
let browser: HttpBrowser;
let baseId: string;

/** The client-credentials access tokens Personal-Link holds for an RP. */
const tokensOf = async (clientId: string) =>
  (await pl.database.db.selectFrom('oidc_models').select(['id', 'payload']).where('model', '=', 'ClientCredentials').execute()).filter((r) => (r.payload as { clientId?: string }).clientId === clientId);

beforeAll(async () => {
  pl = await startTestPersonalLink();
  const cc = { grantTypes: ['client_credentials' as const] };
  shopRp = await pl.registerRp({ clientId: 'toyono-shop', memberSubsystem: 'JP-TEST/COM/1111111111111/shopping', displayName: { ja: 'とよのショッピング', en: 'Toyono Shopping' }, ...cc });
  const clinicRp = await pl.registerRp({ clientId: 'toyono-clinic', memberSubsystem: 'JP-TEST/COM/2222222222222/healthcare', displayName: { ja: 'とよの健診センター', en: 'Toyono Checkups' }, ...cc });
  expect((await pl.admin('PUT', '/api/v1/clients/toyono-shop/api-access', { scopes: ['pl:ids', 'pl:consents'], consentReturnUris: [RETURN] })).status).toBe(200);
  expect((await pl.admin('PUT', '/api/v1/clients/toyono-clinic/api-access', { scopes: ['pl:ids', 'pl:consents'] })).status).toBe(200);
  shop = createPersonalLinkClient({ issuer: pl.issuer, ...shopRp });
  clinic = createPersonalLinkClient({ issuer: pl.issuer, ...clinicRp });

  // A resident signs in to Personal-Link once (dev upstream `google`, user hanako): a BaseID.
  browser = new HttpBrowser();
  ({ baseId } = await signInResident(browser, pl.baseUrl));
}, 60_000);
afterAll(async () => {
  shop?.close();
  clinic?.close();
  await pl?.stop();
});

describe('createPersonalLinkClient against Personal-Link', () => {
  let consentId: string;

  it('ID完了通知, ID連携完了通知 and BaseID照会 for both RPs, with one token each', async () => {
    for (const [rp, local] of [[shop, 'S-000001'], [clinic, 'H-000001']] as const) {
      expect(await rp.notifyIdConversion({ baseId, localUserId: local })).toMatchObject({ baseId, localUserId: local });
      expect(await rp.notifyLinked({ baseId })).toMatchObject({ baseId, localUserId: local, linked: true });
      expect(await rp.lookupBaseId({ localUserId: local })).toMatchObject({ baseId, localUserId: local, linked: true });
      expect(await rp.lookupBaseId({ baseId })).toMatchObject({ baseId, localUserId: local });
    }
    expect(await tokensOf('toyono-shop')).toHaveLength(1);
    expect(await tokensOf('toyono-clinic')).toHaveLength(1);
  });

  it('許諾依頼 → the resident approves → status given → 許諾情報登録 by the provider, in the consent’s history', async () => {
    const requested = await shop.requestConsent({
      baseId,
      provider: 'toyono-clinic',
      subsystemCode: 'checkups',
      dataItems: ['height', 'weight'],
      purpose: { code: 'childcare-support', description: { ja: '成長記録を表示するため', en: 'To show growth records' } },
      validUntil: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      returnUri: RETURN,
    });
    expect(requested).toMatchObject({ status: 'requested', approvalUrl: expect.stringContaining(`${pl.baseUrl}/my/consents/`) });
    consentId = requested.consentId;

    const page = await browser.follow(requested.approvalUrl!);
    const approve = parseForms(page.text).find((f) => f.action.endsWith('/approve'))!;
    expect((await browser.request(new URL(approve.action, page.url), { form: approve.fields })).status).toBe(303);

    const given = await shop.getConsent(consentId);
    expect(given).toMatchObject({ consentId, status: 'given' });
    const registered = await clinic.registerConsent(consentId, given.version);
    expect(registered).toMatchObject({ consentId, version: given.version });
    const events = (await shop.getConsent(consentId)).events.filter((e) => e.type === 'registered');
    expect(events).toHaveLength(1);
    // Still one token per RP after all these calls.
    expect(await tokensOf('toyono-shop')).toHaveLength(1);
    expect(await tokensOf('toyono-clinic')).toHaveLength(1);
  });

  it('fetches a new token once when the API answers 401 (the token is gone at Personal-Link)', async () => {
    const [old] = await tokensOf('toyono-shop');
    await pl.database.db.deleteFrom('oidc_models').where('model', '=', 'ClientCredentials').where('id', '=', old!.id).execute();
    expect(await shop.getConsent(consentId)).toMatchObject({ consentId, status: 'given' });
    const now = await tokensOf('toyono-shop');
    expect(now).toHaveLength(1);
    expect(now[0]!.id).not.toBe(old!.id);
  });

  it('項目説明: the provider describes its data items, reads them back, and the resident’s approval page shows the labels', async () => {
    const items = [
      { id: 'height', label: { ja: '身長', en: 'Height' } },
      { id: 'weight', label: { ja: '体重', en: 'Weight' }, description: { ja: 'kg 単位', en: 'In kg' } },
    ];
    expect(await clinic.describeDataItems('checkups', items)).toMatchObject({ subsystemCode: 'checkups', items });
    expect((await clinic.dataItems('checkups')).items).toEqual(items);
    // The shop has described nothing: its own (never the clinic's) descriptions are what it reads.
    await expect(shop.dataItems('checkups')).rejects.toMatchObject({ status: 404, code: 'PL_DATA_ITEMS_NOT_FOUND' });
    await expect(clinic.describeDataItems('checkups', [])).rejects.toMatchObject({ status: 400, code: 'KIT_VALIDATION_FAILED' });

    const requested = await shop.requestConsent({
      baseId,
      provider: 'toyono-clinic',
      subsystemCode: 'checkups',
      dataItems: ['height', 'weight', 'checked_on'],
      purpose: { code: 'childcare-support', description: { ja: '成長記録を表示するため', en: 'To show growth records' } },
      validUntil: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      returnUri: RETURN,
    });
    expect(requested.dataItems).toEqual(['height', 'weight', 'checked_on']);
    const ja = await browser.follow(`${requested.approvalUrl!}?lang=ja`);
    expect(ja.text).toContain('<li data-item="height">身長</li>');
    expect(ja.text).toContain('<li data-item="weight">体重<br><span class="muted">kg 単位</span></li>');
    expect(ja.text).toContain('<li data-item="checked_on"><code>checked_on</code></li>');
    const en = await browser.follow(`${requested.approvalUrl!}?lang=en`);
    expect(en.text).toContain('<li data-item="height">Height</li>');
  });

  it('refuses with PersonalLinkError carrying Personal-Link’s status and code', async () => {
    const refusal = async (p: Promise<unknown>) => {
      const error = await p.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(PersonalLinkError);
      return error as PersonalLinkError;
    };
    const base = { baseId, provider: 'toyono-clinic', subsystemCode: 'checkups', dataItems: ['height'], purpose: { code: 'p', description: { ja: 'あ', en: 'a' } }, validUntil: new Date(Date.now() + 86_400_000).toISOString() };
    expect(await refusal(shop.requestConsent({ ...base, returnUri: 'https://elsewhere.example.jp/back' }))).toMatchObject({ status: 422, code: 'PL_CONSENT_RETURN_URI_NOT_REGISTERED' });
    expect(await refusal(shop.getConsent('pc_doesnotexist0000000000'))).toMatchObject({ status: 404, code: 'PL_CONSENT_NOT_FOUND' });
    // A wrong secret: the token endpoint refuses.
    const wrong = createPersonalLinkClient({ issuer: pl.issuer, clientId: shopRp.clientId, clientSecret: 'not-the-secret' });
    try {
      expect(await refusal(wrong.lookupBaseId({ baseId }))).toMatchObject({ status: 401, code: 'invalid_client' });
    } finally {
      wrong.close();
    }
    // The operator withdraws the API grant: the token has no scope, the API says so.
    expect((await pl.admin('PUT', '/api/v1/clients/toyono-shop/api-access', { scopes: [], consentReturnUris: [RETURN] })).status).toBe(200);
    try {
      const fresh = createPersonalLinkClient({ issuer: pl.issuer, ...shopRp });
      try {
        expect(await refusal(fresh.lookupBaseId({ baseId }))).toMatchObject({ status: 403, code: 'PL_API_SCOPE_MISSING' });
      } finally {
        fresh.close();
      }
    } finally {
      expect((await pl.admin('PUT', '/api/v1/clients/toyono-shop/api-access', { scopes: ['pl:ids', 'pl:consents'], consentReturnUris: [RETURN] })).status).toBe(200);
    }
  });
});
