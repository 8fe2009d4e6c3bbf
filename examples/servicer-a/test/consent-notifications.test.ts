// Servicer A receives Personal-Link's consent notifications (docs/protocols/consent-notifications.md):
// a real Personal-Link pushes the signed Security Event Tokens for "given" and "withdrawn" to A's
// endpoint and A's stored consent request follows them — the page then shows the withdrawal without
// asking Personal-Link. A replayed token changes nothing; an altered token, one without a signature
// and one for another RP are refused with SHOP_CONSENT_EVENT_INVALID.
// On loopback between Personal-Link and A sits a tap that keeps each token and passes it on
// unchanged (the tests replay and alter real tokens); in the place of Personal-Link's Security
// Server, a loopback server acknowledges the reflections so that the notifications are released
// (B's Adapter Server gets them through deliverReflection, as in A's other tests).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveHttp, type TestHttpServer } from '@jplink/testing';
import { HttpBrowser } from '@jplink/personal-link/testing';
import { giveConsent, linkB, plApi, signIn, startShopStack, submit, type ShopStack } from './helpers.ts';
import { CONSENT_EVENTS_PATH } from '../src/shopping-app.ts';

const PL_SUBSYSTEM = 'JP-TEST/GOV/9999999999999/personal-link';

function serve(handler: (path: string, body: string, contentType: string | undefined) => Promise<number>): Promise<TestHttpServer> {
  return serveHttp((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handler(req.url!, Buffer.concat(chunks).toString('utf8'), req.headers['content-type']).then(
        (status) => res.writeHead(status, { 'content-type': 'application/json' }).end('{}'),
        () => res.writeHead(502).end(),
      );
    });
  });
}

