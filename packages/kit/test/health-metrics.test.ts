import { Registry, Counter } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createHttpApp, registerHealth, registerMetrics, runCheck, type App } from '../src/index.ts';
import { captureLogger } from './helpers.ts';

describe('health endpoints', () => {
  it('/healthz is 200 ok and /readyz is 200 when every check passes', async () => {
    const app = createHttpApp({ name: 'h', logger: captureLogger().logger });
    registerHealth(app, { checks: { db: async () => {}, keys: async () => {} } });
    const live = await app.inject({ method: 'GET', url: '/healthz' });
    expect(live.statusCode).toBe(200);
    expect(live.json()).toEqual({ status: 'ok' });
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ok', checks: { db: 'ok', keys: 'ok' } });
    await app.close();
  });

  it('/readyz is 503 naming the failed/timed-out checks without leaking their errors', async () => {
    const log = captureLogger();
    const app = createHttpApp({ name: 'h', logger: log.logger });
    registerHealth(app, {
      timeoutMs: 20,
      checks: {
        db: async () => {
          throw new Error('password authentication failed for user "center"');
        },
        cache: async () => {},
        slow: () => new Promise<void>(() => {}),
      },
    });
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(503);
    const body = res.json();
    expect(body).toEqual({
      status: 'not_ready',
      checks: { db: 'failed', cache: 'ok', slow: 'timeout' },
      error: { code: 'KIT_NOT_READY', message: 'Service not ready', requestId: res.headers['x-request-id'] },
    });
    expect(res.body).not.toContain('password');
    // the cause is logged
    expect(log.raw()).toContain('password authentication failed');
    // liveness is unaffected
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);

    // A silent app stays silent: the probes' own level never makes them louder than the app.
    const quiet = captureLogger('q', 'silent');
    const silentApp = createHttpApp({ name: 'q', logger: quiet.logger });
    registerHealth(silentApp, { checks: { db: async () => { throw new Error('down'); } } });
    expect((await silentApp.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(503);
    expect(quiet.raw()).toBe('');
    await app.close();
  });

  it('runCheck turns a synchronous throw into "failed"', async () => {
    const r = await runCheck(() => {
      throw new Error('sync');
    }, 50);
    expect(r.result).toBe('failed');
  });
});

describe('metrics', () => {
  let app: App;
  let registry: Registry;

  beforeAll(async () => {
    app = createHttpApp({ name: 'm', logger: captureLogger().logger });
    registry = registerMetrics(app, { prefix: 'jplink_test_' });
    app.get('/members/:memberId', { schema: { params: z.object({ memberId: z.string() }) } }, async (req) => ({
      id: req.params.memberId,
    }));
    await app.ready();
  });
  afterAll(() => app.close());

  it('exposes the request histogram labelled by route pattern, not raw URL', async () => {
    await app.inject({ method: 'GET', url: '/members/taro@example.jp' });
    await app.inject({ method: 'GET', url: '/members/JP-GOV-123' });
    await app.inject({ method: 'GET', url: '/nothing/here/42' });
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const text = res.body;
    expect(text).toContain('# TYPE jplink_test_http_request_duration_seconds histogram');
    expect(text).toContain(
      'jplink_test_http_request_duration_seconds_count{method="GET",route="/members/:memberId",status_code="200"} 2',
    );
    expect(text).toMatch(/jplink_test_http_request_duration_seconds_bucket\{le="[^"]+",method="GET",route="\/members\/:memberId",status_code="200"\}/);
    expect(text).toContain('route="(unmatched)",status_code="404"');
    expect(text).not.toContain('taro@example.jp');
    expect(text).not.toContain('JP-GOV-123');
    // default process metrics
    expect(text).toContain('jplink_test_process_cpu_user_seconds_total');
    expect(text).toContain('jplink_test_nodejs_heap_size_used_bytes');
  });

  it('returns the registry so services can add their own metrics', async () => {
    const c = new Counter({ name: 'jplink_test_certificates_issued_total', help: 'x', registers: [registry] });
    c.inc();
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.body).toContain('jplink_test_certificates_issued_total 1');
  });

  it('rejects an invalid prefix', () => {
    const other = createHttpApp({ name: 'm2', logger: captureLogger().logger });
    expect(() => registerMetrics(other, { prefix: 'bad-prefix' })).toThrow(/prefix/);
  });
});
