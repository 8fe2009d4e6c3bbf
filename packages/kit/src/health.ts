/**
 * Liveness and readiness.
 *   GET /healthz → 200 { status: 'ok' } while the process serves requests.
 *   GET /readyz  → runs every check (in parallel, each with a timeout);
 *                  200 { status: 'ok', checks: { db: 'ok' } } or
 *                  503 { status: 'not_ready', checks: { db: 'failed' | 'timeout' }, error: { code: 'KIT_NOT_READY', … } }.
 * Failure causes go to the log (warn), never to the client.
 */
import type { LevelWithSilent } from 'pino';
import { z } from 'zod';
import { KIT_ERRORS } from './errors.ts';
import type { App } from './http-app.ts';

export type HealthCheck = () => Promise<void>;
export type CheckResult = 'ok' | 'failed' | 'timeout';

export type HealthOptions = {
  checks: Record<string, HealthCheck>;
  /** Per-check timeout; default 2000 ms. */
  timeoutMs?: number;
};

const checkResultSchema = z.enum(['ok', 'failed', 'timeout']);

export const readyResponseSchema = z.object({
  status: z.enum(['ok', 'not_ready']),
  checks: z.record(z.string(), checkResultSchema),
  error: z
    .object({ code: z.string(), message: z.string(), requestId: z.string() })
    .optional()
    .describe('Present on 503 (KIT_NOT_READY)'),
});
export type ReadyResponse = z.infer<typeof readyResponseSchema>;

const TIMEOUT = Symbol('timeout');

/** Run one check with a timeout. Never throws. Exported for tests and custom probes. */
export async function runCheck(
  check: HealthCheck,
  timeoutMs: number,
): Promise<{ result: CheckResult; cause?: unknown }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMEOUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMEOUT), timeoutMs);
    timer.unref();
  });
  try {
    // Promise.resolve().then(check) turns a synchronous throw into a rejection.
    const outcome = await Promise.race([Promise.resolve().then(check), timeout]);
    return outcome === TIMEOUT ? { result: 'timeout' } : { result: 'ok' };
  } catch (cause) {
    return { result: 'failed', cause };
  } finally {
    clearTimeout(timer);
  }
}

const LEVELS: readonly LevelWithSilent[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** Probes log at `warn` at the most (no line per probe), but never louder than the app's logger (a silent app stays silent). */
function probeLogLevel(appLevel: string): LevelWithSilent {
  const index = LEVELS.indexOf(appLevel as LevelWithSilent);
  return index > LEVELS.indexOf('warn') ? LEVELS[index]! : 'warn';
}

/** Add /healthz and /readyz to `app` (call on the root instance). */
export function registerHealth(app: App, opts: HealthOptions): void {
  const timeoutMs = opts.timeoutMs ?? 2000;
  const logLevel = probeLogLevel(app.log.level);
  const entries = Object.entries(opts.checks);

  app.get(
    '/healthz',
    {
      logLevel,
      schema: {
        tags: ['ops'],
        summary: 'Liveness: 200 while the process serves requests',
        response: { 200: z.object({ status: z.literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      logLevel,
      schema: {
        tags: ['ops'],
        summary: 'Readiness: 200 when every dependency check passes, else 503',
        response: { 200: readyResponseSchema, 503: readyResponseSchema },
      },
    },
    async (request, reply) => {
      const results = await Promise.all(entries.map(async ([check, fn]) => ({ check, ...(await runCheck(fn, timeoutMs)) })));
      const checks: Record<string, CheckResult> = {};
      let ready = true;
      for (const r of results) {
        checks[r.check] = r.result;
        if (r.result !== 'ok') {
          ready = false;
          request.log.warn({ check: r.check, result: r.result, err: r.cause }, 'readiness check did not pass');
        }
      }
      if (ready) return { status: 'ok' as const, checks };
      const def = KIT_ERRORS.KIT_NOT_READY;
      reply.code(def.status).header('cache-control', 'no-store');
      return {
        status: 'not_ready' as const,
        checks,
        error: { code: def.code, message: def.message, requestId: request.id },
      };
    },
  );
}
