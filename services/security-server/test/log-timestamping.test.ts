// Batch timestamping of the message log (docs/protocols/evidence.md §1) against the real Center TSA:
// records of real exchanges get RFC 3161 timestamps that OpenSSL accepts; with the TSA unreachable
// exchange continues within the tolerance, is refused past it with the documented error, and
// resumes once the TSA answers again — every waiting record then gets its timestamp.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHashTree } from '@jplink/exchange';
import { derToPem } from '@jplink/pki';
import { http, openssl, tempDir } from '@jplink/testing';
import { CONSUMER_SUBSYSTEM, adminClient, startTestNetwork, type RunningSs, type TestNetwork } from './helpers/network.ts';
import { startSwitchableProxy, type SwitchableProxy } from './helpers/switchable-proxy.ts';
import { timestampedData } from '@jplink/evidence';
import { createLogger } from '@jplink/kit';
import { Timestamper } from '../src/messagelog/timestamper.ts';
import type { GlobalConfClient } from '../src/conf/global-conf-client.ts';

let net: TestNetwork;
let outage: TestNetwork;
let proxy: SwitchableProxy;

beforeAll(async () => {
  proxy = await startSwitchableProxy();
  // The consumer stamps at the global configuration's interval (60 s) unless asked; the provider every second.
  // The outage network: the TSA behind a proxy that can refuse it, tolerances of 4 s (consumer) and 2 s (provider).
  // One after the other: on the embedded database (no PostgreSQL at hand) parallel migrations collide.
  net = await startTestNetwork({ providerEnv: { SS_TIMESTAMPING_INTERVAL_SECONDS: '1' } });
  outage = await startTestNetwork({
    centerProxy: proxy,
    consumerEnv: { SS_TIMESTAMPING_INTERVAL_SECONDS: '1', SS_TIMESTAMP_FAILURE_TOLERANCE_SECONDS: '4' },
    providerEnv: { SS_TIMESTAMPING_INTERVAL_SECONDS: '1', SS_TIMESTAMP_FAILURE_TOLERANCE_SECONDS: '2' },
  });
}, 120_000);

afterAll(async () => {
  await Promise.all([net?.stop(), outage?.stop()]);
  await proxy?.close();
});

const call = (network: TestNetwork, path = '') =>
  http(network.url('vitals', path), { method: 'POST', headers: { 'x-road-client': CONSUMER_SUBSYSTEM }, body: '{"pulse":61}' });

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Resolves once every record of the server's log is covered by a timestamp. */
async function allStamped(running: RunningSs): Promise<void> {
  const db = running.ss.database.db;
  await waitFor('every record to be timestamped', async () => {
    const last = await db.selectFrom('log_records').select('id').orderBy('id', 'desc').limit(1).executeTakeFirst();
    const covered = await db.selectFrom('log_timestamps').select('last_record_id').orderBy('last_record_id', 'desc').limit(1).executeTakeFirst();
    return last && covered && BigInt(covered.last_record_id) >= BigInt(last.id) ? true : undefined;
  });
}

