import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  AppError,
  classifyError,
  createHttpApp,
  defineErrors,
  errorResponseSchema,
  KIT_ERRORS,
  type App,
} from '../src/index.ts';
import { captureLogger } from './helpers.ts';

const E = defineErrors({
  TEST_THING_MISSING: { status: 404, message: 'No such thing.' },
  TEST_THING_CONFLICT: { status: 409, message: 'The thing already exists.' },
  TEST_DB_DOWN: { status: 503, message: 'Storage is unavailable.' },
});

const UUID = '3f2b7c1e-8d4a-4b6e-9c1f-2a3b4c5d6e7f';
const SECRET = 'connection to postgres://admin:hunter2@10.1.2.3 failed';

describe('defineErrors / AppError', () => {
  it('fills the code from the key and keeps status and message', () => {
    expect(E.TEST_THING_MISSING).toEqual({ code: 'TEST_THING_MISSING', status: 404, message: 'No such thing.' });
    expect(Object.isFrozen(E)).toBe(true);
    const cause = new Error('row not found');
    const err = new AppError(E.TEST_THING_MISSING, { cause, detail: { id: 'x' } });
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe('TEST_THING_MISSING');
    expect(err.statusCode).toBe(404);
    expect(err.expose).toBe(true);
    expect(err.message).toBe('No such thing.');
    expect(err.cause).toBe(cause);
    expect(err.detail).toEqual({ id: 'x' });
    expect(new AppError(E.TEST_DB_DOWN).expose).toBe(false);
  });

  it('rejects malformed codes and non-error statuses at definition time', () => {
    expect(() => defineErrors({ badCode: { status: 400, message: 'x' } })).toThrow(/upper snake case/);
    expect(() => defineErrors({ TEST_OK: { status: 200, message: 'x' } })).toThrow(/400–599/);
  });

  it('the kit catalogue has the documented statuses', () => {
    const statuses = Object.fromEntries(Object.values(KIT_ERRORS).map((d) => [d.code, d.status]));
    expect(statuses).toMatchObject({
      KIT_INTERNAL: 500,
      KIT_VALIDATION_FAILED: 400,
      KIT_BODY_TOO_LARGE: 413,
      KIT_UNSUPPORTED_MEDIA_TYPE: 415,
      KIT_NOT_FOUND: 404,
      KIT_MALFORMED_BODY: 400,
      KIT_UNAUTHENTICATED: 401,
      KIT_FORBIDDEN: 403,
      KIT_RATE_LIMITED: 429,
      KIT_NOT_READY: 503,
    });
  });

  it('classifies rate-limit errors and foreign errors with a statusCode', () => {
    expect(classifyError({ statusCode: 429, message: 'slow down' }).def.code).toBe('KIT_RATE_LIMITED');
    // An upstream client error carrying statusCode 401 is still OUR internal failure.
    expect(classifyError(Object.assign(new Error('upstream said 401'), { statusCode: 401 })).def.code).toBe('KIT_INTERNAL');
    expect(classifyError('a thrown string').def.code).toBe('KIT_INTERNAL');
    expect(classifyError(undefined).def.code).toBe('KIT_INTERNAL');
  });
});

