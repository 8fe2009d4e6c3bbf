// The SDK as an information system on the consumer's Security Server of a real test network
// (Center, two Security Servers): answers, each typed error from a real refusal, and the retry rules
// seen from a backend that counts what reached it.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSUMER, CONSUMER_SUBSYSTEM, PROVIDER_SUBSYSTEM, adminClient, startTestNetwork, type TestNetwork } from '@jplink/security-server/testing';
import { AccessDeniedError, ConsentRequiredError, ProviderError, ServiceUnavailableError, XRoadError, createJpLinkClient, type JpLinkClient } from '../src/index.ts';

let net: TestNetwork;
let sdk: JpLinkClient;
let narrow: JpLinkClient;
/** A backend that drops every request without answering (the provider's service is "down" after accepting). */
let dropping: Server;
let dropped: string[] = [];
/** A backend answering with the kit's error envelope. */
let refusing: Server;

const listen = async (server: Server) => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
};

beforeAll(async () => {
  net = await startTestNetwork();
  dropping = createServer((req) => {
    dropped.push(req.method ?? '');
    req.socket.destroy();
  });
  refusing = createServer((req, res) => {
    const code = req.url?.includes('consent') ? 'ADAPTER_PERSONAL_NO_CONSENT' : 'ADAPTER_ROW_NOT_FOUND';
    res.writeHead(code === 'ADAPTER_ROW_NOT_FOUND' ? 404 : 403, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code, message: 'refused by the backend', requestId: 'r1' } }));
  });
  const admin = await adminClient(net.provider);
  const services = `/api/v1/clients/${PROVIDER_SUBSYSTEM.replaceAll('/', ':')}/services`;
  for (const [serviceCode, url] of [
    ['flaky', await listen(dropping)],
    ['refusing', await listen(refusing)],
  ] as const) {
    expect((await admin('POST', services, { serviceCode, url, timeoutSeconds: 2 })).status).toBe(200);
    expect((await admin('POST', `${services}/${serviceCode}/access-rights/grant`, { subject: { kind: 'subsystem', id: CONSUMER_SUBSYSTEM } })).status).toBe(200);
  }
  const narrowSubsystem = await net.addClientSubsystem(net.consumer, CONSUMER, 'analytics');
  sdk = createJpLinkClient({ securityServerUrl: net.consumer.informationSystemUrl, client: CONSUMER_SUBSYSTEM, retry: { attempts: 3, baseDelayMs: 10 } });
  narrow = createJpLinkClient({ securityServerUrl: net.consumer.informationSystemUrl, client: narrowSubsystem });
}, 120_000);

afterAll(async () => {
  sdk?.close();
  narrow?.close();
  await new Promise((r) => dropping?.close(r));
  await new Promise((r) => refusing?.close(r));
  await net?.stop();
});

