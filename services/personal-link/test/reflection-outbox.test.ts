// The consent reflection outbox and its worker on real PostgreSQL, against a local HTTP server that
// plays Personal-Link's Security Server: idempotent enqueue, retries with backoff, 409 stale and
// permanent refusals, newest-version-only ordering, two workers sharing one outbox (SKIP LOCKED),
// waitForAcknowledgement, status and metrics.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { createLogger } from '@jplink/kit';
import { createTestDatabase, type TestDatabase } from '@jplink/db/testing';
import type { ConsentReflection } from '@jplink/contracts';
import { plMigrations } from '../src/db/migrations.ts';
import type { PlTables } from '../src/db/schema.ts';
import { createPlAuditor } from '../src/audit.ts';
import { enqueueReflection, reflectionStatus, waitForAcknowledgement } from '../src/reflection/outbox.ts';
import { createReflectionWorker, type ReflectionWorker, type ReflectionWorkerOptions } from '../src/reflection/worker.ts';

const PL = 'JP-TEST/GOV/9999999999999/personal-link';
const PROVIDER = 'JP-TEST/COM/2222222222222/healthcare';
const logger = createLogger({ name: 'reflection-test', level: 'silent' });

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: any;
}
/** Answers each request with the next scripted answer for its consent (default 200 created). */
interface FakeSs {
  url: string;
  seen: Seen[];
  script: Map<string, Array<{ status: number; body?: unknown; delayMs?: number; headers?: Record<string, string> }>>;
  delayMs: number;
  close(): Promise<void>;
}

async function startFakeSs(): Promise<FakeSs> {
  const fake: FakeSs = { url: '', seen: [], script: new Map(), delayMs: 0, close: async () => {} };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      fake.seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: text ? JSON.parse(text) : undefined });
      const consentId = decodeURIComponent(req.url!.split('/').pop()!);
      const answer = fake.script.get(consentId)?.shift() ?? { status: 200, body: { consentId, result: 'created' } };
      setTimeout(() => {
        res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
        res.end(JSON.stringify(answer.body ?? {}));
      }, answer.delayMs ?? fake.delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  fake.close = () => new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
  return fake;
}

const payload = (version: number, extra: Partial<ConsentReflection> = {}): ConsentReflection => ({
  baseId: 'bid-alice-0001',
  client: 'JP-TEST/COM/1111111111111/shopping',
  subsystemCode: 'health',
  dataItems: ['name', 'city'],
  purpose: 'childcare-support',
  validFrom: '2026-11-25T00:00:00Z',
  validUntil: '2027-11-25T00:00:00Z',
  status: 'active',
  version,
  ...extra,
});
const enqueue = (consentId: string, version: number, extra: Partial<ConsentReflection> = {}) => enqueueReflection(database.db, { consentId, providerSubsystem: PROVIDER, payload: payload(version, extra) });
const rows = (consentId: string) => database.db.selectFrom('reflection_outbox').selectAll().where('consent_id', '=', consentId).orderBy('version').execute();
const sentFor = (consentId: string) => fake.seen.filter((s) => s.url.endsWith(`/${consentId}`));

let database: TestDatabase<PlTables>;
let fake: FakeSs;
const workers: ReflectionWorker[] = [];
const worker = (opts: Partial<ReflectionWorkerOptions> = {}) => {
  const w = createReflectionWorker({ db: database.db, logger, audit: createPlAuditor(database.db), ssUrl: fake.url, client: PL, backoffBaseMs: 40, backoffMaxMs: 200, pollIntervalMs: 60_000, ...opts });
  workers.push(w);
  return w;
};
/** Runs rounds until nothing is pending for the consent (or gives up). */
const drain = async (w: ReflectionWorker, consentId: string, maxMs = 5000) => {
  const until = Date.now() + maxMs;
  while (Date.now() < until) {
    await w.runOnce();
    if ((await rows(consentId)).every((r) => r.state !== 'pending')) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`still pending: ${consentId}`);
};

