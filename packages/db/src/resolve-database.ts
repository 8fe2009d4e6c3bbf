import { startEmbeddedPostgres, type EmbeddedHandle } from './embedded-postgres.ts';
import { DbError } from './errors.ts';
import type { DbLogger } from './logger.ts';

export type DatabaseKind = 'postgres' | 'embedded';

export interface ResolveDatabaseOptions {
  /** PostgreSQL URL; empty or whitespace counts as not given. */
  url?: string;
  /** Data directory of the embedded database, used only when no url is given. */
  dataDir: string;
  /** When true, a missing url is an error (DB_EMBEDDED_IN_PRODUCTION) instead of starting the embedded database. */
  production: boolean;
  /** Port for the embedded database (default 0: a free one). */
  embeddedPort?: number;
  logger?: DbLogger;
}

export interface ResolvedDatabase {
  url: string;
  /** Set when the embedded database was started: stop it on shutdown. */
  embedded?: EmbeddedHandle;
  kind: DatabaseKind;
}

/** The url if one is configured, else the embedded development database (refused in production). */
export async function resolveDatabase(options: ResolveDatabaseOptions): Promise<ResolvedDatabase> {
  const url = options.url?.trim();
  if (url) return { url, kind: 'postgres' };
  if (options.production) throw new DbError('DB_EMBEDDED_IN_PRODUCTION');
  const embedded = await startEmbeddedPostgres({
    dataDir: options.dataDir,
    ...(options.embeddedPort === undefined ? {} : { port: options.embeddedPort }),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  return { url: embedded.url, embedded, kind: 'embedded' };
}
