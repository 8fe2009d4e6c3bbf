// Data item descriptions (項目説明) over real HTTP and PostgreSQL: the provider RP labels its data
// items through the RP API (set, read back, replace); refusals (another RP's Sub System Code, no
// token, missing scope, malformed and oversized bodies, a bad Sub System Code); and the resident's
// approval, consent list and provision pages show the labels in Japanese and English, with the
// id in monospace for an item the provider has not described. Consents keep the ids.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpBrowser, parseForms, startTestPersonalLink, type RunningPersonalLink } from '../src/testing.ts';
import { residentSignIn, rpApiCall, rpApiToken } from './helpers.ts';

let pl: RunningPersonalLink;
const RETURN = 'https://shop.example.jp/consents/done';
type Rp = { clientId: string; clientSecret: string };
let shop: Rp, clinic: Rp, other: Rp;
let hanako: { browser: HttpBrowser; baseId: string };
let tShop: string, tClinic: string, tClinicIdsOnly: string, tOther: string;

const api = (tok: string | undefined, method: string, path: string, body?: unknown, raw?: string) => rpApiCall(pl.baseUrl, tok, method, path, body, raw);

const VITALS = [
  { id: 'measured_on', label: { ja: '測定日', en: 'Measured on' } },
  { id: 'systolic', label: { ja: '最高血圧', en: 'Systolic' }, description: { ja: '収縮期血圧（mmHg）', en: 'Systolic blood pressure (mmHg)' } },
  { id: 'diastolic', label: { ja: '最低血圧', en: 'Diastolic' } },
];

beforeAll(async () => {
  pl = await startTestPersonalLink();
  const cc = { grantTypes: ['client_credentials' as const] };
  shop = await pl.registerRp({ clientId: 'di-shop', memberSubsystem: 'JP-TEST/COM/1111111111111/shopping', displayName: { ja: 'とよのショッピング', en: 'Toyono Shopping' }, ...cc });
  clinic = await pl.registerRp({ clientId: 'di-clinic', memberSubsystem: 'JP-TEST/COM/2222222222222/healthcare', displayName: { ja: 'とよの健診センター', en: 'Toyono Checkups' }, ...cc });
  other = await pl.registerRp({ clientId: 'di-other', memberSubsystem: 'JP-TEST/COM/3333333333333/other', displayName: { ja: 'ほかのサービス', en: 'Other' }, ...cc });
  for (const rp of [shop, clinic, other]) {
    const r = await pl.admin('PUT', `/api/v1/clients/${rp.clientId}/api-access`, { scopes: ['pl:ids', 'pl:consents'], consentReturnUris: rp === shop ? [RETURN] : [] });
    expect(r.status).toBe(200);
  }
  [tShop, tClinic, tClinicIdsOnly, tOther] = await Promise.all([rpApiToken(pl.issuer, shop), rpApiToken(pl.issuer, clinic), rpApiToken(pl.issuer, clinic, 'pl:ids'), rpApiToken(pl.issuer, other)]);
  hanako = await residentSignIn(pl.baseUrl, 'hanako');
  for (const [tok, user] of [[tShop, 'shop-hanako'], [tClinic, 'clinic-hanako']] as const) {
    expect((await api(tok, 'POST', '/id-conversions', { baseId: hanako.baseId, localUserId: user })).status).toBe(200);
    expect((await api(tok, 'POST', '/links', { baseId: hanako.baseId })).status).toBe(200);
  }
}, 60_000);
afterAll(async () => {
  await pl?.stop();
});

