import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testDatabaseUrl, type TestDatabase } from '../src/testing.ts';
import {
  assertSchemaName,
  DB_ERROR_CODES,
  DbError,
  healthCheck,
  isUniqueViolation,
  openDatabase,
  resolveDatabase,
  type DbLogger,
} from '../src/index.ts';

interface Tables {
  users: { id: string; email: string };
}

function capture(): DbLogger & { entries: { level: string; obj: object; msg?: string }[] } {
  const entries: { level: string; obj: object; msg?: string }[] = [];
  const at = (level: string) => (obj: object, msg?: string) => void entries.push({ level, obj, ...(msg === undefined ? {} : { msg }) });
  return { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

describe('helpers', () => {
  let database: TestDatabase<Tables>;
  const logger = capture();

  beforeAll(async () => {
    database = await createTestDatabase<Tables>('helpers', {
      '202611251200-users': {
        up: async (db) => void (await db.schema.createTable('users').addColumn('id', 'text', (c) => c.primaryKey()).addColumn('email', 'text', (c) => c.notNull().unique()).execute()),
      },
    }, { logger });
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('isUniqueViolation recognises 23505 (and its constraint)', async () => {
    await database.db.insertInto('users').values({ id: 'u1', email: 'secret-address@example.jp' }).execute();
    const err = await database.db.insertInto('users').values({ id: 'u2', email: 'secret-address@example.jp' }).execute().catch((e: unknown) => e);
    expect(isUniqueViolation(err)).toBe(true);
    expect(isUniqueViolation(err, 'users_email_key')).toBe(true);
    expect(isUniqueViolation(err, 'other')).toBe(false);
    expect(isUniqueViolation(new Error('x'))).toBe(false);
    expect(isUniqueViolation(new Error('wrapped', { cause: err }))).toBe(true);
  });

  it('logs SQL text and duration, never parameters', () => {
    const text = JSON.stringify(logger.entries);
    expect(text).toContain('insert into');
    expect(text).toContain('durationMs');
    expect(text).not.toContain('secret-address');
    expect(logger.entries.some((e) => e.msg === 'migration applied')).toBe(true);
  });

  it('healthCheck answers ok, and not-ok (without throwing) once closed', async () => {
    const extra = await openDatabase({ url: testDatabaseUrl(), schema: database.schema, poolMax: 1 });
    expect(await healthCheck(extra)).toMatchObject({ ok: true });
    await extra.close();
    await extra.close(); // idempotent
    expect(await healthCheck(extra, { timeoutMs: 1_000 })).toMatchObject({ ok: false });
  });

  it('refuses bad schema names before connecting', async () => {
    for (const bad of ['Center', '1abc', 'a-b', 'pg_center', 'information_schema', 'x'.repeat(64), 'a;drop']) {
      expect(() => assertSchemaName(bad)).toThrow(DbError);
    }
    expect(assertSchemaName('center')).toBe('center');
    const err = await openDatabase({ url: testDatabaseUrl(), schema: 'Bad' }).catch((e: unknown) => e);
    expect((err as DbError).code).toBe('DB_SCHEMA_NAME_INVALID');
  });

  it('reports an unreachable server as DB_CONNECT_FAILED', async () => {
    const err = await openDatabase({ url: 'postgres://postgres@127.0.0.1:1/postgres', schema: 'x', connectTimeoutMs: 1_000 }).catch((e: unknown) => e);
    expect((err as DbError).code).toBe('DB_CONNECT_FAILED');
    expect((err as DbError).message).toContain('127.0.0.1:1');
  });

  it('resolveDatabase uses a configured url as is', async () => {
    expect(await resolveDatabase({ url: 'postgres://db.example:5432/jp', dataDir: '/nonexistent', production: true })).toEqual({ url: 'postgres://db.example:5432/jp', kind: 'postgres' });
  });

  it('exports its error codes as a stable list', () => {
    expect(DB_ERROR_CODES).toContain('DB_MIGRATION_FAILED');
    expect(DB_ERROR_CODES).toContain('DB_EMBEDDED_IN_PRODUCTION');
    expect(DB_ERROR_CODES.every((c) => c.startsWith('DB_'))).toBe(true);
  });
});