/** Waits (generously) until `check` holds; Personal-Link's workers deliver in the background. */
async function until<T>(what: string, check: () => Promise<T | undefined | false>, maxMs = 60_000): Promise<T> {
  const end = Date.now() + maxMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let stack: ShopStack;
let ss: Awaited<ReturnType<typeof serve>>;
let tap: Awaited<ReturnType<typeof serve>>;
/** The tokens Personal-Link sent, per tap path ('/shop' is passed on to A). */
const tokens: Record<string, string[]> = { '/shop': [], '/other': [] };

const postEvent = (body: string, contentType = 'application/secevent+jwt') =>
  fetch(`${stack.appUrl}${CONSENT_EVENTS_PATH}`, { method: 'POST', headers: { 'content-type': contentType, accept: 'application/json' }, body });
const consentRow = (consentId: string) => stack.database.db.selectFrom('consent_requests').selectAll().where('consent_id', '=', consentId).executeTakeFirst();
const eventRows = () => stack.database.db.selectFrom('consent_events').select(['consent_id', 'version', 'status']).orderBy('version').execute();

beforeAll(async () => {
  ss = await serve(async () => 200);
  tap = await serve(async (path, body, contentType) => {
    if (!(path in tokens)) return 404;
    tokens[path]!.push(body);
    if (path !== '/shop') return 202;
    return (await fetch(`${stack.appUrl}${CONSENT_EVENTS_PATH}`, { method: 'POST', headers: { 'content-type': contentType ?? '' }, body })).status;
  });
  stack = await startShopStack({
    plEnv: { PL_SS_URL: ss.url, PL_SUBSYSTEM, PL_REFLECTION_MAX_BACKOFF: '1', PL_NOTIFICATION_MAX_BACKOFF: '1', PL_REFLECTION_POLL_INTERVAL: '1', PL_NOTIFICATION_POLL_INTERVAL: '1' },
    consentNotificationUri: `${tap.url}/shop`,
  });
}, 180_000);
afterAll(async () => {
  await stack?.stop();
  await tap?.close();
  await ss?.close();
});

describe('consent notifications at servicer A', () => {
  const browser = new HttpBrowser();
  let consentId: string;

  it('“given” and “withdrawn” from Personal-Link update A’s stored request; the page shows the withdrawal without asking Personal-Link', async () => {
    await linkB(stack);
    await signIn(browser, stack);
    ({ consentId } = await giveConsent(browser, stack));
    await until('the given notification', async () => (await eventRows()).some((e) => e.consent_id === consentId && e.status === 'given'));
    expect(await consentRow(consentId)).toMatchObject({ status: 'given', version: 2 });

    // The resident withdraws in Personal-Link; A hears it by notification only (A's pages are not visited meanwhile).
    const atPl = await browser.follow(`${stack.pl.baseUrl}/my/consents/${consentId}`);
    expect((await submit(browser, atPl, '/withdraw')).status).toBe(200);
    await until('the withdrawn notification', async () => ((await consentRow(consentId))?.status === 'withdrawn' ? true : undefined));
    expect(await consentRow(consentId)).toMatchObject({ status: 'withdrawn', version: 3 });
    expect(await eventRows()).toEqual([
      { consent_id: consentId, version: 2, status: 'given' },
      { consent_id: consentId, version: 3, status: 'withdrawn' },
    ]);
    const page = await browser.request(`${stack.appUrl}/recommendations`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('同意が取り消されたか、期限が切れています');
    // A knew before fetching: B was not asked (A's Security Server is down in this stack, so a fetch would say "unavailable").
    expect(page.text).toContain('data-refusal="consent-required"');
  });

  it('answers a replayed token again (202) and changes nothing; an older version does not overwrite a newer one', async () => {
    const [given, withdrawn] = tokens['/shop']!;
    expect(withdrawn).toBeDefined();
    expect((await postEvent(withdrawn!)).status).toBe(202);
    expect((await postEvent(given!)).status).toBe(202);
    expect(await eventRows()).toHaveLength(2);
    expect(await consentRow(consentId)).toMatchObject({ status: 'withdrawn', version: 3 });
  });

  it('refuses an altered token, one without a signature, a body that is no token, and a token for another RP — without a CSRF token being asked for', async () => {
    const [header, payload, signature] = tokens['/shop']![0]!.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8'));
    const event = Object.values(claims.events)[0] as { status: string };
    event.status = 'withdrawn';
    const altered = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'secevent+jwt' })).toString('base64url')}.${payload}.`;

    // Another RP that asked the same resident for consent, registered with its own endpoint (the tap keeps its tokens).
    const other = await stack.pl.registerRp({
      clientId: 'other-shop',
      memberSubsystem: 'JP-TEST/COM/3333333333333/other-shop',
      displayName: { ja: 'ほかの店', en: 'Another shop' },
      grantTypes: ['client_credentials'],
      consentNotificationUri: `${tap.url}/other`,
    });
    const returnUri = 'https://other.example.jp/consents/done';
    expect((await stack.pl.admin('PUT', `/api/v1/clients/${other.clientId}/api-access`, { scopes: ['pl:ids', 'pl:consents'], consentReturnUris: [returnUri] })).status).toBe(200);
    const [a] = await stack.database.db.selectFrom('id_conversions').select('base_id').execute();
    const baseId = a!.base_id;
    expect((await plApi(stack.health, 'POST', '/id-conversions', { baseId, localUserId: 'O-1' }, other)).status).toBe(200);
    expect((await plApi(stack.health, 'POST', '/links', { baseId }, other)).status).toBe(200);
    const requested = await plApi(stack.health, 'POST', '/consent-requests', {
      baseId,
      provider: stack.health.rp.clientId,
      subsystemCode: 'vitals',
      dataItems: ['measured_on', 'systolic'],
      purpose: { code: 'shopping-recommendation', description: { ja: 'おすすめのため', en: 'For recommendations' } },
      validUntil: new Date(Date.now() + 30 * 86400_000).toISOString(),
      returnUri,
    }, other);
    expect(requested.status).toBe(201);
    const atPl = await browser.follow(`${stack.pl.baseUrl}/my/consents/${requested.body.consentId}`);
    expect((await submit(browser, atPl, '/decline')).status).toBe(200);
    const [foreign] = await until('the other RP’s notification', async () => (tokens['/other']!.length ? tokens['/other'] : undefined));

    for (const body of [altered, unsigned, 'not a token', foreign!]) {
      const r = await postEvent(body);
      expect(r.status).toBe(400);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('SHOP_CONSENT_EVENT_INVALID');
    }
    const json = await postEvent(JSON.stringify({ token: tokens['/shop']![0] }), 'application/json');
    expect(json.status).toBe(400);
    expect(((await json.json()) as { error: { code: string } }).error.code).toBe('SHOP_CONSENT_EVENT_INVALID');
    // Nothing was recorded or changed by the refused ones.
    expect(await eventRows()).toHaveLength(2);
    expect(await consentRow(consentId)).toMatchObject({ status: 'withdrawn', version: 3 });
  });
});
