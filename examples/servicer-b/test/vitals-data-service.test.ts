// The vitals as a personal data service, set up by defineVitalsDataService through a real Adapter
// Server's admin API and published to the provider's Security Server of a real test network
// (Center, two Security Servers). Servicer A's subsystem reads a resident's vitals through its own
// Security Server only with an active consent reflected to B's Adapter Server, and then only the
// consented items of that resident's own rows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testDatabaseUrl, type TestDatabase } from '@jplink/db/testing';
import { migrate } from '@jplink/db';
import { http } from '@jplink/testing';
import { CONSUMER, CONSUMER_SUBSYSTEM, PROVIDER_SUBSYSTEM, adminClient, startTestNetwork, type TestNetwork } from '@jplink/security-server/testing';
import { startTestAdapter, type RunningAdapter } from '@jplink/adapter-server/testing';
import { createAdapterAdmin, defineVitalsDataService, healthMigrations, type HealthTables } from '../src/index.ts';
import { createUser } from '../src/db/queries.ts';
import { sampleVitals } from '../src/sample-vitals.ts';
import { PERSONAL_LINK_SUBSYSTEM } from './helpers.ts';

const HANAKO = 'bid-hanako-000000000001';
const TARO = 'bid-taro-00000000000002';
const PURPOSE = 'shopping-recommendation';
const hours = (n: number) => new Date(Date.now() + n * 3_600_000).toISOString();

let net: TestNetwork;
let adapter: RunningAdapter;
let database: TestDatabase<HealthTables>;
let otherClient: string;

beforeAll(async () => {
  net = await startTestNetwork();
  adapter = await startTestAdapter({
    ADAPTER_SS_ADMIN_URL: net.provider.adminUrl,
    ADAPTER_SS_ADMIN_KEY_FILE: net.provider.ss.files.adminApiKey,
    ADAPTER_PROVIDER_SUBSYSTEM: PROVIDER_SUBSYSTEM,
    ADAPTER_PERSONAL_LINK_CLIENT: PERSONAL_LINK_SUBSYSTEM,
  });
  database = await createTestDatabase<HealthTables>('healthcare');
  await migrate(database, healthMigrations);
  const today = new Date('2026-12-05T00:00:00Z');
  for (const name of ['山田 花子', '佐藤 太郎']) await createUser(database.db, database.schema, { displayName: name, now: today, vitals: (id) => sampleVitals(id, today) });
  // What B's app does at sign-in: the Adapter Server's ID conversion rows.
  for (const [baseId, userId] of [[HANAKO, 'H-000001'], [TARO, 'H-000002']] as const) expect((await adapter.admin('PUT', `/api/v1/id-conversions/${baseId}`, { localUserId: userId })).status).toBe(200);
  otherClient = await net.addClientSubsystem(net.consumer, CONSUMER, 'insurance');
}, 120_000);

afterAll(async () => {
  await adapter?.stop();
  await database?.drop();
  await net?.stop();
});

/** Servicer A's information system calling B's vitals through A's Security Server. */
const fetchVitals = (baseId: string, opts: { client?: string; query?: string } = {}) =>
  http(`${net.consumer.informationSystemUrl}/r1/${PROVIDER_SUBSYSTEM}/vitals/list${opts.query ?? ''}`, {
    headers: { 'x-road-client': opts.client ?? CONSUMER_SUBSYSTEM, 'x-jplink-base-id': baseId, 'x-jplink-purpose': PURPOSE },
  });
const reflect = (consentId: string, body: Record<string, unknown>) => adapter.data('PUT', `/_personal-link/consents/${consentId}`, { client: PERSONAL_LINK_SUBSYSTEM, body });
const consent = (version: number, status: 'active' | 'withdrawn', dataItems = ['measured_on', 'systolic', 'diastolic', 'steps']) => ({
  baseId: HANAKO,
  client: CONSUMER_SUBSYSTEM,
  subsystemCode: 'vitals',
  dataItems,
  purpose: PURPOSE,
  validFrom: hours(-1),
  validUntil: hours(24),
  status,
  version,
});

