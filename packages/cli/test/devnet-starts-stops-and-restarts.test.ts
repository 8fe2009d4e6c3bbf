// `jplink devnet` as a user runs it: a real child process on the embedded database. It writes a
// manifest that validates against the contracts schema, serves the Center, stops cleanly on
// SIGINT without leaving a process, and a restart continues with the same CA and data.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { devnetManifestSchema, type DevnetManifest } from '@jplink/contracts';
import { rootCertificatesFromPem, verifyEvidence } from '@jplink/evidence';
import { HttpBrowser, parseForms } from '@jplink/personal-link/testing';
import { devnetPortBase, processAlive, runJplink, startDevnetProcess, stopAllDevnets, stopDevnetProcess } from './devnet-process.ts';

const home = await mkdtemp(join(tmpdir(), 'jplink-devnet-test-'));
const portBase = devnetPortBase();
const start = () => startDevnetProcess({ home, portBase });
const stop = stopDevnetProcess;

/** The try-it PR-REST call of the Adapter Server's sample data service. */
async function readCheckups(manifest: DevnetManifest) {
  const call = manifest.tryIt.find((c) => c.url.includes('/checkups/list'))!;
  const answer = await fetch(call.url, { headers: call.headers });
  expect(answer.status).toBe(200);
  const body = (await answer.json()) as { rows: Array<Record<string, unknown>>; truncated: boolean };
  return { rows: body.rows, requestId: answer.headers.get('x-road-request-id') };
}

/** A client_credentials token of a devnet RP (credentials from its file). */
async function rpToken(manifest: DevnetManifest, member: string) {
  const { clientId, clientSecret } = JSON.parse(await readFile(manifest.servicers.find((s) => s.member === member)!.personalLinkClient!.credentialsFile, 'utf8')) as { clientId: string; clientSecret: string };
  const response = await fetch(`${manifest.personalLink!.issuer}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials&scope=pl%3Aids%20pl%3Aconsents',
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

/**
 * The consent journey through the devnet: a test resident signs in at Personal-Link with a dev
 * upstream ID; the consumer (shopping) asks for consent to the provider's checkups; the resident
 * approves and later withdraws on the resident pages; each time the page reports the provider has
 * it, and the provider's Adapter Server holds that version (reflected ss-pl → ss-b → Adapter Server).
 */
async function consentJourney(manifest: DevnetManifest) {
  const pl = manifest.personalLink!;
  const browser = new HttpBrowser();
  const chooser = await browser.follow(`${pl.appUrl}/my`);
  const google = parseForms(chooser.text).find((f) => f.fields.upstream === 'google')!;
  const atUpstream = await browser.follow(new URL(google.action, chooser.url), { form: google.fields });
  const pick = parseForms(atUpstream.text).find((f) => f.buttons.some((b) => b.name === 'sub'))!;
  const my = await browser.follow(new URL(pick.action, atUpstream.url), { form: { sub: 'hanako' } });
  const baseId = /<code data-base-id>([^<]+)<\/code>/.exec(my.text)![1]!;

  const [consumer, provider] = manifest.servicers;
  const api = async (token: string, path: string, body: unknown) => {
    const r = await fetch(`${pl.appUrl}/api/pl/v1${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: r.status, body: (await r.json()) as any };
  };
  const [tShop, tHealth] = await Promise.all([rpToken(manifest, consumer!.member), rpToken(manifest, provider!.member)]);
  for (const [token, local] of [[tShop, 'shop-0001'], [tHealth, 'R-0001']] as const) {
    expect((await api(token, '/id-conversions', { baseId, localUserId: local })).status).toBe(200);
    expect((await api(token, '/links', { baseId })).status).toBe(200);
  }
  const requested = await api(tShop, '/consent-requests', {
    baseId,
    provider: provider!.personalLinkClient!.clientId,
    subsystemCode: 'checkups',
    dataItems: ['height_cm', 'weight_kg', 'checked_on'],
    purpose: { code: 'childcare-support', description: { ja: '子育て支援サービスで成長記録を表示するため', en: 'To show growth records' } },
    validUntil: new Date(Date.now() + 365 * 86400_000).toISOString(),
    returnUri: consumer!.personalLinkClient!.consentReturnUri,
  });
  expect(requested.status, JSON.stringify(requested.body)).toBe(201);
  const consentId = requested.body.consentId as string;
  const adapter = manifest.adapterServers[0]!;
  const adapterKey = (await readFile(adapter.adminApiKeyFile, 'utf8')).trim();
  const atProvider = async () => ((await (await fetch(`${adapter.adminUrl}/api/v1/consents?baseId=${baseId}`, { headers: { authorization: `Bearer ${adapterKey}` } })).json()) as Array<{ consentId: string; status: string; version: number; client: string }>).find((c) => c.consentId === consentId);

  for (const [action, status, version, said] of [
    ['approve', 'active', 2, 'にも反映されました'],
    ['withdraw', 'withdrawn', 3, 'にも反映され、以後この情報は提供されません'],
  ] as const) {
    const page = await browser.follow(requested.body.approvalUrl);
    const form = parseForms(page.text).find((f) => f.action.endsWith(`/${action}`))!;
    const answer = await browser.follow(new URL(form.action, page.url), { form: form.fields });
    expect(answer.status).toBe(200);
    expect(answer.text).toContain(said);
    expect(await atProvider()).toMatchObject({ status, version, client: consumer!.subsystem });
  }
  return { consentId, baseId, atProvider };
}

