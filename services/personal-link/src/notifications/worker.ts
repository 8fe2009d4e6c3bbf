// The consent notification worker: delivers due rows of consent_notification_outbox to the data
// consumer's registered endpoint as signed Security Event Tokens (set.ts), the same way the
// reflection worker delivers reflections (src/reflection/worker.ts):
//
// - rows are claimed with FOR UPDATE SKIP LOCKED and a lease committed before the call, so several
//   instances share the outbox and never send one row at the same time;
// - a row whose consent change must reach the provider first (a reflection of that consent, this
//   version or an older one, still pending) waits: RP A hears "given" once RP B holds the consent,
//   and "withdrawn" once RP B stopped answering;
// - any 2xx → delivered; anything else (network error, timeout, 3xx, 4xx, 5xx) → retried with
//   exponential backoff and jitter until a 2xx or until the row is older than maxAgeMs
//   (failed-permanently, audit consent-notification.failed);
// - the endpoint is read at sending time: an RP that removed it (or was deleted) gets nothing more
//   (cancelled).
import type { Logger } from '@jplink/kit';
import { Counter, type Registry } from 'prom-client';
import { sql } from 'kysely';
import type { PlDb } from '../db/schema.ts';
import type { PlAuditor } from '../audit.ts';
import type { KeyManager } from '../oidc/keys.ts';
import type { ConsentNotificationPayload } from '../db/schema-notifications.ts';
import { reflectionSignals } from '../reflection/outbox.ts';
import { notificationOverview, notificationSignals, type NotificationOverview } from './outbox.ts';
import { CONSENT_SET_CONTENT_TYPE } from '@jplink/contracts';
import { signConsentSet } from './set.ts';
import { backoffDelayMs, createOutboxLoop, existingMetric, networkError, registerOverviewGauges } from '../outbox/shared.ts';

export interface NotificationWorkerOptions {
  db: PlDb;
  logger: Logger;
  audit: PlAuditor;
  keys: Pick<KeyManager, 'load'>;
  issuer: string;
  pollIntervalMs?: number;
  requestTimeoutMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** A row not delivered after this long fails for good (default 7 days). */
  maxAgeMs?: number;
  batchSize?: number;
  registry?: Registry;
  metricPrefix?: string;
  now?: () => Date;
  random?: () => number;
}

export interface NotificationWorker {
  start(): void;
  stop(): Promise<void>;
  /** One round: claim due rows and send them. Returns the rows claimed. */
  runOnce(): Promise<number>;
  status(): Promise<NotificationOverview & { running: boolean }>;
}

interface ClaimedRow {
  id: string;
  eventId: string;
  clientId: string;
  consentId: string;
  version: number;
  payload: ConsentNotificationPayload;
  attempts: number;
  createdAt: Date;
}

type Outcome = { kind: 'delivered' } | { kind: 'cancelled'; error: string } | { kind: 'retry'; error: string };