describe('a PR-REST call through two Security Servers', () => {
  it('is answered by the provider’s backend with the X-Road headers, path segments encoded and query appended', async () => {
    const answer = await sdk.call(`${PROVIDER_SUBSYSTEM}/vitals`, { path: ['residents', '山田 a'], query: { from: '2026-01-01', tag: ['x', 'y'] }, xRoadId: 'sdk-test-1' });
    expect(answer.status).toBe(200);
    expect(answer.json()).toMatchObject({ method: 'GET', url: '/residents/%E5%B1%B1%E7%94%B0%20a?from=2026-01-01&tag=x&tag=y' });
    expect(answer.xRoad.id).toBe('sdk-test-1');
    expect(answer.xRoad.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(answer.xRoad.requestHash).toBeTruthy();
    expect(net.backend.requests.at(-1)?.headers['x-road-client']).toBe(CONSUMER_SUBSYSTEM);
  });

  it('generates an X-Road-Id when none is given and sends a JSON body', async () => {
    const answer = await sdk.call(`${PROVIDER_SUBSYSTEM}/vitals`, { method: 'POST', path: '/items', json: { a: 1 } });
    expect(answer.xRoad.id).toMatch(/^[0-9a-f-]{36}$/);
    const seen = net.backend.requests.at(-1)!;
    expect(seen.headers['x-road-id']).toBe(answer.xRoad.id);
    expect(seen.headers['content-type']).toBe('application/json');
    expect(JSON.parse(seen.body.toString())).toEqual({ a: 1 });
  });

  it('metaservices: allowedMethods and listClients', async () => {
    expect(JSON.stringify(await sdk.allowedMethods(PROVIDER_SUBSYSTEM))).toContain('vitals');
    expect(JSON.stringify(await sdk.listClients())).toContain(CONSUMER.memberCode);
  });
});

describe('typed errors from real refusals', () => {
  it('an ungranted client subsystem gets AccessDeniedError from the provider’s side (JSON and XML error forms)', async () => {
    const json = await narrow.call(`${PROVIDER_SUBSYSTEM}/vitals`).catch((e: unknown) => e);
    expect(json).toBeInstanceOf(AccessDeniedError);
    expect(json).toMatchObject({ type: 'server.serverproxy.access_denied', side: 'server-proxy', status: 500 });
    const xml = await narrow.call(`${PROVIDER_SUBSYSTEM}/vitals`, { headers: { accept: 'application/xml' } }).catch((e: unknown) => e);
    expect(xml).toBeInstanceOf(AccessDeniedError);
    expect((xml as AccessDeniedError).message).toMatch(/may not call/);
  });

  it('an unknown service is an XRoadError of type unknown_service, not retried', async () => {
    const error = await sdk.call(`${PROVIDER_SUBSYSTEM}/nosuch`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(XRoadError);
    expect(error).not.toBeInstanceOf(ServiceUnavailableError);
    expect((error as XRoadError).type).toBe('server.serverproxy.unknown_service');
  });

  it('a bad request from the client side is side "client"', async () => {
    const bad = createJpLinkClient({ securityServerUrl: net.consumer.informationSystemUrl, client: 'JP-TEST/COM/9999999999999/nobody' });
    const error = await bad.call(`${PROVIDER_SUBSYSTEM}/vitals`).catch((e: unknown) => e);
    bad.close();
    expect(error).toBeInstanceOf(XRoadError);
    expect(error).toMatchObject({ side: 'client', status: 400 });
  });

  it('a backend that is down: GET is retried then ServiceUnavailableError; POST is sent once', async () => {
    dropped = [];
    const get = await sdk.call(`${PROVIDER_SUBSYSTEM}/flaky`).catch((e: unknown) => e);
    expect(get).toBeInstanceOf(ServiceUnavailableError);
    expect((get as XRoadError).type).toBe('server.serverproxy.service_failed');
    expect(dropped).toEqual(['GET', 'GET', 'GET']);
    dropped = [];
    const post = await sdk.call(`${PROVIDER_SUBSYSTEM}/flaky`, { method: 'POST', json: {} }).catch((e: unknown) => e);
    expect(post).toBeInstanceOf(ServiceUnavailableError);
    expect(dropped).toEqual(['POST']);
    dropped = [];
    await sdk.call(`${PROVIDER_SUBSYSTEM}/flaky`, { method: 'POST', json: {}, idempotent: true }).catch(() => undefined);
    expect(dropped).toEqual(['POST', 'POST', 'POST']);
  });

  it('the own Security Server unreachable is a NetworkError (retried, then thrown)', async () => {
    const gone = createJpLinkClient({ securityServerUrl: 'http://127.0.0.1:1', client: CONSUMER_SUBSYSTEM, retry: { baseDelayMs: 1 } });
    await expect(gone.call(`${PROVIDER_SUBSYSTEM}/vitals`)).rejects.toMatchObject({ name: 'NetworkError', reason: 'connect' });
    gone.close();
  });

  it('the provider’s backend answering non-2xx is a ProviderError with its code; consent refusals are ConsentRequiredError', async () => {
    const missing = await sdk.call(`${PROVIDER_SUBSYSTEM}/refusing`, { path: '/get/1' }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ProviderError);
    expect(missing).not.toBeInstanceOf(ConsentRequiredError);
    expect(missing).toMatchObject({ status: 404, code: 'ADAPTER_ROW_NOT_FOUND' });
    const consent = await sdk.call(`${PROVIDER_SUBSYSTEM}/refusing`, { path: '/consent' }).catch((e: unknown) => e);
    expect(consent).toBeInstanceOf(ConsentRequiredError);
    expect(consent).toMatchObject({ status: 403, code: 'ADAPTER_PERSONAL_NO_CONSENT' });
  });
});
