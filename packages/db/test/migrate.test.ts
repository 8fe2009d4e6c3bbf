import { afterEach, describe, expect, it } from 'vitest';
import { sql, type Kysely } from 'kysely';
import { createTestDatabase, testDatabaseKind, type TestDatabase } from '../src/testing.ts';
import { DbError, migrate, type Migration } from '../src/index.ts';

const created: TestDatabase[] = [];
async function fresh(): Promise<TestDatabase> {
  const database = await createTestDatabase('mig');
  created.push(database);
  return database;
}
afterEach(async () => {
  await Promise.all(created.splice(0).map((d) => d.drop()));
});

async function tables(database: TestDatabase): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = ${database.schema} order by 1`.execute(database.db);
  return rows.map((r) => r.name);
}

function counting(counter: { n: number }): Record<string, Migration> {
  return {
    '202611251200-initial': {
      async up(db: Kysely<any>) {
        counter.n++;
        await db.schema.createTable('things').addColumn('id', 'serial', (c) => c.primaryKey()).addColumn('label', 'text').execute();
      },
    },
    '202611251300-raw-sql': {
      // Raw SQL with an unqualified name, as services write it: must land in the service schema.
      async up(db, { schema }) {
        counter.n++;
        await sql`create sequence thing_serial`.execute(db);
        await sql`alter table ${sql.table(`${schema}.things`)} add column serial_no bigint`.execute(db);
      },
    },
  };
}

describe(`migrate (${testDatabaseKind()})`, () => {
  it('runs each migration once; a re-run is a no-op', async () => {
    const database = await fresh();
    const counter = { n: 0 };
    expect(await migrate(database, counting(counter))).toEqual({ executed: ['202611251200-initial', '202611251300-raw-sql'] });
    expect(await migrate(database, counting(counter))).toEqual({ executed: [] });
    expect(counter.n).toBe(2);
    // Bookkeeping and the raw-SQL objects live in the service schema.
    expect(await tables(database)).toEqual(['kysely_migration', 'kysely_migration_lock', 'things']);
    const { rows } = await sql<{ n: string }>`select nextval('thing_serial')::text as n`.execute(database.db);
    expect(rows[0]?.n).toBe('1');
    const seq = await sql<{ schema: string }>`select sequence_schema as schema from information_schema.sequences where sequence_name = 'thing_serial' and sequence_schema = ${database.schema}`.execute(database.db);
    expect(seq.rows).toHaveLength(1);
  });

  it('applies only the new migration when one is added', async () => {
    const database = await fresh();
    const counter = { n: 0 };
    await migrate(database, counting(counter));
    const more = {
      ...counting(counter),
      '202611260900-more': { up: async (db: Kysely<any>) => void (await db.schema.createTable('more').addColumn('id', 'integer').execute()) },
    };
    expect(await migrate(database, more)).toEqual({ executed: ['202611260900-more'] });
    expect(counter.n).toBe(2);
  });

  it('raises DB_MIGRATION_FAILED naming the failing migration, and applies none of the run', async () => {
    const database = await fresh();
    const failing: Record<string, Migration> = {
      '202611251200-initial': counting({ n: 0 })['202611251200-initial']!,
      '202611251400-broken': {
        async up(db) {
          await sql`select * from no_such_table`.execute(db);
        },
      },
    };
    const err = await migrate(database, failing).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DbError);
    expect((err as DbError).code).toBe('DB_MIGRATION_FAILED');
    expect((err as DbError).migration).toBe('202611251400-broken');
    expect((err as DbError).message).toContain('202611251400-broken');
    // The run was one transaction: the first migration's table was rolled back with it.
    expect(await tables(database)).not.toContain('things');
  });

  it('refuses names without a date prefix', async () => {
    const database = await fresh();
    const err = await migrate(database, { initial: { up: async () => {} } }).catch((e: unknown) => e);
    expect((err as DbError).code).toBe('DB_MIGRATION_NAME_INVALID');
  });

  it('refuses a history that no longer matches (applied migrations are frozen)', async () => {
    const database = await fresh();
    await migrate(database, counting({ n: 0 }));
    const renamed = { '202611251200-renamed': { up: async () => {} } };
    const err = await migrate(database, renamed).catch((e: unknown) => e);
    expect((err as DbError).code).toBe('DB_MIGRATION_CORRUPTED');

    const backdated = { ...counting({ n: 0 }), '202601010000-backdated': { up: async () => {} } };
    const err2 = await migrate(database, backdated).catch((e: unknown) => e);
    expect((err2 as DbError).code).toBe('DB_MIGRATION_CORRUPTED');
  });

  it('keeps two services on the same database independent', async () => {
    const one = await fresh();
    const two = await fresh();
    await migrate(one, counting({ n: 0 }));
    expect(await migrate(two, counting({ n: 0 }))).toEqual({ executed: ['202611251200-initial', '202611251300-raw-sql'] });
  });
});