export function createNotificationWorker(options: NotificationWorkerOptions): NotificationWorker {
  const { db, logger, audit } = options;
  const pollIntervalMs = options.pollIntervalMs ?? 5000;
  const requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
  const backoffBaseMs = options.backoffBaseMs ?? 1000;
  const backoffMaxMs = options.backoffMaxMs ?? 600_000;
  const maxAgeMs = options.maxAgeMs ?? 7 * 86400_000;
  const batchSize = options.batchSize ?? 20;
  const leaseMs = requestTimeoutMs + 30_000;
  const now = options.now ?? (() => new Date());
  const random = options.random ?? Math.random;
  const prefix = options.metricPrefix ?? 'jplink_personal_link_';

  let attemptsCounter: Counter<'outcome'> | undefined;
  if (options.registry) {
    const registry = options.registry;
    registerOverviewGauges(registry, prefix, 'consent_notification', () => notificationOverview(db), {
      pending: 'Consent notifications not yet delivered to the consumer RP',
      oldest: 'Age of the oldest consent notification not yet delivered',
      failed: 'Consent notifications given up after PL_NOTIFICATION_MAX_AGE',
    });
    attemptsCounter =
      existingMetric<Counter<'outcome'>>(registry, `${prefix}consent_notification_attempts_total`) ??
      new Counter({ name: `${prefix}consent_notification_attempts_total`, help: 'Consent notification attempts by outcome (delivered, retry, cancelled, failed)', labelNames: ['outcome'], registers: [registry] });
  }
  const loop = createOutboxLoop({ logger, what: 'consent notification', pollIntervalMs, round: async () => (await runOnce()) === batchSize });

  async function claim(): Promise<ClaimedRow[]> {
    const rows = await db
      .updateTable('consent_notification_outbox')
      .set({ attempts: sql`attempts + 1`, last_attempt_at: sql`now()`, next_attempt_at: sql`now() + make_interval(secs => ${leaseMs / 1000})` })
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('consent_notification_outbox as o')
          .select('o.id')
          .where('o.state', '=', 'pending')
          .where('o.next_attempt_at', '<=', sql<Date>`now()`)
          // The provider first: no reflection of this consent up to this version still on its way.
          .where(({ not, exists, selectFrom }) =>
            not(exists(selectFrom('reflection_outbox as r').select('r.id').whereRef('r.consent_id', '=', 'o.consent_id').whereRef('r.version', '<=', 'o.version').where('r.state', '=', 'pending'))),
          )
          .orderBy('o.next_attempt_at')
          .orderBy('o.id')
          .limit(batchSize)
          .forUpdate()
          .skipLocked(),
      )
      .returning(['id', 'event_id', 'client_id', 'consent_id', 'version', 'payload', 'attempts', 'created_at'])
      .execute();
    return rows.map((r) => ({ id: String(r.id), eventId: r.event_id, clientId: r.client_id, consentId: r.consent_id, version: r.version, payload: r.payload, attempts: r.attempts, createdAt: new Date(r.created_at) }));
  }

  async function providerAcknowledged(row: ClaimedRow): Promise<boolean | null> {
    const own = await db.selectFrom('reflection_outbox').select(['state', 'result']).where('consent_id', '=', row.consentId).where('version', '=', row.version).executeTakeFirst();
    if (!own) return null;
    if (own.state === 'acknowledged' && own.result !== 'superseded') return true;
    // Superseded by a newer version, or refused for good: the provider does not hold this one.
    return false;
  }

  async function send(row: ClaimedRow): Promise<Outcome> {
    const rp = await db.selectFrom('rp_clients').select('consent_notification_uri').where('client_id', '=', row.clientId).executeTakeFirst();
    if (!rp?.consent_notification_uri) return { kind: 'cancelled', error: rp ? 'no endpoint' : 'client deleted' };
    const token = await signConsentSet(options.keys, { issuer: options.issuer, eventId: row.eventId, audience: row.clientId, payload: row.payload, providerAcknowledged: await providerAcknowledged(row), now: now() });
    let response: Response;
    try {
      response = await fetch(rp.consent_notification_uri, {
        method: 'POST',
        headers: { 'content-type': CONSENT_SET_CONTENT_TYPE, accept: 'application/json' },
        body: token,
        redirect: 'manual',
        signal: AbortSignal.timeout(requestTimeoutMs),
      });
    } catch (error) {
      return { kind: 'retry', error: networkError(error) };
    }
    await response.body?.cancel().catch(() => {});
    if (response.status >= 200 && response.status < 300) return { kind: 'delivered' };
    return { kind: 'retry', error: String(response.status) };
  }

  async function settle(row: ClaimedRow, outcome: Outcome): Promise<void> {
    const mine = <Q extends { where: (...a: any[]) => Q }>(q: Q): Q => q.where('id', '=', row.id).where('state', '=', 'pending').where('attempts', '=', row.attempts);
    if (outcome.kind === 'delivered') {
      await mine(db.updateTable('consent_notification_outbox').set({ state: 'delivered', delivered_at: sql`now()`, last_error: null })).execute();
      attemptsCounter?.inc({ outcome: 'delivered' });
      return;
    }
    if (outcome.kind === 'cancelled') {
      await mine(db.updateTable('consent_notification_outbox').set({ state: 'cancelled', last_error: outcome.error })).execute();
      attemptsCounter?.inc({ outcome: 'cancelled' });
      return;
    }
    if (Date.now() - row.createdAt.getTime() > maxAgeMs) {
      const updated = await mine(db.updateTable('consent_notification_outbox').set({ state: 'failed-permanently', last_error: outcome.error })).executeTakeFirst();
      attemptsCounter?.inc({ outcome: 'failed' });
      if (Number(updated.numUpdatedRows) > 0) {
        logger.error({ consentId: row.consentId, version: row.version, client: row.clientId, attempts: row.attempts, error: outcome.error }, 'consent notification given up');
        await audit({ actor: 'system', action: 'consent-notification.failed', target: row.consentId, outcome: 'failure', details: { eventId: row.eventId, client: row.clientId, version: row.version, attempts: row.attempts, error: outcome.error } });
      }
      return;
    }
    const delay = backoffDelayMs(row.attempts, backoffBaseMs, backoffMaxMs, random);
    await mine(db.updateTable('consent_notification_outbox').set({ last_error: outcome.error, next_attempt_at: sql`now() + make_interval(secs => ${delay / 1000})` })).execute();
    attemptsCounter?.inc({ outcome: 'retry' });
    logger.warn({ consentId: row.consentId, version: row.version, client: row.clientId, attempts: row.attempts, error: outcome.error, retryInMs: delay }, 'consent notification not delivered; will retry');
    loop.retryIn(delay);
  }

  async function runOnce(): Promise<number> {
    const rows = await claim();
    await Promise.all(
      rows.map(async (row) => {
        const outcome = await send(row).catch((err): Outcome => {
          logger.warn({ err, consentId: row.consentId }, 'preparing a consent notification failed');
          return { kind: 'retry', error: 'internal' };
        });
        await settle(row, outcome).catch((err) => logger.warn({ err, consentId: row.consentId, version: row.version }, 'recording a consent notification outcome failed'));
      }),
    );
    return rows.length;
  }

  return {
    start() {
      if (loop.running) return;
      notificationSignals.on('enqueued', loop.wake);
      // A reflection settled: a notification waiting for it may be due now.
      reflectionSignals.on('settled', loop.wake);
      loop.start();
    },
    async stop() {
      notificationSignals.off('enqueued', loop.wake);
      reflectionSignals.off('settled', loop.wake);
      await loop.stop();
    },
    runOnce,
    async status() {
      return { running: loop.running, ...(await notificationOverview(db)) };
    },
  };
}
