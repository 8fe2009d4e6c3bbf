// The RP API (/api/pl/v1) and the consent flow over real HTTP and PostgreSQL: ID completion and
// linkage notices, BaseID lookup, UAX-Link's registrations, consent requests (refused for unlinked
// services), the resident's decision on the consent page, receipts that verify against the JWKS,
// withdrawal and expiry with a valid hash chain (and a tampered one that is caught), refusals
// (no or wrong token, missing scope, other RPs' rows, malformed and oversized input), the rate limit.
import { sql } from 'kysely';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpBrowser, parseForms, startTestPersonalLink, type RunningPersonalLink } from '../src/testing.ts';
import { residentSignIn, rpApiCall } from './helpers.ts';
import { verifyConsentChain } from '../src/consent/chain.ts';
import { WindowLimiter } from '../src/api/auth.ts';

let pl: RunningPersonalLink;
let offsetMs = 0;
const RETURN = 'https://shop.example.jp/consents/done';
type Rp = { clientId: string; clientSecret: string };
let shop: Rp, clinic: Rp, other: Rp, uax: Rp;
let hanako: { browser: HttpBrowser; baseId: string };
let taro: { browser: HttpBrowser; baseId: string };

const mySignIn = (user: string) => residentSignIn(pl.baseUrl, user);

