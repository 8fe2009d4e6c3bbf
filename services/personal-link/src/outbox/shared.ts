// What Personal-Link's outbox workers share (the consent reflection worker, src/reflection/, and the
// consent notification worker, src/notifications/): the polling loop woken by signals, backoff with
// jitter, the reason of a failed fetch, the overview counts and their gauges.
import type { Logger } from '@jplink/kit';
import { Gauge, type Registry } from 'prom-client';
import type { PlDb } from '../db/schema.ts';

export interface OutboxOverview {
  pending: number;
  /** Seconds since the oldest pending row was queued (0 when none). */
  oldestPendingAgeSeconds: number;
  failedPermanently: number;
}

/** Counts over a whole outbox table (metrics, the admin API). */
export async function outboxOverview(db: PlDb, table: 'reflection_outbox' | 'consent_notification_outbox'): Promise<OutboxOverview> {
  const row = await (db as PlDb)
    .selectFrom(table as 'reflection_outbox')
    .select((eb) => [
      eb.fn.count<string>('id').filterWhere('state', '=', 'pending').as('pending'),
      eb.fn.count<string>('id').filterWhere('state', '=', 'failed-permanently').as('failed'),
      eb.fn.min('created_at').filterWhere('state', '=', 'pending').as('oldest'),
    ])
    .executeTakeFirstOrThrow();
  const oldest = row.oldest ? new Date(row.oldest as Date | string).getTime() : undefined;
  return { pending: Number(row.pending), oldestPendingAgeSeconds: oldest === undefined ? 0 : Math.max(0, (Date.now() - oldest) / 1000), failedPermanently: Number(row.failed) };
}

/** A metric already in the registry (a second worker on the same registry reuses it), or undefined. */
export function existingMetric<T>(registry: Registry, name: string): T | undefined {
  return registry.getSingleMetric(name) as T | undefined;
}

/** The three overview gauges of an outbox, `<prefix><what>_pending`, `…_oldest_pending_age_seconds`, `…_failed_permanently`. */
export function registerOverviewGauges(registry: Registry, prefix: string, what: string, overview: () => Promise<OutboxOverview>, help: { pending: string; oldest: string; failed: string }): void {
  let cache: { at: number; value: Promise<OutboxOverview> } | undefined;
  const cached = () => {
    if (!cache || Date.now() - cache.at > 1000) cache = { at: Date.now(), value: overview() };
    return cache.value;
  };
  const gauge = (name: string, text: string, pick: (o: OutboxOverview) => number) =>
    existingMetric<Gauge>(registry, `${prefix}${name}`) ??
    new Gauge({
      name: `${prefix}${name}`,
      help: text,
      registers: [registry],
      async collect() {
        this.set(pick(await cached()));
      },
    });
  gauge(`${what}_pending`, help.pending, (o) => o.pending);
  gauge(`${what}_oldest_pending_age_seconds`, help.oldest, (o) => o.oldestPendingAgeSeconds);
  gauge(`${what}_failed_permanently`, help.failed, (o) => o.failedPermanently);
}

/** Exponential backoff: `base` doubled per attempt up to `max`; jitter keeps 50–100 % of it. */
export function backoffDelayMs(attempts: number, baseMs: number, maxMs: number, random: () => number): number {
  const full = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(attempts - 1, 0), 30));
  return Math.round(full * (0.5 + random() * 0.5));
}

/** `network <reason>` of a failed fetch: `timeout`, the socket's error code, or the error's name. */
export function networkError(error: unknown): string {
  const reason = (error as Error).name === 'TimeoutError' ? 'timeout' : ((error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name);
  return `network ${String(reason).slice(0, 60)}`;
}

export interface OutboxLoop {
  readonly running: boolean;
  start(): void;
  stop(): Promise<void>;
  /** Runs a round now (or right after the current one). */
  wake(): void;
  /** A retry is due in `ms`: make sure a round comes no later (when sooner than the poll interval). */
  retryIn(ms: number): void;
}

/**
 * Runs `round` every `pollIntervalMs`, at once when woken, and again right away when a round asks
 * for more (returns true). Rounds never overlap. A failed round is logged and the loop goes on.
 */
export function createOutboxLoop(opts: { logger: Logger; what: string; pollIntervalMs: number; round: () => Promise<boolean> }): OutboxLoop {
  let running = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<unknown> | undefined;
  let again = false;
  const wake = () => {
    if (!running) return;
    if (current) {
      again = true;
      return;
    }
    schedule(0);
  };
  function schedule(ms: number) {
    if (!running) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      current = opts
        .round()
        .then((more) => {
          if (more) again = true;
        })
        .catch((err) => opts.logger.warn({ err }, `${opts.what} round failed`))
        .finally(() => {
          current = undefined;
          const more = again;
          again = false;
          schedule(more ? 0 : opts.pollIntervalMs);
        });
    }, ms);
    timer.unref();
  }
  return {
    get running() {
      return running;
    },
    start() {
      if (running) return;
      running = true;
      schedule(0);
    },
    async stop() {
      if (!running) return;
      running = false;
      clearTimeout(timer);
      await current?.catch(() => {});
    },
    wake,
    retryIn(ms) {
      if (running && ms < opts.pollIntervalMs) setTimeout(wake, ms + 5).unref();
    },
  };
}
