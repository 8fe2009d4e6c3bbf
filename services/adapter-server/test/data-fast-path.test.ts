// The data port's fast path (src/serving/data-fast-path.ts) answers GET and DELETE data calls
// without Fastify; it must answer exactly as the Fastify route does. Every case is sent twice over
// the real port: once as is (the fast path takes it, or must leave it to Fastify), once with
// `Content-Length: 0`, which the fast path never takes and which changes nothing for Fastify (it
// reads no body for GET, nor for DELETE without a content type). Compared: status, every response
// header in wire order (Date aside), body, the log lines written for the request, its call-log
// row and its audit events; request ids and X-Road-Ids differ only by name.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createPostgresSample, startTestAdapter, type RunningAdapter, type SampleTarget } from '../src/testing.ts';

const PERSONAL_LINK = 'JP-TEST/GOV/9999999999999/personal-link';
const CLIENT = 'JP-TEST/COM/1111111111111/shopping';
const ALICE = 'bid-alice-0001';
const PURPOSE = 'childcare-support';
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

interface Case {
  name: string;
  method?: 'GET' | 'DELETE' | 'HEAD';
  /** The path sent on each way, when the two must differ (a DELETE removes its row). */
  path: string | [fast: string, fastify: string];
  headers?: Record<string, string>;
  /** false: the fast path must leave the request to Fastify. */
  fast?: boolean;
  /** The status both ways must give (a check that the case tests what it says). */
  status: number;
}

interface WireAnswer {
  status: number;
  /** [name, value] in the order they were sent, without Date. */
  headers: Array<[string, string]>;
  body: string;
}

function send(port: number, method: string, path: string, headers: Record<string, string>): Promise<WireAnswer> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port, method, path, headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const pairs: Array<[string, string]> = [];
        for (let i = 0; i < response.rawHeaders.length; i += 2) pairs.push([response.rawHeaders[i]!, response.rawHeaders[i + 1]!]);
        resolve({ status: response.statusCode!, headers: pairs.filter(([name]) => name.toLowerCase() !== 'date'), body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    request.on('error', reject);
    request.end();
  });
}

