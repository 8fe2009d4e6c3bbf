// The RP API arriving through JP-Link (docs/protocols/personal-link-api.md "Through the Security
// Server"): a Center, RP A's Security Server (the consumer member) and Personal-Link's own. The
// operator publishes the API's Security Server listener as the service `rp-api` on Personal-Link's
// Security Server from the listener's OpenAPI document, granted to RP A's subsystem. RP A's app
// calls BaseID照会, ID完了通知, ID連携完了通知 and consent requests by PR-REST through its own
// Security Server, with no token, and gets the same answers as with a token on the public listener.
// Refusals: no access right (the Security Server's access_denied), an unregistered subsystem, an RP
// without the operator's grant, two RPs on one subsystem, a missing or forged X-Road-Client, the
// public listener ignoring X-Road headers, malformed and oversized input.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@jplink/kit';
import { freePort, http } from '@jplink/testing';
import { CONSUMER_SUBSYSTEM, PROVIDER_SUBSYSTEM, adminClient, type TestNetwork } from '@jplink/security-server/testing';
import { PL_SUBSYSTEM, servicesOf, startPlNetwork, type PlNetwork } from './pl-network.ts';
import { startTestPersonalLink, type RunningPersonalLink } from '../src/testing.ts';
import { residentSignIn, rpApiToken } from './helpers.ts';

const SERVICE = 'rp-api';
const RETURN = 'https://shop.example.jp/consents/done';
const CLINIC_SUBSYSTEM = 'JP-TEST/COM/3333333333333/clinic';

let network: PlNetwork;
let net: TestNetwork;
let pl: RunningPersonalLink;
let shop: { clientId: string; clientSecret: string };
let clinic: { clientId: string; clientSecret: string };
let shopToken: string;
let clinicToken: string;
let hanako: string;
const logLines: string[] = [];


type Answer = { status: number; body: any };
const parse = (r: { status: number; body: Buffer }): Answer => {
  const text = r.body.toString();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {}
  return { status: r.status, body };
};

/** RP A's app: PR-REST through RP A's own Security Server as `client` (RP A's subsystem by default). */
const viaSs = async (method: string, path: string, json?: unknown, opts: { client?: string; from?: string; raw?: Buffer; headers?: Record<string, string> } = {}) =>
  parse(
    await http(`${opts.from ?? net.consumer.informationSystemUrl}/r1/${PL_SUBSYSTEM}/${SERVICE}${path}`, {
      method,
      headers: { 'x-road-client': opts.client ?? CONSUMER_SUBSYSTEM, ...(opts.raw ? { 'content-type': 'application/json' } : {}), ...opts.headers },
      ...(json !== undefined ? { json } : {}),
      ...(opts.raw ? { body: opts.raw } : {}),
    }),
  );
/** The public listener with a token (or none), as before. */
const withToken = async (tok: string | undefined, method: string, path: string, json?: unknown, headers: Record<string, string> = {}) =>
  parse(await http(`${pl.baseUrl}/api/pl/v1${path}`, { method, headers: { ...(tok ? { authorization: `Bearer ${tok}` } : {}), ...headers }, ...(json !== undefined ? { json } : {}) }));
/** Straight to the Security Server listener (what only Personal-Link's Security Server should reach). */
const direct = async (method: string, path: string, json: unknown, headers: Record<string, string>) => parse(await http(`${pl.ssApiUrl}/api/pl/v1${path}`, { method, headers, json }));

const failures = async () => (await pl.admin('GET', '/api/v1/audit-events?action=api.authentication-failed')).body as Array<{ actor: string; details: Record<string, unknown> }>;

