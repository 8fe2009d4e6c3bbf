// Vitest global setup (root vitest.config.ts): chooses the database for the whole test run, once.
//   1. JPLINK_TEST_DATABASE_URL if set (must answer, or the run fails);
//   2. else PostgreSQL at 127.0.0.1:5432 if it answers within a short timeout;
//   3. else the embedded PGlite in a temporary directory, stopped and removed at teardown.
// The choice reaches test workers through provide/inject (see test-context.ts and testing.ts).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { describeUrl } from './connection-url.ts';
import { startEmbeddedPostgres, type EmbeddedHandle } from './embedded-postgres.ts';
import type { DbLogger } from './logger.ts';
import { probeDatabase, type ProbeResult } from './probe.ts';
import type { DatabaseKind } from './resolve-database.ts';
import { LOCAL_POSTGRES_URL, TEST_DATABASE_URL_ENV } from './test-context.ts';

export interface TestDatabaseChoice {
  url: string;
  kind: DatabaseKind;
  /** What the run prints: `[jplink tests] database: <line>`. */
  line: string;
  /** Set when an embedded database was started for the run (a temporary directory, removed by stop). */
  dataDir?: string;
  stop?: () => Promise<void>;
}

function describe(probe: ProbeResult, url: string, via: string): string {
  return probe.kind === 'embedded'
    ? `embedded PGlite (PostgreSQL ${probe.version}) at ${describeUrl(url)}${via}`
    : `PostgreSQL ${probe.version} at ${describeUrl(url)}${via}`;
}

// Only the loud "not for production" warning matters here, and it is expected: keep it to one line.
const quietLogger: DbLogger = { debug() {}, info() {}, warn() {}, error: (obj, msg) => console.error('[jplink tests]', msg, obj) };

/** The decision itself; parameters exist so the fallback path can be exercised while PostgreSQL is up. */
export async function chooseTestDatabase(
  options: { configuredUrl?: string | undefined; localUrl?: string } = { configuredUrl: process.env[TEST_DATABASE_URL_ENV] },
): Promise<TestDatabaseChoice> {
  const configured = options.configuredUrl?.trim();
  const localUrl = options.localUrl ?? LOCAL_POSTGRES_URL;
  if (configured) {
    let probe: ProbeResult;
    try {
      probe = await probeDatabase(configured, { timeoutMs: 5_000 });
    } catch (err) {
      throw new Error(`[jplink tests] ${TEST_DATABASE_URL_ENV} points to ${describeUrl(configured)}, which does not answer: ${(err as Error).message}`, { cause: err });
    }
    return { url: configured, kind: probe.kind, line: describe(probe, configured, ` (${TEST_DATABASE_URL_ENV})`) };
  }

  try {
    const probe = await probeDatabase(localUrl, { timeoutMs: 1_500 });
    return { url: localUrl, kind: probe.kind, line: describe(probe, localUrl, '') };
  } catch {
    // nothing there: fall through to the embedded database
  }

  const dir = await mkdtemp(join(tmpdir(), 'jplink-test-db-'));
  let embedded: EmbeddedHandle;
  try {
    embedded = await startEmbeddedPostgres({ dataDir: dir, logger: quietLogger });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url: embedded.url,
    kind: 'embedded',
    line: 'embedded PGlite (no PostgreSQL reachable)',
    dataDir: dir,
    stop: async () => {
      try {
        await embedded.stop();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const choice = await chooseTestDatabase();
  console.log(`[jplink tests] database: ${choice.line}`);
  project.provide('databaseUrl', choice.url);
  project.provide('databaseKind', choice.kind);
  return async () => {
    await choice.stop?.();
  };
}