afterAll(async () => {
  await stopAllDevnets();
  await rm(home, { recursive: true, force: true });
});

describe('jplink devnet', () => {
  it('starts the Center, writes a valid manifest, stops cleanly, and restarts on the same state', async () => {
    const first = await start();
    console.info(`[devnet test] first start: ${first.seconds} s (fresh data folder)`);
    expect(first.seconds).toBeGreaterThan(0);
    const manifestPath = join(home, 'devnet.json');
    const manifest = devnetManifestSchema.parse(JSON.parse(await readFile(manifestPath, 'utf8')));
    expect(manifest.database.kind).toBe('embedded');
    expect(manifest.center.admin).toBe(`http://127.0.0.1:${portBase}`);
    expect(first.output()).toContain('curl -sS');
    for (const call of manifest.tryIt) expect(first.output()).toContain(call.url);

    // The services answer, and the admin key in its file works.
    const pointer = (await fetch(`${manifest.center.globalConf}/latest.json`).then((r) => r.json())) as { instance: string };
    expect(pointer.instance).toBe('JP-TEST');
    const adminKey = (await readFile(manifest.center.adminApiKeyFile, 'utf8')).trim();
    const created = await fetch(`${manifest.center.admin}/api/v1/members`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ memberClass: 'GOV', memberCode: '0000000000001', name: '〇〇市' }),
    });
    expect(created.status).toBe(201);
    const rootBefore = await readFile(manifest.trust.rootCa, 'utf8');

    // Two members' Security Servers, and the try-it PR-REST call goes through both.
    expect(manifest.securityServers.map((s) => s.id)).toEqual(['JP-TEST/COM/1000000000001/ss-a', 'JP-TEST/COM/1000000000002/ss-b', 'JP-TEST/GOV/1000000000003/ss-pl']);
    const prRest = manifest.tryIt.find((call) => call.url.includes('/echo/'))!;
    const exchanged = await fetch(prRest.url, { headers: prRest.headers });
    expect(exchanged.status).toBe(200);
    expect(exchanged.headers.get('x-road-request-hash')).toBeTruthy();
    expect(((await exchanged.json()) as { client: string }).client).toBe('JP-TEST/COM/1000000000001/shopping');
    // The evidence of that exchange, once timestamped, verifies offline with the root CA alone.
    const ssA = manifest.securityServers[0]!;
    const ssKey = (await readFile(ssA.adminApiKeyFile, 'utf8')).trim();
    const requestId = exchanged.headers.get('x-road-request-id')!;
    const roots = rootCertificatesFromPem(rootBefore);
    const evidenceDir = await mkdtemp(join(tmpdir(), 'jplink-devnet-evidence-'));
    for (let attempt = 0; ; attempt++) {
      const evidence = await fetch(`${ssA.adminUrl}/api/v1/evidence?messageId=${requestId}`, { headers: { authorization: `Bearer ${ssKey}` } });
      expect(evidence.status).toBe(200);
      const path = join(evidenceDir, `evidence-${attempt}.zip`);
      await writeFile(path, Buffer.from(await evidence.arrayBuffer()));
      const report = await verifyEvidence([path], { roots });
      expect(report.problems).toEqual([]);
      if (report.warnings.length === 0) break; // timestamped (devnet stamps every 5 s)
      expect(attempt, 'the record gets a timestamp within 15 s').toBeLessThan(30);
      await new Promise((r) => setTimeout(r, 500));
    }
    await rm(evidenceDir, { recursive: true, force: true });
    const listMethods = manifest.tryIt.find((call) => call.url.endsWith('/listMethods'))!;
    const provided = ((await (await fetch(listMethods.url, { headers: listMethods.headers })).json()) as { service: Array<{ service_code: string }> }).service;
    // The sample backend (echo), the Adapter Server's sample (checkups), Personal-Link's consent service, servicer B's vitals.
    expect(provided.map((s) => s.service_code).sort()).toEqual(['checkups', 'consents', 'echo', 'vitals']);

    // The provider's Adapter Server: its sample table, read through both Security Servers.
    const adapterAt = (owner: string, p: number) => ({ owner, adminUrl: `http://127.0.0.1:${portBase + p + 2}`, dataUrl: `http://127.0.0.1:${portBase + p}`, adminApiKeyFile: expect.any(String) });
    const adapterServer = adapterAt('JP-TEST/COM/1000000000002', 130);
    const adapterA = adapterAt('JP-TEST/COM/1000000000001', 133);
    const adapterPl = adapterAt('JP-TEST/GOV/1000000000003', 136);
    expect(manifest.adapterServers).toEqual([adapterServer, adapterA, adapterPl]);
    // Each Adapter Server answers its admin API with its own key.
    for (const a of manifest.adapterServers) {
      const key = (await readFile(a.adminApiKeyFile, 'utf8')).trim();
      expect((await fetch(`${a.adminUrl}/api/v1/subsystems`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
    }
    const rp = (clientId: string, app: number) => ({ clientId, credentialsFile: join(manifest.dataDir, 'personal-link', `rp-${clientId}.json`), redirectUri: `http://127.0.0.1:${portBase + app}/auth/callback`, consentReturnUri: `http://127.0.0.1:${portBase + app}/consents/done` });
    expect(manifest.servicers).toEqual([
      { member: 'JP-TEST/COM/1000000000001', subsystem: 'JP-TEST/COM/1000000000001/shopping', appUrl: `http://127.0.0.1:${portBase + 160}`, securityServer: 'JP-TEST/COM/1000000000001/ss-a', adapterServer: adapterA, personalLinkClient: rp('shopping', 160) },
      { member: 'JP-TEST/COM/1000000000002', subsystem: 'JP-TEST/COM/1000000000002/healthcare', appUrl: `http://127.0.0.1:${portBase + 161}`, securityServer: 'JP-TEST/COM/1000000000002/ss-b', adapterServer, personalLinkClient: rp('healthcare', 161) },
    ]);
    // The servicers' apps answer with their sign-in link (the journey itself: journey.test.ts).
    for (const [servicer, signIn] of [[manifest.servicers[0]!, '/auth/sign-in'], [manifest.servicers[1]!, '/auth/login']] as const) {
      const top = await fetch(`${servicer.appUrl}/`);
      expect(top.status).toBe(200);
      expect(await top.text()).toContain(`href="${signIn}"`);
    }
    // B's vitals are published through its Adapter Server with access for A: without a consent the answer is a refusal, not data.
    const vitals = await fetch(`${manifest.securityServers[0]!.informationSystemUrl}/r1/JP-TEST/COM/1000000000002/healthcare/vitals/list`, { headers: { 'x-road-client': 'JP-TEST/COM/1000000000001/shopping', 'x-jplink-base-id': 'bid-nobody-000000000001', 'x-jplink-purpose': 'shopping-recommendation' } });
    expect(vitals.status).toBe(403);
    expect(((await vitals.json()) as { error: { code: string } }).error.code).toBe('ADAPTER_PERSONAL_NO_CONSENT');
    const checkups = await readCheckups(manifest);
    expect(checkups.rows.length).toBeGreaterThan(0);
    expect(checkups.rows.every((r) => r.year === 2025)).toBe(true);
    expect(checkups.rows[0]).toMatchObject({ id: 1, name: '山田 花子', city: '横浜市', year: 2025, checked_on: '2025-05-12', height_cm: 158.2 });
    const getOpenApi = manifest.tryIt.find((call) => call.url.includes('/getOpenAPI?serviceCode=checkups'))!;
    const document = (await (await fetch(getOpenApi.url, { headers: getOpenApi.headers })).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(document.openapi).toBe('3.0.3');
    expect(Object.keys(document.paths).sort()).toEqual(['/get/{key}', '/list']);
    // The consent service on ss-b is Personal-Link's only: the consumer may not call it.
    const forged = await fetch(`${manifest.securityServers[0]!.informationSystemUrl}/r1/JP-TEST/COM/1000000000002/healthcare/consents/c-forged`, { method: 'PUT', headers: { 'x-road-client': 'JP-TEST/COM/1000000000001/shopping', 'content-type': 'application/json' }, body: '{}' });
    expect(((await forged.json()) as { type: string }).type).toBe('server.serverproxy.access_denied');

    // Personal-Link: its issuer's discovery (tryIt), the dev upstream IDs, and a consent reflected to the Adapter Server.
    expect(manifest.personalLink).toEqual({
      issuer: `http://127.0.0.1:${portBase + 150}/oidc`,
      appUrl: `http://127.0.0.1:${portBase + 150}`,
      adminUrl: `http://127.0.0.1:${portBase + 151}`,
      adminApiKeyFile: join(manifest.dataDir, 'personal-link', 'admin-api-key'),
      subsystem: 'JP-TEST/GOV/1000000000003/personal-link',
      securityServer: 'JP-TEST/GOV/1000000000003/ss-pl',
      adapterServer: adapterPl,
      rpApiService: 'JP-TEST/GOV/1000000000003/personal-link/rp-api',
    });
    // The shop calls Personal-Link's RP API as its subsystem through ss-a and ss-pl (no token): its own, empty, rows.
    const lookup = await fetch(`${manifest.securityServers[0]!.informationSystemUrl}/r1/${manifest.personalLink!.rpApiService}/base-ids/lookup`, { method: 'POST', headers: { 'x-road-client': 'JP-TEST/COM/1000000000001/shopping', 'content-type': 'application/json' }, body: JSON.stringify({ localUserId: 'nobody' }) });
    expect([lookup.status, ((await lookup.json()) as { error: { code: string } }).error.code]).toEqual([404, 'PL_ID_NOT_FOUND']);
    const discoveryCall = manifest.tryIt.find((c) => c.url === `${manifest.personalLink!.issuer}/.well-known/openid-configuration`)!;
    const discovery = (await (await fetch(discoveryCall.url)).json()) as { issuer: string; token_endpoint: string };
    expect(discovery.issuer).toBe(manifest.personalLink!.issuer);
    expect(discovery.token_endpoint).toBe(`${manifest.personalLink!.issuer}/token`);
    expect(manifest.upstreamIdps!.map((u) => u.id)).toEqual(['google', 'apple', 'd-account', 'mydid', 'trustdock']);
    expect(manifest.upstreamIdps![0]!.testUsers.map((u) => u.sub)).toEqual(['hanako', 'taro']);
    for (const idp of manifest.upstreamIdps!) expect(((await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as { issuer: string }).issuer).toBe(idp.issuer);
    const journeyStarted = Date.now();
    const consent = await consentJourney(manifest);
    console.info(`[devnet test] consent journey (sign-in, request, approve + withdraw reflected to the Adapter Server): ${((Date.now() - journeyStarted) / 1000).toFixed(1)} s`);
    // The Adapter Server logged the call with the ids the Security Server passed on.
    const adapterKey = (await readFile(manifest.adapterServers[0]!.adminApiKeyFile, 'utf8')).trim();
    for (let attempt = 0; ; attempt++) {
      const calls = (await (await fetch(`${manifest.adapterServers[0]!.adminUrl}/api/v1/calls`, { headers: { authorization: `Bearer ${adapterKey}` } })).json()) as Array<{ xRoadRequestId: string; xRoadClient: string }>;
      const logged = calls.find((c) => c.xRoadRequestId === checkups.requestId);
      if (logged) {
        expect(logged.xRoadClient).toBe('JP-TEST/COM/1000000000001/shopping');
        break;
      }
      expect(attempt, 'the call log is written within 5 s').toBeLessThan(50);
      await new Promise((r) => setTimeout(r, 100));
    }

    expect(await stop(first)).toBe(0);
    expect(processAlive(first.child.pid!)).toBe(false);
    expect(existsSync(manifestPath)).toBe(false);
    // Nothing listens any more.
    await expect(fetch(`${manifest.center.globalConf}/latest.json`)).rejects.toThrow();

    const second = await start();
    console.info(`[devnet test] restart: ${second.seconds} s`);
    const again = devnetManifestSchema.parse(JSON.parse(await readFile(manifestPath, 'utf8')));
    expect(await readFile(again.trust.rootCa, 'utf8')).toBe(rootBefore);
    const members = (await fetch(`${again.center.admin}/api/v1/members`, { headers: { authorization: `Bearer ${adminKey}` } }).then((r) => r.json())) as Array<{ name: string }>;
    expect(members.map((m) => m.name)).toContain('〇〇市');
    const again2 = again.tryIt.find((call) => call.url.includes('/echo/'))!;
    expect((await fetch(again2.url, { headers: again2.headers })).status).toBe(200);
    // The Adapter Server's connection follows the embedded database to its new port.
    expect((await readCheckups(again)).rows[0]).toMatchObject({ name: '山田 花子' });
    // Personal-Link keeps its RPs: the credentials in their files still work.
    const token = await rpToken(again, 'JP-TEST/COM/1000000000001');
    // Residents and consents stay: Personal-Link still knows the withdrawn consent, the provider's Adapter Server too.
    const kept = await fetch(`${again.personalLink!.appUrl}/api/pl/v1/consents/${consent.consentId}`, { headers: { authorization: `Bearer ${token}` } });
    expect(kept.status).toBe(200);
    expect(await kept.json()).toMatchObject({ consentId: consent.consentId, status: 'withdrawn', version: 3 });
    expect(await consent.atProvider()).toMatchObject({ status: 'withdrawn', version: 3 });
    // Certificates stay: the Security Servers do not enrol again.
    expect(second.output()).not.toContain('applying for the auth certificate');
    for (const servicer of again.servicers) expect((await fetch(`${servicer.appUrl}/`)).status).toBe(200);
    expect(await stop(second)).toBe(0);
  }, 600_000);

  it('refuses unknown options with usage help', async () => {
    const { code, stderr } = await runJplink(['devnet', '--no-such-option']);
    expect(code).toBe(64);
    expect(stderr).toContain('Usage: jplink');
  });
});
