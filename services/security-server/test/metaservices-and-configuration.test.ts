// The configuration API sets up services from OpenAPI, endpoint access rights and local groups;
// the metaservices describe them; connection types are enforced per client subsystem.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:https';
import { http, openssl, tempDir } from '@jplink/testing';
import { CONSUMER_SUBSYSTEM, PROVIDER_SUBSYSTEM, adminClient, startTestNetwork, type TestNetwork } from './helpers/network.ts';

let net: TestNetwork;
let provider: Awaited<ReturnType<typeof adminClient>>;
let consumer: Awaited<ReturnType<typeof adminClient>>;
const providerPath = `/api/v1/clients/${PROVIDER_SUBSYSTEM.replaceAll('/', ':')}/services`;
const headers = { 'x-road-client': CONSUMER_SUBSYSTEM };

const openapi = {
  openapi: '3.0.3',
  info: { title: 'Pets', version: '1' },
  paths: {
    '/pets': { get: { responses: { 200: { description: 'ok' } } }, post: { responses: { 201: { description: 'ok' } } } },
    '/pets/{id}': { get: { responses: { 200: { description: 'ok' } } } },
    '/admin/stats': { get: { responses: { 200: { description: 'ok' } } } },
  },
};

beforeAll(async () => {
  net = await startTestNetwork();
  provider = await adminClient(net.provider);
  consumer = await adminClient(net.consumer);
  const saved = await provider('POST', providerPath, { serviceCode: 'pets', url: net.backend.url, openapi });
  expect(saved.status, saved.body.toString()).toBe(200);
  expect(saved.json().endpoints).toEqual([
    { method: 'GET', path: '/pets' },
    { method: 'POST', path: '/pets' },
    { method: 'GET', path: '/pets/*' },
    { method: 'GET', path: '/admin/stats' },
  ]);
  await provider('PUT', '/api/v1/local-groups/partners', { description: 'partner apps', members: [CONSUMER_SUBSYSTEM] });
  const granted = await provider('POST', `${providerPath}/pets/access-rights/grant`, { subject: { kind: 'local-group', code: 'partners' }, endpoint: { method: 'GET', path: '/pets/*' } });
  expect(granted.status, granted.body.toString()).toBe(200);
}, 120_000);

afterAll(async () => {
  await net?.stop();
});

describe('access rights per REST endpoint', () => {
  it('allows the granted endpoint through a local group and refuses the others', async () => {
    expect((await http(net.url('pets', '/pets/7'), { headers })).status).toBe(200);
    expect((await http(net.url('pets', '/pets'), { headers })).json().type).toBe('server.serverproxy.access_denied');
    expect((await http(net.url('pets', '/admin/stats'), { headers })).json().type).toBe('server.serverproxy.access_denied');
    expect((await http(net.url('pets', '/pets/7'), { method: 'DELETE', headers })).json().type).toBe('server.serverproxy.access_denied');
  });

  it('revoking the right denies again', async () => {
    await provider('POST', `${providerPath}/pets/access-rights/grant`, { subject: { kind: 'subsystem', id: CONSUMER_SUBSYSTEM }, endpoint: { method: 'POST', path: '/pets' } });
    expect((await http(net.url('pets', '/pets'), { method: 'POST', headers, body: '{}' })).status).toBe(200);
    const revoked = await provider('POST', `${providerPath}/pets/access-rights/revoke`, { subject: { kind: 'subsystem', id: CONSUMER_SUBSYSTEM }, endpoint: { method: 'POST', path: '/pets' } });
    expect(revoked.status).toBe(200);
    expect((await http(net.url('pets', '/pets'), { method: 'POST', headers, body: '{}' })).json().type).toBe('server.serverproxy.access_denied');
  });
});