describe('data port fast path: the same answers as the Fastify route', () => {
  let adapter: RunningAdapter;
  let sample: SampleTarget;
  let port: number;
  /** Log calls on request child loggers, by reqId: [level, fields, message]. */
  const logged = new Map<string, unknown[]>();

  beforeAll(async () => {
    adapter = await startTestAdapter({ ADAPTER_PERSONAL_LINK_CLIENT: PERSONAL_LINK });
    port = Number(new URL(adapter.dataUrl).port);
    sample = await createPostgresSample();
    const residents = `${sample.schema}.residents`;
    // Keys that need percent-encoding in a path; ids 5…10 are deleted by the DELETE cases.
    for (const userId of ['a/b?c%d e', '日本', 'x+y@z', 'a;b', 'q#r&s=t', 'del-5', 'del-6', 'del-7', 'del-8', 'del-9', 'del-10']) {
      await sample.exec(`insert into ${residents} (user_id, name) values ($1, 'n')`, [userId]);
    }
    expect((await adapter.admin('POST', '/api/v1/connections', sample.connection)).status).toBe(201);
    expect((await adapter.admin('POST', '/api/v1/subsystems', { code: 'desk', title: 'desk' })).status).toBe(201);
    const table = { schema: sample.schema!, name: 'residents' };
    const columns = [
      { name: 'id', type: 'integer', filterable: true, sortable: true },
      { name: 'user_id', type: 'string', filterable: true },
      { name: 'name', type: 'string' },
      { name: 'email', type: 'string' },
      { name: 'birth_year', type: 'integer' },
      { name: 'city', type: 'string' },
      { name: 'active', type: 'boolean' },
      { name: 'registered_on', type: 'date' },
      { name: 'points', type: 'number' },
    ];
    const connection = sample.connection.name;
    for (const def of [
      { name: 'get', kind: 'get', table, key: 'id', columns },
      { name: 'by-user', kind: 'get', table, key: 'user_id', columns },
      { name: 'list', kind: 'list', table, key: 'id', columns },
      { name: 'small', kind: 'list', table, key: 'id', columns, maxResponseBytes: 1024 },
      { name: 'hidden', kind: 'list', table, key: 'id', columns, enabled: false },
      { name: 'remove', kind: 'delete', table, key: 'id', columns: [{ name: 'id', type: 'integer' }] },
      { name: 'sneaky', kind: 'query', sql: `update ${residents} set city = 'x' where id = 1` },
      { name: 'resident', kind: 'get', table, key: 'id', columns: columns.slice(0, 4), personal: { userIdColumn: 'user_id' } },
    ]) {
      const saved = await adapter.admin('POST', '/api/v1/subsystems/desk/services', { title: def.name, connection, ...def });
      expect(saved.status, `${def.name}: ${JSON.stringify(saved.body)}`).toBe(201);
    }
    expect((await adapter.admin('PUT', `/api/v1/id-conversions/${ALICE}`, { localUserId: 'u-001' })).status).toBe(200);
    const hours = (n: number) => new Date(Date.now() + n * 3_600_000).toISOString();
    const consent = { baseId: ALICE, client: CLIENT, subsystemCode: 'desk', dataItems: ['id', 'name'], purpose: PURPOSE, validFrom: hours(-1), validUntil: hours(24), status: 'active', version: 1 };
    const reflected = await adapter.data('PUT', '/_personal-link/consents/c-fast-path-1', { client: PERSONAL_LINK, body: consent });
    expect(reflected.status, JSON.stringify(reflected.body)).toBe(200);

    // Both ways log through children of the app's logger ({ reqId }); record what each one logs.
    const log = adapter.adapter.dataApp.log;
    const child = log.child.bind(log);
    vi.spyOn(log, 'child').mockImplementation((bindings, options) => {
      const made = child(bindings, options);
      const reqId = (bindings as { reqId?: unknown }).reqId;
      if (typeof reqId !== 'string') return made;
      for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const) {
        made[level] = ((fields: unknown, message: unknown) => {
          const plain = JSON.parse(JSON.stringify(fields, (_k, v: unknown) => (v instanceof Error ? { name: v.name, message: v.message, code: (v as { code?: unknown }).code } : v)));
          logged.set(reqId, [...(logged.get(reqId) ?? []), [level, plain, message]]);
        }) as never;
      }
      return made;
    });
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await adapter?.stop();
    await sample?.drop();
  });

  const personal = { 'x-jplink-base-id': ALICE, 'x-jplink-purpose': PURPOSE };
  const cases: Case[] = [
    { name: 'get by integer key', path: '/desk/get/1', status: 200 },
    { name: 'get with a query string', path: '/desk/get/2?select=id,name', status: 200 },
    { name: 'no such row', path: '/desk/get/999999', status: 404 },
    { name: 'key the column type refuses', path: '/desk/get/abc', status: 400 },
    { name: 'key that is SQL', path: "/desk/get/1%20OR%201=1", status: 400 },
    { name: 'get without its key', path: '/desk/get', status: 404 },
    { name: 'list', path: '/desk/list?limit=3&order=id.desc', status: 200 },
    { name: 'list with a bad filter', path: '/desk/list?limit=abc', status: 400 },
    { name: 'list given a key', path: '/desk/list/1', status: 404 },
    { name: 'unknown service', path: '/desk/nope', status: 404 },
    { name: 'unknown subsystem', path: '/nowhere/list', status: 404 },
    { name: 'disabled service', path: '/desk/hidden', status: 404 },
    { name: 'wrong method', method: 'DELETE', path: '/desk/get/1', status: 404 },
    { name: 'answer beyond maxResponseBytes (detail)', path: '/desk/small?limit=100', status: 400 },
    { name: 'read-only query that writes (5xx, logged as error)', path: '/desk/sneaky', status: 500 },
    { name: 'no X-Road-Client', path: '/desk/get/1', headers: { 'x-road-client': '' }, status: 400 },
    { name: 'malformed X-Road-Client', path: '/desk/get/1', headers: { 'x-road-client': 'JP-TEST/COM/1111111111111' }, status: 400 },
    { name: 'X-Road-Client with ":" separators', path: '/desk/get/1', headers: { 'x-road-client': 'JP-TEST:COM:1111111111111:shopping' }, status: 200 },
    { name: 'X-Request-Id not a sane token: a new one', path: '/desk/get/1', headers: { 'x-request-id': 'bad id!' }, status: 200 },
    { name: 'no X-Request-Id: a new one', path: '/desk/get/1', headers: { 'x-request-id': '' }, status: 200 },
    { name: 'no X-Request-Id, refused: a new one in the envelope', path: '/desk/get/abc', headers: { 'x-request-id': '' }, status: 400 },
    // Percent-decoding of the segments, as Fastify's router does it.
    { name: 'plain string key', path: '/desk/by-user/u-001', status: 200 },
    { name: 'encoded reserved characters', path: '/desk/by-user/a%2Fb%3Fc%25d%20e', status: 200 },
    { name: 'lower-case escapes', path: '/desk/by-user/a%2fb%3fc%25d%20e', status: 200 },
    { name: 'encoded UTF-8', path: '/desk/by-user/%E6%97%A5%E6%9C%AC', status: 200 },
    { name: 'encoded + and @', path: '/desk/by-user/x%2By%40z', status: 200 },
    { name: 'raw + and @ (not decoded)', path: '/desk/by-user/x+y@z', status: 200 },
    { name: 'raw ; (not a delimiter)', path: '/desk/by-user/a;b', status: 200 },
    { name: 'encoded # & =', path: '/desk/by-user/q%23r%26s%3Dt', status: 200 },
    { name: '%25 followed by hex digits', path: '/desk/by-user/%2541', status: 404 },
    { name: 'encoded segment names', path: '/d%65sk/g%65t/1', status: 200 },
    { name: 'key of 100 characters', path: `/desk/by-user/${'k'.repeat(100)}`, status: 404 },
    // Left to Fastify.
    { name: 'truncated UTF-8 escape', path: '/desk/by-user/%E6%97', fast: false, status: 400 },
    { name: 'escape that is not hex', path: '/desk/by-user/%zz', fast: false, status: 400 },
    { name: 'bad escape in the service name', path: '/desk/g%ZZt/1', fast: false, status: 400 },
    { name: 'key longer than the router allows', path: `/desk/by-user/${'k'.repeat(101)}`, fast: false, status: 400 },
    { name: 'service name longer than the params schema allows', path: `/desk/${'s'.repeat(64)}`, fast: false, status: 400 },
    { name: 'empty key (Fastify matches it as "")', path: '/desk/get/', fast: false, status: 400 },
    { name: 'empty subsystem', path: '//get/1', fast: false, status: 404 },
    { name: 'four segments', path: '/desk/get/1/more', fast: false, status: 404 },
    { name: 'a health route’s first segment', path: '/healthz/x', fast: false, status: 404 },
    { name: 'HEAD (no data route)', method: 'HEAD', path: '/desk/get/1', fast: false, status: 404 },
    // Personal data: the decision and its audit event.
    { name: 'personal: allowed columns', path: '/desk/resident/1', headers: personal, status: 200 },
    { name: 'personal: not the resident’s row', path: '/desk/resident/2', headers: personal, status: 404 },
    { name: 'personal: no BaseID', path: '/desk/resident/1', headers: { 'x-jplink-purpose': PURPOSE }, status: 400 },
    { name: 'personal: other purpose', path: '/desk/resident/1', headers: { ...personal, 'x-jplink-purpose': 'marketing' }, status: 403 },
    // DELETE: each way removes its own row, then finds it gone.
    { name: 'delete', method: 'DELETE', path: ['/desk/remove/5', '/desk/remove/6'], status: 204 },
    { name: 'delete again', method: 'DELETE', path: ['/desk/remove/5', '/desk/remove/6'], status: 404 },
    { name: 'delete with a key the column type refuses', method: 'DELETE', path: '/desk/remove/x', status: 400 },
  ];

  const normalise = (text: string, requestId: string, xRoadId: string) => text.replaceAll(requestId, 'REQUEST-ID').replaceAll(xRoadId, 'X-ROAD-ID').replace(UUID, 'GENERATED-ID');

  for (const [index, c] of cases.entries()) {
    it(`${c.name}: ${c.method ?? 'GET'} ${Array.isArray(c.path) ? c.path.join(' | ') : c.path}`, async () => {
      const method = c.method ?? 'GET';
      const [fastPath, fastifyPath] = Array.isArray(c.path) ? c.path : [c.path, c.path];
      const ways = [
        { requestId: `fast-${index}`, path: fastPath, extra: {} as Record<string, string> },
        { requestId: `slow-${index}`, path: fastifyPath, extra: { 'content-length': '0' } },
      ];
      const answers: string[] = [];
      for (const [n, way] of ways.entries()) {
        const headers: Record<string, string> = { 'x-road-client': CLIENT, 'x-request-id': way.requestId, 'x-road-id': way.requestId, 'x-road-request-id': 'rq-1', 'x-road-userid': 'JP:staff-1', ...c.headers, ...way.extra };
        for (const [name, value] of Object.entries(headers)) if (value === '') delete headers[name];
        const before = adapter.adapter.dataFastPathAnswered;
        const answer = await send(port, method, way.path, headers);
        const tookFast = adapter.adapter.dataFastPathAnswered - before;
        expect(tookFast, n === 0 ? 'taken by the fast path' : 'left to Fastify').toBe(n === 0 && c.fast !== false ? 1 : 0);
        expect(answer.status, answer.body).toBe(c.status);
        if (answer.body.startsWith('{"error"')) expect(JSON.parse(answer.body).error.requestId).toBe(answer.headers.find(([name]) => name === 'x-request-id')?.[1]);
        // The request's log lines, under the id it was answered with (given or generated).
        const answeredId = answer.headers.find(([name]) => name === 'x-request-id')?.[1] ?? '';
        const logs = JSON.stringify(logged.get(answeredId) ?? []);
        answers.push(normalise(JSON.stringify({ status: answer.status, headers: answer.headers, body: answer.body, logs }), way.requestId, way.requestId));
      }
      expect(answers[0]).toBe(answers[1]);
    });
  }

  it('takes the HTTPS data port’s calls too', async () => {
    const before = adapter.adapter.dataFastPathAnswered;
    const answer = await new Promise<{ status: number; type: string | undefined; body: string }>((resolve, reject) => {
      const url = new URL('/desk/get/1', adapter.dataHttpsUrl);
      const request = httpsRequest(url, { headers: { 'x-road-client': CLIENT }, rejectUnauthorized: false, agent: false }, (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
        response.on('end', () => resolve({ status: response.statusCode!, type: response.headers['content-type'], body }));
      });
      request.on('error', reject);
      request.end();
    });
    expect(answer.status, answer.body).toBe(200);
    expect(answer.type).toBe('application/json; charset=utf-8');
    expect(JSON.parse(answer.body)).toMatchObject({ id: 1, user_id: 'u-001' });
    expect(adapter.adapter.dataFastPathAnswered - before).toBe(1);
  });

  it('wrote the same call-log rows and audit events both ways', async () => {
    await adapter.adapter.calls.flush();
    const calls = (await adapter.admin('GET', '/api/v1/calls?limit=1000')).body as Array<Record<string, unknown>>;
    const events = (await adapter.admin('GET', '/api/v1/audit-events?limit=1000')).body as Array<{ action: string; actor: string; target: string | null; outcome: string; details: Record<string, unknown> }>;
    let compared = 0;
    for (const index of cases.keys()) {
      const row = (way: string) => {
        const found = calls.filter((call) => call.xRoadId === `${way}-${index}`);
        return found.map(({ at: _at, durationMs: _d, xRoadId: _x, ...rest }) => rest);
      };
      const audited = (way: string) => events.filter((e) => e.details.xRoadId === `${way}-${index}`).map((e) => ({ ...e, at: undefined, id: undefined, details: { ...e.details, xRoadId: undefined } }));
      expect(row('fast'), cases[index]!.name).toEqual(row('slow'));
      expect(audited('fast'), cases[index]!.name).toEqual(audited('slow'));
      compared += row('fast').length;
    }
    // Every call that reached a data service has its row (not the ones Fastify refused before).
    expect(compared).toBeGreaterThan(35);
    expect(events.filter((e) => String(e.details.xRoadId).startsWith('fast-')).length).toBe(4);
  });
});
