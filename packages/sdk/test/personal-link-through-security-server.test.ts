// The SDK's Personal-Link client without a token, through the Security Servers: a Center, the
// shop's Security Server (the consumer member) and a second one standing in for Personal-Link's,
// where the RP API listener (PL_SS_API_PORT) is published as the service `rp-api` from its OpenAPI
// document. The shop's calls answer as the shop's token client's do; the Security Server's refusal
// and Personal-Link's own are PersonalLinkErrors with their codes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, freePort } from '@jplink/testing';
import { CONSUMER_SUBSYSTEM, PROVIDER_SUBSYSTEM, adminClient, startTestNetwork, type TestNetwork } from '@jplink/security-server/testing';
import { HttpBrowser, signInResident, startTestPersonalLink, type RunningPersonalLink } from '@jplink/personal-link/testing';
import { PersonalLinkError, createPersonalLinkClient, type PersonalLinkClient } from '../src/index.ts';

const RETURN = 'https://shop.example.jp/consents/done';
const services = `/api/v1/clients/${PROVIDER_SUBSYSTEM.replaceAll('/', ':')}/services`;

let net: TestNetwork;
let pl: RunningPersonalLink;
let viaSs: PersonalLinkClient;
let withToken: PersonalLinkClient;
let clinic: PersonalLinkClient;
let baseId: string;
const through = (service: string) => createPersonalLinkClient({ securityServer: { url: net.consumer.informationSystemUrl, client: CONSUMER_SUBSYSTEM, service: `${PROVIDER_SUBSYSTEM}/${service}` } });

beforeAll(async () => {
  net = await startTestNetwork();
  pl = await startTestPersonalLink({ PL_SS_API_PORT: String(await freePort()) });
  const document = (await http(`${pl.ssApiUrl}/api/pl/v1/openapi.json`)).json();
  const ss = await adminClient(net.provider);
  for (const code of ['rp-api', 'rp-api-closed']) {
    expect((await ss('POST', services, { serviceCode: code, url: `${pl.ssApiUrl}/api/pl/v1`, openapi: document })).status).toBe(200);
  }
  expect((await ss('POST', `${services}/rp-api/access-rights/grant`, { subject: { kind: 'subsystem', id: CONSUMER_SUBSYSTEM } })).status).toBe(200);

  const cc = { grantTypes: ['client_credentials' as const] };
  const shopRp = await pl.registerRp({ clientId: 'toyono-shop', memberSubsystem: CONSUMER_SUBSYSTEM, displayName: { ja: 'とよのショッピング', en: 'Toyono Shopping' }, ...cc });
  const clinicRp = await pl.registerRp({ clientId: 'toyono-clinic', memberSubsystem: 'JP-TEST/COM/3333333333333/clinic', displayName: { ja: 'とよの健診センター', en: 'Toyono Checkups' }, ...cc });
  expect((await pl.admin('PUT', '/api/v1/clients/toyono-shop/api-access', { scopes: ['pl:ids', 'pl:consents'], consentReturnUris: [RETURN] })).status).toBe(200);
  expect((await pl.admin('PUT', '/api/v1/clients/toyono-clinic/api-access', { scopes: ['pl:ids', 'pl:consents'] })).status).toBe(200);
  viaSs = through('rp-api');
  withToken = createPersonalLinkClient({ issuer: pl.issuer, ...shopRp });
  clinic = createPersonalLinkClient({ issuer: pl.issuer, ...clinicRp });
  ({ baseId } = await signInResident(new HttpBrowser(), pl.baseUrl));
}, 180_000);
afterAll(async () => {
  for (const c of [viaSs, withToken, clinic]) c?.close();
  await pl?.stop();
  await net?.stop();
});

describe('createPersonalLinkClient({ securityServer })', () => {
  it('ID完了通知, ID連携完了通知, BaseID照会 and a consent request answer as with the token', async () => {
    expect(await viaSs.notifyIdConversion({ baseId, localUserId: 'S-000001' })).toEqual({ baseId, localUserId: 'S-000001', result: 'created' });
    expect(await withToken.notifyIdConversion({ baseId, localUserId: 'S-000001' })).toEqual({ baseId, localUserId: 'S-000001', result: 'unchanged' });
    expect(await viaSs.notifyLinked({ baseId })).toMatchObject({ baseId, localUserId: 'S-000001', linked: true });
    expect(await viaSs.lookupBaseId({ localUserId: 'S-000001' })).toEqual(await withToken.lookupBaseId({ localUserId: 'S-000001' }));

    await clinic.notifyIdConversion({ baseId, localUserId: 'H-000001' });
    await clinic.notifyLinked({ baseId });
    const requested = await viaSs.requestConsent({
      baseId,
      provider: 'toyono-clinic',
      subsystemCode: 'checkups',
      dataItems: ['height'],
      purpose: { code: 'childcare-support', description: { ja: '子育て支援のため', en: 'For childcare support' } },
      validUntil: new Date(Date.now() + 30 * 86400_000).toISOString(),
      returnUri: RETURN,
    });
    expect(requested).toMatchObject({ status: 'requested', version: 1 });
    expect(await viaSs.getConsent(requested.consentId)).toEqual(await withToken.getConsent(requested.consentId));
  });

  it('refusals are PersonalLinkErrors: the Security Server’s access_denied, Personal-Link’s codes', async () => {
    const closed = through('rp-api-closed');
    try {
      const denied = await closed.lookupBaseId({ localUserId: 'S-000001' }).catch((e: unknown) => e);
      expect(denied).toBeInstanceOf(PersonalLinkError);
      expect((denied as PersonalLinkError).code).toBe('server.serverproxy.access_denied');
    } finally {
      closed.close();
    }
    const notFound = await viaSs.lookupBaseId({ localUserId: 'nobody' }).catch((e: unknown) => e);
    expect([(notFound as PersonalLinkError).status, (notFound as PersonalLinkError).code]).toEqual([404, 'PL_ID_NOT_FOUND']);
    // The operator takes pl:ids away: refused at once (no token to wait out).
    expect((await pl.admin('PUT', '/api/v1/clients/toyono-shop/api-access', { scopes: ['pl:consents'], consentReturnUris: [RETURN] })).status).toBe(200);
    const scope = await viaSs.lookupBaseId({ localUserId: 'S-000001' }).catch((e: unknown) => e);
    expect([(scope as PersonalLinkError).status, (scope as PersonalLinkError).code]).toEqual([403, 'PL_API_SCOPE_MISSING']);
  });
});