describe('the vitals data service', () => {
  it('is defined through the admin API and published to B’s Security Server with access for A’s subsystem (idempotently)', async () => {
    const admin = createAdapterAdmin({ url: adapter.adminUrl, apiKey: adapter.adminKey });
    const published = await defineVitalsDataService({ adapter: admin, databaseUrl: testDatabaseUrl(), schema: database.schema, grantTo: CONSUMER_SUBSYSTEM });
    expect(published).toEqual({ provider: PROVIDER_SUBSYSTEM, serviceCode: 'vitals', url: `${adapter.dataUrl}/vitals`, endpoints: 1, granted: CONSUMER_SUBSYSTEM });
    // Running it again (every devnet start) changes nothing and grants once.
    await defineVitalsDataService({ adapter: admin, databaseUrl: testDatabaseUrl(), schema: database.schema, grantTo: CONSUMER_SUBSYSTEM });
    const service = (await adapter.admin('GET', '/api/v1/subsystems/vitals/services/list')).body.definition;
    expect(service).toMatchObject({ kind: 'list', personal: { userIdColumn: 'user_id' }, table: { schema: database.schema, name: 'vitals' } });
    expect(service.columns.map((c: { name: string }) => c.name)).not.toContain('user_id');
    const ss = await adminClient(net.provider);
    const rights = (await ss('GET', `/api/v1/clients/${PROVIDER_SUBSYSTEM.replaceAll('/', ':')}/services/vitals/access-rights`)).json();
    expect(rights).toEqual([expect.objectContaining({ serviceCode: 'vitals', subject: { kind: 'subsystem', id: CONSUMER_SUBSYSTEM } })]);
  });

  it('refuses A without a reflected consent, with the same answer for a resident B does not know', async () => {
    for (const baseId of [HANAKO, 'bid-nobody-000000000003']) {
      const refused = await fetchVitals(baseId);
      expect(refused.status).toBe(403);
      expect(refused.json().error.code).toBe('ADAPTER_PERSONAL_NO_CONSENT');
    }
  });

  it('with an active consent answers only the consented items of that resident’s own rows', async () => {
    expect((await reflect('consent-hanako-1', consent(2, 'active'))).status).toBe(200);
    const answer = await fetchVitals(HANAKO, { query: '?order=measured_on.desc' });
    expect(answer.status, answer.body.toString()).toBe(200);
    const { rows } = answer.json() as { rows: Record<string, unknown>[] };
    const own = await database.db.selectFrom('vitals').select(['systolic', 'steps']).where('user_id', '=', 'H-000001').orderBy('measured_on', 'desc').execute();
    expect(rows).toHaveLength(14);
    expect(rows.map((r) => ({ systolic: r.systolic, steps: r.steps }))).toEqual(own);
    for (const row of rows) expect(Object.keys(row).sort()).toEqual(['diastolic', 'measured_on', 'steps', 'systolic']);
    expect(rows[0]!.measured_on).toBe('2026-12-04');
    // Taro has no consent: refused, though B knows him.
    expect((await fetchVitals(TARO)).json().error.code).toBe('ADAPTER_PERSONAL_NO_CONSENT');
    // Another subsystem of A's member is not granted on B's Security Server at all.
    expect((await fetchVitals(HANAKO, { client: otherClient })).json().type).toBe('server.serverproxy.access_denied');
    // A filter on an item not consented to is refused.
    expect((await fetchVitals(HANAKO, { query: '?heart_rate=gt.60' })).status).toBe(400);
  });

  it('after the withdrawal is reflected, A’s next fetch is refused', async () => {
    expect((await reflect('consent-hanako-1', consent(3, 'withdrawn'))).status).toBe(200);
    const refused = await fetchVitals(HANAKO);
    expect(refused.status).toBe(403);
    expect(refused.json().error.code).toBe('ADAPTER_PERSONAL_NO_CONSENT');
  });
});