describe('metaservices', () => {
  it('listMethods lists every service with its endpoints', async () => {
    const answer = await http(net.url('listMethods'), { headers });
    expect(answer.status).toBe(200);
    const services = answer.json().service as Array<{ service_code: string; endpoint_list: unknown[]; service_type: string }>;
    expect(services.map((s) => s.service_code).sort()).toEqual(['pets', 'vitals']);
    expect(services.find((s) => s.service_code === 'pets')).toMatchObject({ service_type: 'OPENAPI', endpoint_list: openapi && expect.any(Array) });
  });

  it('allowedMethods lists only what this client may call', async () => {
    const services = (await http(net.url('allowedMethods'), { headers })).json().service as Array<{ service_code: string; endpoint_list: unknown[] }>;
    expect(services.find((s) => s.service_code === 'pets')?.endpoint_list).toEqual([{ method: 'GET', path: '/pets/*' }]);
    expect(services.find((s) => s.service_code === 'vitals')).toBeDefined();
  });

  it('getOpenAPI returns the stored description', async () => {
    const answer = await http(`${net.url('getOpenAPI')}?serviceCode=pets`, { headers });
    expect(answer.json()).toEqual(openapi);
    expect((await http(`${net.url('getOpenAPI')}?serviceCode=vitals`, { headers })).json().type).toBe('server.serverproxy.unknown_service');
  });

  it('listClients lists members and subsystems of the global configuration, JSON or XML', async () => {
    const json = await http(`http://127.0.0.1:${net.consumer.ports.isHttp}/listClients`);
    const ids = (json.json().member as Array<{ id: { subsystem_code?: string } }>).map((m) => m.id.subsystem_code).filter(Boolean);
    expect(ids).toEqual(expect.arrayContaining(['shopping', 'healthcare']));
    const xml = await http(`http://127.0.0.1:${net.consumer.ports.isHttp}/listClients`, { headers: { accept: 'text/xml' } });
    expect(xml.body.toString()).toContain('<subsystem_code>healthcare</subsystem_code>');
  });
});

describe('connection types', () => {
  function httpsCall(tls: { key?: string; cert?: string }) {
    return new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: net.consumer.ports.isHttps, path: new URL(net.url()).pathname, headers, rejectUnauthorized: false, agent: false, ...tls },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  it('https-cert requires a trusted client certificate; https refuses plain HTTP', async () => {
    const files = await tempDir();
    const key = await files.file('is.key');
    const cert = await files.file('is.pem');
    await openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-subj', '/CN=shop-app', '-days', '1', '-out', cert]);
    const { readFile } = await import('node:fs/promises');
    const pem = await readFile(cert, 'utf8');
    const keyPem = await readFile(key, 'utf8');
    expect((await consumer('POST', '/api/v1/clients', { subsystem: CONSUMER_SUBSYSTEM, connectionType: 'https-cert', informationSystemCertificates: [pem] })).status).toBe(200);
    expect((await http(net.url(), { headers })).json().type).toBe('client.connection_not_allowed');
    expect(JSON.parse((await httpsCall({})).body).type).toBe('client.connection_not_allowed');
    expect((await httpsCall({ key: keyPem, cert: pem })).status).toBe(200);

    expect((await consumer('POST', '/api/v1/clients', { subsystem: CONSUMER_SUBSYSTEM, connectionType: 'https' })).status).toBe(200);
    expect((await httpsCall({})).status).toBe(200);
    expect((await http(net.url(), { headers })).json().type).toBe('client.connection_not_allowed');
    expect((await consumer('POST', '/api/v1/clients', { subsystem: CONSUMER_SUBSYSTEM, connectionType: 'http' })).status).toBe(200);
    expect((await http(net.url(), { headers })).status).toBe(200);
  });
});

describe('configuration API', () => {
  it('refuses calls without the key and invalid service descriptions', async () => {
    const noKey = await http(`http://127.0.0.1:${net.provider.ports.admin}/api/v1/clients`);
    expect(noKey.status).toBe(401);
    expect(noKey.json().error.code).toBe('KIT_UNAUTHENTICATED');
    const bad = await provider('POST', providerPath, { serviceCode: 'x', url: net.backend.url, openapi: { swagger: '2.0' } });
    expect(bad.status).toBe(400);
    expect(bad.json().error.code).toBe('SS_OPENAPI_INVALID');
    expect((await provider('POST', `${providerPath}/nosuch/access-rights/grant`, { subject: { kind: 'subsystem', id: CONSUMER_SUBSYSTEM } })).json().error.code).toBe('SS_SERVICE_UNKNOWN');
    const status = (await provider('GET', '/api/v1/status')).json();
    expect(status.globalConf.version).toBeGreaterThan(0);
    expect(status.certificates.map((c: { ocsp: string }) => c.ocsp)).toEqual(['good', 'good']);
  });
});
