// Values the test global setup hands to every test worker (vitest provide/inject; works with the forks pool).
import type { DatabaseKind } from './resolve-database.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    databaseKind: DatabaseKind;
  }
}

/** Environment variable that points the test run at a database (any PostgreSQL, or a running embedded one). */
export const TEST_DATABASE_URL_ENV = 'JPLINK_TEST_DATABASE_URL';
/** Set alongside the URL when a test run is driven outside vitest's global setup. */
export const TEST_DATABASE_KIND_ENV = 'JPLINK_TEST_DATABASE_KIND';
/** Where the global setup looks for a local PostgreSQL when no URL is configured. */
export const LOCAL_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
