import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, testDatabaseKind, type TestDatabase } from '../src/testing.ts';

describe(`search_path (${testDatabaseKind()})`, () => {
  const poolMax = 5;
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase('sp', undefined, { poolMax });
  });
  afterAll(async () => {
    await database?.drop();
  });

  // PGlite ignores startup options and shares one session between connections (see schema-pinned-dialect.ts),
  // so a per-connection search_path only exists on real PostgreSQL.
  it.skipIf(testDatabaseKind() === 'embedded')('is set on every pooled connection (PostgreSQL)', async () => {
    const clients = await Promise.all(Array.from({ length: poolMax }, () => database.pool.connect()));
    try {
      const answers = await Promise.all(
        clients.map(async (c) => (await c.query<{ schema: string; pid: number }>('select current_schema() as schema, pg_backend_pid() as pid')).rows[0]),
      );
      expect(new Set(answers.map((r) => r?.pid)).size).toBe(poolMax);
      expect(answers.map((r) => r?.schema)).toEqual(Array(poolMax).fill(database.schema));
    } finally {
      for (const c of clients) c.release();
    }
  });

  it('applies to parallel queries through db (more queries than connections)', async () => {
    const schemas = await Promise.all(
      Array.from({ length: 50 }, async () => (await sql<{ schema: string }>`select current_schema() as schema`.execute(database.db)).rows[0]?.schema),
    );
    expect(schemas).toEqual(Array(50).fill(database.schema));
  });

  it('applies inside db.transaction()', async () => {
    const schema = await database.db.transaction().execute(async (trx) => (await sql<{ schema: string }>`select current_schema() as schema`.execute(trx)).rows[0]?.schema);
    expect(schema).toBe(database.schema);
  });
});
