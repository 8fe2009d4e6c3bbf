import pg from 'pg';
import type { DatabaseKind } from './resolve-database.ts';

export interface ProbeResult {
  kind: DatabaseKind;
  /** e.g. "15.20" or "18.6" (the PostgreSQL version PGlite is built from). */
  version: string;
  /** `version()` as reported by the server. */
  versionText: string;
}

/** Connects once and reports what answers at `url`; throws if nothing does within the timeout. */
export async function probeDatabase(url: string, options: { timeoutMs?: number } = {}): Promise<ProbeResult> {
  const timeoutMs = options.timeoutMs ?? 2_000;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  client.on('error', () => {});
  try {
    await client.connect();
    const { rows } = await client.query<{ v: string; sv: string }>(`select version() as v, current_setting('server_version') as sv`);
    const versionText = rows[0]?.v ?? '';
    return { kind: /PGlite/i.test(versionText) ? 'embedded' : 'postgres', version: (rows[0]?.sv ?? '').split(' ')[0] ?? '', versionText };
  } finally {
    await client.end().catch(() => {});
  }
}