describe('the RP API', () => {
  it('lets the provider set, read and replace the labels of its own data items, and audits it', async () => {
    expect((await api(tClinic, 'GET', '/data-items/vitals')).body.error.code).toBe('PL_DATA_ITEMS_NOT_FOUND');
    const put = await api(tClinic, 'PUT', '/data-items/vitals', { items: VITALS });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ subsystemCode: 'vitals', items: VITALS });
    const doc = (await api(undefined, 'GET', '/openapi.json')).body;
    expect(Object.keys(doc.paths['/api/pl/v1/data-items/{subsystemCode}'])).toEqual(expect.arrayContaining(['put', 'get']));
    const got = await api(tClinic, 'GET', '/data-items/vitals');
    expect([got.status, got.body.items]).toEqual([200, VITALS]);
    // PUT replaces the whole list.
    expect((await api(tClinic, 'PUT', '/data-items/steps', { items: [{ id: 'steps', label: { ja: '歩', en: 'Step' } }] })).status).toBe(200);
    const replaced = await api(tClinic, 'PUT', '/data-items/steps', { items: [{ id: 'steps', label: { ja: '歩数', en: 'Steps' } }] });
    expect(replaced.body.items).toEqual([{ id: 'steps', label: { ja: '歩数', en: 'Steps' } }]);
    const audit = await pl.database.db.selectFrom('audit_events').select(['actor', 'action', 'target', 'details']).where('action', '=', 'client.data-items-described').orderBy('id').execute();
    expect(audit[0]).toMatchObject({ actor: 'rp:di-clinic', target: 'di-clinic', details: { subsystemCode: 'vitals', dataItems: ['measured_on', 'systolic', 'diastolic'] } });
  });

  it('refuses another RP’s Sub System Code, a missing token or scope, malformed and oversized bodies', async () => {
    // Descriptions are the caller's own: another RP neither reads the clinic's nor changes them.
    const foreign = await api(tOther, 'GET', '/data-items/vitals');
    expect([foreign.status, foreign.body.error.code]).toEqual([404, 'PL_DATA_ITEMS_NOT_FOUND']);
    expect((await api(tOther, 'PUT', '/data-items/vitals', { items: [{ id: 'systolic', label: { ja: '偽物', en: 'Fake' } }] })).status).toBe(200);
    expect((await api(tClinic, 'GET', '/data-items/vitals')).body.items).toEqual(VITALS);

    const none = await api(undefined, 'PUT', '/data-items/vitals', { items: VITALS });
    expect([none.status, none.body.error.code]).toEqual([401, 'PL_API_TOKEN_INVALID']);
    const scope = await api(tClinicIdsOnly, 'PUT', '/data-items/vitals', { items: VITALS });
    expect([scope.status, scope.body.error.code, scope.body.error.detail]).toEqual([403, 'PL_API_SCOPE_MISSING', { required: 'pl:consents' }]);
    expect((await api(tClinicIdsOnly, 'GET', '/data-items/vitals')).status).toBe(403);

    const bad = async (body: unknown, path = '/data-items/vitals') => {
      const r = await api(tClinic, 'PUT', path, body);
      expect([r.status, r.body.error.code]).toEqual([400, 'KIT_VALIDATION_FAILED']);
    };
    await bad({ items: [] });
    // Ids as in consent requests: a column name (≤63, no control characters).
    await bad({ items: [{ id: 'systolic\u0000', label: { ja: 'x', en: 'x' } }] });
    await bad({ items: [{ id: 'c'.repeat(64), label: { ja: 'x', en: 'x' } }] });
    await bad({ items: [{ id: 'systolic', label: { ja: '最高\u0007血圧', en: 'x' } }] });
    await bad({ items: [{ id: 'systolic', label: { ja: 'x' } }] });
    await bad({ items: [{ id: 'systolic', label: { ja: 'x'.repeat(101), en: 'x' } }] });
    await bad({ items: [{ id: 'systolic', label: { ja: '', en: 'x' } }] });
    await bad({ items: [{ id: 'systolic', label: { ja: 'a', en: 'b' } }, { id: 'systolic', label: { ja: 'c', en: 'd' } }] });
    await bad({ items: [{ id: 'systolic', label: { ja: 'a', en: 'b' }, extra: 1 }] });
    await bad({ items: Array.from({ length: 201 }, (_, i) => ({ id: `c${i}`, label: { ja: 'a', en: 'b' } })) });
    await bad({ items: VITALS }, '/data-items/bad%20code');
    const raw = await api(tClinic, 'PUT', '/data-items/vitals', undefined, '{"items": [');
    expect([raw.status, raw.body.error.code]).toEqual([400, 'KIT_MALFORMED_BODY']);
    // Over the API's 64 KiB body limit.
    const huge = await api(tClinic, 'PUT', '/data-items/vitals', { items: [{ id: 'systolic', label: { ja: 'a', en: 'b' }, description: { ja: 'x'.repeat(70_000), en: 'y' } }] });
    expect([huge.status, huge.body.error.code]).toEqual([413, 'KIT_BODY_TOO_LARGE']);
    // Nothing of that changed the clinic's descriptions.
    expect((await api(tClinic, 'GET', '/data-items/vitals')).body.items).toEqual(VITALS);
  });
});

