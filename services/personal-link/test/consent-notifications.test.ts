// Consent notifications to the data consumer (RP A) over real HTTP and PostgreSQL: a receiver on
// loopback that verifies each Security Event Token with Personal-Link's JWKS (signature, typ, iss,
// aud) the way an RP would; a loopback server in the place of Personal-Link's Security Server that
// acknowledges (or refuses) the consent reflections. Shown: given / declined / withdrawn / expired
// each notified once the provider holds the change; retries after the receiver fails, with the same
// event id; an RP without an endpoint gets nothing; another RP never gets this RP's events;
// registration refuses a bad endpoint.
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveHttp } from '@jplink/testing';
import { HttpBrowser, parseForms, startTestPersonalLink, type RunningPersonalLink } from '../src/testing.ts';
import { residentSignIn, rpApiToken } from './helpers.ts';

const RETURN = 'https://shop.example.jp/consents/done';
const PL_SUBSYSTEM = 'JP-TEST/GOV/9999999999999/personal-link';
type Rp = { clientId: string; clientSecret: string };

interface Received {
  path: string;
  contentType: string | undefined;
  verified: (JWTPayload & { events: Record<string, any>; sub_id: { format: string; id: string } }) | undefined;
  error?: string;
}

/** The RPs' notification endpoints: verifies every SET with the JWKS, answers 202 (or the scripted failure). */
interface Receiver {
  url: string;
  received: Received[];
  /** Status codes to answer next, per path, before verifying anything (default: 202 when valid). */
  failNext: Map<string, number[]>;
  close(): Promise<void>;
}

/** Plays Personal-Link's Security Server for the reflections: 200 while `up`, else 503. */
interface FakeSs {
  url: string;
  up: boolean;
  puts: string[];
  close(): Promise<void>;
}


let pl: RunningPersonalLink;
let receiver: Receiver;
let ss: FakeSs;
let offsetMs = 0;
let shop: Rp, clinic: Rp, quiet: Rp, library: Rp;
let tokens: Record<string, string>;
let hanako: { browser: HttpBrowser; baseId: string };

const mySignIn = (user: string) => residentSignIn(pl.baseUrl, user);

const token = (rp: Rp) => rpApiToken(pl.issuer, rp);