beforeAll(async () => {
  database = await createTestDatabase<PlTables>('personal_link', plMigrations, { poolMax: 10 });
  fake = await startFakeSs();
});
afterEach(async () => {
  for (const w of workers.splice(0)) await w.stop();
});
afterAll(async () => {
  await fake?.close();
  await database?.drop();
});

describe('enqueueReflection', () => {
  it('is idempotent on (consent, version) and validates what it queues', async () => {
    await enqueue('c-idem', 1);
    await enqueue('c-idem', 1, { dataItems: ['other'] });
    const [row, ...more] = await rows('c-idem');
    expect(more).toEqual([]);
    expect(row).toMatchObject({ version: 1, provider_subsystem: PROVIDER, service_code: null, state: 'pending', attempts: 0, last_error: null, acknowledged_at: null, result: null });
    expect(row!.payload).toEqual(payload(1));
    await expect(enqueueReflection(database.db, { consentId: 'bad id!', providerSubsystem: PROVIDER, payload: payload(1) })).rejects.toThrow();
    await expect(enqueueReflection(database.db, { consentId: 'c-x', providerSubsystem: 'not/a/subsystem', payload: payload(1) })).rejects.toThrow();
    await expect(enqueueReflection(database.db, { consentId: 'c-x', providerSubsystem: PROVIDER, payload: { ...payload(1), dataItems: [] } })).rejects.toThrow();
    expect(await rows('c-x')).toEqual([]);
    await database.db.deleteFrom('reflection_outbox').where('consent_id', '=', 'c-idem').execute();
  });

  it('joins the caller’s transaction: rolled back, nothing is queued', async () => {
    await expect(
      database.db.transaction().execute(async (trx) => {
        await enqueueReflection(trx, { consentId: 'c-rollback', providerSubsystem: PROVIDER, payload: payload(1) });
        throw new Error('consent change failed');
      }),
    ).rejects.toThrow('consent change failed');
    expect(await rows('c-rollback')).toEqual([]);
  });
});

