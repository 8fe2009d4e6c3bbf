// THE acceptance test of consent reflection (docs/protocols/consent-reflection.md): a Center and
// three Security Servers — Personal-Link's (its own member), RP A's (the consumer) and RP B's (the
// provider, with an Adapter Server over a real PostgreSQL table). Personal-Link's outbox worker
// delivers a consent through its own Security Server and RP B's to RP B's Adapter Server; RP A's
// personal-data request through its Security Server gets only the consented columns; the withdrawal
// is acknowledged before waitForAcknowledgement returns, and the next request is refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http } from '@jplink/testing';
import type { ConsentReflection } from '@jplink/contracts';
import { CONSUMER_SUBSYSTEM, PROVIDER_SUBSYSTEM, adminClient, type RunningSs, type TestNetwork } from '@jplink/security-server/testing';
import type { RunningAdapter, SampleTarget } from '@jplink/adapter-server/testing';
import { CODE, PL_SUBSYSTEM, residentColumns, servicesOf, startPlNetwork, type PlNetwork } from './pl-network.ts';
import { startTestPersonalLink, type RunningPersonalLink } from '../src/testing.ts';
import { enqueueReflection, reflectionStatus, waitForAcknowledgement } from '../src/reflection/outbox.ts';

const ALICE = 'bid-alice-0001'; // RP B's user u-001
const PURPOSE = 'childcare-support';
const CONSENT = 'cns-alice-health-1';

let network: PlNetwork;
let net: TestNetwork;
let plSs: RunningSs;
let sample: SampleTarget;
let adapter: RunningAdapter;
let pl: RunningPersonalLink;

const hours = (n: number) => new Date(Date.now() + n * 3_600_000).toISOString();
const consent = (version: number, status: 'active' | 'withdrawn'): ConsentReflection => ({
  baseId: ALICE,
  client: CONSUMER_SUBSYSTEM,
  subsystemCode: CODE,
  dataItems: ['name', 'city', 'height'],
  purpose: PURPOSE,
  validFrom: hours(-1),
  validUntil: hours(24 * 365),
  status,
  version,
});
/** RP A's information system asking RP B for Alice's data, through RP A's Security Server. */
const askAsRpA = (path: string) =>
  http(`${net.consumer.informationSystemUrl}/r1/${PROVIDER_SUBSYSTEM}/${CODE}/${path}`, {
    headers: { 'x-road-client': CONSUMER_SUBSYSTEM, 'x-jplink-base-id': ALICE, 'x-jplink-purpose': PURPOSE },
  });

beforeAll(async () => {
  network = await startPlNetwork();
  ({ net, plSs, sample, adapter } = network);
  const table = { schema: sample.schema, name: 'residents' };
  for (const def of [
    { name: 'resident', title: '住民', kind: 'get', key: 'id' },
    { name: 'residents', title: '住民一覧', kind: 'list', key: 'id' },
  ]) {
    const saved = await adapter.admin('POST', `/api/v1/subsystems/${CODE}/services`, { ...def, connection: sample.connection.name, table, columns: residentColumns, personal: { userIdColumn: 'user_id' } });
    expect(saved.status, JSON.stringify(saved.body)).toBe(201);
  }
  const published = await adapter.admin('POST', `/api/v1/subsystems/${CODE}/publish`, { grantTo: CONSUMER_SUBSYSTEM });
  expect(published.status, JSON.stringify(published.body)).toBe(200);
  // RP B's ID conversion: Alice's BaseID ↔ its user u-001.
  expect((await adapter.admin('PUT', `/api/v1/id-conversions/${ALICE}`, { localUserId: 'u-001' })).status).toBe(200);

  // Personal-Link, reflecting through its own Security Server.
  pl = await startTestPersonalLink({ PL_SS_URL: plSs.informationSystemUrl, PL_SUBSYSTEM: PL_SUBSYSTEM });
}, 180_000);

afterAll(async () => {
  await pl?.stop();
  await network?.stop();
});