async function api(rp: Rp, method: string, path: string, body?: unknown) {
  const r = await fetch(`${pl.baseUrl}/api/pl/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${tokens[rp.clientId]}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

async function requestConsent(consumer: Rp, extra: Record<string, unknown> = {}): Promise<string> {
  const created = await api(consumer, 'POST', '/consent-requests', {
    baseId: hanako.baseId,
    provider: clinic.clientId,
    subsystemCode: 'checkups',
    dataItems: ['height', 'weight'],
    purpose: { code: 'childcare-support', description: { ja: '成長記録を表示するため', en: 'To show growth records' } },
    validUntil: new Date(Date.now() + offsetMs + 30 * 86400_000).toISOString(),
    returnUri: RETURN,
    ...extra,
  });
  expect(created.status).toBe(201);
  return created.body.consentId as string;
}

async function decide(consentId: string, action: 'approve' | 'decline' | 'withdraw') {
  const page = await hanako.browser.follow(`${pl.baseUrl}/my/consents/${consentId}`);
  const form = parseForms(page.text).find((f) => f.action.endsWith(`/${action}`))!;
  expect(form).toBeDefined();
  const done = await hanako.browser.follow(new URL(form.action, page.url), { form: form.fields });
  expect(done.status).toBe(200);
}

/** Waits (generously) until `check` holds; the workers deliver in the background. */
async function until<T>(what: string, check: () => Promise<T | undefined> | T | undefined, maxMs = 30_000): Promise<T> {
  const end = Date.now() + maxMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const setsFor = (consentId: string) => receiver.received.filter((r) => r.verified && Object.values(r.verified.events)[0]?.consentId === consentId);
const outbox = (consentId: string) => pl.database.db.selectFrom('consent_notification_outbox').selectAll().where('consent_id', '=', consentId).orderBy('version').execute();

beforeAll(async () => {
  // The receiver verifies with the JWKS of a Personal-Link that starts after it: the URL is bound lazily.
  let jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
  const received: Received[] = [];
  const failNext = new Map<string, number[]>();
  const r = await serveHttp((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const path = req.url!;
      const scripted = failNext.get(path)?.shift();
      if (scripted !== undefined) {
        received.push({ path, contentType: req.headers['content-type'], verified: undefined, error: `scripted ${scripted}` });
        res.writeHead(scripted).end();
        return;
      }
      try {
        jwks ??= createRemoteJWKSet(new URL(`${pl.issuer}/jwks`));
        const { payload } = await jwtVerify(Buffer.concat(chunks).toString('utf8'), jwks, { issuer: pl.issuer, audience: path.slice(1), typ: 'secevent+jwt' });
        received.push({ path, contentType: req.headers['content-type'], verified: payload as Received['verified'] });
        res.writeHead(202).end();
      } catch (error) {
        received.push({ path, contentType: req.headers['content-type'], verified: undefined, error: (error as Error).message });
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ err: 'invalid_request' }));
      }
    });
  });
  receiver = { ...r, received, failNext };
  const puts: string[] = [];
  const s = await serveHttp((req, res) => {
    req.resume();
    req.on('end', () => {
      puts.push(`${req.method} ${req.url}`);
      if (!ss.up) return res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'ADAPTER_UNAVAILABLE' } }));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ result: 'created' }));
    });
  });
  ss = { ...s, up: true, puts };

  pl = await startTestPersonalLink(
    { PL_SS_URL: ss.url, PL_SUBSYSTEM, PL_REFLECTION_MAX_BACKOFF: '1', PL_NOTIFICATION_MAX_BACKOFF: '1', PL_REFLECTION_POLL_INTERVAL: '1', PL_NOTIFICATION_POLL_INTERVAL: '1' },
    { now: () => new Date(Date.now() + offsetMs) },
  );
  const cc = { grantTypes: ['client_credentials' as const] };
  shop = await pl.registerRp({ clientId: 'toyono-shop', memberSubsystem: 'JP-TEST/COM/1111111111111/shopping', displayName: { ja: 'とよのショッピング', en: 'Toyono Shopping' }, consentNotificationUri: `${receiver.url}/toyono-shop`, ...cc });
  clinic = await pl.registerRp({ clientId: 'toyono-clinic', memberSubsystem: 'JP-TEST/COM/2222222222222/healthcare', displayName: { ja: 'とよの健診センター', en: 'Toyono Checkups' }, consentNotificationUri: `${receiver.url}/toyono-clinic`, ...cc });
  quiet = await pl.registerRp({ clientId: 'quiet-rp', memberSubsystem: 'JP-TEST/COM/3333333333333/quiet', displayName: { ja: '通知なし', en: 'Quiet' }, ...cc });
  library = await pl.registerRp({ clientId: 'toyono-library', memberSubsystem: 'JP-TEST/GOV/4444444444444/library', displayName: { ja: 'とよの図書館', en: 'Toyono Library' }, consentNotificationUri: `${receiver.url}/toyono-library`, ...cc });
  tokens = {};
  for (const rp of [shop, clinic, quiet, library]) {
    expect((await pl.admin('PUT', `/api/v1/clients/${rp.clientId}/api-access`, { scopes: ['pl:ids', 'pl:consents'], consentReturnUris: [RETURN] })).status).toBe(200);
    tokens[rp.clientId] = await token(rp);
  }
  hanako = await mySignIn('hanako');
  for (const rp of [shop, clinic, quiet, library]) {
    expect((await api(rp, 'POST', '/id-conversions', { baseId: hanako.baseId, localUserId: `${rp.clientId}-user-1` })).status).toBe(200);
    expect((await api(rp, 'POST', '/links', { baseId: hanako.baseId })).status).toBe(200);
  }
}, 120_000);
afterAll(async () => {
  await pl?.stop();
  await receiver?.close();
  await ss?.close();
});

describe('registration', () => {
  it('keeps the endpoint in the RP registration and refuses one that is not an http(s) URL without a fragment', async () => {
    expect((await pl.admin('GET', '/api/v1/clients/toyono-shop')).body.consentNotificationUri).toBe(`${receiver.url}/toyono-shop`);
    expect((await pl.admin('GET', '/api/v1/clients/quiet-rp')).body.consentNotificationUri).toBeNull();
    for (const bad of ['ftp://rp.example.jp/events', 'https://rp.example.jp/events#x', 'not a url']) {
      const r = await pl.admin('POST', '/api/v1/clients', { memberSubsystem: 'JP-TEST/COM/5555555555555/bad', displayName: { ja: 'x', en: 'x' }, grantTypes: ['client_credentials'], consentNotificationUri: bad });
      expect([r.status, r.body.error.code]).toEqual([400, 'KIT_VALIDATION_FAILED']);
    }
    const doc = (await (await fetch(`${pl.adminUrl}/openapi.json`)).json()) as any;
    expect(JSON.stringify(doc)).toContain('consentNotificationUri');
  });
});

describe('delivery', () => {
  let consentId: string;

  it('“given” reaches RP A only after the provider acknowledged the reflection, as a SET that verifies with the JWKS and carries ids only', async () => {
    ss.up = false;
    consentId = await requestConsent(shop);
    await decide(consentId, 'approve');
    // The provider has not acknowledged: the reflection is retried, the notification waits.
    await until('two failed reflection attempts', async () => {
      const row = await pl.database.db.selectFrom('reflection_outbox').selectAll().where('consent_id', '=', consentId).executeTakeFirst();
      return row && row.attempts >= 2 && row.state === 'pending';
    });
    const waiting = await outbox(consentId);
    expect(waiting.map((r) => [r.event, r.state, r.attempts])).toEqual([['given', 'pending', 0]]);
    expect(setsFor(consentId)).toEqual([]);

    ss.up = true;
    const [set] = await until('the given SET', () => (setsFor(consentId).length ? setsFor(consentId) : undefined));
    expect(set!.path).toBe('/toyono-shop');
    expect(set!.contentType).toBe('application/secevent+jwt');
    const payload = set!.verified!;
    expect(payload).toMatchObject({ iss: pl.issuer, aud: 'toyono-shop', jti: waiting[0]!.event_id, sub_id: { format: 'opaque', id: hanako.baseId }, txn: `${consentId}.v2` });
    expect(Object.keys(payload).sort()).toEqual(['aud', 'events', 'iat', 'iss', 'jti', 'sub_id', 'toe', 'txn']);
    expect(payload.events).toEqual({
      'urn:jplink:personal-link:secevent:consent:given': {
        consentId,
        version: 2,
        status: 'given',
        previousStatus: 'requested',
        consumer: 'toyono-shop',
        provider: 'toyono-clinic',
        subsystemCode: 'checkups',
        occurredAt: expect.any(String),
        providerAcknowledged: true,
      },
    });
    // Nothing about the resident beyond the BaseID: no names, data items' values, purposes' texts.
    expect(JSON.stringify(payload)).not.toMatch(/hanako|花子|成長記録|height/);
    await until('delivered', async () => ((await outbox(consentId))[0]?.state === 'delivered' ? true : undefined));
  });

  it('retries after the receiver fails, with the same event id, until it answers 2xx', async () => {
    receiver.failNext.set('/toyono-shop', [503, 500]);
    await decide(consentId, 'withdraw');
    await until('the withdrawn SET', () => (setsFor(consentId).length === 2 ? true : undefined));
    const rows = await outbox(consentId);
    expect(rows.map((r) => [r.version, r.event, r.state])).toEqual([
      [2, 'given', 'delivered'],
      [3, 'withdrawn', 'delivered'],
    ]);
    expect(rows[1]!.attempts).toBe(3);
    const failures = receiver.received.filter((r) => r.error?.startsWith('scripted'));
    expect(failures.map((f) => f.error)).toEqual(['scripted 503', 'scripted 500']);
    const withdrawn = setsFor(consentId)[1]!.verified!;
    expect(withdrawn.jti).toBe(rows[1]!.event_id);
    expect(withdrawn.events['urn:jplink:personal-link:secevent:consent:withdrawn']).toMatchObject({ version: 3, previousStatus: 'given', providerAcknowledged: true });
    // The reflection reached the provider before RP A heard of it.
    expect(ss.puts.filter((p) => p.endsWith(`/${consentId}`)).length).toBeGreaterThanOrEqual(2);
  });

  it('“declined” and “expired” are notified too (nothing to reflect for them)', async () => {
    const declinedId = await requestConsent(shop);
    await decide(declinedId, 'decline');
    const [declined] = await until('the declined SET', () => (setsFor(declinedId).length ? setsFor(declinedId) : undefined));
    expect(declined!.verified!.events['urn:jplink:personal-link:secevent:consent:declined']).toMatchObject({ version: 2, previousStatus: 'requested', providerAcknowledged: null });

    const expiringId = await requestConsent(shop);
    await decide(expiringId, 'approve');
    await until('the given SET', () => (setsFor(expiringId).length ? true : undefined));
    offsetMs = 31 * 86400_000;
    try {
      expect(await pl.pl.expireConsents()).toBeGreaterThanOrEqual(1);
      await until('the expired SET', () => (setsFor(expiringId).length === 2 ? true : undefined));
    } finally {
      offsetMs = 0;
    }
    expect(setsFor(expiringId)[1]!.verified!.events['urn:jplink:personal-link:secevent:consent:expired']).toMatchObject({ version: 3, status: 'expired', previousStatus: 'given', providerAcknowledged: true });
  });

  it('an RP without an endpoint gets nothing; another RP never receives this RP’s events', async () => {
    const quietId = await requestConsent(quiet);
    await decide(quietId, 'approve');
    const libraryId = await requestConsent(library);
    await decide(libraryId, 'approve');
    await until('the library’s SET', () => (setsFor(libraryId).length ? true : undefined));
    await until('the quiet RP’s reflection', async () => ((await pl.database.db.selectFrom('reflection_outbox').select('state').where('consent_id', '=', quietId).executeTakeFirst())?.state === 'acknowledged' ? true : undefined));
    expect(await outbox(quietId)).toEqual([]);
    expect(setsFor(quietId)).toEqual([]);
    // Each endpoint got only the events of consents its RP asked for, addressed to it.
    for (const r of receiver.received.filter((x) => x.verified)) {
      const event = Object.values(r.verified!.events)[0] as { consumer: string };
      expect(r.path).toBe(`/${event.consumer}`);
      expect(r.verified!.aud).toBe(event.consumer);
    }
    expect(receiver.received.filter((r) => r.path === '/toyono-library').length).toBe(1);
    // The provider (with an endpoint of its own) is not RP A: it learns through the reflection.
    expect(receiver.received.filter((r) => r.path === '/toyono-clinic')).toEqual([]);
    // Nothing failed verification.
    expect(receiver.received.filter((r) => r.error && !r.error.startsWith('scripted'))).toEqual([]);
  });

  it('stops sending to an RP whose endpoint was removed (cancelled), and the admin API shows each row', async () => {
    const current = (await pl.admin('GET', '/api/v1/clients/toyono-library')).body;
    receiver.failNext.set('/toyono-library', [503]);
    const consentId2 = await requestConsent(library);
    await decide(consentId2, 'approve');
    await until('one failed attempt', async () => ((await outbox(consentId2))[0]?.last_error === '503' ? true : undefined));
    const { clientId: _id, createdAt: _c, updatedAt: _u, consentNotificationUri: _n, backchannelLogoutUri: _b, idTokenSigningAlg: _a, ...rest } = current;
    expect((await pl.admin('PUT', '/api/v1/clients/toyono-library', rest)).status).toBe(200);
    await until('cancelled', async () => ((await outbox(consentId2))[0]?.state === 'cancelled' ? true : undefined));
    const view = await pl.admin('GET', `/api/v1/consent-notifications/consents/${consentId2}`);
    expect(view.body).toMatchObject([{ clientId: 'toyono-library', event: 'given', state: 'cancelled', lastError: 'no endpoint' }]);
    expect((await pl.admin('GET', '/api/v1/consent-notifications')).body).toMatchObject({ running: true, pending: 0, failedPermanently: 0 });
  });

  it('a version the provider never held (superseded by a newer one before delivery) is notified with providerAcknowledged false', async () => {
    ss.up = false;
    const id = await requestConsent(shop);
    await decide(id, 'approve');
    await decide(id, 'withdraw');
    ss.up = true;
    await until('both SETs', () => (setsFor(id).length === 2 ? true : undefined));
    const events = setsFor(id)
      .map((r) => Object.values(r.verified!.events)[0] as { status: string; version: number; providerAcknowledged: boolean | null })
      .sort((a, b) => a.version - b.version);
    expect(events).toEqual([expect.objectContaining({ status: 'given', version: 2, providerAcknowledged: false }), expect.objectContaining({ status: 'withdrawn', version: 3, providerAcknowledged: true })]);
  }, 60_000);
});