describe('error handler', () => {
  let app: App;
  const log = captureLogger();

  beforeAll(async () => {
    app = createHttpApp({ name: 'test', logger: log.logger, bodyLimit: 256 });
    app.post(
      '/things/:id',
      {
        schema: {
          params: z.object({ id: z.uuid() }),
          querystring: z.object({ limit: z.coerce.number().int().min(1).max(10).optional() }),
          body: z.object({ name: z.string().min(1), tags: z.array(z.string()).optional() }),
          response: { 200: z.object({ id: z.string(), name: z.string() }) },
        },
      },
      async (req) => ({ id: req.params.id, name: req.body.name }),
    );
    app.get('/search', { schema: { querystring: z.object({ q: z.string().min(3) }) } }, async (req) => ({ q: req.query.q }));
    app.get('/missing', async () => {
      throw new AppError(E.TEST_THING_MISSING, { message: 'Thing 42 does not exist.', detail: { id: '42' } });
    });
    app.get('/conflict', async () => {
      throw new AppError(E.TEST_THING_CONFLICT, { cause: new Error('unique violation') });
    });
    app.get('/down', async () => {
      throw new AppError(E.TEST_DB_DOWN, { message: SECRET, detail: { host: '10.1.2.3' }, cause: new Error(SECRET) });
    });
    app.get('/boom', async () => {
      throw new Error(SECRET);
    });
    app.get('/bad-response', { schema: { response: { 200: z.object({ n: z.number() }) } } }, async () => ({ n: SECRET }) as unknown as { n: number });
    await app.ready();
  });
  afterAll(() => app.close());

  const envelope = (body: string) => errorResponseSchema.parse(JSON.parse(body)).error;

  it('passes a valid request', async () => {
    const res = await app.inject({ method: 'POST', url: `/things/${UUID}?limit=3`, payload: { name: 'a' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ id: UUID, name: 'a' });
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('validation failure → 400 KIT_VALIDATION_FAILED with { path, message } issues (body)', async () => {
    const res = await app.inject({ method: 'POST', url: `/things/${UUID}`, payload: { name: '', tags: [1] } });
    expect(res.statusCode).toBe(400);
    const err = envelope(res.body);
    expect(err.code).toBe('KIT_VALIDATION_FAILED');
    expect(err.message).toBe('Request validation failed');
    expect(err.requestId).toBe(res.headers['x-request-id']);
    const paths = err.issues!.map((i) => i.path).sort();
    expect(paths).toEqual(['body.name', 'body.tags.0']);
    for (const issue of err.issues!) expect(issue.message.length).toBeGreaterThan(0);
  });

  it('validation failure on params and querystring', async () => {
    const p = await app.inject({ method: 'POST', url: '/things/not-a-uuid', payload: { name: 'a' } });
    expect(p.statusCode).toBe(400);
    expect(envelope(p.body).issues).toEqual([{ path: 'params.id', message: expect.any(String) }]);
    const q = await app.inject({ method: 'GET', url: '/search?q=ab' });
    expect(q.statusCode).toBe(400);
    expect(envelope(q.body)).toMatchObject({ code: 'KIT_VALIDATION_FAILED', issues: [{ path: 'querystring.q' }] });
  });

  it('malformed JSON → 400 KIT_MALFORMED_BODY', async () => {
    for (const payload of ['{"name":', '']) {
      const res = await app.inject({
        method: 'POST',
        url: `/things/${UUID}`,
        headers: { 'content-type': 'application/json' },
        payload,
      });
      expect(res.statusCode).toBe(400);
      expect(envelope(res.body).code).toBe('KIT_MALFORMED_BODY');
    }
  });

  it('prototype poisoning → 400 KIT_MALFORMED_BODY', async () => {
    const res = await app.inject({
      method: 'POST',
      url: `/things/${UUID}`,
      headers: { 'content-type': 'application/json' },
      payload: '{"name":"a","__proto__":{"admin":true}}',
    });
    expect(res.statusCode).toBe(400);
    expect(envelope(res.body).code).toBe('KIT_MALFORMED_BODY');
  });

  it('oversize body → 413 KIT_BODY_TOO_LARGE', async () => {
    const res = await app.inject({ method: 'POST', url: `/things/${UUID}`, payload: { name: 'x'.repeat(1000) } });
    expect(res.statusCode).toBe(413);
    expect(envelope(res.body).code).toBe('KIT_BODY_TOO_LARGE');
  });

  it('wrong content type → 415 KIT_UNSUPPORTED_MEDIA_TYPE', async () => {
    const res = await app.inject({
      method: 'POST',
      url: `/things/${UUID}`,
      headers: { 'content-type': 'application/xml' },
      payload: '<thing name="a"/>',
    });
    expect(res.statusCode).toBe(415);
    expect(envelope(res.body).code).toBe('KIT_UNSUPPORTED_MEDIA_TYPE');
  });

  it('unknown route → 404 KIT_NOT_FOUND, echoing a sane incoming X-Request-Id', async () => {
    const res = await app.inject({ method: 'GET', url: '/no/such/route', headers: { 'x-request-id': 'trace-abc.123' } });
    expect(res.statusCode).toBe(404);
    expect(res.headers['x-request-id']).toBe('trace-abc.123');
    expect(envelope(res.body)).toEqual({ code: 'KIT_NOT_FOUND', message: 'Not found', requestId: 'trace-abc.123' });
  });

  it('an insane incoming X-Request-Id is replaced by a UUID', async () => {
    const res = await app.inject({ method: 'GET', url: '/no/such/route', headers: { 'x-request-id': 'a b\u0000<script>' } });
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const long = await app.inject({ method: 'GET', url: '/no/such/route', headers: { 'x-request-id': 'x'.repeat(200) } });
    expect(long.headers['x-request-id']).not.toBe('x'.repeat(200));
  });

  it('an undecodable URL → 400 KIT_BAD_REQUEST in the envelope', async () => {
    const res = await app.inject({ method: 'GET', url: '/things/%E0%A4%A' });
    expect(res.statusCode).toBe(400);
    const err = envelope(res.body);
    expect(err.code).toBe('KIT_BAD_REQUEST');
    expect(err.requestId).toBe(res.headers['x-request-id']);
  });

  it('a thrown 4xx AppError keeps its code, status, message and detail', async () => {
    const res = await app.inject({ method: 'GET', url: '/missing' });
    expect(res.statusCode).toBe(404);
    expect(envelope(res.body)).toEqual({
      code: 'TEST_THING_MISSING',
      message: 'Thing 42 does not exist.',
      requestId: res.headers['x-request-id'],
      detail: { id: '42' },
    });
    const c = await app.inject({ method: 'GET', url: '/conflict' });
    expect(c.statusCode).toBe(409);
    expect(envelope(c.body)).toMatchObject({ code: 'TEST_THING_CONFLICT', message: 'The thing already exists.' });
    expect(c.body).not.toContain('unique violation');
  });

  it('a 5xx AppError sends only the catalogue message; the cause goes to the log', async () => {
    const res = await app.inject({ method: 'GET', url: '/down' });
    expect(res.statusCode).toBe(503);
    const err = envelope(res.body);
    expect(err).toEqual({ code: 'TEST_DB_DOWN', message: 'Storage is unavailable.', requestId: res.headers['x-request-id'] });
    expect(res.body).not.toContain('hunter2');
    expect(res.body).not.toContain('10.1.2.3');
    const line = log.lines().find((l) => l.reqId === err.requestId && l.msg === 'request failed');
    expect(line).toBeDefined();
    expect(line!.level).toBe('error');
    expect(JSON.stringify(line)).toContain('hunter2');
  });

  it('an unknown error → 500 KIT_INTERNAL, no internal text, requestId = X-Request-Id header', async () => {
    const res = await app.inject({ method: 'GET', url: '/boom' });
    expect(res.statusCode).toBe(500);
    const err = envelope(res.body);
    expect(err).toEqual({ code: 'KIT_INTERNAL', message: 'Internal server error', requestId: res.headers['x-request-id'] });
    expect(res.body).not.toContain('hunter2');
    expect(res.body).not.toMatch(/stack|at .*\.ts/);
    const line = log.lines().find((l) => l.reqId === err.requestId && l.msg === 'request failed');
    expect(line).toMatchObject({ level: 'error', code: 'KIT_INTERNAL', err: { message: SECRET } });
  });

  it('a response that does not match its schema → 500 KIT_INTERNAL', async () => {
    const res = await app.inject({ method: 'GET', url: '/bad-response' });
    expect(res.statusCode).toBe(500);
    expect(envelope(res.body).code).toBe('KIT_INTERNAL');
    expect(res.body).not.toContain('hunter2');
  });

  it('4xx are logged at info without the request body', async () => {
    await app.inject({
      method: 'POST',
      url: `/things/${UUID}`,
      headers: { 'x-request-id': 'body-log-check' },
      payload: { name: '', tags: ['very-private-value'] },
    });
    const mine = log.lines().filter((l) => l.reqId === 'body-log-check');
    const rejected = mine.find((l) => l.msg === 'request rejected');
    expect(rejected).toMatchObject({ level: 'info', code: 'KIT_VALIDATION_FAILED', statusCode: 400 });
    expect(JSON.stringify(mine)).not.toContain('very-private-value');
  });
});
