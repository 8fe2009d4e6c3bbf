// The SDK's consent notification verifier against a real Personal-Link: RP A's endpoint on loopback
// verifies each pushed Security Event Token with createConsentNotificationVerifier (JWKS from the
// issuer) and answers 202, or 400 when it does not verify. Refused: another RP's audience, a token
// altered after signing, a consent receipt (another typ), garbage.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveHttp, type TestHttpServer } from '@jplink/testing';
import { parseForms, residentSignIn, startTestPersonalLink, type RunningPersonalLink } from '@jplink/personal-link/testing';
import { createConsentNotificationVerifier, InvalidConsentNotificationError, type ConsentNotification } from '../src/index.ts';

const RETURN = 'https://shop.example.jp/consents/done';
let pl: RunningPersonalLink;
let server: TestHttpServer;
let endpoint: string;
const received: Array<{ token: string; verified?: ConsentNotification; error?: string }> = [];

beforeAll(async () => {
  pl = await startTestPersonalLink();
  const verify = createConsentNotificationVerifier({ issuer: pl.issuer, clientId: 'toyono-shop' });
  server = await serveHttp((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const token = Buffer.concat(chunks).toString('utf8');
      try {
        received.push({ token, verified: await verify(token) });
        res.writeHead(202).end();
      } catch (error) {
        received.push({ token, error: (error as Error).message });
        res.writeHead(400).end();
      }
    });
  });
  endpoint = `${server.url}/pl-events`;
}, 60_000);
afterAll(async () => {
  await server?.close();
  await pl?.stop();
});

describe('createConsentNotificationVerifier', () => {
  it('verifies a pushed notification and returns the event; refuses another audience, an altered token, a receipt and garbage', async () => {
    const cc = { grantTypes: ['client_credentials' as const] };
    const shop = await pl.registerRp({ clientId: 'toyono-shop', memberSubsystem: 'JP-TEST/COM/1111111111111/shopping', displayName: { ja: 'とよのショッピング', en: 'Toyono Shopping' }, consentNotificationUri: endpoint, ...cc });
    const clinic = await pl.registerRp({ clientId: 'toyono-clinic', memberSubsystem: 'JP-TEST/COM/2222222222222/healthcare', displayName: { ja: 'とよの健診センター', en: 'Toyono Checkups' }, ...cc });
    const tokens: Record<string, string> = {};
    for (const rp of [shop, clinic]) {
      expect((await pl.admin('PUT', `/api/v1/clients/${rp.clientId}/api-access`, { scopes: ['pl:ids', 'pl:consents'], consentReturnUris: [RETURN] })).status).toBe(200);
      const r = await fetch(`${pl.issuer}/token`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${rp.clientId}:${rp.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&scope=pl%3Aids%20pl%3Aconsents' });
      tokens[rp.clientId] = ((await r.json()) as { access_token: string }).access_token;
    }
    const api = async (rp: string, path: string, body: unknown) => {
      const r = await fetch(`${pl.baseUrl}/api/pl/v1${path}`, { method: 'POST', headers: { authorization: `Bearer ${tokens[rp]}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: r.status, body: (await r.json()) as any };
    };
    const hanako = await residentSignIn(pl.baseUrl, 'hanako');
    for (const rp of ['toyono-shop', 'toyono-clinic']) {
      expect((await api(rp, '/id-conversions', { baseId: hanako.baseId, localUserId: `${rp}-1` })).status).toBe(200);
      expect((await api(rp, '/links', { baseId: hanako.baseId })).status).toBe(200);
    }
    const ask = () => api('toyono-shop', '/consent-requests', {
      baseId: hanako.baseId,
      provider: 'toyono-clinic',
      subsystemCode: 'checkups',
      dataItems: ['height'],
      purpose: { code: 'childcare-support', description: { ja: '成長記録', en: 'Growth records' } },
      validUntil: new Date(Date.now() + 30 * 86400_000).toISOString(),
      returnUri: RETURN,
    });
    const created = await ask();
    expect(created.status).toBe(201);
    // The resident declines (nothing to reflect: notified at once).
    const page = await hanako.browser.follow(created.body.approvalUrl);
    const decline = parseForms(page.text).find((f) => f.action.endsWith('/decline'))!;
    await hanako.browser.follow(new URL(decline.action, page.url), { form: decline.fields });
    const until = Date.now() + 30_000;
    while (!received.length && Date.now() < until) await new Promise((r) => setTimeout(r, 50));

    expect(received).toHaveLength(1);
    const [first] = received;
    expect(first!.error).toBeUndefined();
    expect(first!.verified).toMatchObject({
      eventType: 'urn:jplink:personal-link:secevent:consent:declined',
      consentId: created.body.consentId,
      version: 2,
      status: 'declined',
      previousStatus: 'requested',
      consumer: 'toyono-shop',
      provider: 'toyono-clinic',
      baseId: hanako.baseId,
      providerAcknowledged: null,
      eventId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });

    const token = first!.token;
    // Another RP's verifier: wrong audience.
    await expect(createConsentNotificationVerifier({ issuer: pl.issuer, clientId: 'toyono-clinic' })(token)).rejects.toThrow(InvalidConsentNotificationError);
    // Altered after signing: the status flipped.
    const [h, p, sig] = token.split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString());
    const event = claims.events['urn:jplink:personal-link:secevent:consent:declined'];
    const forged = { ...claims, events: { 'urn:jplink:personal-link:secevent:consent:given': { ...event, status: 'given' } } };
    const verify = createConsentNotificationVerifier({ issuer: pl.issuer, clientId: 'toyono-shop' });
    await expect(verify(`${h}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${sig}`)).rejects.toThrow(InvalidConsentNotificationError);
    // Another token of Personal-Link's (a consent receipt: typ consent-receipt+jwt) is not a notification.
    const given = await ask();
    const page2 = await hanako.browser.follow(given.body.approvalUrl);
    const approve = parseForms(page2.text).find((f) => f.action.endsWith('/approve'))!;
    await hanako.browser.follow(new URL(approve.action, page2.url), { form: approve.fields });
    const status = await fetch(`${pl.baseUrl}/api/pl/v1/consents/${given.body.consentId}`, { headers: { authorization: `Bearer ${tokens['toyono-shop']}` } });
    const receipt = ((await status.json()) as { receipt: string }).receipt;
    expect(receipt).toMatch(/^ey/);
    await expect(verify(receipt)).rejects.toThrow(/unexpected "typ"|typ/);
    await expect(verify('not a token')).rejects.toThrow(InvalidConsentNotificationError);
  }, 90_000);
});
