// Table operations and named queries against real PostgreSQL and real MariaDB, through the
// Adapter Server's admin API (definitions) and serving port (calls as the Security Server makes them).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMysqlSample, createPostgresSample, startTestAdapter, type RunningAdapter, type SampleTarget } from '../src/testing.ts';

const residentColumns = [
  { name: 'id', type: 'integer', filterable: true, sortable: true },
  { name: 'user_id', type: 'string', filterable: true },
  { name: 'name', type: 'string', filterable: true, sortable: true, writable: true },
  { name: 'birth_year', type: 'integer', filterable: true, sortable: true, writable: true },
  { name: 'city', type: 'string', filterable: true, writable: true },
  { name: 'active', type: 'boolean', filterable: true, writable: true },
  { name: 'registered_on', type: 'date', filterable: true },
  { name: 'points', type: 'number', filterable: true },
];

for (const kind of ['postgres', 'mariadb'] as const) {
  describe(`data services on ${kind}`, () => {
    let adapter: RunningAdapter;
    let sample: SampleTarget;

    beforeAll(async () => {
      adapter = await startTestAdapter();
      sample = kind === 'postgres' ? await createPostgresSample() : await createMysqlSample();
      const table = { ...(sample.schema ? { schema: sample.schema } : {}), name: 'residents' };
      expect((await adapter.admin('POST', '/api/v1/connections', sample.connection)).status).toBe(201);
      expect((await adapter.admin('POST', '/api/v1/subsystems', { code: 'residents', title: '住民情報' })).status).toBe(201);
      const c = sample.connection.name;
      for (const def of [
        { name: 'list', title: '一覧', kind: 'list', connection: c, table, key: 'id', columns: residentColumns, maxRows: 3 },
        { name: 'get', title: '取得', kind: 'get', connection: c, table, key: 'id', columns: residentColumns },
        { name: 'create', title: '登録', kind: 'create', connection: c, table, columns: [...residentColumns.slice(0, 1), { name: 'user_id', type: 'string', writable: true }, ...residentColumns.slice(2)] },
        { name: 'update', title: '更新', kind: 'update', connection: c, table, key: 'id', columns: residentColumns },
        { name: 'delete', title: '削除', kind: 'delete', connection: c, table, key: 'id', columns: [] },
        { name: 'by-city', title: '市区町村別', kind: 'query', connection: c, sql: `select user_id, name from ${sample.schema ? `${sample.schema}.` : ''}residents where city = :city order by user_id`, parameters: [{ name: 'city', type: 'string' }], maxRows: 1 },
      ]) {
        const saved = await adapter.admin('POST', '/api/v1/subsystems/residents/services', def);
        expect(saved.status, JSON.stringify(saved.body)).toBe(201);
      }
    });
    afterAll(async () => {
      await adapter?.stop();
      await sample?.drop();
    });

    it('lists with typed filters, order and a row cap that says it cut the result', async () => {
      const all = await adapter.data('GET', '/residents/list?order=birth_year.desc');
      expect(all.status, JSON.stringify(all.body)).toBe(200);
      expect(all.body.rows).toHaveLength(3);
      expect(all.body.truncated).toBe(true);
      expect(all.body.nextOffset).toBe(3);
      expect(all.headers.get('x-jplink-truncated')).toBe('true');
      expect(all.body.rows[0]).toMatchObject({ user_id: 'u-003', birth_year: 2001, active: true, registered_on: '2026-01-15', points: 99999.99 });
      const filtered = await adapter.data('GET', `/residents/list?city=eq.tokyo&birth_year=gte.1990&select=user_id,name`);
      expect(filtered.body).toEqual({ rows: [{ user_id: 'u-003', name: "O'Brien; DROP TABLE residents; --" }], truncated: false, nextOffset: null });
      const inList = await adapter.data('GET', '/residents/list?user_id=in.(u-001,u-004)&order=id.asc');
      expect(inList.body.rows.map((r: any) => r.user_id)).toEqual(['u-001', 'u-004']);
      const like = await adapter.data('GET', '/residents/list?name=like.*花子');
      expect(like.body.rows.map((r: any) => r.user_id)).toEqual(['u-001']);
    });

    it('gets by key, creates, updates and deletes', async () => {
      const got = await adapter.data('GET', '/residents/get/1');
      expect(got.status).toBe(200);
      expect(got.body).toMatchObject({ id: 1, user_id: 'u-001', name: '山田 花子' });
      expect((await adapter.data('GET', '/residents/get/999')).body.error.code).toBe('ADAPTER_ROW_NOT_FOUND');
      const created = await adapter.data('POST', '/residents/create', { body: { user_id: 'u-100', name: '新規 住民', birth_year: 1999, city: 'kyoto', active: false } });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const [row] = await sample.exec(`select id from ${sample.schema ? `${sample.schema}.` : ''}residents where user_id = 'u-100'`);
      const updated = await adapter.data('PATCH', `/residents/update/${row.id}`, { body: { city: 'nara' } });
      expect(updated.status, JSON.stringify(updated.body)).toBe(200);
      expect(updated.body).toMatchObject({ user_id: 'u-100', city: 'nara', active: false });
      const duplicate = await adapter.data('POST', '/residents/create', { body: { user_id: 'u-100', name: 'x' } });
      expect(duplicate.body.error.code).toBe('ADAPTER_CONSTRAINT_VIOLATION');
      expect((await adapter.data('DELETE', `/residents/delete/${row.id}`)).status).toBe(204);
      expect((await adapter.data('DELETE', `/residents/delete/${row.id}`)).body.error.code).toBe('ADAPTER_ROW_NOT_FOUND');
    });

    it('runs a named query with bound parameters and its own row cap', async () => {
      const answer = await adapter.data('GET', '/residents/by-city?city=tokyo');
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      expect(answer.body).toEqual({ rows: [{ user_id: 'u-001', name: '山田 花子' }], truncated: true, nextOffset: null });
      expect((await adapter.data('GET', '/residents/by-city')).body.error.code).toBe('ADAPTER_PARAMETER_INVALID');
    });

    it('records the X-Road headers of each call', async () => {
      await adapter.data('GET', '/residents/get/2', { headers: { 'x-road-id': 'trace-42', 'x-road-request-id': 'req-42', 'x-road-userid': 'JP:staff-7' } });
      await adapter.adapter.calls.flush();
      const calls = await adapter.admin('GET', '/api/v1/calls?limit=50');
      expect(calls.body.find((c: any) => c.xRoadId === 'trace-42')).toMatchObject({ service: 'get', xRoadClient: 'JP-TEST/COM/1111111111111/shopping', xRoadRequestId: 'req-42', xRoadUserId: 'JP:staff-7', status: 200, rows: 1 });
    });
  });
}