beforeAll(async () => {
  network = await startPlNetwork();
  net = network.net;
  const destination = new Writable({
    write(chunk, _enc, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  pl = await startTestPersonalLink({ PL_SS_URL: network.plSs.informationSystemUrl, PL_SUBSYSTEM, PL_SS_API_PORT: String(await freePort()) }, { logger: createLogger({ name: 'personal-link', level: 'info', destination }) });
  expect(pl.ssApiUrl).toBeDefined();

  // The operator publishes the API on Personal-Link's Security Server from the listener's OpenAPI document.
  const document = parse(await http(`${pl.ssApiUrl}/api/pl/v1/openapi.json`)).body;
  const ssPl = await adminClient(network.plSs);
  const saved = await ssPl('POST', servicesOf(PL_SUBSYSTEM), { serviceCode: SERVICE, url: `${pl.ssApiUrl}/api/pl/v1`, timeoutSeconds: 30, openapi: document });
  expect(saved.status, saved.body.toString()).toBe(200);
  const endpoints = saved.json().endpoints as Array<{ method: string; path: string }>;
  expect(endpoints).toHaveLength(11);
  expect(endpoints).toEqual(expect.arrayContaining([{ method: 'POST', path: '/base-ids/lookup' }, { method: 'GET', path: '/consents/*' }, { method: 'POST', path: '/consent-requests' }, { method: 'PUT', path: '/data-items/*' }, { method: 'GET', path: '/data-items/*' }]));
  expect((await ssPl('POST', `${servicesOf(PL_SUBSYSTEM)}/${SERVICE}/access-rights/grant`, { subject: { kind: 'subsystem', id: CONSUMER_SUBSYSTEM } })).status).toBe(200);

  // RP A (the shop) is registered with its subsystem; the clinic (RP B, the data provider) uses tokens only.
  const cc = { grantTypes: ['client_credentials' as const] };
  shop = await pl.registerRp({ clientId: 'toyono-shop', memberSubsystem: CONSUMER_SUBSYSTEM, displayName: { ja: 'とよのショッピング', en: 'Toyono Shopping' }, ...cc });
  clinic = await pl.registerRp({ clientId: 'toyono-clinic', memberSubsystem: CLINIC_SUBSYSTEM, displayName: { ja: 'とよの健診センター', en: 'Toyono Checkups' }, ...cc });
  expect((await pl.admin('PUT', `/api/v1/clients/${shop.clientId}/api-access`, { scopes: ['pl:ids', 'pl:consents'], consentReturnUris: [RETURN] })).status).toBe(200);
  expect((await pl.admin('PUT', `/api/v1/clients/${clinic.clientId}/api-access`, { scopes: ['pl:ids', 'pl:consents'], consentReturnUris: [] })).status).toBe(200);
  [shopToken, clinicToken] = await Promise.all([rpApiToken(pl.issuer, shop), rpApiToken(pl.issuer, clinic)]);
  hanako = (await residentSignIn(pl.baseUrl, 'hanako')).baseId;
}, 240_000);

afterAll(async () => {
  await pl?.stop();
  await network?.stop();
});

describe('RP A calls the RP API as its subsystem through its Security Server and Personal-Link’s', () => {
  it('ID完了通知, ID連携完了通知 and BaseID照会 answer as with a token, for the RP of that subsystem only', async () => {
    const done = await viaSs('POST', '/id-conversions', { baseId: hanako, localUserId: 'shop-user-001' });
    expect(done).toEqual({ status: 200, body: { baseId: hanako, localUserId: 'shop-user-001', result: 'created' } });
    // The same row as the shop's token sees it: re-sent with the token it is unchanged.
    expect((await withToken(shopToken, 'POST', '/id-conversions', { baseId: hanako, localUserId: 'shop-user-001' })).body.result).toBe('unchanged');
    const linked = await viaSs('POST', '/links', { baseId: hanako });
    expect(linked.status).toBe(200);
    expect(linked.body).toMatchObject({ baseId: hanako, localUserId: 'shop-user-001', linked: true });

    const lookedUp = await viaSs('POST', '/base-ids/lookup', { localUserId: 'shop-user-001' });
    expect(lookedUp.status).toBe(200);
    expect(lookedUp).toEqual(await withToken(shopToken, 'POST', '/base-ids/lookup', { localUserId: 'shop-user-001' }));
    expect((await viaSs('POST', '/base-ids/lookup', { baseId: hanako })).body.localUserId).toBe('shop-user-001');

    // Isolation: the clinic's rows are not the shop's, whichever way the shop arrives.
    expect((await withToken(clinicToken, 'POST', '/id-conversions', { baseId: hanako, localUserId: 'clinic-777' })).status).toBe(200);
    expect((await withToken(clinicToken, 'POST', '/links', { baseId: hanako })).status).toBe(200);
    const foreign = await viaSs('POST', '/base-ids/lookup', { localUserId: 'clinic-777' });
    expect([foreign.status, foreign.body.error.code]).toEqual([404, 'PL_ID_NOT_FOUND']);
    const foreignByToken = await withToken(shopToken, 'POST', '/base-ids/lookup', { localUserId: 'clinic-777' });
    expect([foreignByToken.status, foreignByToken.body.error.code]).toEqual([404, 'PL_ID_NOT_FOUND']);

    // Both Security Servers logged the exchange with RP A's subsystem as the client.
    for (const [ss, side] of [[net.consumer, 'client'], [network.plSs, 'server']] as const) {
      const logged = await ss.ss.database.db.selectFrom('log_records').select(['side', 'client', 'service']).where('service', '=', `${PL_SUBSYSTEM}/${SERVICE}`).execute();
      expect(logged.length).toBeGreaterThanOrEqual(4);
      expect(new Set(logged.map((r) => `${r.side} ${r.client}`))).toEqual(new Set([`${side} ${CONSUMER_SUBSYSTEM}`]));
    }
  });

  it('a consent request through the Security Server is the shop’s, with the same status view the clinic (provider) sees by token', async () => {
    const request = {
      baseId: hanako,
      provider: clinic.clientId,
      subsystemCode: 'checkups',
      dataItems: ['height', 'weight'],
      purpose: { code: 'childcare-support', description: { ja: '子育て支援のため', en: 'For childcare support' } },
      validUntil: new Date(Date.now() + 30 * 86400_000).toISOString(),
      returnUri: RETURN,
    };
    const created = await viaSs('POST', '/consent-requests', request);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ status: 'requested', version: 1, consumer: expect.objectContaining({ clientId: shop.clientId }), approvalUrl: `${pl.baseUrl}/my/consents/${created.body.consentId}` });
    const viaSecurityServer = await viaSs('GET', `/consents/${created.body.consentId}`);
    expect(viaSecurityServer.status).toBe(200);
    expect(viaSecurityServer).toEqual(await withToken(shopToken, 'GET', `/consents/${created.body.consentId}`));
    expect((await withToken(clinicToken, 'GET', `/consents/${created.body.consentId}`)).body).toEqual(viaSecurityServer.body);
    // A return URI the operator did not register for the shop: the same error code as with a token.
    const wrongReturn = await viaSs('POST', '/consent-requests', { ...request, returnUri: 'https://elsewhere.example.jp/' });
    expect([wrongReturn.status, wrongReturn.body.error.code]).toEqual([422, 'PL_CONSENT_RETURN_URI_NOT_REGISTERED']);
    // Personal-Link's request log names the caller's subsystem and RP; never the BaseID or the body.
    const calls = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.subsystem !== undefined);
    expect(calls.length).toBeGreaterThanOrEqual(8);
    expect(calls).toEqual(expect.arrayContaining([expect.objectContaining({ subsystem: CONSUMER_SUBSYSTEM, clientId: shop.clientId, xRoadId: expect.any(String), msg: 'request completed' })]));
    expect(calls).toEqual(expect.arrayContaining([expect.objectContaining({ subsystem: CONSUMER_SUBSYSTEM, clientId: shop.clientId, res: { statusCode: 201 } })]));
    expect(logLines.join('\n')).not.toContain(hanako);
  });

  it('rejects malformed and oversized input through the Security Server with the documented codes', async () => {
    const invalid = await viaSs('POST', '/base-ids/lookup', { localUserId: 'x', extra: 1 });
    expect([invalid.status, invalid.body.error.code]).toEqual([400, 'KIT_VALIDATION_FAILED']);
    const badJson = await viaSs('POST', '/id-conversions', undefined, { raw: Buffer.from('{"baseId":') });
    expect([badJson.status, badJson.body.error.code]).toEqual([400, 'KIT_MALFORMED_BODY']);
    const big = await viaSs('POST', '/id-conversions', undefined, { raw: Buffer.from(JSON.stringify({ baseId: hanako, localUserId: 'x'.repeat(70 * 1024) })) });
    expect([big.status, big.body.error.code]).toEqual([413, 'KIT_BODY_TOO_LARGE']);
    const badId = await viaSs('GET', '/consents/not%20an%20id');
    expect([badId.status, badId.body.error.code]).toEqual([400, 'KIT_VALIDATION_FAILED']);
  });
});

