// What the Adapter Server refuses, and with which code: callers without a valid X-Road-Client,
// wrong methods and unknown services, bodies too large or not JSON, statements that outlive their
// timeout, reads that try to write, answers beyond their size cap, databases that cannot be
// reached; on the admin side a missing key, definitions that do not match the database, named SQL
// that is not one statement with declared parameters, and database passwords (stored sealed,
// never returned).
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@jplink/testing';
import { createMysqlSample, createPostgresSample, startTestAdapter, type RunningAdapter, type SampleTarget } from '../src/testing.ts';
import { createTarget } from '../src/targets/target.ts';

const MAX_BODY = 2048;
const PASSWORD = `correct horse battery staple ${randomBytes(6).toString('hex')}`;

describe('refusals on the data port and the admin API', () => {
  let adapter: RunningAdapter;
  let postgres: SampleTarget;
  let mariadb: SampleTarget;
  let root: mysql.Connection;
  let mariadbUser: string;
  const samples = () => ({ postgres, mariadb });
  const tableOf = (s: SampleTarget, name: string) => (s.schema ? `${s.schema}.${name}` : name);

  beforeAll(async () => {
    adapter = await startTestAdapter({ ADAPTER_MAX_BODY_BYTES: String(MAX_BODY) });
    postgres = await createPostgresSample();
    mariadb = await createMysqlSample();
    // MariaDB through a user with a password: the sealed credential must work.
    root = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root', password: '' });
    mariadbUser = `jplink_ref_${randomBytes(4).toString('hex')}`;
    await root.query(`create user '${mariadbUser}'@'%' identified by ?`, [PASSWORD]);
    await root.query(`grant all privileges on \`${mariadb.connection.database}\`.* to '${mariadbUser}'@'%'`);
    // Two rows whose names together are more than 1 KiB of JSON (2 × 200 three-byte characters).
    for (const s of [postgres, mariadb]) await s.exec(`insert into ${tableOf(s, 'residents')} (user_id, name) values ('u-long-1', '${'長'.repeat(200)}'), ('u-long-2', '${'長'.repeat(200)}')`);
    const closedPort = await freePort();
    for (const connection of [
      postgres.connection,
      { ...mariadb.connection, username: mariadbUser, password: PASSWORD },
      { ...postgres.connection, name: 'pg-moving' },
      { ...postgres.connection, name: 'pg-down', port: closedPort },
      { ...mariadb.connection, name: 'mysql-down', port: closedPort },
    ]) {
      const saved = await adapter.admin('POST', '/api/v1/connections', connection);
      expect(saved.status, JSON.stringify(saved.body)).toBe(201);
    }
    expect((await adapter.admin('POST', '/api/v1/subsystems', { code: 'desk', title: 'refusals' })).status).toBe(201);
    const residents = { ...(postgres.schema ? { schema: postgres.schema } : {}), name: 'residents' };
    const columns = [
      { name: 'id', type: 'integer', filterable: true },
      { name: 'user_id', type: 'string', writable: true },
      { name: 'name', type: 'string', writable: true },
    ];
    const defs: Array<Record<string, unknown>> = [
      { name: 'list', kind: 'list', connection: 'pg-sample', table: residents, key: 'id', columns },
      { name: 'create', kind: 'create', connection: 'pg-sample', table: residents, columns },
      { name: 'hidden', kind: 'list', connection: 'pg-sample', table: residents, key: 'id', columns, enabled: false },
      { name: 'moving', kind: 'list', connection: 'pg-moving', table: residents, key: 'id', columns },
      { name: 'pg-down', kind: 'query', connection: 'pg-down', sql: 'select 1 as one' },
      { name: 'mysql-down', kind: 'query', connection: 'mysql-down', sql: 'select 1 as one' },
    ];
    for (const [kind, s] of Object.entries(samples())) {
      const c = s.connection.name;
      defs.push(
        { name: `${kind}-sleep`, kind: 'query', connection: c, sql: kind === 'postgres' ? 'select pg_sleep(2) as slept' : 'select sleep(2) as slept', timeoutMs: 200 },
        { name: `${kind}-sneaky-write`, kind: 'query', connection: c, sql: `update ${tableOf(s, 'residents')} set city = 'changed' where user_id = 'u-001'` },
        { name: `${kind}-padding`, kind: 'query', connection: c, sql: 'select repeat(:ch, :size) as pad', parameters: [{ name: 'ch', type: 'string' }, { name: 'size', type: 'integer' }], maxResponseBytes: 1024 },
        { name: `${kind}-rows`, kind: 'list', connection: c, table: { ...(s.schema ? { schema: s.schema } : {}), name: 'residents' }, key: 'id', columns, maxResponseBytes: 1024 },
      );
    }
    for (const def of defs) {
      const saved = await adapter.admin('POST', '/api/v1/subsystems/desk/services', { title: String(def.name), ...def });
      expect(saved.status, `${def.name}: ${JSON.stringify(saved.body)}`).toBe(201);
    }
  });
  afterAll(async () => {
    await adapter?.stop();
    await postgres?.drop();
    await mariadb?.drop();
    await root?.query(`drop user if exists '${mariadbUser}'@'%'`).catch(() => {});
    await root?.end();
  });

  const code = (answer: { body: any }) => answer.body?.error?.code;

  describe('data port', () => {
    it('needs a well-formed X-Road-Client (a subsystem id)', async () => {
      for (const client of [null, 'garbage', 'JP-TEST/COM/1111111111111', 'JP-TEST/COM/1111111111111/shopping/extra', "JP-TEST/COM/1'; DROP TABLE residents--/x", `JP-TEST/COM/1111111111111/${'a'.repeat(1200)}`]) {
        const answer = await adapter.data('GET', '/desk/list', { client });
        expect(answer.status, String(client).slice(0, 60)).toBe(400);
        expect(code(answer)).toBe('ADAPTER_CLIENT_MISSING');
      }
      // The ':' separator X-Road's UIs use is accepted too.
      expect((await adapter.data('GET', '/desk/list', { client: 'JP-TEST:COM:1111111111111:shopping' })).status).toBe(200);
    });

    it('answers a wrong method, an unknown or disabled service as not found', async () => {
      for (const [method, path] of [
        ['POST', '/desk/list'],
        ['PATCH', '/desk/list'],
        ['DELETE', '/desk/list'],
        ['GET', '/desk/create'],
        ['GET', '/desk/nope'],
        ['GET', '/nowhere/list'],
        ['GET', '/desk/hidden'],
        ['GET', '/desk/list/1'],
      ] as const) {
        const answer = await adapter.data(method, path, method === 'GET' || method === 'DELETE' ? {} : { body: {} });
        expect(answer.status, `${method} ${path}`).toBe(404);
        expect(code(answer), `${method} ${path}`).toBe('ADAPTER_SERVICE_NOT_FOUND');
      }
      // Methods no data service uses have no route at all.
      const put = await adapter.data('PUT', '/desk/list', { body: {} });
      expect(put.status).toBe(404);
      expect(code(put)).toBe('KIT_NOT_FOUND');
    });

    it(`refuses bodies above ADAPTER_MAX_BODY_BYTES (${MAX_BODY}) with 413, and bodies that are not JSON with 415`, async () => {
      const tooLarge = await adapter.data('POST', '/desk/create', { body: { user_id: 'big-1', name: 'x'.repeat(MAX_BODY) } });
      expect(tooLarge.status).toBe(413);
      expect(code(tooLarge)).toBe('KIT_BODY_TOO_LARGE');
      for (const type of ['text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
        const answer = await adapter.data('POST', '/desk/create', { body: '{"user_id":"text-1","name":"n"}', headers: { 'content-type': type } });
        expect(answer.status, type).toBe(415);
        expect(code(answer), type).toBe('KIT_UNSUPPORTED_MEDIA_TYPE');
      }
      expect(await postgres.exec(`select user_id from ${tableOf(postgres, 'residents')} where user_id in ('big-1', 'text-1')`)).toEqual([]);
      // The same body as JSON is fine.
      expect((await adapter.data('POST', '/desk/create', { body: { user_id: 'json-1', name: 'n' } })).status).toBe(201);
    });

    for (const kind of ['postgres', 'mariadb'] as const) {
      it(`${kind}: a statement beyond its timeout is cancelled with 504`, async () => {
        const started = performance.now();
        const answer = await adapter.data('GET', `/desk/${kind}-sleep`);
        expect(answer.status, JSON.stringify(answer.body)).toBe(504);
        expect(code(answer)).toBe('ADAPTER_STATEMENT_TIMEOUT');
        expect(performance.now() - started).toBeLessThan(1800);
      });

      it(`${kind}: a read-only query that writes is refused by the database's read-only session`, async () => {
        const before = await samples()[kind].exec(`select city from ${tableOf(samples()[kind], 'residents')} order by id`);
        for (let i = 0; i < 2; i++) {
          const answer = await adapter.data('GET', `/desk/${kind}-sneaky-write`);
          expect(answer.status, JSON.stringify(answer.body)).toBe(500);
          expect(code(answer)).toBe('ADAPTER_READ_ONLY_VIOLATION');
          expect(JSON.stringify(answer.body)).not.toMatch(/UPDATE|residents/i);
        }
        expect(await samples()[kind].exec(`select city from ${tableOf(samples()[kind], 'residents')} order by id`)).toEqual(before);
      });

      it(`${kind}: an answer beyond maxResponseBytes is refused`, async () => {
        const small = await adapter.data('GET', `/desk/${kind}-padding?ch=x&size=100`);
        expect(small.status, JSON.stringify(small.body)).toBe(200);
        expect(small.body.rows).toEqual([{ pad: 'x'.repeat(100) }]);
        const large = await adapter.data('GET', `/desk/${kind}-padding?ch=x&size=2000`);
        expect(large.status).toBe(400);
        expect(code(large)).toBe('ADAPTER_RESPONSE_TOO_LARGE');
        expect(large.body.error.detail).toEqual({ maxResponseBytes: 1024 });
        expect(JSON.stringify(large.body)).not.toContain('xxxx');
        expect((await adapter.data('GET', `/desk/${kind}-rows?limit=1`)).status).toBe(200);
        // The long rows (beforeAll) take the answer beyond 1 KiB of JSON.
        const rows = await adapter.data('GET', `/desk/${kind}-rows?limit=10`);
        expect(rows.status).toBe(400);
        expect(code(rows)).toBe('ADAPTER_RESPONSE_TOO_LARGE');
      });
    }

    it('answers 503 when the database cannot be reached', async () => {
      for (const name of ['pg-down', 'mysql-down']) {
        const answer = await adapter.data('GET', `/desk/${name}`);
        expect(answer.status, `${name}: ${JSON.stringify(answer.body)}`).toBe(503);
        expect(code(answer)).toBe('ADAPTER_TARGET_UNAVAILABLE');
      }
      // A database that goes away after the service was defined.
      expect((await adapter.data('GET', '/desk/moving')).status).toBe(200);
      const moved = await adapter.admin('PUT', '/api/v1/connections/pg-moving', { ...postgres.connection, name: undefined, port: await freePort() });
      expect(moved.status, JSON.stringify(moved.body)).toBe(200);
      const answer = await adapter.data('GET', '/desk/moving');
      expect(answer.status).toBe(503);
      expect(code(answer)).toBe('ADAPTER_TARGET_UNAVAILABLE');
    });
  });

  describe('target sessions', () => {
    for (const kind of ['postgres', 'mariadb'] as const) {
      it(`${kind}: the database itself refuses stacked statements, even without bound values`, async () => {
        const s = samples()[kind];
        const secrets = tableOf(s, 'secrets');
        const target = createTarget({ ...s.connection, password: s.connection.password, tls: 'disable', poolMax: 1, statementTimeoutMs: 5000 });
        try {
          for (const mode of ['read', 'write'] as const) {
            await expect(target.run(mode, 5000, `select 1; delete from ${secrets}`, [])).rejects.toMatchObject({ code: 'ADAPTER_TARGET_FAILED' });
            await expect(target.transaction(mode, 5000, (session) => session.run(`select 1; delete from ${secrets}`, []))).rejects.toMatchObject({ code: 'ADAPTER_TARGET_FAILED' });
          }
          expect((await target.run('read', 5000, 'select 1 as one', [])).rows).toEqual([{ one: 1 }]);
        } finally {
          await target.close();
        }
        expect(await s.exec(`select secret from ${secrets}`)).toEqual([{ secret: 'top-secret-value' }]);
      });
    }
  });

  describe('admin API', () => {
    it('needs the API key', async () => {
      for (const authorization of [undefined, 'Bearer wrong-key', `Basic ${Buffer.from(`admin:${adapter.adminKey}`).toString('base64')}`, `Bearer ${adapter.adminKey}x`]) {
        const response = await fetch(`${adapter.adminUrl}/api/v1/connections`, { headers: authorization ? { authorization } : {} });
        expect(response.status, String(authorization)).toBe(401);
        expect(((await response.json()) as any).error.code).toBe('KIT_UNAUTHENTICATED');
      }
      const events = (await adapter.admin('GET', '/api/v1/audit-events?action=admin.authentication-failed')).body;
      expect(events.length).toBeGreaterThanOrEqual(4);
    });

    it('refuses a definition that does not match the database', async () => {
      const table = { ...(postgres.schema ? { schema: postgres.schema } : {}), name: 'residents' };
      const base = { title: 't', kind: 'list', connection: 'pg-sample', table, key: 'id' };
      const missing = await adapter.admin('POST', '/api/v1/subsystems/desk/services', { ...base, name: 'bad-column', columns: [{ name: 'id', type: 'integer' }, { name: 'shoe_size', type: 'integer' }] });
      expect(missing.status).toBe(422);
      expect(missing.body.error.code).toBe('ADAPTER_DEFINITION_INVALID');
      expect(missing.body.error.detail.problems.join(' ')).toContain('shoe_size');
      const wrongType = await adapter.admin('POST', '/api/v1/subsystems/desk/services', { ...base, name: 'bad-type', columns: [{ name: 'id', type: 'integer' }, { name: 'name', type: 'integer' }] });
      expect(wrongType.status).toBe(422);
      expect(wrongType.body.error.code).toBe('ADAPTER_DEFINITION_INVALID');
      const missingKey = await adapter.admin('POST', '/api/v1/subsystems/desk/services', { ...base, name: 'bad-key', kind: 'delete', key: 'nope', columns: [] });
      expect(missingKey.status).toBe(422);
      expect(missingKey.body.error.code).toBe('ADAPTER_DEFINITION_INVALID');
      const noTable = await adapter.admin('POST', '/api/v1/subsystems/desk/services', { ...base, name: 'bad-table', table: { ...table, name: 'nope' }, columns: [{ name: 'id', type: 'integer' }] });
      expect(noTable.status).toBe(404);
      expect(noTable.body.error.code).toBe('ADAPTER_TABLE_NOT_FOUND');
      expect((await adapter.admin('GET', '/api/v1/subsystems/desk/services/bad-column')).status).toBe(404);
    });

    for (const kind of ['postgres', 'mariadb'] as const) {
      it(`${kind}: refuses named SQL that is not one statement whose :placeholders are declared`, async () => {
        const connection = samples()[kind].connection.name;
        const secrets = tableOf(samples()[kind], 'secrets');
        const texts: Array<[string, Array<{ name: string; type: string }>]> = [
          ['select 1; select 2', []],
          [`select 1; delete from ${secrets}`, []],
          [`select 1;\ndelete from ${secrets}`, []],
          ['select :a as a', []],
          ['select :a as a, :b as b', [{ name: 'a', type: 'string' }]],
          ['select 1 as one', [{ name: 'unused', type: 'string' }]],
          [`select 'unterminated`, []],
          ['select 1 /* unterminated', []],
          ...(kind === 'postgres'
            ? ([
                // An escape string hides neither the ';' nor what follows it.
                [`select E'\\'' ; delete from ${secrets}; --'`, []],
                ['select $1', []],
              ] as Array<[string, []]>)
            : ([
                [`select '\\'' ; delete from ${secrets}; -- '`, []],
                ['select ?', []],
              ] as Array<[string, []]>)),
        ];
        for (const [sql, parameters] of texts) {
          const saved = await adapter.admin('POST', '/api/v1/subsystems/desk/services', { name: 'bad-sql', title: 't', kind: 'query', connection, sql, parameters });
          expect(saved.status, `${sql}: ${JSON.stringify(saved.body)}`).toBe(422);
          expect(saved.body.error.code, sql).toBe('ADAPTER_SQL_INVALID');
        }
        expect(await samples()[kind].exec(`select secret from ${secrets}`)).toEqual([{ secret: 'top-secret-value' }]);
      });
    }

    it('stores database passwords sealed and never returns them', async () => {
      // The sealed password works: MariaDB answers through the user that needs it.
      expect((await adapter.data('GET', '/desk/mariadb-rows?limit=1')).status).toBe(200);
      const stored = await adapter.adapter.core.db.selectFrom('connections').select(['name', 'password_enc']).where('name', '=', 'mysql-sample').executeTakeFirstOrThrow();
      expect(stored.password_enc).toMatch(/^sb1\./);
      expect(stored.password_enc).not.toContain(PASSWORD);
      expect(stored.password_enc).not.toContain(Buffer.from(PASSWORD).toString('base64'));
      expect(stored.password_enc).not.toContain(Buffer.from(PASSWORD).toString('base64url').slice(0, 20));
      const secretPart = PASSWORD.split(' ').at(-1)!;
      for (const path of ['/api/v1/connections', '/api/v1/connections/mysql-sample', '/api/v1/audit-events?limit=1000', '/api/v1/calls?limit=1000']) {
        const answer = await adapter.admin('GET', path);
        expect(answer.status, path).toBe(200);
        expect(JSON.stringify(answer.body), path).not.toContain(secretPart);
        expect(JSON.stringify(answer.body), path).not.toContain('sb1.');
      }
      expect((await adapter.admin('GET', '/api/v1/connections/mysql-sample')).body).toMatchObject({ name: 'mysql-sample', username: mariadbUser, hasPassword: true });
      expect((await adapter.admin('GET', '/api/v1/connections/mysql-sample')).body).not.toHaveProperty('password');
      // An update without a password keeps the stored one.
      const kept = await adapter.admin('PUT', '/api/v1/connections/mysql-sample', { dialect: 'mysql', host: '127.0.0.1', port: 3306, database: mariadb.connection.database, username: mariadbUser });
      expect(kept.status, JSON.stringify(kept.body)).toBe(200);
      expect(kept.body.hasPassword).toBe(true);
      expect((await adapter.data('GET', '/desk/mariadb-rows?limit=1')).status).toBe(200);
    });
  });
});
