import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { describeUrl } from './connection-url.ts';
import { DbError } from './errors.ts';
import { kyselyLogHook, silentLogger, type DbLogger } from './logger.ts';
import type { EmbeddedHandle } from './embedded-postgres.ts';
import type { DatabaseKind } from './resolve-database.ts';
import { SchemaPinnedPostgresDialect } from './schema-pinned-dialect.ts';
import { assertSchemaName, quoteIdentifier } from './schema-name.ts';

export interface OpenDatabaseOptions {
  /** postgres://… connection URL. Falls back to `embedded.url`. */
  url?: string;
  /** The service's own schema: created if missing, and every table name the query builder emits is qualified with it. */
  schema: string;
  /** A running embedded database (see startEmbeddedPostgres), used when `url` is not given. */
  embedded?: EmbeddedHandle;
  logger?: DbLogger;
  /** Pool size (default 10). */
  poolMax?: number;
  /** Shown in pg_stat_activity (default `jplink-<schema>`). */
  applicationName?: string;
  /** How long to wait for a new connection (default 10 000 ms). */
  connectTimeoutMs?: number;
}

// `any` by default so that untyped callers (and migrations) can use any table; services pass their DB interface.
export interface Database<DB = any> {
  /** Kysely bound to the service schema: `db.selectFrom('x')` reads `"<schema>"."x"`. Use `db.transaction()` for transactions. */
  db: Kysely<DB>;
  /** The underlying pool. Raw `pool.query` is NOT schema-qualified on the embedded database (see docs/database.md). */
  pool: pg.Pool;
  schema: string;
  /** What answered: PostgreSQL, or the embedded PGlite (detected from version()). */
  kind: DatabaseKind;
  /** Ends the pool. Idempotent. */
  close(): Promise<void>;
}

function hasSqlState(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}

/**
 * Opens a pool for one service schema (created if missing). Unqualified names resolve to that schema:
 * - on PostgreSQL, every pooled connection starts with `search_path=<schema>` (startup option);
 * - on the embedded PGlite, which ignores startup options and shares ONE session between all connections, every
 *   statement issued through `db` runs in a transaction that begins with `SET LOCAL search_path` (schema-pinned-dialect.ts);
 * - in both, kysely's WithSchemaPlugin also qualifies every table the query and schema builders emit.
 */
export async function openDatabase<DB = any>(options: OpenDatabaseOptions): Promise<Database<DB>> {
  const schema = assertSchemaName(options.schema);
  const url = options.url?.trim() || options.embedded?.url;
  if (!url) throw new DbError('DB_CONFIG_INVALID', 'openDatabase needs a url or an embedded handle');
  const logger = options.logger ?? silentLogger;
  const poolMax = options.poolMax ?? 10;
  if (!Number.isInteger(poolMax) || poolMax < 1) throw new DbError('DB_CONFIG_INVALID', `poolMax must be a positive integer, got ${poolMax}`);

  const pool = new pg.Pool({
    connectionString: url,
    max: poolMax,
    application_name: options.applicationName ?? `jplink-${schema}`,
    // Per-connection, applied by the server at connection start: no extra round trip, no window without it.
    options: `-c search_path=${quoteIdentifier(schema)}`,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
  });
  // An idle client losing its connection (server restart, embedded stop) must not crash the process.
  pool.on('error', (err) => {
    logger.warn({ schema, code: (err as { code?: unknown }).code }, 'idle database connection failed');
  });

  let kind: DatabaseKind;
  try {
    kind = await ensureSchema(pool, schema);
  } catch (err) {
    await pool.end().catch(() => {});
    if (hasSqlState(err)) throw err;
    throw new DbError('DB_CONNECT_FAILED', `${describeUrl(url)}: ${(err as Error).message}`, { cause: err });
  }

  const db = new Kysely<DB>({
    dialect: kind === 'embedded' ? new SchemaPinnedPostgresDialect({ pool }, schema) : new PostgresDialect({ pool }),
    log: kyselyLogHook(logger, schema),
  }).withSchema(schema);

  let closing: Promise<void> | undefined;
  return {
    db,
    pool,
    schema,
    kind,
    close: () =>
      (closing ??= (async () => {
        await db.destroy();
        // kysely initialises its driver lazily and ends the pool only if it was used.
        if (!pool.ended) await pool.end();
      })()),
  };
}

/** Creates the schema if missing; returns what kind of server answered. */
async function ensureSchema(pool: pg.Pool, schema: string): Promise<DatabaseKind> {
  // Check first: CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when the schema exists.
  const { rows } = await pool.query<{ present: boolean; version: string }>(
    'select exists (select 1 from pg_namespace where nspname = $1) as present, version() as version',
    [schema],
  );
  const kind: DatabaseKind = /PGlite/i.test(rows[0]?.version ?? '') ? 'embedded' : 'postgres';
  if (rows[0]?.present) return kind;
  try {
    await pool.query(`create schema if not exists ${quoteIdentifier(schema)}`);
  } catch (err) {
    // Two processes creating the same schema at once: one loses the race on pg_namespace's unique index.
    const code = (err as { code?: unknown }).code;
    if (code !== '23505' && code !== '42P06') throw err;
  }
  return kind;
}
