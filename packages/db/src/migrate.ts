import { Migrator, type Kysely, type Migration as KyselyMigration, type MigrationResult } from 'kysely';
import { DbError } from './errors.ts';
import { silentLogger, type DbLogger } from './logger.ts';
import type { Database } from './open-database.ts';

export interface MigrationContext {
  /** The service schema. Kysely builders are already qualified with it; raw SQL must name it (e.g. `sql.id(schema, 't')`). */
  schema: string;
}

/**
 * A kysely migration. `db` is bound to the service schema and runs inside the migration transaction.
 * Plain kysely migrations (`up(db)`) fit as they are.
 */
export interface Migration {
  up(db: Kysely<any>, context: MigrationContext): Promise<void>;
  down?(db: Kysely<any>, context: MigrationContext): Promise<void>;
}

/** `YYYYMMDDHHMM-lowercase-words`, e.g. `202611251200-initial`. Names sort by date, which is the order they run in. */
export const MIGRATION_NAME_PATTERN = /^\d{12}-[a-z0-9]+(?:-[a-z0-9]+)*$/;

export interface MigrateResult {
  /** Migrations executed by this call, in order (empty when already up to date). */
  executed: string[];
}

/**
 * Brings the service schema up to date. Migration bookkeeping (kysely_migration, kysely_migration_lock) lives in
 * the service schema, so each service migrates independently. All pending migrations run in one transaction:
 * if one fails, none of this run is applied and DB_MIGRATION_FAILED names it.
 */
export async function migrate(database: Database, migrations: Record<string, Migration>, options: { logger?: DbLogger } = {}): Promise<MigrateResult> {
  const logger = options.logger ?? silentLogger;
  const context: MigrationContext = { schema: database.schema };
  const provided: Record<string, KyselyMigration> = {};
  for (const [name, migration] of Object.entries(migrations)) {
    if (!MIGRATION_NAME_PATTERN.test(name)) throw new DbError('DB_MIGRATION_NAME_INVALID', JSON.stringify(name), { migration: name });
    const { up, down } = migration;
    provided[name] = {
      up: (db) => up.call(migration, db, context),
      ...(down ? { down: (db: Kysely<any>) => down.call(migration, db, context) } : {}),
    };
  }

  const migrator = new Migrator({
    db: database.db,
    provider: { getMigrations: async () => provided },
    migrationTableSchema: database.schema,
  });
  let { error, results } = await migrator.migrateToLatest();
  // Kysely checks for its bookkeeping tables by introspecting every schema of the database; a schema
  // dropped by someone else meanwhile makes that query fail ("schema … does not exist") although
  // nothing of ours is wrong. Nothing was applied then (no result), so trying again is safe.
  for (let attempt = 1; attempt < 5 && error !== undefined && !results?.length && isOtherSchemaGone(error, database.schema); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    ({ error, results } = await migrator.migrateToLatest());
  }
  const executed = (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  if (error !== undefined) {
    throw toMigrationError(database.schema, error, results);
  }
  for (const name of executed) logger.info({ schema: database.schema, migration: name }, 'migration applied');
  return { executed };
}

function toMigrationError(schema: string, error: unknown, results: readonly MigrationResult[] | undefined): DbError {
  const failed = results?.find((r) => r.status === 'Error');
  const message = error instanceof Error ? error.message : String(error);
  if (failed) {
    return new DbError('DB_MIGRATION_FAILED', `${schema}: migration "${failed.migrationName}" failed: ${message}`, { cause: error, migration: failed.migrationName });
  }
  if (message.startsWith('corrupted migrations')) {
    const name = /migration (\S+)/.exec(message)?.[1];
    return new DbError('DB_MIGRATION_CORRUPTED', `${schema}: ${message}`, { cause: error, ...(name ? { migration: name } : {}) });
  }
  return new DbError('DB_MIGRATION_FAILED', `${schema}: ${message}`, { cause: error });
}

/** An introspection failure caused by another schema disappearing (SQLSTATE 3F000 or 42P01 naming it). */
function isOtherSchemaGone(error: unknown, schema: string): boolean {
  const e = error as { code?: string; message?: string };
  return (e.code === '3F000' || e.code === '42P01') && typeof e.message === 'string' && !e.message.includes(`"${schema}"`);
}