describe('refusals', () => {
  it('a subsystem without the access right is refused by Personal-Link’s Security Server; Personal-Link never sees it', async () => {
    const before = (await failures()).length;
    const refused = await viaSs('POST', '/base-ids/lookup', { localUserId: 'shop-user-001' }, { client: PROVIDER_SUBSYSTEM, from: net.provider.informationSystemUrl });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.body.type).toBe('server.serverproxy.access_denied');
    expect((await failures()).length).toBe(before);
  });

  it('with the access right but no RP registered with the subsystem: PL_API_SUBSYSTEM_UNKNOWN, audited with the subsystem', async () => {
    const ssPl = await adminClient(network.plSs);
    expect((await ssPl('POST', `${servicesOf(PL_SUBSYSTEM)}/${SERVICE}/access-rights/grant`, { subject: { kind: 'subsystem', id: PROVIDER_SUBSYSTEM } })).status).toBe(200);
    const unknown = await viaSs('POST', '/base-ids/lookup', { localUserId: 'shop-user-001' }, { client: PROVIDER_SUBSYSTEM, from: net.provider.informationSystemUrl });
    expect([unknown.status, unknown.body.error.code]).toEqual([403, 'PL_API_SUBSYSTEM_UNKNOWN']);
    expect((await failures()).at(-1)).toMatchObject({ actor: PROVIDER_SUBSYSTEM, details: { reason: 'unknown-subsystem', via: 'security-server', subsystem: PROVIDER_SUBSYSTEM } });
  });

  it('an RP the operator granted no API scope is refused with PL_API_SCOPE_MISSING; two RPs on one subsystem with PL_API_SUBSYSTEM_AMBIGUOUS', async () => {
    const health = await pl.registerRp({ clientId: 'healthcare', memberSubsystem: PROVIDER_SUBSYSTEM, displayName: { ja: 'ヘルスケア', en: 'Healthcare' }, grantTypes: ['client_credentials'] });
    const noGrant = await viaSs('POST', '/base-ids/lookup', { localUserId: 'shop-user-001' }, { client: PROVIDER_SUBSYSTEM, from: net.provider.informationSystemUrl });
    expect([noGrant.status, noGrant.body.error.code, noGrant.body.error.detail]).toEqual([403, 'PL_API_SCOPE_MISSING', { required: 'pl:ids' }]);
    // Granted pl:consents only: pl:ids routes stay closed, pl:consents routes open (a 404 of its own view).
    expect((await pl.admin('PUT', `/api/v1/clients/${health.clientId}/api-access`, { scopes: ['pl:consents'], consentReturnUris: [] })).status).toBe(200);
    expect((await viaSs('POST', '/links', { baseId: hanako }, { client: PROVIDER_SUBSYSTEM, from: net.provider.informationSystemUrl })).body.error.code).toBe('PL_API_SCOPE_MISSING');
    const consent = await viaSs('GET', '/consents/pc_unknown000000000000001', undefined, { client: PROVIDER_SUBSYSTEM, from: net.provider.informationSystemUrl });
    expect([consent.status, consent.body.error.code]).toEqual([404, 'PL_CONSENT_NOT_FOUND']);

    await pl.registerRp({ clientId: 'healthcare-2', memberSubsystem: PROVIDER_SUBSYSTEM, displayName: { ja: 'ヘルスケア2', en: 'Healthcare 2' }, grantTypes: ['client_credentials'] });
    const ambiguous = await viaSs('GET', '/consents/pc_unknown000000000000001', undefined, { client: PROVIDER_SUBSYSTEM, from: net.provider.informationSystemUrl });
    expect([ambiguous.status, ambiguous.body.error.code]).toEqual([403, 'PL_API_SUBSYSTEM_AMBIGUOUS']);
  });

  it('the Security Server listener needs a well-formed X-Road-Client and ignores Authorization', async () => {
    const missing = await direct('POST', '/base-ids/lookup', { localUserId: 'shop-user-001' }, {});
    expect([missing.status, missing.body.error.code]).toEqual([400, 'PL_API_SUBSYSTEM_MISSING']);
    const malformed = await direct('POST', '/base-ids/lookup', { localUserId: 'shop-user-001' }, { 'x-road-client': 'not a subsystem' });
    expect([malformed.status, malformed.body.error.code]).toEqual([400, 'PL_API_SUBSYSTEM_MISSING']);
    // The clinic's token does not make the caller the clinic there: the subsystem decides (the shop).
    const asShop = await direct('POST', '/base-ids/lookup', { localUserId: 'shop-user-001' }, { 'x-road-client': CONSUMER_SUBSYSTEM, authorization: `Bearer ${clinicToken}` });
    expect(asShop.body).toMatchObject({ baseId: hanako, localUserId: 'shop-user-001' });
  });

  it('the public listener ignores X-Road headers: no token, no answer; a token’s RP stays its RP', async () => {
    const noToken = await withToken(undefined, 'POST', '/base-ids/lookup', { localUserId: 'shop-user-001' }, { 'x-road-client': CONSUMER_SUBSYSTEM, 'x-road-id': 'forged-1' });
    expect([noToken.status, noToken.body.error.code]).toEqual([401, 'PL_API_TOKEN_INVALID']);
    const clinicAsShop = await withToken(clinicToken, 'POST', '/base-ids/lookup', { localUserId: 'shop-user-001' }, { 'x-road-client': CONSUMER_SUBSYSTEM });
    expect([clinicAsShop.status, clinicAsShop.body.error.code]).toEqual([404, 'PL_ID_NOT_FOUND']);
    // And the Security Server listener's routes are not on the public listener's port under another name.
    expect((await withToken(undefined, 'GET', '/openapi.json')).body.paths['/api/pl/v1/base-ids/lookup']).toBeDefined();
  });
});