const recordCount = async (running: RunningSs) =>
  Number((await running.ss.database.db.selectFrom('log_records').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);

describe('batch timestamping', () => {
  it('timestamps the records of real exchanges with the Center TSA; OpenSSL verifies every token', async () => {
    for (let i = 0; i < 6; i++) expect((await call(net, `/a/${i}`)).status).toBe(200);
    const many = await Promise.all(Array.from({ length: 10 }, (_, i) => call(net, `/b/${i}`)));
    expect(many.map((r) => r.status)).toEqual(Array(10).fill(200));
    await net.consumer.ss.timestamper.stampNow();
    const files = await tempDir('jplink-ts-');
    for (const side of ['consumer', 'provider'] as const) {
      const running = net[side];
      await allStamped(running);
      const db = running.ss.database.db;
      const stamps = await db.selectFrom('log_timestamps').selectAll().orderBy('id').execute();
      expect(stamps.length).toBeGreaterThan(0);
      const view = running.ss.context.conf.current('client');
      const rootPem = await files.file(`${side}-root.pem`, view.approvedCaRoots().map((d) => derToPem(d, 'CERTIFICATE')).join(''));
      const untrusted = await files.file(
        `${side}-chain.pem`,
        [...view.approvedCaIntermediates(), Buffer.from(view.tsas[0]!.certificate, 'base64')].map((d) => derToPem(d, 'CERTIFICATE')).join(''),
      );
      let covered = 0;
      for (const stamp of stamps) {
        // The stored root is the hash tree of the record hashes of the range, in id order.
        const records = await db
          .selectFrom('log_records')
          .select(['record_hash'])
          .where('id', '>=', stamp.first_record_id)
          .where('id', '<=', stamp.last_record_id)
          .orderBy('id')
          .execute();
        expect(records.length).toBe(stamp.record_count);
        covered += records.length;
        const { root } = buildHashTree(records.map((r) => r.record_hash));
        expect(root.equals(stamp.tree_root)).toBe(true);
        const data = await files.file(`${side}-${stamp.id}.bin`, timestampedData(root));
        const token = await files.file(`${side}-${stamp.id}.tst`, stamp.token);
        const byData = await openssl(['ts', '-verify', '-data', data, '-in', token, '-token_in', '-CAfile', rootPem, '-untrusted', untrusted]);
        expect(byData.stdout.toString(), byData.stderr.toString()).toContain('Verification: OK');
        const digest = createHash('sha256').update(timestampedData(root)).digest('hex');
        const byDigest = await openssl(['ts', '-verify', '-digest', digest, '-in', token, '-token_in', '-CAfile', rootPem, '-untrusted', untrusted]);
        expect(byDigest.stdout.toString(), byDigest.stderr.toString()).toContain('Verification: OK');
      }
      expect(covered).toBe(16);
      const status = (await (await adminClient(running))('GET', '/api/v1/status')).json() as { timestamping: { unstampedAgeSeconds: number; refusing: boolean } };
      expect(status.timestamping).toMatchObject({ unstampedAgeSeconds: 0, refusing: false });
    }
  });

  it('a subsystem set to timestamp immediately has its record stamped before its answer', async () => {
    const admin = await adminClient(net.consumer);
    expect((await admin('POST', '/api/v1/clients', { subsystem: CONSUMER_SUBSYSTEM, timestampImmediately: true })).status).toBe(200);
    const db = net.consumer.ss.database.db;
    const stampedAt = async (requestId: string) => {
      const record = await db.selectFrom('log_records').select('id').where('message_id', '=', requestId).executeTakeFirstOrThrow();
      return db.selectFrom('log_timestamps').select('id').where('first_record_id', '<=', record.id).where('last_record_id', '>=', record.id).executeTakeFirst();
    };
    try {
      const response = await call(net, '/immediate');
      expect(response.status).toBe(200);
      expect(await stampedAt(response.headers['x-road-request-id'] as string), 'timestamped before the answer').toBeDefined();
    } finally {
      await admin('POST', '/api/v1/clients', { subsystem: CONSUMER_SUBSYSTEM, timestampImmediately: false });
    }
    // Without the setting, the record waits for the next batch (the consumer's interval is 60 s).
    const later = await call(net, '/batched');
    expect(later.status).toBe(200);
    expect(await stampedAt(later.headers['x-road-request-id'] as string)).toBeUndefined();
  });
});

describe('several TSAs', () => {
  it('are tried in the order of the global configuration: an unreachable first one is skipped', async () => {
    const view = net.consumer.ss.context.conf.current('client');
    const good = view.tsas[0]!;
    const tsas = [{ name: 'TSA down', url: 'http://127.0.0.1:9/tsa', certificate: good.certificate }, good];
    // The same configuration, with an unreachable TSA listed first.
    const withTwo = new Proxy(view, {
      get(target, property) {
        if (property === 'tsas') return tsas;
        const value = Reflect.get(target, property, target) as unknown;
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const conf = { current: () => withTwo, latest: () => withTwo } as unknown as GlobalConfClient;
    expect((await call(net, '/two-tsas')).status).toBe(200);
    const db = net.consumer.ss.database.db;
    const timestamper = new Timestamper({ db, conf, logger: createLogger({ name: 'test', level: 'silent' }), now: () => new Date(), immediate: () => false });
    await timestamper.start();
    timestamper.stop();
    await timestamper.stampNow();
    const newest = await db.selectFrom('log_timestamps').select(['tsa_name', 'last_record_id']).orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
    expect(newest.tsa_name).toBe(good.name);
    const last = await db.selectFrom('log_records').select('id').orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
    expect(newest.last_record_id).toBe(last.id);
  });
});

describe('TSA outage', () => {
  it('exchange continues within the tolerance, is refused past it, and every record is stamped after recovery', async () => {
    const expectRefusal = async (path: string, type: string) => {
      const response = await call(outage, path);
      expect(response.status, response.body.toString()).toBe(500);
      expect(response.json()).toMatchObject({ type });
      expect(response.headers['x-road-error']).toBe(type);
    };
    expect((await call(outage, '/before')).status).toBe(200);
    await Promise.all([outage.consumer.ss.timestamper.stampNow(), outage.provider.ss.timestamper.stampNow()]);
    const before = { consumer: await recordCount(outage.consumer), provider: await recordCount(outage.provider) };

    proxy.blocked.add('/tsa');
    expect((await call(outage, '/outage/0')).status).toBe(200);
    // Within the tolerance exchanges go on while the TSA is unreachable.
    await waitFor('a refused TSA request', async () => (proxy.refused > 0 ? true : undefined));
    expect((await call(outage, '/outage/1')).status).toBe(200);
    const refusing = async (running: RunningSs) =>
      ((await (await adminClient(running))('GET', '/api/v1/status')).json() as { timestamping: { refusing: boolean } }).timestamping.refusing;
    // Past the provider's 2 s (within the consumer's 4 s): the provider refuses, before calling its backend.
    await waitFor('the provider to refuse', async () => ((await refusing(outage.provider)) ? true : undefined), 10_000);
    expect(await refusing(outage.consumer)).toBe(false);
    const backendCalls = outage.backend.requests.length;
    await expectRefusal('/outage/2', 'server.serverproxy.timestamping_failed');
    expect(outage.backend.requests.length).toBe(backendCalls);
    // Past the consumer's 4 s: the consumer refuses.
    await waitFor('the consumer to refuse', async () => ((await refusing(outage.consumer)) ? true : undefined), 10_000);
    await expectRefusal('/outage/3', 'server.clientproxy.timestamping_failed');
    const status = (await (await adminClient(outage.consumer))('GET', '/api/v1/status')).json() as { timestamping: { refusing: boolean; unstampedAgeSeconds: number; lastError: string | null } };
    expect(status.timestamping.refusing).toBe(true);
    expect(status.timestamping.unstampedAgeSeconds).toBeGreaterThanOrEqual(3);
    expect(status.timestamping.lastError).toMatch(/TSA/);
    const ready = await http(`http://127.0.0.1:${outage.consumer.ports.admin}/readyz`);
    expect(ready.status).toBe(503);
    const metrics = (await http(`http://127.0.0.1:${outage.consumer.ports.admin}/metrics`)).body.toString();
    expect(metrics).toMatch(/^jplink_ss_messagelog_unstamped_age_seconds ([3-9]|\d\d)/m);

    // The TSA answers again: the waiting records get their timestamps and exchange resumes.
    proxy.blocked.delete('/tsa');
    await allStamped(outage.consumer);
    await allStamped(outage.provider);
    expect((await call(outage, '/after')).status).toBe(200);
    // No record lost: the two exchanges during the outage and the one after are logged on both sides.
    expect(await recordCount(outage.consumer)).toBe(before.consumer + 3);
    expect(await recordCount(outage.provider)).toBe(before.provider + 3);
    await allStamped(outage.consumer);
    await allStamped(outage.provider);
  });
});
