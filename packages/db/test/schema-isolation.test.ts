import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, type Generated } from 'kysely';
import { createTestDatabase, testDatabaseKind, type TestDatabase } from '../src/testing.ts';
import type { Migration } from '../src/index.ts';

interface Tables {
  items: { id: Generated<number>; name: string };
}

const migrations: Record<string, Migration> = {
  '202611251200-items': {
    async up(db) {
      await db.schema
        .createTable('items')
        .addColumn('id', 'serial', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .execute();
    },
  },
};

describe(`schema isolation (${testDatabaseKind()})`, () => {
  let a: TestDatabase<Tables>;
  let b: TestDatabase<Tables>;

  beforeAll(async () => {
    a = await createTestDatabase<Tables>('iso', migrations);
    b = await createTestDatabase<Tables>('iso', migrations);
  });
  afterAll(async () => {
    await a?.drop();
    await b?.drop();
  });

  it('gives every call its own schema', () => {
    expect(a.schema).toMatch(/^iso_t[0-9a-f]{10}$/);
    expect(b.schema).not.toBe(a.schema);
    expect(a.kind).toBe(testDatabaseKind());
  });

  it('keeps the same table name in two schemas apart', async () => {
    await a.db.insertInto('items').values([{ name: 'a1' }, { name: 'a2' }]).execute();
    await b.db.insertInto('items').values({ name: 'b1' }).execute();

    const inA = await a.db.selectFrom('items').select('name').orderBy('id').execute();
    const inB = await b.db.selectFrom('items').select('name').orderBy('id').execute();
    expect(inA.map((r) => r.name)).toEqual(['a1', 'a2']);
    expect(inB.map((r) => r.name)).toEqual(['b1']);
  });

  it('resolves unqualified raw SQL to the schema too', async () => {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from items`.execute(b.db);
    expect(rows[0]?.n).toBe(1);
  });

  it('stays apart under interleaved parallel work on both schemas', async () => {
    const work = Array.from({ length: 40 }, (_, i) => {
      const target = i % 2 === 0 ? a : b;
      return target.db.insertInto('items').values({ name: `${target === a ? 'pa' : 'pb'}${i}` }).execute();
    });
    await Promise.all(work);
    const names = async (d: TestDatabase<Tables>) => (await d.db.selectFrom('items').select('name').execute()).map((r) => r.name);
    expect((await names(a)).filter((n) => n.startsWith('pb'))).toEqual([]);
    expect((await names(b)).filter((n) => n.startsWith('pa'))).toEqual([]);
    expect((await names(a)).filter((n) => n.startsWith('pa'))).toHaveLength(20);
  });

  it('drop() removes the schema', async () => {
    const c = await createTestDatabase('iso', migrations);
    const schema = c.schema;
    await c.drop();
    await c.drop(); // idempotent
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_namespace where nspname = ${schema}`.execute(a.db);
    expect(rows[0]?.n).toBe(0);
  });
});