describe('consent reflection: Personal-Link → its Security Server → RP B’s Security Server → RP B’s Adapter Server', () => {
  it('before any consent, RP A’s personal-data request is refused', async () => {
    const refused = await askAsRpA('resident/1');
    expect(refused.status, refused.body.toString()).toBe(403);
    expect(refused.json().error.code).toBe('ADAPTER_PERSONAL_NO_CONSENT');
  });

  it('delivers an active consent; RP A then gets only the consented columns of Alice’s rows', async () => {
    expect((await pl.admin('GET', '/api/v1/reflection')).body).toMatchObject({ running: true });
    await enqueueReflection(pl.database.db, { consentId: CONSENT, providerSubsystem: PROVIDER_SUBSYSTEM, payload: consent(1, 'active') });
    expect(await waitForAcknowledgement(pl.database.db, CONSENT, 1, 15_000)).toBe(true);

    // Stored at RP B.
    const stored = await adapter.admin('GET', `/api/v1/consents?baseId=${ALICE}`);
    expect(stored.body).toEqual([expect.objectContaining({ consentId: CONSENT, client: CONSUMER_SUBSYSTEM, subsystemCode: CODE, status: 'active', version: 1, dataItems: ['name', 'city', 'height'] })]);
    const reflected = (await adapter.admin('GET', '/api/v1/audit-events?action=consent.reflected')).body as Array<{ actor: string; target: string }>;
    expect(reflected).toEqual([expect.objectContaining({ actor: PL_SUBSYSTEM, target: CONSENT })]);

    // Through both Security Servers: each logged the exchange under the reflection's X-Road-Id.
    for (const ss of [plSs, net.provider]) {
      const logged = await ss.ss.database.db.selectFrom('log_records').select(['side', 'client', 'service', 'x_road_id']).where('x_road_id', '=', `reflect-${CONSENT}-v1`).execute();
      expect(logged).toEqual([{ side: ss === plSs ? 'client' : 'server', client: PL_SUBSYSTEM, service: `${PROVIDER_SUBSYSTEM}/consents`, x_road_id: `reflect-${CONSENT}-v1` }]);
    }
    // The consumer's Security Server was not on this path.
    expect(await net.consumer.ss.database.db.selectFrom('log_records').select('id').where('x_road_id', '=', `reflect-${CONSENT}-v1`).execute()).toEqual([]);

    // Personal-Link's own view.
    const status = await reflectionStatus(pl.database.db, CONSENT);
    expect(status).toMatchObject({ acknowledgedVersion: 1, latest: { version: 1, provider: PROVIDER_SUBSYSTEM, state: 'acknowledged', result: 'created', attempts: 1, lastError: null } });
    expect((await pl.admin('GET', `/api/v1/reflection/consents/${CONSENT}`)).body).toMatchObject({ acknowledgedVersion: 1 });

    // RP A asks through its Security Server: name and city (consented and in the service), nothing else.
    const own = await askAsRpA('resident/1');
    expect(own.status, own.body.toString()).toBe(200);
    expect(own.json()).toEqual({ name: '山田 花子', city: 'tokyo' });
    const list = await askAsRpA('residents');
    expect(list.status).toBe(200);
    expect(list.json().rows).toEqual([{ name: '山田 花子', city: 'tokyo' }]);
    expect((await askAsRpA('resident/2')).status).toBe(404); // another resident's row
    const email = await askAsRpA('resident/1?select=email');
    expect(email.status).toBe(400);
  });

  it('delivers the withdrawal before waitForAcknowledgement returns; the next request is refused', async () => {
    await enqueueReflection(pl.database.db, { consentId: CONSENT, providerSubsystem: PROVIDER_SUBSYSTEM, payload: consent(2, 'withdrawn') });
    expect(await waitForAcknowledgement(pl.database.db, CONSENT, 2, 10_000)).toBe(true);
    const refused = await askAsRpA('resident/1');
    expect(refused.status).toBe(403);
    expect(refused.json().error.code).toBe('ADAPTER_PERSONAL_NO_CONSENT');
    expect((await adapter.admin('GET', `/api/v1/consents?baseId=${ALICE}`)).body).toEqual([expect.objectContaining({ consentId: CONSENT, status: 'withdrawn', version: 2 })]);
    expect(await reflectionStatus(pl.database.db, CONSENT)).toMatchObject({ acknowledgedVersion: 2, latest: { version: 2, state: 'acknowledged', result: 'updated' } });
    // Enqueued again (a retry of the caller): idempotent, nothing more is sent.
    await enqueueReflection(pl.database.db, { consentId: CONSENT, providerSubsystem: PROVIDER_SUBSYSTEM, payload: consent(2, 'withdrawn') });
    await new Promise((r) => setTimeout(r, 300));
    const logged = await net.provider.ss.database.db.selectFrom('log_records').select('x_road_id').where('x_road_id', 'like', `reflect-${CONSENT}-%`).execute();
    expect(logged.map((r) => r.x_road_id).sort()).toEqual([`reflect-${CONSENT}-v1`, `reflect-${CONSENT}-v2`]);
  });

  it('a reflection from any other client is refused by RP B’s Security Server before the Adapter Server sees it', async () => {
    const forged = await http(`${net.consumer.informationSystemUrl}/r1/${PROVIDER_SUBSYSTEM}/consents/c-forged`, {
      method: 'PUT',
      headers: { 'x-road-client': CONSUMER_SUBSYSTEM },
      json: { ...consent(9, 'active'), dataItems: ['name', 'email'] },
    });
    expect(forged.status).toBeGreaterThanOrEqual(400);
    expect(forged.json().type).toBe('server.serverproxy.access_denied');
    expect(((await adapter.admin('GET', '/api/v1/consents?limit=1000')).body as Array<{ consentId: string }>).map((c) => c.consentId)).toEqual([CONSENT]);
    // Not even a refusal at the Adapter Server: it never got the call.
    expect((await adapter.admin('GET', '/api/v1/audit-events?action=consent.refused')).body).toEqual([]);
  });

  it('a refusal by the provider’s Security Server is a permanent failure at Personal-Link, audited', async () => {
    // Personal-Link has no access right to RP B's data service `health`.
    await enqueueReflection(pl.database.db, { consentId: 'cns-misrouted', providerSubsystem: PROVIDER_SUBSYSTEM, payload: consent(1, 'active'), serviceCode: CODE });
    expect(await waitForAcknowledgement(pl.database.db, 'cns-misrouted', 1, 10_000)).toBe(false);
    const status = await reflectionStatus(pl.database.db, 'cns-misrouted');
    expect(status.latest).toMatchObject({ state: 'failed-permanently', attempts: 1, lastError: '500 server.serverproxy.access_denied' });
    const events = (await pl.admin('GET', '/api/v1/audit-events?action=reflection.failed')).body as Array<{ target: string; details: Record<string, unknown> }>;
    expect(events).toEqual([expect.objectContaining({ target: 'cns-misrouted', details: expect.objectContaining({ code: 'server.serverproxy.access_denied', provider: PROVIDER_SUBSYSTEM }) })]);
    const metrics = await http(`${pl.adminUrl}/metrics`);
    expect(metrics.body.toString()).toMatch(/jplink_personal_link_reflection_failed_permanently 1/);
    expect(metrics.body.toString()).toMatch(/jplink_personal_link_reflection_worker_running 1/);
    expect(metrics.body.toString()).toMatch(/jplink_personal_link_reflection_pending 0/);
    // The operator grants the access right and retries: delivered (the adapter stores it).
    const ssB = await adminClient(net.provider);
    expect((await ssB('POST', `${servicesOf(PROVIDER_SUBSYSTEM)}/${CODE}/access-rights/grant`, { subject: { kind: 'subsystem', id: PL_SUBSYSTEM } })).status).toBe(200);
    expect((await pl.admin('POST', '/api/v1/reflection/retry')).body).toEqual({ retried: 1 });
    // Now it reaches RP B's data service `health`, which has no such path: the Adapter Server's 404, for good again.
    expect(await waitForAcknowledgement(pl.database.db, 'cns-misrouted', 1, 10_000)).toBe(false);
    expect((await reflectionStatus(pl.database.db, 'cns-misrouted')).latest).toMatchObject({ state: 'failed-permanently', attempts: 2, lastError: expect.stringMatching(/^404 /) });
  });
});
