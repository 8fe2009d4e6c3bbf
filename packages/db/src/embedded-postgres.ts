import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import type { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { acquireDirectoryLock, type DirectoryLock } from './embedded-lock.ts';
import { isolateExtendedQueries } from './embedded-queue.ts';
import { DbError } from './errors.ts';
import type { DbLogger } from './logger.ts';

export interface StartEmbeddedPostgresOptions {
  /** Created if missing. Holds `pgdata/` (the PGlite cluster) and `embedded.lock` (pid of the owner). */
  dataDir: string;
  /** Only loopback: the embedded database has no authentication. */
  host?: '127.0.0.1';
  /** 0 (default) picks a free port. */
  port?: number;
  logger?: DbLogger;
}

export interface EmbeddedHandle {
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  url: string;
  port: number;
  /** Absolute data directory. */
  dataDir: string;
  /** Closes the socket server (open transactions are rolled back), then PGlite (flushed to disk), then the lock. Idempotent. */
  stop(): Promise<void>;
}

/** Socket connections the server accepts. pglite-socket's default is 1, far too few for several services' pools. */
const MAX_CONNECTIONS = 256;

const WARNING =
  'EMBEDDED DEVELOPMENT DATABASE (PGlite in this process): NOT FOR PRODUCTION. One session shared by every ' +
  'connection, queries run one at a time, no authentication. Set a PostgreSQL url for anything real.';

function warnLoudly(logger: DbLogger | undefined, details: object): void {
  if (logger) logger.warn(details, WARNING);
  else process.stderr.write(`WARNING: ${WARNING} ${JSON.stringify(details)}\n`);
}

/**
 * Starts PGlite (PostgreSQL compiled to WASM, in this process) on a persistent data directory and serves it over the
 * PostgreSQL wire protocol on 127.0.0.1, so services use the same pg driver path as with a real server.
 * A second start on the same data directory, from this or another live process, is refused (DB_EMBEDDED_LOCKED).
 */
export async function startEmbeddedPostgres(options: StartEmbeddedPostgresOptions): Promise<EmbeddedHandle> {
  const host = options.host ?? '127.0.0.1';
  if (host !== '127.0.0.1') throw new DbError('DB_CONFIG_INVALID', 'the embedded database only listens on 127.0.0.1');
  const requestedPort = options.port ?? 0;
  if (!Number.isInteger(requestedPort) || requestedPort < 0 || requestedPort > 65535) {
    throw new DbError('DB_CONFIG_INVALID', `invalid port ${requestedPort}`);
  }
  const dataDir = resolve(options.dataDir);
  const started = performance.now();

  try {
    await mkdir(join(dataDir, 'pgdata'), { recursive: true });
  } catch (err) {
    throw new DbError('DB_EMBEDDED_START_FAILED', `cannot create ${dataDir}: ${(err as Error).message}`, { cause: err });
  }
  const lock = await acquireDirectoryLock(join(dataDir, 'embedded.lock'));

  let db: PGlite | undefined;
  let server: PGLiteSocketServer | undefined;
  try {
    // Loaded lazily: a service pointed at PostgreSQL never loads the WASM build.
    const [{ PGlite }, { PGLiteSocketServer }] = await Promise.all([import('@electric-sql/pglite'), import('@electric-sql/pglite-socket')]);
    db = await PGlite.create({ dataDir: join(dataDir, 'pgdata') });
    server = new PGLiteSocketServer({ db, host, port: requestedPort, maxConnections: MAX_CONNECTIONS });
    // Keep each connection's extended-protocol batch (Parse … Sync) whole: embedded-queue.ts.
    isolateExtendedQueries(server);
    await server.start();
  } catch (err) {
    await shutdown(server, db, lock, options.logger);
    if (err instanceof DbError) throw err;
    throw new DbError('DB_EMBEDDED_START_FAILED', `${dataDir}: ${(err as Error).message}`, { cause: err });
  }

  const port = Number(server.getServerConn().split(':').pop());
  const url = `postgres://postgres@${host}:${port}/postgres`;
  const startMs = Math.round(performance.now() - started);
  warnLoudly(options.logger, { dataDir, url, startMs });

  let stopping: Promise<void> | undefined;
  return {
    url,
    port,
    dataDir,
    stop: () => (stopping ??= shutdown(server, db, lock, options.logger)),
  };
}

async function shutdown(server: PGLiteSocketServer | undefined, db: PGlite | undefined, lock: DirectoryLock, logger: DbLogger | undefined): Promise<void> {
  try {
    if (server) await server.stop();
    // Detaching a client with an open transaction issues a ROLLBACK asynchronously; let it settle before closing.
    await new Promise((r) => setImmediate(r));
    if (db && !db.closed) await db.close();
  } catch (err) {
    logger?.error({ err: (err as Error).message }, 'embedded database did not shut down cleanly');
    throw err;
  } finally {
    await lock.release();
  }
}
