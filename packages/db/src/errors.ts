// Why a database operation was refused or failed. Codes are stable: callers and operators match on them.
export const DB_ERRORS = {
  DB_CONFIG_INVALID: 'the database configuration is invalid',
  DB_SCHEMA_NAME_INVALID: 'the schema name is not allowed (expected ^[a-z_][a-z0-9_]{0,62}$, not pg_* or information_schema)',
  DB_CONNECT_FAILED: 'the database could not be reached',
  DB_EMBEDDED_IN_PRODUCTION: 'the embedded development database (PGlite) cannot be used in production: set a PostgreSQL url',
  DB_EMBEDDED_LOCKED: 'the embedded database data directory is in use by another running process',
  DB_EMBEDDED_START_FAILED: 'the embedded database could not be started',
  DB_MIGRATION_NAME_INVALID: 'a migration name is not date-prefixed (expected YYYYMMDDHHMM-some-name)',
  DB_MIGRATION_FAILED: 'a migration failed; no migration of this run was applied',
  DB_MIGRATION_CORRUPTED: 'the provided migrations do not match the ones already applied (applied migrations are frozen)',
} as const;

export type DbErrorCode = keyof typeof DB_ERRORS;

/** Every code, for exhaustive checks and docs. */
export const DB_ERROR_CODES = Object.keys(DB_ERRORS) as readonly DbErrorCode[];

export class DbError extends Error {
  override name = 'DbError';
  readonly code: DbErrorCode;
  /** The migration concerned, for DB_MIGRATION_* errors. */
  readonly migration: string | undefined;
  constructor(code: DbErrorCode, detail?: string, options?: { cause?: unknown; migration?: string }) {
    super(detail ? `${DB_ERRORS[code]}: ${detail}` : DB_ERRORS[code], options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.migration = options?.migration;
  }
}

export function isDbError(err: unknown, code?: DbErrorCode): err is DbError {
  return err instanceof DbError && (code === undefined || err.code === code);
}
