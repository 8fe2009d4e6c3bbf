import type { Database } from './open-database.ts';

export type HealthStatus = { ok: true; latencyMs: number } | { ok: false; latencyMs: number; error: string };

/** `select 1` through the pool, bounded by a timeout. Never throws: suited to readiness probes. */
export async function healthCheck(database: Database, options: { timeoutMs?: number } = {}): Promise<HealthStatus> {
  const timeoutMs = options.timeoutMs ?? 2_000;
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  const probe = database.pool.query('select 1');
  probe.catch(() => {}); // may settle after the timeout won
  try {
    await Promise.race([probe, timeout]);
    return { ok: true, latencyMs: elapsed() };
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return { ok: false, latencyMs: elapsed(), error: typeof code === 'string' ? `${code}: ${(err as Error).message}` : (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}