describe('the resident pages', () => {
  it('show the provider’s labels in the resident’s language and the id where the provider has not described an item', async () => {
    const created = await api(tShop, 'POST', '/consent-requests', {
      baseId: hanako.baseId,
      provider: clinic.clientId,
      subsystemCode: 'vitals',
      dataItems: ['measured_on', 'systolic', 'diastolic', 'heart_rate'],
      purpose: { code: 'health-points', description: { ja: '健康ポイントの付与のため', en: 'To award health points' } },
      validUntil: new Date(Date.now() + 30 * 86400_000).toISOString(),
      returnUri: RETURN,
    });
    expect(created.status).toBe(201);
    // The consent keeps the ids.
    expect(created.body.dataItems).toEqual(['measured_on', 'systolic', 'diastolic', 'heart_rate']);

    const ja = await hanako.browser.follow(created.body.approvalUrl);
    expect(ja.status).toBe(200);
    expect(ja.text).toContain('<li data-item="systolic">最高血圧<br><span class="muted">収縮期血圧（mmHg）</span></li>');
    expect(ja.text).toContain('<li data-item="measured_on">測定日</li>');
    expect(ja.text).toContain('<li data-item="diastolic">最低血圧</li>');
    // Not described by the clinic (and the other RP's "Fake" label for its own vitals is not used).
    expect(ja.text).toContain('<li data-item="heart_rate"><code>heart_rate</code></li>');
    expect(ja.text).not.toContain('偽物');
    expect(ja.text).not.toContain('<code>systolic</code>');

    const en = await hanako.browser.follow(`${created.body.approvalUrl}?lang=en`);
    expect(en.text).toContain('<li data-item="systolic">Systolic<br><span class="muted">Systolic blood pressure (mmHg)</span></li>');
    expect(en.text).toContain('<li data-item="measured_on">Measured on</li>');
    expect(en.text).toContain('<li data-item="heart_rate"><code>heart_rate</code></li>');

    const list = await hanako.browser.follow(`${pl.baseUrl}/my/consents?lang=ja`);
    expect(list.text).toContain('測定日、最高血圧、最低血圧、<code>heart_rate</code>');
    // Approved, the consent shows in the provision history (labels there too) and still holds the ids.
    const approve = parseForms(ja.text).find((f) => f.action.endsWith('/approve'))!;
    expect((await hanako.browser.follow(new URL(approve.action, ja.url), { form: approve.fields })).status).toBe(200);
    const given = await api(tShop, 'GET', `/consents/${created.body.consentId}`);
    expect([given.body.status, given.body.dataItems]).toEqual(['given', ['measured_on', 'systolic', 'diastolic', 'heart_rate']]);
    const provision = await hanako.browser.follow(`${pl.baseUrl}/my/provision?lang=en`);
    expect(provision.text).toContain('Measured on, Systolic, Diastolic, <code>heart_rate</code>');
  });
});
