// The consent reflection worker: delivers due rows of reflection_outbox as PR-REST calls through
// Personal-Link's OWN Security Server (PL_SS_URL, as client PL_SUBSYSTEM) to the provider's
// Security Server and Adapter Server (docs/protocols/consent-reflection.md, "Sender side").
//
// - Several instances may run: rows are claimed with FOR UPDATE SKIP LOCKED and a lease
//   (next_attempt_at moved past the request timeout) committed before the call, so two workers
//   never send the same row at the same time; a worker that dies mid-call leaves the row due again
//   when the lease ends.
// - Order: only the NEWEST version of a consent is ever sent. Older pending versions are marked
//   acknowledged/superseded (the provider replaces a consent by a higher version and refuses lower
//   ones with 409, so sending them would change nothing). A withdrawal never waits behind an older
//   version that keeps failing.
// - 200 → acknowledged (created/updated); 409 ADAPTER_CONSENT_STALE → acknowledged (stale: the
//   provider already holds this version or a newer one); other 4xx except 408/429 from the Adapter
//   Server, and the X-Road errors in PERMANENT_XROAD_ERRORS (access denied, unknown service, …) →
//   failed-permanently (audit reflection.failed, metric); network errors, 5xx, 408, 429 and every
//   other X-Road error → retried with exponential backoff and jitter, for ever.
import { formatSubsystemId, parseSubsystemId } from '@jplink/contracts';
import type { Logger } from '@jplink/kit';
import { Counter, Gauge, type Registry } from 'prom-client';
import { sql, type Transaction } from 'kysely';
import type { PlDb, PlTables } from '../db/schema.ts';
import type { PlAuditor } from '../audit.ts';
import { reflectionOverview, reflectionSignals, useReflectionDb, type ReflectionOverview } from './outbox.ts';
import { backoffDelayMs, createOutboxLoop, existingMetric, networkError, registerOverviewGauges } from '../outbox/shared.ts';
import { recordReflectedEvent } from './events.ts';

export interface ReflectionRow {
  id: string;
  consentId: string;
  version: number;
  provider: string;
  serviceCode: string;
  payload: unknown;
  attempts: number;
}

export interface ReflectionWorkerOptions {
  db: PlDb;
  logger: Logger;
  audit: PlAuditor;
  /** Personal-Link's Security Server, information-system side (http://host:port). Absent → not started. */
  ssUrl?: string | undefined;
  /** Personal-Link's X-Road subsystem (X-Road-Client). Absent → not started. */
  client?: string | undefined;
  /** Service code of rows enqueued without one (PL_REFLECTION_SERVICE_CODE). */
  serviceCode?: string;
  pollIntervalMs?: number;
  requestTimeoutMs?: number;
  /** First retry delay; doubles with each attempt up to backoffMaxMs; jitter keeps 50–100 % of it. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Rows claimed (and sent in parallel) per round. */
  batchSize?: number;
  /** Registry for the metrics (the admin app's); none → status() only. */
  registry?: Registry;
  metricPrefix?: string;
  /**
   * Runs in the transaction that marks a row acknowledged (200 or 409 stale). Default: append the
   * consent's `reflected` event (events.ts). A failure rolls the acknowledgement back (the row is sent again).
   */
  onAcknowledged?: (trx: Transaction<PlTables>, row: ReflectionRow, result: 'created' | 'updated' | 'stale') => Promise<void>;
  random?: () => number;
  fetch?: typeof fetch;
}

export interface ReflectionWorkerStatus extends ReflectionOverview {
  running: boolean;
  /** Why the worker is not running. */
  reason?: string;
}

export interface ReflectionWorker {
  readonly configured: boolean;
  start(): void;
  stop(): Promise<void>;
  /** One round: supersede older versions, claim due rows, send them. Returns the rows sent. */
  runOnce(): Promise<number>;
  status(): Promise<ReflectionWorkerStatus>;
}

/**
 * Security Server errors that retrying cannot cure: the provider's server refuses this call as such
 * (no access right, no such service, too large) or nobody hosts the provider. X-Road answers them
 * with 500 (server.*) or 400 (client.*). Every other X-Road error is retried, including
 * client.unknown_client and client.connection_not_allowed: Personal-Link's own Security Server is
 * misconfigured, which concerns every row alike and heals without an operator's retry once fixed.
 */
const PERMANENT_XROAD_ERRORS = new Set([
  'server.serverproxy.access_denied',
  'server.serverproxy.unknown_service',
  'server.serverproxy.body_too_large',
  'client.body_too_large',
  'client.bad_request',
  'client.unknown_service_provider',
]);

type Outcome =
  | { kind: 'acknowledged'; result: 'created' | 'updated' | 'stale' }
  | { kind: 'permanent'; error: string; status: number; code: string }
  | { kind: 'retry'; error: string };