async function token(rp: Rp, scope: string): Promise<string> {
  const r = await fetch(`${pl.issuer}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${rp.clientId}:${rp.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope }),
  });
  const body = (await r.json()) as { access_token: string; scope?: string };
  expect(r.status).toBe(200);
  // The scopes asked for are in the token (oidc-provider knows the pl:* scopes).
  expect(new Set(body.scope?.split(' '))).toEqual(new Set(scope.split(' ')));
  return body.access_token;
}

const api = (tok: string | undefined, method: string, path: string, body?: unknown, raw?: string) => rpApiCall(pl.baseUrl, tok, method, path, body, raw);

const request = (baseId: string, extra: Record<string, unknown> = {}) => ({
  baseId,
  provider: clinic.clientId,
  subsystemCode: 'checkups',
  dataItems: ['height', 'weight', 'checked_on'],
  purpose: { code: 'childcare-support', description: { ja: '子育て支援サービスで成長記録を表示するため', en: 'To show growth records in the childcare support service' } },
  validUntil: new Date(Date.now() + 30 * 86400_000).toISOString(),
  returnUri: RETURN,
  ...extra,
});

let tShopIds: string, tShopConsents: string, tClinicIds: string, tClinicConsents: string, tOther: string, tUax: string;

beforeAll(async () => {
  pl = await startTestPersonalLink({}, { now: () => new Date(Date.now() + offsetMs) });
  const cc = { grantTypes: ['client_credentials' as const] };
  shop = await pl.registerRp({ clientId: 'toyono-shop', memberSubsystem: 'JP-TEST/COM/1111111111111/shopping', displayName: { ja: 'とよのショッピング', en: 'Toyono Shopping' }, ...cc });
  clinic = await pl.registerRp({ clientId: 'toyono-clinic', memberSubsystem: 'JP-TEST/COM/2222222222222/healthcare', displayName: { ja: 'とよの健診センター', en: 'Toyono Checkups' }, ...cc });
  other = await pl.registerRp({ clientId: 'other-rp', memberSubsystem: 'JP-TEST/COM/3333333333333/other', displayName: { ja: 'ほかのサービス', en: 'Other' }, ...cc });
  uax = await pl.registerRp({ clientId: 'uax-link', memberSubsystem: 'JP-TEST/GOV/4444444444444/uax', displayName: { ja: 'UAX-Link', en: 'UAX-Link' }, ...cc });
  for (const [rp, scopes] of [[shop, ['pl:ids', 'pl:consents']], [clinic, ['pl:ids', 'pl:consents']], [other, ['pl:ids', 'pl:consents']], [uax, ['pl:uax']]] as const) {
    const r = await pl.admin('PUT', `/api/v1/clients/${rp.clientId}/api-access`, { scopes, consentReturnUris: rp === shop ? [RETURN] : [] });
    expect(r.status).toBe(200);
  }
  hanako = await mySignIn('hanako');
  taro = await mySignIn('taro');
  [tShopIds, tShopConsents, tClinicIds, tClinicConsents, tOther, tUax] = await Promise.all([
    token(shop, 'pl:ids'),
    token(shop, 'pl:consents'),
    token(clinic, 'pl:ids'),
    token(clinic, 'pl:consents'),
    token(other, 'pl:ids pl:consents pl:uax'),
    token(uax, 'pl:uax'),
  ]);
}, 60_000);
afterAll(async () => {
  await pl?.stop();
});

describe('IDs and linkage', () => {
  it('records an ID completion notice and a linkage notice, and answers BaseID lookups from the caller’s own rows only', async () => {
    expect((await api(tShopIds, 'POST', '/links', { baseId: hanako.baseId })).body.error.code).toBe('PL_ID_CONVERSION_MISSING');
    const done = await api(tShopIds, 'POST', '/id-conversions', { baseId: hanako.baseId, localUserId: 'shop-user-001' });
    expect(done.status).toBe(200);
    expect(done.body).toEqual({ baseId: hanako.baseId, localUserId: 'shop-user-001', result: 'created' });
    expect((await api(tShopIds, 'POST', '/id-conversions', { baseId: hanako.baseId, localUserId: 'shop-user-001' })).body.result).toBe('unchanged');
    const linked = await api(tShopIds, 'POST', '/links', { baseId: hanako.baseId });
    expect(linked.body).toMatchObject({ baseId: hanako.baseId, localUserId: 'shop-user-001', linked: true });

    const byLocal = await api(tShopIds, 'POST', '/base-ids/lookup', { localUserId: 'shop-user-001' });
    expect(byLocal.body).toMatchObject({ baseId: hanako.baseId, linked: true });
    expect((await api(tShopIds, 'POST', '/base-ids/lookup', { baseId: hanako.baseId })).body.localUserId).toBe('shop-user-001');
    // Another RP does not see the shop's rows.
    const foreign = await api(tOther, 'POST', '/base-ids/lookup', { localUserId: 'shop-user-001' });
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe('PL_ID_NOT_FOUND');
    // The shop's user id cannot be tied to a second BaseID; unknown BaseIDs are refused.
    expect((await api(tShopIds, 'POST', '/id-conversions', { baseId: taro.baseId, localUserId: 'shop-user-001' })).body.error.code).toBe('PL_ID_CONVERSION_CONFLICT');
    const unknown = await api(tShopIds, 'POST', '/id-conversions', { baseId: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', localUserId: 'x' });
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'PL_RESIDENT_UNKNOWN']);
  });

  it('lets UAX-Link register users, ID conversions and links (UL-PL), and nobody else', async () => {
    const users = await api(tUax, 'POST', '/uax/users', { users: [{ localUserId: 'uax-1' }, { localUserId: 'uax-2' }] });
    expect(users.status).toBe(200);
    expect(users.body.users.map((u: { created: boolean }) => u.created)).toEqual([true, true]);
    const again = await api(tUax, 'POST', '/uax/users', { users: [{ localUserId: 'uax-1' }] });
    expect(again.body.users[0]).toEqual({ localUserId: 'uax-1', baseId: users.body.users[0].baseId, created: false });
    const conv = await api(tUax, 'POST', '/uax/id-conversions', { entries: [{ baseId: hanako.baseId, localUserId: 'uax-hanako' }] });
    expect(conv.body.entries[0].result).toBe('created');
    const links = await api(tUax, 'POST', '/uax/links', { entries: [{ baseId: hanako.baseId, status: 'linked' }] });
    expect(links.body.entries[0]).toMatchObject({ linked: true, localUserId: 'uax-hanako' });
    // A token asking for pl:uax of an RP the operator did not grant it to.
    const refused = await api(tOther, 'POST', '/uax/users', { users: [{ localUserId: 'x' }] });
    expect([refused.status, refused.body.error.code, refused.body.error.detail]).toEqual([403, 'PL_API_SCOPE_MISSING', { required: 'pl:uax' }]);
  });
});

describe('refusals', () => {
  it('refuses missing, unknown and wrong-scope tokens, malformed and oversized bodies', async () => {
    const none = await api(undefined, 'POST', '/base-ids/lookup', { localUserId: 'x' });
    expect([none.status, none.body.error.code]).toEqual([401, 'PL_API_TOKEN_INVALID']);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    const bogus = await api('A'.repeat(43), 'POST', '/base-ids/lookup', { localUserId: 'x' });
    expect([bogus.status, bogus.body.error.code]).toEqual([401, 'PL_API_TOKEN_INVALID']);
    expect(bogus.headers.get('www-authenticate')).toContain('invalid_token');
    // UAX-Link's RP was granted pl:uax only.
    const scope = await api(tUax, 'POST', '/consent-requests', request(hanako.baseId));
    expect([scope.status, scope.body.error.code, scope.body.error.detail]).toEqual([403, 'PL_API_SCOPE_MISSING', { required: 'pl:consents' }]);
    // The shop is granted pl:consents, but this token was issued for pl:ids only.
    const narrow = await api(tShopIds, 'POST', '/consent-requests', request(hanako.baseId));
    expect([narrow.status, narrow.body.error.code, narrow.body.error.detail]).toEqual([403, 'PL_API_SCOPE_MISSING', { required: 'pl:consents' }]);
    const malformed = await api(tShopConsents, 'POST', '/consent-requests', { ...request(hanako.baseId), dataItems: [] });
    expect([malformed.status, malformed.body.error.code]).toEqual([400, 'KIT_VALIDATION_FAILED']);
    const extra = await api(tShopIds, 'POST', '/id-conversions', { baseId: hanako.baseId, localUserId: 'a', admin: true });
    expect(extra.body.error.code).toBe('KIT_VALIDATION_FAILED');
    const badJson = await api(tShopIds, 'POST', '/id-conversions', undefined, '{"baseId":');
    expect([badJson.status, badJson.body.error.code]).toEqual([400, 'KIT_MALFORMED_BODY']);
    const huge = await api(tShopIds, 'POST', '/id-conversions', undefined, JSON.stringify({ baseId: hanako.baseId, localUserId: 'x'.repeat(70 * 1024) }));
    expect([huge.status, huge.body.error.code]).toEqual([413, 'KIT_BODY_TOO_LARGE']);
    const badId = await api(tShopConsents, 'GET', '/consents/not-an-id');
    expect(badId.body.error.code).toBe('KIT_VALIDATION_FAILED');
  });

  it('publishes the API’s OpenAPI document', async () => {
    const r = await fetch(`${pl.baseUrl}/api/pl/v1/openapi.json`);
    const doc = (await r.json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/pl/v1/base-ids/lookup', '/api/pl/v1/id-conversions', '/api/pl/v1/links', '/api/pl/v1/uax/users', '/api/pl/v1/consent-requests', '/api/pl/v1/consents/{consentId}', '/api/pl/v1/consents/{consentId}/registration']));
  });
});

describe('consents', () => {
  let consentId: string;

  it('refuses a request while the resident has not linked the provider, or with an unregistered return URI', async () => {
    const unlinked = await api(tShopConsents, 'POST', '/consent-requests', request(hanako.baseId));
    expect([unlinked.status, unlinked.body.error.code]).toEqual([409, 'PL_CONSENT_SERVICE_NOT_LINKED']);
    await api(tClinicIds, 'POST', '/id-conversions', { baseId: hanako.baseId, localUserId: 'patient-77' });
    await api(tClinicIds, 'POST', '/links', { baseId: hanako.baseId });
    const badReturn = await api(tShopConsents, 'POST', '/consent-requests', request(hanako.baseId, { returnUri: 'https://evil.example/' }));
    expect([badReturn.status, badReturn.body.error.code]).toEqual([422, 'PL_CONSENT_RETURN_URI_NOT_REGISTERED']);
    const past = await api(tShopConsents, 'POST', '/consent-requests', request(hanako.baseId, { validUntil: '2020-01-01T00:00:00Z' }));
    expect(past.body.error.code).toBe('PL_CONSENT_INVALID');
    const unknownProvider = await api(tShopConsents, 'POST', '/consent-requests', request(hanako.baseId, { provider: 'nobody-here' }));
    expect(unknownProvider.body.error.code).toBe('PL_CONSENT_PROVIDER_UNKNOWN');
  });

  it('creates a request the resident approves on a Japanese page: receipt, events, reflection queued', async () => {
    const created = await api(tShopConsents, 'POST', '/consent-requests', request(hanako.baseId));
    expect(created.status).toBe(201);
    consentId = created.body.consentId;
    expect(created.body).toMatchObject({ status: 'requested', version: 1, approvalUrl: `${pl.baseUrl}/my/consents/${consentId}`, provider: { clientId: 'toyono-clinic', subsystem: 'JP-TEST/COM/2222222222222/healthcare' } });

    // Another resident cannot see or decide it.
    expect((await taro.browser.request(created.body.approvalUrl)).status).toBe(404);
    const taroPage = await taro.browser.follow(`${pl.baseUrl}/my/consents`);
    const foreign = await taro.browser.request(`${pl.baseUrl}/my/consents/${consentId}/approve`, { form: { _csrf: parseForms(taroPage.text).find((f) => f.action === '/my/sign-out')!.fields._csrf! } });
    expect(foreign.status).toBe(404);
    expect(foreign.text).toContain('PL_CONSENT_NOT_FOUND');

    const page = await hanako.browser.follow(created.body.approvalUrl);
    expect(page.status).toBe(200);
    expect(page.text).toContain('情報提供の許諾のお願い');
    expect(page.text).toContain('とよのショッピング が、とよの健診センター にあるあなたの情報を受け取ることへの許諾を求めています。');
    expect(page.text).toContain('子育て支援サービスで成長記録を表示するため');
    const approve = parseForms(page.text).find((f) => f.action.endsWith('/approve'))!;
    expect((await hanako.browser.request(new URL(approve.action, page.url), { form: {} })).status).toBe(403); // no CSRF token
    const done = await hanako.browser.follow(new URL(approve.action, page.url), { form: approve.fields });
    expect(done.text).toContain('許諾しました。');
    expect(done.text).toContain('data-chain="ok"');

    const status = await api(tShopConsents, 'GET', `/consents/${consentId}`);
    expect(status.body).toMatchObject({ status: 'given', version: 2, approvalUrl: null });
    expect(status.body.events.map((e: { type: string }) => e.type)).toEqual(['requested', 'given']);
    // The provider sees it too; a third RP does not.
    expect((await api(tClinicConsents, 'GET', `/consents/${consentId}`)).status).toBe(200);
    expect((await api(tOther, 'GET', `/consents/${consentId}`)).body.error.code).toBe('PL_CONSENT_NOT_FOUND');

    const jwks = createRemoteJWKSet(new URL(`${pl.issuer}/jwks`));
    const { payload, protectedHeader } = await jwtVerify(status.body.receipt, jwks, { issuer: pl.issuer, typ: 'consent-receipt+jwt', audience: 'toyono-shop' });
    expect(protectedHeader.alg).toBe('ES256');
    expect(payload).toMatchObject({
      version: 'KI-CR-v1.1.0',
      jurisdiction: 'JP',
      consentReceiptID: consentId,
      piiPrincipalId: hanako.baseId,
      sub: hanako.baseId,
      sensitive: false,
      collectionMethod: expect.any(String),
      policyUrl: `${pl.baseUrl}/my/consents/${consentId}`,
      consentVersion: 2,
      piiControllers: [expect.objectContaining({ piiController: 'とよのショッピング' }), expect.objectContaining({ piiController: 'とよの健診センター' })],
      services: [{ service: 'JP-TEST/COM/2222222222222/healthcare/checkups', purposes: [expect.objectContaining({ purposeCategory: ['childcare-support'], piiCategory: ['height', 'weight', 'checked_on'], consentType: 'EXPLICIT', termination: expect.stringContaining('withdrawal') })] }],
    });
    expect(typeof payload.consentTimestamp).toBe('number');

    const outbox = await sql<{ version: number; payload: { status: string; client: string } }>`select version, payload from reflection_outbox where consent_id = ${consentId} order by version`.execute(pl.database.db);
    expect(outbox.rows.map((r) => [r.version, r.payload.status, r.payload.client])).toEqual([[2, 'active', 'JP-TEST/COM/1111111111111/shopping']]);
    expect((await verifyConsentChain(pl.database.db, consentId)).ok).toBe(true);
  });

  it('records the provider’s registration (許諾情報登録) once per version', async () => {
    expect((await api(tClinicConsents, 'POST', `/consents/${consentId}/registration`, { version: 2 })).body.result).toBe('registered');
    expect((await api(tClinicConsents, 'POST', `/consents/${consentId}/registration`, { version: 2 })).body.result).toBe('already-registered');
    expect((await api(tClinicConsents, 'POST', `/consents/${consentId}/registration`, { version: 9 })).body.error.code).toBe('PL_CONSENT_VERSION_UNKNOWN');
    expect((await api(tShopConsents, 'POST', `/consents/${consentId}/registration`, { version: 2 })).body.error.code).toBe('PL_CONSENT_NOT_FOUND');
  });

  it('withdraws on the resident’s request (reflected as withdrawn, version +1) and declines', async () => {
    const page = await hanako.browser.follow(`${pl.baseUrl}/my/consents/${consentId}`);
    const withdraw = parseForms(page.text).find((f) => f.action.endsWith('/withdraw'))!;
    const done = await hanako.browser.follow(new URL(withdraw.action, page.url), { form: withdraw.fields });
    // No reflection worker here: recorded, and being delivered to the provider (resident-withdrawal.test.ts has the rest).
    expect(done.text).toContain('許諾の取り消しを記録しました。');
    const status = await api(tShopConsents, 'GET', `/consents/${consentId}`);
    expect(status.body).toMatchObject({ status: 'withdrawn', version: 3 });
    expect(status.body.events.map((e: { type: string }) => e.type)).toEqual(['requested', 'given', 'registered', 'withdrawn']);
    const outbox = await sql<{ version: number; payload: { status: string } }>`select version, payload from reflection_outbox where consent_id = ${consentId} order by version`.execute(pl.database.db);
    expect(outbox.rows.map((r) => [r.version, r.payload.status])).toEqual([[2, 'active'], [3, 'withdrawn']]);
    // Withdrawing twice is refused.
    const again = await hanako.browser.request(new URL(withdraw.action, page.url), { form: withdraw.fields });
    expect(again.status).toBe(409);

    const second = await api(tShopConsents, 'POST', '/consent-requests', request(hanako.baseId));
    const p2 = await hanako.browser.follow(second.body.approvalUrl);
    const decline = parseForms(p2.text).find((f) => f.action.endsWith('/decline'))!;
    expect((await hanako.browser.follow(new URL(decline.action, p2.url), { form: decline.fields })).text).toContain('許諾しませんでした。');
    const s2 = await api(tShopConsents, 'GET', `/consents/${second.body.consentId}`);
    expect(s2.body).toMatchObject({ status: 'declined', version: 2, receipt: null });
    const audit = (await pl.admin('GET', '/api/v1/audit-events?limit=200')).body.map((e: { action: string }) => e.action);
    expect(audit).toEqual(expect.arrayContaining(['consent.requested', 'consent.given', 'consent.withdrawn', 'consent.declined', 'consent.registered']));
  });

  it('keeps events append-only and names the first broken link after tampering', async () => {
    const db = pl.database.db;
    await expect(sql`update consent_events set actor = 'someone' where consent_id = ${consentId} and seq = 2`.execute(db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from consent_events where consent_id = ${consentId}`.execute(db)).rejects.toThrow(/append-only/);
    await sql`alter table consent_events disable trigger consent_events_no_update_or_delete`.execute(db);
    await sql`update consent_events set details = jsonb_set(details, '{version}', '7') where consent_id = ${consentId} and seq = 2`.execute(db);
    await sql`alter table consent_events enable trigger consent_events_no_update_or_delete`.execute(db);
    expect(await verifyConsentChain(db, consentId)).toEqual({ ok: false, events: 4, brokenAt: 2, reason: 'hash-mismatch' });
    const page = await hanako.browser.follow(`${pl.baseUrl}/my/consents/${consentId}`);
    expect(page.text).toContain('data-chain="broken"');
    expect(page.text).toContain('記録の 2 件目以降が改ざんされています');
  });

  it('lists consents, linked services and provision history for the resident; unlinking withdraws', async () => {
    const list = await hanako.browser.follow(`${pl.baseUrl}/my/consents`);
    expect(list.text).toContain('回答を待っている依頼');
    expect(list.text).toContain('取り消し済み');
    const provision = await hanako.browser.follow(`${pl.baseUrl}/my/provision`);
    // The clinic has not described its items: their ids, in monospace.
    expect(provision.text).toContain('<code>height</code>、<code>weight</code>、<code>checked_on</code>');
    const services = await hanako.browser.follow(`${pl.baseUrl}/my/services`);
    expect(services.text).toContain('とよの健診センター');

    const third = await api(tShopConsents, 'POST', '/consent-requests', request(hanako.baseId));
    const p3 = await hanako.browser.follow(third.body.approvalUrl);
    const approve = parseForms(p3.text).find((f) => f.action.endsWith('/approve'))!;
    await hanako.browser.follow(new URL(approve.action, p3.url), { form: approve.fields });
    const unlink = parseForms(services.text).find((f) => f.action === `/my/services/${clinic.clientId}/unlink`)!;
    const after = await hanako.browser.follow(new URL(unlink.action, services.url), { form: unlink.fields });
    expect(after.text).toContain('連携を解除しました。');
    expect((await api(tShopConsents, 'GET', `/consents/${third.body.consentId}`)).body.status).toBe('withdrawn');
    expect((await api(tShopConsents, 'POST', '/consent-requests', request(hanako.baseId))).body.error.code).toBe('PL_CONSENT_SERVICE_NOT_LINKED');
  });

  it('rate-limits per client', async () => {
    const limiter = new WindowLimiter(2, 60_000, () => 1000);
    expect([limiter.hit('a'), limiter.hit('a'), limiter.hit('b')]).toEqual([0, 0, 0]);
    expect(limiter.hit('a')).toBe(60);
    let limited: Awaited<ReturnType<typeof api>> | undefined;
    for (let batch = 0; batch < 13 && !limited; batch++) {
      const answers = await Promise.all(Array.from({ length: 50 }, () => api(tOther, 'POST', '/base-ids/lookup', { localUserId: 'none' })));
      limited = answers.find((a) => a.status === 429);
    }
    expect(limited?.body.error.code).toBe('PL_API_RATE_LIMITED');
    expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('expires a given consent after validUntil (reflected) and an unanswered request', async () => {
    await api(tClinicIds, 'POST', '/links', { baseId: hanako.baseId });
    const soon = await api(tShopConsents, 'POST', '/consent-requests', request(hanako.baseId, { validUntil: new Date(Date.now() + 3600_000).toISOString() }));
    const page = await hanako.browser.follow(soon.body.approvalUrl);
    const approve = parseForms(page.text).find((f) => f.action.endsWith('/approve'))!;
    await hanako.browser.follow(new URL(approve.action, page.url), { form: approve.fields });
    const waiting = await api(tShopConsents, 'POST', '/consent-requests', request(hanako.baseId));
    offsetMs = 8 * 86400_000;
    expect(await pl.pl.expireConsents()).toBeGreaterThanOrEqual(2);
    const given = await pl.pl.consents.detailForResident(hanako.baseId, soon.body.consentId);
    expect([given.row.status, given.row.version, given.events.map((e) => e.type), given.chain.ok]).toEqual(['expired', 3, ['requested', 'given', 'expired'], true]);
    const unanswered = await pl.pl.consents.detailForResident(hanako.baseId, waiting.body.consentId);
    expect([unanswered.row.status, unanswered.events.at(-1)!.details]).toEqual(['expired', { was: 'requested', version: 2 }]);
    const outbox = await sql<{ version: number; payload: { status: string } }>`select version, payload from reflection_outbox where consent_id = ${soon.body.consentId} order by version`.execute(pl.database.db);
    expect(outbox.rows.map((r) => [r.version, r.payload.status])).toEqual([[2, 'active'], [3, 'withdrawn']]);
  });
});
