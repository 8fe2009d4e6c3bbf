// Test support: each call gets its own schema on the run's database, so test files can run in parallel.
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { DbError } from './errors.ts';
import type { DbLogger } from './logger.ts';
import { migrate, type Migration } from './migrate.ts';
import { openDatabase, type Database } from './open-database.ts';
import type { DatabaseKind } from './resolve-database.ts';
import { quoteIdentifier } from './schema-name.ts';
import { TEST_DATABASE_KIND_ENV, TEST_DATABASE_URL_ENV } from './test-context.ts';

export type TestDatabase<DB = any> = Database<DB> & {
  /** Drops the schema (CASCADE) and closes the pool. Idempotent. */
  drop(): Promise<void>;
};

function injected<K extends 'databaseUrl' | 'databaseKind'>(key: K): ReturnType<typeof inject<K>> | undefined {
  try {
    return inject(key);
  } catch {
    return undefined; // not inside a vitest worker
  }
}

/** The URL chosen by the global setup (packages/db/src/test-global-setup.ts), or JPLINK_TEST_DATABASE_URL. */
export function testDatabaseUrl(): string {
  const url = injected('databaseUrl') || process.env[TEST_DATABASE_URL_ENV]?.trim();
  if (!url) {
    throw new DbError('DB_CONFIG_INVALID', `no test database: run the tests through the root vitest config (its global setup chooses one) or set ${TEST_DATABASE_URL_ENV}`);
  }
  return url;
}

/** Which database this test run uses, for tests that report it or depend on PostgreSQL-only behaviour. */
export function testDatabaseKind(): DatabaseKind {
  const kind = injected('databaseKind') || process.env[TEST_DATABASE_KIND_ENV];
  return kind === 'embedded' ? 'embedded' : 'postgres';
}

const PREFIX_PATTERN = /^[a-z][a-z0-9_]{0,39}$/;

/**
 * Opens a fresh schema `${prefix}_t<random>` on the test database and applies `migrations` to it.
 * Call `drop()` in afterAll/afterEach.
 */
export async function createTestDatabase<DB = any>(
  prefix: string,
  migrations?: Record<string, Migration>,
  options: { logger?: DbLogger; poolMax?: number } = {},
): Promise<TestDatabase<DB>> {
  if (!PREFIX_PATTERN.test(prefix)) throw new DbError('DB_SCHEMA_NAME_INVALID', `test prefix ${JSON.stringify(prefix)} must match ${PREFIX_PATTERN}`);
  const schema = `${prefix}_t${randomBytes(5).toString('hex')}`;
  const database = await openDatabase<DB>({
    url: testDatabaseUrl(),
    schema,
    poolMax: options.poolMax ?? 4,
    applicationName: `jplink-test-${prefix}`,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  let dropping: Promise<void> | undefined;
  const drop = () =>
    (dropping ??= (async () => {
      try {
        await database.pool.query(`drop schema if exists ${quoteIdentifier(schema)} cascade`);
      } finally {
        await database.close();
      }
    })());
  try {
    if (migrations) await migrate(database, migrations, options.logger ? { logger: options.logger } : {});
  } catch (err) {
    await drop().catch(() => {});
    throw err;
  }
  return { ...database, drop };
}
