// The Adapter Server as a data provider's backend in a real exchange: a Center, the consumer's and
// the provider's Security Servers, and the provider's Adapter Server over a real PostgreSQL table.
// Defined and published through the admin API; called as the consumer's information system via
// PR-REST on the consumer's Security Server; access rights are decided by the provider's server.
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, tempDir } from '@jplink/testing';
import { CONSUMER, CONSUMER_SUBSYSTEM, PROVIDER_SUBSYSTEM, adminClient, startTestNetwork, type TestNetwork } from '@jplink/security-server/testing';
import { createPostgresSample, startTestAdapter, type RunningAdapter, type SampleTarget } from '../src/testing.ts';

const CODE = 'residents';
const columns = [
  { name: 'id', type: 'integer', filterable: true, sortable: true },
  { name: 'user_id', type: 'string', filterable: true },
  { name: 'name', type: 'string' },
  { name: 'birth_year', type: 'integer', filterable: true, sortable: true },
  { name: 'city', type: 'string', filterable: true },
];
/** The service's endpoints on the Security Server: one per data service (in name order), `{key}` as `*`. */
const ENDPOINTS = [
  { method: 'GET', path: '/get/*' },
  { method: 'GET', path: '/list' },
];

let net: TestNetwork;
let sample: SampleTarget;
let adapter: RunningAdapter;
/** A second client subsystem of the consumer member, granted one endpoint only. */
let narrowClient: string;
const services = `/api/v1/clients/${PROVIDER_SUBSYSTEM.replaceAll('/', ':')}/services`;

beforeAll(async () => {
  net = await startTestNetwork();
  sample = await createPostgresSample();
  adapter = await startTestAdapter({
    ADAPTER_SS_ADMIN_URL: net.provider.adminUrl,
    ADAPTER_SS_ADMIN_KEY_FILE: net.provider.ss.files.adminApiKey,
    ADAPTER_PROVIDER_SUBSYSTEM: PROVIDER_SUBSYSTEM,
  });
  narrowClient = await net.addClientSubsystem(net.consumer, CONSUMER, 'analytics');
}, 120_000);

afterAll(async () => {
  await adapter?.stop();
  await sample?.drop();
  await net?.stop();
});

/** A PR-REST call on the consumer's Security Server to a path of the provider's subsystem. */
const prRest = (path: string, client = CONSUMER_SUBSYSTEM) => http(`${net.consumer.informationSystemUrl}/r1/${PROVIDER_SUBSYSTEM}/${path}`, { headers: { 'x-road-client': client } });