export function createReflectionWorker(options: ReflectionWorkerOptions): ReflectionWorker {
  const { db, logger, audit } = options;
  const onAcknowledged = options.onAcknowledged ?? recordReflectedEvent;
  const serviceCode = options.serviceCode ?? 'consents';
  const pollIntervalMs = options.pollIntervalMs ?? 5000;
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  const backoffBaseMs = options.backoffBaseMs ?? 1000;
  const backoffMaxMs = options.backoffMaxMs ?? 600_000;
  const batchSize = options.batchSize ?? 20;
  const leaseMs = requestTimeoutMs + 30_000;
  const random = options.random ?? Math.random;
  const doFetch = options.fetch ?? fetch;
  const ssUrl = options.ssUrl?.replace(/\/+$/, '');
  const client = options.client;
  const configured = Boolean(ssUrl && client);
  const notConfigured = 'PL_SS_URL and PL_SUBSYSTEM are not set: reflections wait in the outbox';
  useReflectionDb(db);

  // ------------------------------------------------------------------------------ metrics
  const prefix = options.metricPrefix ?? 'jplink_personal_link_';
  let attemptsCounter: Counter<'outcome'> | undefined;
  if (options.registry) {
    const registry = options.registry;
    registerOverviewGauges(registry, prefix, 'reflection', () => reflectionOverview(db), {
      pending: 'Consent reflections not yet acknowledged by the provider',
      oldest: 'Age of the oldest consent reflection not yet acknowledged',
      failed: 'Consent reflections refused by the provider for good (need an operator)',
    });
    existingMetric<Gauge>(registry, `${prefix}reflection_worker_running`) ??
      new Gauge({
        name: `${prefix}reflection_worker_running`,
        help: '1 when this instance delivers consent reflections (PL_SS_URL and PL_SUBSYSTEM set)',
        registers: [registry],
        collect() {
          this.set(loop.running ? 1 : 0);
        },
      });
    attemptsCounter =
      existingMetric<Counter<'outcome'>>(registry, `${prefix}reflection_attempts_total`) ??
      new Counter({ name: `${prefix}reflection_attempts_total`, help: 'Consent reflection attempts by outcome (created, updated, stale, retry, failed)', labelNames: ['outcome'], registers: [registry] });
  }

  // ------------------------------------------------------------------------------ the loop
  const loop = createOutboxLoop({ logger, what: 'consent reflection', pollIntervalMs, round: async () => (await runOnce()) === batchSize });

  async function supersede(): Promise<void> {
    const older = await db
      .updateTable('reflection_outbox')
      .set({ state: 'acknowledged', result: 'superseded', acknowledged_at: sql`now()`, next_attempt_at: sql`now()` })
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('reflection_outbox as o')
          .select('o.id')
          .where('o.state', '=', 'pending')
          .where(({ exists, selectFrom }) => exists(selectFrom('reflection_outbox as n').select('n.id').whereRef('n.consent_id', '=', 'o.consent_id').whereRef('n.version', '>', 'o.version')))
          .forUpdate()
          .skipLocked(),
      )
      .returning(['consent_id', 'version'])
      .execute();
    for (const r of older) reflectionSignals.emit('settled', r.consent_id, r.version);
  }

  async function claim(): Promise<ReflectionRow[]> {
    const rows = await db
      .updateTable('reflection_outbox')
      .set({ attempts: sql`attempts + 1`, last_attempt_at: sql`now()`, next_attempt_at: sql`now() + make_interval(secs => ${leaseMs / 1000})` })
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('reflection_outbox as o')
          .select('o.id')
          .where('o.state', '=', 'pending')
          .where('o.next_attempt_at', '<=', sql<Date>`now()`)
          .where(({ not, exists, selectFrom }) => not(exists(selectFrom('reflection_outbox as n').select('n.id').whereRef('n.consent_id', '=', 'o.consent_id').whereRef('n.version', '>', 'o.version'))))
          .orderBy('o.next_attempt_at')
          .orderBy('o.id')
          .limit(batchSize)
          .forUpdate()
          .skipLocked(),
      )
      .returning(['id', 'consent_id', 'version', 'provider_subsystem', 'service_code', 'payload', 'attempts'])
      .execute();
    return rows.map((r) => ({ id: String(r.id), consentId: r.consent_id, version: r.version, provider: r.provider_subsystem, serviceCode: r.service_code ?? serviceCode, payload: r.payload, attempts: r.attempts }));
  }

  function urlOf(row: ReflectionRow): string {
    const provider = formatSubsystemId(parseSubsystemId(row.provider));
    const path = provider.split('/').map(encodeURIComponent).join('/');
    return `${ssUrl}/r1/${path}/${encodeURIComponent(row.serviceCode)}/${encodeURIComponent(row.consentId)}`;
  }

  async function send(row: ReflectionRow): Promise<Outcome> {
    let response: Response;
    try {
      response = await doFetch(urlOf(row), {
        method: 'PUT',
        headers: { 'content-type': 'application/json', accept: 'application/json', 'x-road-client': client!, 'x-road-id': `reflect-${row.consentId}-v${row.version}` },
        body: JSON.stringify(row.payload),
        signal: AbortSignal.timeout(requestTimeoutMs),
      });
    } catch (error) {
      return { kind: 'retry', error: networkError(error) };
    }
    const text = await response.text().catch(() => '');
    let body: any;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {}
    const status = response.status;
    if (status === 200) return { kind: 'acknowledged', result: body?.result === 'created' ? 'created' : 'updated' };
    // An error of a Security Server (X-Road's shape; `server.*` always answers 500, the rest 400) or
    // of the Adapter Server (the kit envelope, its status passed on unchanged). Codes only are kept.
    const xRoadType = response.headers.get('x-road-error') ?? (typeof body?.type === 'string' && !body?.error ? body.type : undefined);
    const code = String(xRoadType ?? body?.error?.code ?? '').slice(0, 100) || 'unknown';
    if (xRoadType !== undefined) {
      return PERMANENT_XROAD_ERRORS.has(code.toLowerCase()) ? { kind: 'permanent', error: `${status} ${code}`, status, code } : { kind: 'retry', error: `${status} ${code}` };
    }
    if (status === 409 && code === 'ADAPTER_CONSENT_STALE') return { kind: 'acknowledged', result: 'stale' };
    if (status >= 400 && status < 500 && status !== 408 && status !== 429) return { kind: 'permanent', error: `${status} ${code}`, status, code };
    return { kind: 'retry', error: `${status} ${code}` };
  }

  async function settle(row: ReflectionRow, outcome: Outcome): Promise<void> {
    // Only while this worker's claim still holds the row (same attempt, still pending).
    const mine = (q: any) => q.where('id', '=', row.id).where('state', '=', 'pending').where('attempts', '=', row.attempts);
    if (outcome.kind === 'acknowledged') {
      await db.transaction().execute(async (trx) => {
        const updated = await mine(trx.updateTable('reflection_outbox').set({ state: 'acknowledged', result: outcome.result, acknowledged_at: sql`now()`, last_error: null })).executeTakeFirst();
        if (Number(updated.numUpdatedRows) > 0) await onAcknowledged(trx, row, outcome.result);
      });
      attemptsCounter?.inc({ outcome: outcome.result });
      reflectionSignals.emit('settled', row.consentId, row.version);
      return;
    }
    if (outcome.kind === 'permanent') {
      const updated = await mine(db.updateTable('reflection_outbox').set({ state: 'failed-permanently', last_error: outcome.error })).executeTakeFirst();
      attemptsCounter?.inc({ outcome: 'failed' });
      if (Number(updated.numUpdatedRows) > 0) {
        logger.error({ consentId: row.consentId, version: row.version, provider: row.provider, status: outcome.status, code: outcome.code }, 'consent reflection refused for good');
        await audit({ actor: 'system', action: 'reflection.failed', target: row.consentId, outcome: 'failure', details: { version: row.version, provider: row.provider, serviceCode: row.serviceCode, status: outcome.status, code: outcome.code, attempts: row.attempts } });
      }
      reflectionSignals.emit('settled', row.consentId, row.version);
      return;
    }
    const delay = backoffDelayMs(row.attempts, backoffBaseMs, backoffMaxMs, random);
    await mine(db.updateTable('reflection_outbox').set({ last_error: outcome.error, next_attempt_at: sql`now() + make_interval(secs => ${delay / 1000})` })).execute();
    attemptsCounter?.inc({ outcome: 'retry' });
    logger.warn({ consentId: row.consentId, version: row.version, provider: row.provider, attempts: row.attempts, error: outcome.error, retryInMs: delay }, 'consent reflection not delivered; will retry');
    // The next round must come no later than this retry.
    loop.retryIn(delay);
  }

  async function runOnce(): Promise<number> {
    if (!configured) return 0;
    await supersede();
    const rows = await claim();
    await Promise.all(
      rows.map(async (row) => {
        const outcome = await send(row);
        await settle(row, outcome).catch((err) => logger.warn({ err, consentId: row.consentId, version: row.version }, 'recording a consent reflection outcome failed'));
      }),
    );
    return rows.length;
  }

  return {
    configured,
    start() {
      if (loop.running) return;
      if (!configured) {
        logger.warn(notConfigured);
        return;
      }
      reflectionSignals.on('enqueued', loop.wake);
      loop.start();
    },
    async stop() {
      reflectionSignals.off('enqueued', loop.wake);
      await loop.stop();
    },
    runOnce,
    async status() {
      const overview = await reflectionOverview(db);
      return { running: loop.running, ...(configured ? (loop.running ? {} : { reason: 'stopped' }) : { reason: notConfigured }), ...overview };
    },
  };
}
