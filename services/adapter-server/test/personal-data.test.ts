// Personal data services on real PostgreSQL and MariaDB: ID conversions written through the admin
// API, consents reflected by Personal-Link through the data port, and every allow/deny decision in
// the audit log with its reason. A caller only ever gets the consented columns of the resident's
// own rows, and cannot tell an unknown resident from one without consent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMysqlSample, createPostgresSample, startTestAdapter, type RunningAdapter, type SampleTarget } from '../src/testing.ts';

const PERSONAL_LINK = 'JP-TEST/GOV/9999999999999/personal-link';
const CLIENT = 'JP-TEST/COM/1111111111111/shopping';
const OTHER_CLIENT = 'JP-TEST/COM/3333333333333/insurance';
const ALICE = 'bid-alice-0001'; // u-001, id 1
const BOB = 'bid-bob-00000002'; // u-002, id 2
const NOBODY = 'bid-nobody-0003';
const PURPOSE = 'childcare-support';
const hours = (n: number) => new Date(Date.now() + n * 3_600_000).toISOString();

type Decision = { action: 'personal-data.allowed'; columns: string[] } | { action: 'personal-data.denied'; reason: string };

for (const kind of ['postgres', 'mariadb'] as const) {
  describe(`personal data services on ${kind}`, () => {
    let adapter: RunningAdapter;
    let sample: SampleTarget;
    /** Every decision the calls below must have caused, in order. */
    const decisions: Decision[] = [];

    beforeAll(async () => {
      adapter = await startTestAdapter({ ADAPTER_PERSONAL_LINK_CLIENT: PERSONAL_LINK });
      sample = kind === 'postgres' ? await createPostgresSample() : await createMysqlSample();
      const visits = sample.schema ? `${sample.schema}.visits` : 'visits';
      await sample.exec(
        kind === 'postgres'
          ? `create table ${visits} (id serial primary key, user_id text not null, clinic text not null, visited_on date not null, note text)`
          : `create table ${visits} (id int auto_increment primary key, user_id varchar(64) not null, clinic varchar(100) not null, visited_on date not null, note varchar(200))`,
      );
      for (const [user, clinic, on, note] of [
        ['u-001', 'Shibuya Clinic', '2026-01-10', 'alice note 1'],
        ['u-002', 'Osaka Clinic', '2026-01-11', 'bob note 1'],
        ['u-001', 'Minato Clinic', '2026-02-01', 'alice note 2'],
        ['u-002', 'Umeda Clinic', '2026-02-02', 'bob note 2'],
        ['u-001', 'Shibuya Clinic', '2026-03-15', 'alice note 3'],
      ]) {
        await sample.exec(`insert into ${visits} (user_id, clinic, visited_on, note) values ('${user}', '${clinic}', '${on}', '${note}')`);
      }
      expect((await adapter.admin('POST', '/api/v1/connections', sample.connection)).status).toBe(201);
      expect((await adapter.admin('POST', '/api/v1/subsystems', { code: 'health', title: '健康' })).status).toBe(201);
      const schema = sample.schema ? { schema: sample.schema } : {};
      for (const def of [
        {
          name: 'resident',
          kind: 'get',
          table: { ...schema, name: 'residents' },
          key: 'id',
          columns: ['id', 'user_id', 'name', 'email', 'city'].map((name) => ({ name, type: name === 'id' ? 'integer' : 'string' })),
          personal: { userIdColumn: 'user_id' },
        },
        {
          name: 'visits',
          kind: 'list',
          table: { ...schema, name: 'visits' },
          key: 'id',
          columns: [
            { name: 'id', type: 'integer', filterable: true, sortable: true },
            { name: 'user_id', type: 'string', filterable: true },
            { name: 'clinic', type: 'string', filterable: true, sortable: true },
            { name: 'visited_on', type: 'date', filterable: true, sortable: true },
            { name: 'note', type: 'string', filterable: true },
          ],
          personal: { userIdColumn: 'user_id' },
        },
      ]) {
        const saved = await adapter.admin('POST', '/api/v1/subsystems/health/services', { title: def.name, connection: sample.connection.name, ...def });
        expect(saved.status, JSON.stringify(saved.body)).toBe(201);
      }
      for (const [baseId, localUserId] of [
        [ALICE, 'u-001'],
        [BOB, 'u-002'],
      ]) {
        const saved = await adapter.admin('PUT', `/api/v1/id-conversions/${baseId}`, { localUserId });
        expect(saved.status, JSON.stringify(saved.body)).toBe(200);
      }
    });
    afterAll(async () => {
      await adapter?.stop();
      await sample?.drop();
    });

    /** A personal-data call as the Security Server passes it on, and the decision it must cause. */
    const ask = async (path: string, who: { baseId?: string; purpose?: string; client?: string }, decision: Decision) => {
      decisions.push(decision);
      const headers: Record<string, string> = {};
      if (who.baseId !== undefined) headers['x-jplink-base-id'] = who.baseId;
      if (who.purpose !== undefined) headers['x-jplink-purpose'] = who.purpose;
      return adapter.data('GET', `/health/${path}`, { client: who.client ?? CLIENT, headers });
    };
    const alice = { baseId: ALICE, purpose: PURPOSE };
    const bob = { baseId: BOB, purpose: PURPOSE };
    const allowed = (...columns: string[]): Decision => ({ action: 'personal-data.allowed', columns });
    const denied = (reason: string): Decision => ({ action: 'personal-data.denied', reason });

    const consent = (baseId: string, dataItems: string[], version: number, extra: Record<string, unknown> = {}) => ({
      baseId,
      client: CLIENT,
      subsystemCode: 'health',
      dataItems,
      purpose: PURPOSE,
      validFrom: hours(-1),
      validUntil: hours(24),
      status: 'active',
      version,
      ...extra,
    });
    const reflect = (consentId: string, body: unknown, client: string | null = PERSONAL_LINK) => adapter.data('PUT', `/_personal-link/consents/${consentId}`, { client, body });

    it('refuses a resident without consent, and an unknown BaseID with the same answer', async () => {
      const noConsent = await ask('resident/1', alice, denied('no-active-consent'));
      expect(noConsent.status).toBe(403);
      expect(noConsent.body.error.code).toBe('ADAPTER_PERSONAL_NO_CONSENT');
      const unknown = await ask('resident/1', { baseId: NOBODY, purpose: PURPOSE }, denied('base-id-unknown'));
      expect(unknown.status).toBe(403);
      const { requestId: _a, ...first } = noConsent.body.error;
      const { requestId: _b, ...second } = unknown.body.error;
      expect(second).toEqual(first);
      const list = await ask('visits', { baseId: NOBODY, purpose: PURPOSE }, denied('base-id-unknown'));
      expect(list.body.error.code).toBe('ADAPTER_PERSONAL_NO_CONSENT');
    });

    it('needs the BaseID and the purpose headers', async () => {
      for (const who of [{}, { baseId: ALICE }, { purpose: PURPOSE }, { baseId: 'short', purpose: PURPOSE }, { baseId: "bid' OR '1'='1", purpose: PURPOSE }, { baseId: ALICE, purpose: 'child care' }]) {
        const answer = await ask('resident/1', who, denied('base-id-or-purpose-missing'));
        expect(answer.status, JSON.stringify(who)).toBe(400);
        expect(answer.body.error.code).toBe('ADAPTER_PERSONAL_BASE_ID_MISSING');
      }
    });

    it('answers only the consented columns, of the resident’s own rows', async () => {
      const created = await reflect('c-alice', consent(ALICE, ['name', 'city', 'clinic', 'visited_on', 'height'], 1));
      expect(created.status, JSON.stringify(created.body)).toBe(200);
      expect(created.body).toEqual({ consentId: 'c-alice', result: 'created' });

      const own = await ask('resident/1', alice, allowed('name', 'city'));
      expect(own.status, JSON.stringify(own.body)).toBe(200);
      expect(own.body).toEqual({ name: '山田 花子', city: 'tokyo' });
      // Bob's row, asked for with Alice's consent: not hers, so not found.
      const other = await ask('resident/2', alice, allowed('name', 'city'));
      expect(other.status).toBe(404);
      expect(other.body.error.code).toBe('ADAPTER_ROW_NOT_FOUND');
      expect((await ask('resident/1?select=name', alice, allowed('name', 'city'))).body).toEqual({ name: '山田 花子' });
      for (const select of ['email', 'user_id', 'name,email']) {
        const refused = await ask(`resident/1?select=${select}`, alice, allowed('name', 'city'));
        expect(refused.status, select).toBe(400);
        expect(refused.body.error.code).toBe('ADAPTER_FILTER_INVALID');
      }

      const visits = await ask('visits', alice, allowed('clinic', 'visited_on'));
      expect(visits.status, JSON.stringify(visits.body)).toBe(200);
      expect(visits.body.rows).toEqual([
        { clinic: 'Shibuya Clinic', visited_on: '2026-01-10' },
        { clinic: 'Minato Clinic', visited_on: '2026-02-01' },
        { clinic: 'Shibuya Clinic', visited_on: '2026-03-15' },
      ]);
      const filtered = await ask('visits?clinic=eq.Shibuya%20Clinic&order=visited_on.desc', alice, allowed('clinic', 'visited_on'));
      expect(filtered.body.rows).toEqual([
        { clinic: 'Shibuya Clinic', visited_on: '2026-03-15' },
        { clinic: 'Shibuya Clinic', visited_on: '2026-01-10' },
      ]);
      // Filters, order and select on columns without consent would reveal them: refused.
      for (const query of ['note=like.*bob*', 'user_id=eq.u-002', 'order=id.desc', 'select=note', 'id=gt.0']) {
        const refused = await ask(`visits?${query}`, alice, allowed('clinic', 'visited_on'));
        expect(refused.status, query).toBe(400);
        expect(refused.body.error.code, query).toBe('ADAPTER_FILTER_INVALID');
      }

      // With user_id consented too, a filter naming another resident still finds only her rows.
      expect((await reflect('c-alice', consent(ALICE, ['user_id', 'clinic'], 2))).body.result).toBe('updated');
      const mine = await ask('visits?user_id=in.(u-001,u-002)', alice, allowed('user_id', 'clinic'));
      expect(mine.body.rows.map((r: any) => r.user_id)).toEqual(['u-001', 'u-001', 'u-001']);
      expect((await ask('visits?user_id=eq.u-002', alice, allowed('user_id', 'clinic'))).body.rows).toEqual([]);
      expect((await ask('visits?clinic=like.*Osaka*', alice, allowed('user_id', 'clinic'))).body.rows).toEqual([]);
    });

    it('refuses another client, another purpose, and a consent for other items', async () => {
      const otherClient = await ask('visits', { ...alice, client: OTHER_CLIENT }, denied('no-active-consent'));
      expect(otherClient.status).toBe(403);
      expect(otherClient.body.error.code).toBe('ADAPTER_PERSONAL_NO_CONSENT');
      const otherPurpose = await ask('visits', { baseId: ALICE, purpose: 'marketing' }, denied('no-active-consent'));
      expect(otherPurpose.status).toBe(403);
      // Bob consented to items none of the resident service's columns are.
      expect((await reflect('c-bob', consent(BOB, ['height', 'weight'], 1))).status).toBe(200);
      const otherItems = await ask('resident/2', bob, denied('no-consented-item-in-service'));
      expect(otherItems.status).toBe(403);
      expect(otherItems.body.error.code).toBe('ADAPTER_PERSONAL_NO_CONSENT');
      // A consent of Bob's never opens Alice's data.
      expect((await reflect('c-bob', consent(BOB, ['name', 'clinic'], 2))).status).toBe(200);
      expect((await ask('resident/1', bob, allowed('name'))).status).toBe(404);
      expect((await ask('resident/2', bob, allowed('name'))).body).toEqual({ name: '佐藤 太郎' });
      expect((await ask('visits', bob, allowed('clinic'))).body.rows).toEqual([{ clinic: 'Osaka Clinic' }, { clinic: 'Umeda Clinic' }]);
    });

    it('a withdrawal takes effect on the next call; an older or equal version is refused', async () => {
      expect((await ask('visits', alice, allowed('user_id', 'clinic'))).status).toBe(200);
      const withdrawn = await reflect('c-alice', consent(ALICE, ['user_id', 'clinic'], 3, { status: 'withdrawn' }));
      expect(withdrawn.body).toEqual({ consentId: 'c-alice', result: 'updated' });
      expect((await ask('visits', alice, denied('no-active-consent'))).status).toBe(403);
      for (const version of [2, 3]) {
        const stale = await reflect('c-alice', consent(ALICE, ['user_id', 'clinic'], version));
        expect(stale.status, `version ${version}`).toBe(409);
        expect(stale.body.error.code).toBe('ADAPTER_CONSENT_STALE');
      }
      // The stale reflections did not bring the consent back.
      expect((await ask('visits', alice, denied('no-active-consent'))).body.error.code).toBe('ADAPTER_PERSONAL_NO_CONSENT');
      const stored = await adapter.admin('GET', `/api/v1/consents?baseId=${ALICE}`);
      expect(stored.body).toEqual([expect.objectContaining({ consentId: 'c-alice', status: 'withdrawn', version: 3 })]);
    });

    it('an expired or not yet valid consent is refused', async () => {
      // Bob's c-bob allows name and clinic; withdraw it so only the consents below count.
      expect((await reflect('c-bob', consent(BOB, ['name', 'clinic'], 3, { status: 'withdrawn' }))).status).toBe(200);
      expect((await reflect('c-bob-old', consent(BOB, ['city'], 1, { validFrom: '2020-01-01T00:00:00Z', validUntil: '2021-01-01T00:00:00+09:00' }))).status).toBe(200);
      expect((await reflect('c-bob-later', consent(BOB, ['city'], 1, { validFrom: hours(24), validUntil: hours(48) }))).status).toBe(200);
      const answer = await ask('resident/2', bob, denied('no-active-consent'));
      expect(answer.status).toBe(403);
      expect(answer.body.error.code).toBe('ADAPTER_PERSONAL_NO_CONSENT');
      // Extended into the present, the same consent answers.
      expect((await reflect('c-bob-old', consent(BOB, ['city'], 2, { validFrom: '2020-01-01T00:00:00Z' }))).status).toBe(200);
      expect((await ask('resident/2', bob, allowed('city'))).body).toEqual({ city: 'osaka' });
    });

    it('accepts consent reflections only from Personal-Link', async () => {
      for (const client of [CLIENT, OTHER_CLIENT, null, 'not-an-id']) {
        const refused = await reflect('c-forged', consent(ALICE, ['name', 'email'], 1), client);
        expect(refused.status, String(client)).toBe(403);
        expect(refused.body.error.code).toBe('ADAPTER_CONSENT_FORBIDDEN');
      }
      // Checked before the body: a forged reflection is refused (and audited) whatever it carries.
      for (const body of [{ dataItems: [] }, '{"not json']) {
        const refused = await adapter.data('PUT', '/_personal-link/consents/c-forged', { client: OTHER_CLIENT, body });
        expect(refused.status, JSON.stringify(body)).toBe(403);
        expect(refused.body.error.code).toBe('ADAPTER_CONSENT_FORBIDDEN');
      }
      const consents = await adapter.admin('GET', '/api/v1/consents?limit=1000');
      expect(consents.body.map((c: any) => c.consentId)).not.toContain('c-forged');
      expect((await ask('resident/1', alice, denied('no-active-consent'))).status).toBe(403);
      const unknownSubsystem = await reflect('c-unknown', { ...consent(ALICE, ['name'], 1), subsystemCode: 'nowhere' });
      expect(unknownSubsystem.status).toBe(404);
      expect(unknownSubsystem.body.error.code).toBe('ADAPTER_SUBSYSTEM_NOT_FOUND');
      const invalid = await reflect('c-invalid', { ...consent(ALICE, ['name'], 1), dataItems: [] });
      expect(invalid.status).toBe(400);
      expect(invalid.body.error.code).toBe('KIT_VALIDATION_FAILED');
    });

    it('records every allow and deny decision, with its reason, as an audit event', async () => {
      const events = (await adapter.admin('GET', '/api/v1/audit-events?limit=1000')).body as Array<{ action: string; actor: string; target: string; outcome: string; details: Record<string, any> }>;
      const chronological = [...events].reverse();
      const personal = chronological.filter((e) => e.action.startsWith('personal-data.'));
      expect(personal.map((e) => (e.action === 'personal-data.allowed' ? { action: e.action, columns: e.details.columns } : { action: e.action, reason: e.details.reason }))).toEqual(decisions);
      for (const e of personal) {
        expect(e.actor).toMatch(/^JP-TEST\/COM\//);
        expect(e.target).toMatch(/^health\/(resident|visits)$/);
        expect(e.outcome).toBe(e.action === 'personal-data.allowed' ? 'success' : 'failure');
      }
      const refusals = chronological.filter((e) => e.action === 'consent.refused').map((e) => e.details.reason);
      expect(refusals).toEqual(['stale-version', 'stale-version', ...Array(6).fill('not-personal-link'), 'unknown-subsystem']);
      expect(chronological.filter((e) => e.action === 'consent.refused' && e.details.reason === 'not-personal-link').map((e) => e.actor)).toEqual([CLIENT, OTHER_CLIENT, 'anonymous', 'anonymous', OTHER_CLIENT, OTHER_CLIENT]);
      const reflected = chronological.filter((e) => e.action === 'consent.reflected');
      expect(reflected.map((e) => `${e.target} v${e.details.version} ${e.details.status}`)).toEqual([
        'c-alice v1 active',
        'c-alice v2 active',
        'c-bob v1 active',
        'c-bob v2 active',
        'c-alice v3 withdrawn',
        'c-bob v3 withdrawn',
        'c-bob-old v1 active',
        'c-bob-later v1 active',
        'c-bob-old v2 active',
      ]);
      expect(reflected.every((e) => e.actor === PERSONAL_LINK)).toBe(true);
    });
  });
}
