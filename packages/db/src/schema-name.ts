import { DbError } from './errors.ts';

export const SCHEMA_NAME_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

/** Returns the name if it is a schema a service may own, else throws DB_SCHEMA_NAME_INVALID. */
export function assertSchemaName(name: string): string {
  if (!SCHEMA_NAME_PATTERN.test(name) || name.startsWith('pg_') || name === 'information_schema') {
    throw new DbError('DB_SCHEMA_NAME_INVALID', JSON.stringify(name));
  }
  return name;
}

/** Double-quotes an identifier for SQL text (doubling embedded quotes). */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