describe('HTTPS on the Security Server listener', () => {
  it('serves the API over TLS (PL_SS_API_TLS_*) to the Security Server; an unverifiable certificate is refused by it', async () => {
    // A self-signed certificate made by OpenSSL, as an operator would bring its own.
    const dir = await mkdtemp(join(tmpdir(), 'jplink-pl-ss-tls-'));
    const [cert, key] = [join(dir, 'tls.crt'), join(dir, 'tls.key')];
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const tlsPl = await startTestPersonalLink({ PL_SS_API_PORT: String(await freePort()), PL_SS_API_TLS_CERT_FILE: cert, PL_SS_API_TLS_KEY_FILE: key });
    try {
      expect(tlsPl.ssApiUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const rp = await tlsPl.registerRp({ clientId: 'toyono-shop', memberSubsystem: CONSUMER_SUBSYSTEM, displayName: { ja: 'とよのショッピング', en: 'Toyono Shopping' }, grantTypes: ['client_credentials'] });
      expect((await tlsPl.admin('PUT', `/api/v1/clients/${rp.clientId}/api-access`, { scopes: ['pl:ids'], consentReturnUris: [] })).status).toBe(200);
      const ssPl = await adminClient(network.plSs);
      for (const [code, tlsVerify] of [['rp-api-tls', false], ['rp-api-tls-verified', true]] as const) {
        expect((await ssPl('POST', servicesOf(PL_SUBSYSTEM), { serviceCode: code, url: `${tlsPl.ssApiUrl}/api/pl/v1`, tlsVerify, endpoints: [{ method: 'POST', path: '/base-ids/lookup' }] })).status).toBe(200);
        expect((await ssPl('POST', `${servicesOf(PL_SUBSYSTEM)}/${code}/access-rights/grant`, { subject: { kind: 'subsystem', id: CONSUMER_SUBSYSTEM } })).status).toBe(200);
      }
      const call = async (code: string) => parse(await http(`${net.consumer.informationSystemUrl}/r1/${PL_SUBSYSTEM}/${code}/base-ids/lookup`, { headers: { 'x-road-client': CONSUMER_SUBSYSTEM }, json: { localUserId: 'nobody' } }));
      // Reached over TLS and answered as the shop of that Personal-Link (its own, empty, rows).
      const answered = await call('rp-api-tls');
      expect([answered.status, answered.body.error?.code]).toEqual([404, 'PL_ID_NOT_FOUND']);
      // The Security Server verifying the backend does not trust a self-signed certificate.
      const refused = await call('rp-api-tls-verified');
      expect(refused.status).toBeGreaterThanOrEqual(500);
      expect(refused.body.type).toMatch(/^server\.serverproxy\./);
      // Plain HTTP to the TLS listener gets nothing of the API.
      const plain = await http(tlsPl.ssApiUrl!.replace('https:', 'http:') + '/api/pl/v1/base-ids/lookup', { headers: { 'x-road-client': CONSUMER_SUBSYSTEM }, json: { localUserId: 'nobody' } }).catch((e: Error) => ({ status: 0, body: Buffer.from(e.message) }));
      expect(plain.status === 0 || plain.status >= 400).toBe(true);
      expect(plain.body.toString()).not.toContain('PL_ID_NOT_FOUND');
    } finally {
      await tlsPl.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