describe('an Adapter Server behind the provider’s Security Server', () => {
  it('defines a Sub System Code with list and get data services and publishes it with access for the consumer', async () => {
    expect((await adapter.admin('POST', '/api/v1/connections', sample.connection)).status).toBe(201);
    const tested = await adapter.admin('POST', `/api/v1/connections/${sample.connection.name}/test`);
    expect(tested.body).toMatchObject({ ok: true, flavor: 'postgres' });
    expect((await adapter.admin('POST', '/api/v1/subsystems', { code: CODE, title: '住民情報', description: '住民の基本情報' })).status).toBe(201);
    const table = { schema: sample.schema, name: 'residents' };
    for (const def of [
      { name: 'list', title: '住民一覧', kind: 'list', connection: sample.connection.name, table, key: 'id', columns, maxRows: 10 },
      { name: 'get', title: '住民取得', kind: 'get', connection: sample.connection.name, table, key: 'id', columns },
    ]) {
      const saved = await adapter.admin('POST', `/api/v1/subsystems/${CODE}/services`, def);
      expect(saved.status, JSON.stringify(saved.body)).toBe(201);
    }

    const published = await adapter.admin('POST', `/api/v1/subsystems/${CODE}/publish`, { grantTo: CONSUMER_SUBSYSTEM });
    expect(published.status, JSON.stringify(published.body)).toBe(200);
    expect(published.body).toEqual({ provider: PROVIDER_SUBSYSTEM, serviceCode: CODE, url: `${adapter.dataUrl}/${CODE}`, endpoints: 2, granted: CONSUMER_SUBSYSTEM });

    // What the provider's Security Server now holds: one service, the data services as its endpoints.
    const ss = await adminClient(net.provider);
    const onSs = (await ss('GET', services)).json() as Array<{ serviceCode: string; url: string; hasOpenApi: boolean; endpoints: unknown[] }>;
    expect(onSs.find((s) => s.serviceCode === CODE)).toEqual(
      expect.objectContaining({ url: `${adapter.dataUrl}/${CODE}`, hasOpenApi: true, endpoints: ENDPOINTS }),
    );
    const rights = (await ss('GET', `${services}/${CODE}/access-rights`)).json();
    expect(rights).toEqual([{ subsystem: PROVIDER_SUBSYSTEM, serviceCode: CODE, subject: { kind: 'subsystem', id: CONSUMER_SUBSYSTEM }, endpoint: null }]);

    // Publishing again (after a change) is idempotent: same service, same grant.
    expect((await adapter.admin('POST', `/api/v1/subsystems/${CODE}/publish`, { grantTo: CONSUMER_SUBSYSTEM })).status).toBe(200);
    expect((await ss('GET', `${services}/${CODE}/access-rights`)).json()).toHaveLength(1);
  });

  it('answers the consumer’s PR-REST calls with rows from the table, only the listed columns', async () => {
    const list = await prRest(`${CODE}/list?city=eq.tokyo&order=id.asc`);
    expect(list.status, list.body.toString()).toBe(200);
    expect(list.headers['x-road-request-hash']).toBeTruthy();
    expect(list.headers['x-jplink-truncated']).toBe('false');
    expect(list.json()).toEqual({
      rows: [
        { id: 1, user_id: 'u-001', name: '山田 花子', birth_year: 1988, city: 'tokyo' },
        { id: 3, user_id: 'u-003', name: "O'Brien; DROP TABLE residents; --", birth_year: 2001, city: 'tokyo' },
      ],
      truncated: false,
      nextOffset: null,
    });
    const got = await prRest(`${CODE}/get/2`);
    expect(got.status).toBe(200);
    expect(got.json()).toEqual({ id: 2, user_id: 'u-002', name: '佐藤 太郎', birth_year: 1975, city: 'osaka' });
    expect(got.body.toString()).not.toContain('@example.jp'); // email is not a listed column
    // The Adapter Server's own errors travel back unchanged.
    const missing = await prRest(`${CODE}/get/999`);
    expect(missing.status).toBe(404);
    expect(missing.json().error.code).toBe('ADAPTER_ROW_NOT_FOUND');
  });

  it('records the X-Road-Client, X-Road-Id and request id the Security Server passed on', async () => {
    const answer = await prRest(`${CODE}/get/4`);
    expect(answer.status).toBe(200);
    const requestId = answer.headers['x-road-request-id'] as string;
    const xRoadId = answer.headers['x-road-id'] as string;
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(xRoadId).toBeTruthy();
    await adapter.adapter.calls.flush();
    const calls = (await adapter.admin('GET', '/api/v1/calls?limit=100')).body as Array<Record<string, unknown>>;
    expect(calls.find((c) => c.xRoadRequestId === requestId)).toMatchObject({
      subsystemCode: CODE,
      service: 'get',
      method: 'GET',
      xRoadClient: CONSUMER_SUBSYSTEM,
      xRoadId,
      status: 200,
      rows: 1,
    });
  });

  it('getOpenAPI on the consumer’s Security Server returns the document the Adapter Server generated', async () => {
    const answer = await prRest(`getOpenAPI?serviceCode=${CODE}`);
    expect(answer.status).toBe(200);
    const generated = await adapter.admin('GET', `/api/v1/subsystems/${CODE}/openapi.json`);
    expect(answer.json()).toEqual(generated.body);
    expect(answer.json()).toMatchObject({ openapi: '3.0.3', info: { title: '住民情報' }, servers: [{ url: `${adapter.dataUrl}/${CODE}` }] });
    expect(Object.keys(answer.json().paths).sort()).toEqual(['/get/{key}', '/list']);
  });

  it('allowedMethods lists exactly the granted endpoints; an ungranted endpoint is refused by the provider’s Security Server', async () => {
    const allowed = async (client: string) => {
      const answer = await prRest('allowedMethods', client);
      expect(answer.status).toBe(200);
      return answer.json().service as Array<{ service_code: string; endpoint_list: unknown[] }>;
    };
    // The consumer got the whole service when it was published.
    expect((await allowed(CONSUMER_SUBSYSTEM)).find((s) => s.service_code === CODE)?.endpoint_list).toEqual(ENDPOINTS);
    // A second client subsystem: nothing yet, then one endpoint.
    expect((await allowed(narrowClient)).map((s) => s.service_code)).toEqual([]);
    const ss = await adminClient(net.provider);
    const granted = await ss('POST', `${services}/${CODE}/access-rights/grant`, { subject: { kind: 'subsystem', id: narrowClient }, endpoint: { method: 'GET', path: '/get/*' } });
    expect(granted.status, granted.body.toString()).toBe(200);
    expect(await allowed(narrowClient)).toEqual([expect.objectContaining({ service_code: CODE, service_type: 'OPENAPI', endpoint_list: [{ method: 'GET', path: '/get/*' }] })]);

    expect((await prRest(`${CODE}/get/1`, narrowClient)).json()).toMatchObject({ user_id: 'u-001' });
    await adapter.adapter.calls.flush();
    const before = ((await adapter.admin('GET', '/api/v1/calls?limit=1000')).body as unknown[]).length;
    const refused = await prRest(`${CODE}/list`, narrowClient);
    expect(refused.json().type).toBe('server.serverproxy.access_denied');
    // Refused at the provider's Security Server: the Adapter Server never saw the call.
    await adapter.adapter.calls.flush();
    expect(((await adapter.admin('GET', '/api/v1/calls?limit=1000')).body as unknown[]).length).toBe(before);
    expect((await adapter.admin('GET', '/api/v1/calls?limit=1000')).body.filter((c: { xRoadClient: string }) => c.xRoadClient === narrowClient).map((c: { service: string }) => c.service)).toEqual(['get']);
  });
});