describe('the worker', () => {
  it('sends PUT /r1/{provider}/consents/{consentId} through the Security Server with X-Road-Client and X-Road-Id, the payload as the body', async () => {
    await enqueue('c-send', 1);
    await drain(worker(), 'c-send');
    const [sent, ...again] = sentFor('c-send');
    expect(again).toEqual([]);
    expect(sent!.method).toBe('PUT');
    expect(sent!.url).toBe(`/r1/${PROVIDER}/consents/c-send`);
    expect(sent!.headers['x-road-client']).toBe(PL);
    expect(sent!.headers['x-road-id']).toBe('reflect-c-send-v1');
    expect(sent!.headers['content-type']).toBe('application/json');
    expect(sent!.body).toEqual(payload(1));
    expect((await rows('c-send'))[0]).toMatchObject({ state: 'acknowledged', result: 'created', attempts: 1, last_error: null });
    // A row enqueued with its own service code goes there.
    await enqueueReflection(database.db, { consentId: 'c-code', providerSubsystem: PROVIDER, payload: payload(1), serviceCode: 'consents-v2' });
    await drain(worker(), 'c-code');
    expect(sentFor('c-code')[0]!.url).toBe(`/r1/${PROVIDER}/consents-v2/c-code`);
  });

  it('retries 5xx, 408, 429 and network errors with growing, jittered delays until acknowledged', async () => {
    fake.script.set('c-retry', [
      { status: 500, body: { type: 'server.serverproxy.service_failed', message: 'x', detail: 'y' }, headers: { 'x-road-error': 'server.serverproxy.service_failed' } },
      { status: 500, body: { error: { code: 'KIT_INTERNAL', message: 'x', requestId: 'r' } } },
      { status: 408 },
      { status: 429 },
      // Personal-Link's own Security Server does not know its subsystem (yet): its configuration, not this row.
      { status: 400, body: { type: 'client.unknown_client', message: 'x', detail: 'y' }, headers: { 'x-road-error': 'client.unknown_client' } },
      { status: 200, body: { consentId: 'c-retry', result: 'updated' } },
    ]);
    await enqueue('c-retry', 1);
    // Jitter keeps 50–100 % of the doubled delay; random() = 0.5 → 75 %.
    const w = worker({ backoffBaseMs: 200, backoffMaxMs: 1000, random: () => 0.5 });
    const gaps: number[] = [];
    let last = 0;
    for (let i = 0; i < 6; i++) {
      // Not sent again before its next_attempt_at.
      const [row] = await rows('c-retry');
      if (i > 0) {
        expect(row!.state).toBe('pending');
        expect(await w.runOnce()).toBe(0);
        const wait = new Date(row!.next_attempt_at).getTime() - new Date(row!.last_attempt_at!).getTime();
        gaps.push(wait);
        await new Promise((r) => setTimeout(r, Math.max(0, new Date(row!.next_attempt_at).getTime() - Date.now()) + 30));
      }
      expect(await w.runOnce()).toBe(1);
      last = i;
    }
    expect(last).toBe(5);
    // base 200 ms doubling, capped at 1 s: attempt n waits ¾ × min(1000, 200·2^(n-1)), plus the time the answer took.
    const expected = [150, 300, 600, 750, 750];
    gaps.forEach((gap, i) => {
      expect(gap, `gap ${i}`).toBeGreaterThanOrEqual(expected[i]! - 1);
      expect(gap, `gap ${i}`).toBeLessThanOrEqual(expected[i]! + 250);
    });
    expect((await rows('c-retry'))[0]).toMatchObject({ state: 'acknowledged', result: 'updated', attempts: 6, last_error: null });
    expect(sentFor('c-retry')).toHaveLength(6);

    // Nobody listening at all: a network error, retried; last_error says so without any payload.
    const closed = await startFakeSs();
    await closed.close();
    const offline = worker({ ssUrl: closed.url });
    await enqueue('c-offline', 1);
    expect(await offline.runOnce()).toBe(1);
    const [row] = await rows('c-offline');
    expect(row).toMatchObject({ state: 'pending', attempts: 1 });
    expect(row!.last_error).toMatch(/^network /);
    expect(row!.last_error).not.toContain('bid-alice');
    // The real Security Server being back: delivered.
    await new Promise((r) => setTimeout(r, 60));
    await drain(worker(), 'c-offline');
    expect((await rows('c-offline'))[0]).toMatchObject({ state: 'acknowledged', attempts: 2 });
  });

  it('409 ADAPTER_CONSENT_STALE → acknowledged as stale (the provider holds this version or a newer one)', async () => {
    fake.script.set('c-stale', [{ status: 409, body: { error: { code: 'ADAPTER_CONSENT_STALE', message: 'stale', requestId: 'r' } } }]);
    await enqueue('c-stale', 2);
    await drain(worker(), 'c-stale');
    expect((await rows('c-stale'))[0]).toMatchObject({ state: 'acknowledged', result: 'stale', attempts: 1 });
    expect(await waitForAcknowledgement(database.db, 'c-stale', 2, 100)).toBe(true);
  });

  it('the Adapter Server’s 400 and the Security Server’s access_denied (500) → failed permanently, with the error code, an audit event and the failure metric', async () => {
    const registry = new Registry();
    const w = worker({ registry });
    fake.script.set('c-bad', [{ status: 400, body: { error: { code: 'KIT_VALIDATION_FAILED', message: 'x', requestId: 'r' } } }]);
    fake.script.set('c-denied', [{ status: 500, body: { type: 'server.serverproxy.access_denied', message: 'denied', detail: 'd' }, headers: { 'x-road-error': 'server.serverproxy.access_denied' } }]);
    await enqueue('c-bad', 1);
    await enqueue('c-denied', 1);
    await drain(w, 'c-bad');
    await drain(w, 'c-denied');
    expect((await rows('c-bad'))[0]).toMatchObject({ state: 'failed-permanently', last_error: '400 KIT_VALIDATION_FAILED', attempts: 1, acknowledged_at: null });
    expect((await rows('c-denied'))[0]).toMatchObject({ state: 'failed-permanently', last_error: '500 server.serverproxy.access_denied' });
    // Not sent again.
    await w.runOnce();
    expect(sentFor('c-bad')).toHaveLength(1);
    expect(await waitForAcknowledgement(database.db, 'c-bad', 1, 5000)).toBe(false); // at once, not after 5 s

    const audit = await database.db.selectFrom('audit_events').selectAll().where('action', '=', 'reflection.failed').orderBy('target').execute();
    expect(audit.map((e) => ({ target: e.target, outcome: e.outcome, details: e.details }))).toEqual([
      { target: 'c-bad', outcome: 'failure', details: { version: 1, provider: PROVIDER, serviceCode: 'consents', status: 400, code: 'KIT_VALIDATION_FAILED', attempts: 1 } },
      { target: 'c-denied', outcome: 'failure', details: { version: 1, provider: PROVIDER, serviceCode: 'consents', status: 500, code: 'server.serverproxy.access_denied', attempts: 1 } },
    ]);
    const metrics = await registry.metrics();
    expect(metrics).toMatch(/jplink_personal_link_reflection_attempts_total\{outcome="failed"\} 2/);
    expect(metrics).toMatch(/jplink_personal_link_reflection_failed_permanently [1-9]/);

    const status = await reflectionStatus(database.db, 'c-bad');
    expect(status).toMatchObject({ consentId: 'c-bad', acknowledgedVersion: null, latest: { version: 1, state: 'failed-permanently', attempts: 1, lastError: '400 KIT_VALIDATION_FAILED', nextAttemptAt: null } });
  });

  it('sends only the newest version of a consent; older pending versions are superseded', async () => {
    await enqueue('c-order', 1);
    await enqueue('c-order', 2, { dataItems: ['name'] });
    await enqueue('c-order', 3, { status: 'withdrawn' });
    await drain(worker(), 'c-order');
    expect(sentFor('c-order').map((s) => s.body.version)).toEqual([3]);
    expect((await rows('c-order')).map((r) => [r.version, r.state, r.result])).toEqual([
      [1, 'acknowledged', 'superseded'],
      [2, 'acknowledged', 'superseded'],
      [3, 'acknowledged', 'created'],
    ]);
    const status = await reflectionStatus(database.db, 'c-order');
    expect(status.acknowledgedVersion).toBe(3);
    expect(status.latest).toMatchObject({ version: 3, state: 'acknowledged', result: 'created' });
    // A version still retrying does not hold back a newer one (a withdrawal goes out at once).
    fake.script.set('c-order2', [{ status: 503 }, { status: 503 }, { status: 503 }]);
    const w = worker({ backoffBaseMs: 60_000, backoffMaxMs: 60_000 });
    await enqueue('c-order2', 1);
    expect(await w.runOnce()).toBe(1);
    expect((await rows('c-order2'))[0]).toMatchObject({ state: 'pending', attempts: 1 });
    await enqueue('c-order2', 2, { status: 'withdrawn' });
    fake.script.set('c-order2', []);
    expect(await w.runOnce()).toBe(1);
    expect(sentFor('c-order2').map((s) => s.body.version)).toEqual([1, 2]);
    expect((await rows('c-order2')).map((r) => [r.version, r.state, r.result])).toEqual([
      [1, 'acknowledged', 'superseded'],
      [2, 'acknowledged', 'created'],
    ]);
    // waiting for version 1 is answered by version 2's acknowledgement.
    expect(await waitForAcknowledgement(database.db, 'c-order2', 1, 100)).toBe(true);
  });

  it('two workers on one outbox never send the same row twice (FOR UPDATE SKIP LOCKED + lease)', async () => {
    fake.delayMs = 30;
    const ids = Array.from({ length: 40 }, (_, i) => `c-pair-${i}`);
    for (const id of ids) await enqueue(id, 1);
    const a = worker({ batchSize: 7 });
    const b = worker({ batchSize: 7 });
    const counts = { a: 0, b: 0 };
    const loop = async (w: ReflectionWorker, key: 'a' | 'b') => {
      for (let i = 0; i < 30; i++) counts[key] += await w.runOnce();
    };
    await Promise.all([loop(a, 'a'), loop(b, 'b')]);
    fake.delayMs = 0;
    const sent = fake.seen.filter((s) => s.url.includes('/c-pair-')).map((s) => s.headers['x-road-id']);
    expect(sent).toHaveLength(40);
    expect(new Set(sent).size).toBe(40);
    expect(counts.a + counts.b).toBe(40);
    expect(counts.a).toBeGreaterThan(0);
    expect(counts.b).toBeGreaterThan(0);
    const states = await database.db.selectFrom('reflection_outbox').select(['state', 'attempts']).where('consent_id', 'like', 'c-pair-%').execute();
    expect(states.every((s) => s.state === 'acknowledged' && s.attempts === 1)).toBe(true);
  });

  it('a started worker wakes on enqueue; waitForAcknowledgement answers true when acknowledged, false on timeout', async () => {
    const w = worker();
    w.start();
    const started = Date.now();
    await enqueue('c-wait', 1);
    expect(await waitForAcknowledgement(database.db, 'c-wait', 1, 3000)).toBe(true);
    expect(Date.now() - started).toBeLessThan(1500); // not the 60 s poll interval
    // The three-argument form (the worker's database).
    await enqueue('c-wait', 2, { status: 'withdrawn' });
    expect(await waitForAcknowledgement('c-wait', 2, 3000)).toBe(true);
    expect(sentFor('c-wait').map((s) => s.body.status)).toEqual(['active', 'withdrawn']);

    // Unreachable provider: false after the timeout, and the row keeps retrying.
    fake.script.set('c-slow', Array.from({ length: 50 }, () => ({ status: 504 })));
    await enqueue('c-slow', 1);
    const before = Date.now();
    expect(await waitForAcknowledgement(database.db, 'c-slow', 1, 400)).toBe(false);
    expect(Date.now() - before).toBeGreaterThanOrEqual(390);
    const [row] = await rows('c-slow');
    expect(row!.state).toBe('pending');
    expect(row!.attempts).toBeGreaterThanOrEqual(2);
    expect(row!.last_error).toBe('504 unknown');
    fake.script.set('c-slow', []);
    expect(await waitForAcknowledgement(database.db, 'c-slow', 1, 3000)).toBe(true);
    const status = await w.status();
    expect(status).toMatchObject({ running: true });
  });

  it('without PL_SS_URL / PL_SUBSYSTEM it does not start and says why; rows wait', async () => {
    const w = worker({ ssUrl: undefined, client: undefined });
    expect(w.configured).toBe(false);
    w.start();
    await enqueue('c-unconfigured', 1);
    expect(await w.runOnce()).toBe(0);
    const status = await w.status();
    expect(status.running).toBe(false);
    expect(status.reason).toMatch(/PL_SS_URL and PL_SUBSYSTEM/);
    expect(status.pending).toBeGreaterThanOrEqual(1);
    expect(status.oldestPendingAgeSeconds).toBeGreaterThanOrEqual(0);
    expect((await rows('c-unconfigured'))[0]).toMatchObject({ state: 'pending', attempts: 0 });
    // Clean up for other tests' counts.
    await database.db.deleteFrom('reflection_outbox').where('consent_id', '=', 'c-unconfigured').execute();
  });
});