describe('publishing errors', () => {
  it('a Security Server that refuses the key → 422 ADAPTER_PUBLISH_REFUSED with its reason', async () => {
    const files = await tempDir('jplink-adapter-wrong-key-');
    const wrongKey = await files.file('ss-key', 'not-the-key\n');
    const other = await startTestAdapter({ ADAPTER_SS_ADMIN_URL: net.provider.adminUrl, ADAPTER_SS_ADMIN_KEY_FILE: wrongKey, ADAPTER_PROVIDER_SUBSYSTEM: PROVIDER_SUBSYSTEM });
    try {
      expect((await other.admin('POST', '/api/v1/subsystems', { code: 'wrong-key', title: 'x' })).status).toBe(201);
      const answer = await other.admin('POST', '/api/v1/subsystems/wrong-key/publish', {});
      expect(answer.status).toBe(422);
      expect(answer.body.error).toMatchObject({ code: 'ADAPTER_PUBLISH_REFUSED', message: expect.stringContaining('KIT_UNAUTHENTICATED'), detail: { status: 401, code: 'KIT_UNAUTHENTICATED' } });
      const failures = (await other.admin('GET', '/api/v1/audit-events?action=service.published')).body as Array<{ outcome: string; details: { reason: string } }>;
      expect(failures[0]).toMatchObject({ outcome: 'failure', details: { reason: expect.stringContaining('KIT_UNAUTHENTICATED') } });
      // Nothing reached the Security Server.
      expect(((await (await adminClient(net.provider))('GET', services)).json() as Array<{ serviceCode: string }>).map((s) => s.serviceCode)).not.toContain('wrong-key');
    } finally {
      await other.stop();
      await rm(files.dir, { recursive: true, force: true });
    }
  });

  it('without a Security Server configured → 409 ADAPTER_PUBLISH_NOT_CONFIGURED', async () => {
    const other = await startTestAdapter();
    try {
      expect((await other.admin('POST', '/api/v1/subsystems', { code: CODE, title: 'x' })).status).toBe(201);
      const answer = await other.admin('POST', `/api/v1/subsystems/${CODE}/publish`, { provider: PROVIDER_SUBSYSTEM });
      expect(answer.status).toBe(409);
      expect(answer.body.error.code).toBe('ADAPTER_PUBLISH_NOT_CONFIGURED');
    } finally {
      await other.stop();
    }
  });
});
