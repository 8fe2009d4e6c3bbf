// The consent reflection outbox: a consent change is written here (in the caller's transaction if it
// has one) and the worker (worker.ts) delivers it to the data provider's Adapter Server through
// Personal-Link's own Security Server until the provider acknowledges it
// (docs/protocols/consent-reflection.md, "Sender side").
import { EventEmitter } from 'node:events';
import { consentId as consentIdSchema, consentReflection, parseSubsystemId, serviceCode as serviceCodeSchema, type ConsentReflection } from '@jplink/contracts';
import type { PlDb } from '../db/schema.ts';
import type { ReflectionResult, ReflectionState } from '../db/schema-reflection.ts';
import { outboxOverview, type OutboxOverview } from '../outbox/shared.ts';

/**
 * In-process signals: `enqueued` wakes the worker at once (besides its poll interval); `settled`
 * (consentId, version) wakes waitForAcknowledgement. Other instances see the rows on their next poll.
 */
export const reflectionSignals = new EventEmitter();
reflectionSignals.setMaxListeners(0);

/** Wakes this process's reflection worker (after committing a transaction that enqueued rows). */
export function notifyReflectionWorker(): void {
  reflectionSignals.emit('enqueued');
}

/** The database of the worker or the last enqueue outside a transaction: the fallback of waitForAcknowledgement without a db. */
let lastDb: PlDb | undefined;

/** Sets the database waitForAcknowledgement(consentId, version, timeoutMs) reads (the worker does). */
export function useReflectionDb(db: PlDb): void {
  lastDb = db;
}

/**
 * Queues a reflection of one version of a consent to the provider subsystem (RP B's X-Road subsystem
 * id, `instance/class/code/subsystem`). Idempotent on (consentId, payload.version): a second call
 * with the same version changes nothing. Wakes the worker of this process. Call it inside the
 * transaction that records the consent change; if that transaction is still open, call
 * notifyReflectionWorker() (or waitForAcknowledgement) after the commit, or the row waits for the
 * next poll.
 */
export async function enqueueReflection(db: PlDb, input: { consentId: string; providerSubsystem: string; payload: ConsentReflection; serviceCode?: string }): Promise<void> {
  const consentId = consentIdSchema.parse(input.consentId);
  const payload = consentReflection.parse(input.payload);
  parseSubsystemId(input.providerSubsystem); // throws on a malformed id
  const serviceCode = input.serviceCode === undefined ? null : serviceCodeSchema.parse(input.serviceCode);
  await db
    .insertInto('reflection_outbox')
    .values({
      consent_id: consentId,
      version: payload.version,
      provider_subsystem: input.providerSubsystem,
      service_code: serviceCode,
      payload: JSON.stringify(payload),
    })
    .onConflict((oc) => oc.columns(['consent_id', 'version']).doNothing())
    .execute();
  if (!db.isTransaction) lastDb = db;
  notifyReflectionWorker();
}

/** True when this version (or a newer one) of the consent has been acknowledged by the provider. */
async function acknowledgedState(db: PlDb, consentId: string, version: number): Promise<'acknowledged' | 'failed' | 'waiting'> {
  const rows = await db
    .selectFrom('reflection_outbox')
    .select(['version', 'state', 'result'])
    .where('consent_id', '=', consentId)
    .where('version', '>=', version)
    .execute();
  if (rows.some((r) => r.state === 'acknowledged' && r.result !== 'superseded')) return 'acknowledged';
  const own = rows.find((r) => r.version === version);
  // Failed for good, and nothing newer is on its way: waiting longer cannot help.
  if (own?.state === 'failed-permanently' && !rows.some((r) => r.version > version && r.state === 'pending')) return 'failed';
  return 'waiting';
}

/**
 * Waits until the provider has acknowledged this version of the consent (or a newer one: 200, or 409
 * because it already holds that version or a newer one), up to `timeoutMs`. Returns false on timeout
 * and at once when the reflection failed permanently. For the withdrawal path: enqueue, commit, wait
 * a few seconds, then tell the resident. Pass the db (another instance's worker may deliver it); the
 * three-argument form uses the database of the last enqueue in this process.
 */
export async function waitForAcknowledgement(db: PlDb, consentId: string, version: number, timeoutMs: number): Promise<boolean>;
export async function waitForAcknowledgement(consentId: string, version: number, timeoutMs: number): Promise<boolean>;
export async function waitForAcknowledgement(...args: [PlDb, string, number, number] | [string, number, number]): Promise<boolean> {
  const [db, consentId, version, timeoutMs] = typeof args[0] === 'string' ? [lastDb, args[0], args[1] as number, args[2] as number] : (args as [PlDb, string, number, number]);
  if (!db) throw new Error('waitForAcknowledgement: no database (pass it, or enqueue first)');
  const deadline = Date.now() + timeoutMs;
  notifyReflectionWorker(); // the row may have been enqueued in a transaction committed just now
  for (;;) {
    const state = await acknowledgedState(db, consentId, version);
    if (state !== 'waiting') return state === 'acknowledged';
    const left = deadline - Date.now();
    if (left <= 0) return false;
    // Woken by this process's worker at once; rows settled by another instance are seen by polling.
    await new Promise<void>((resolve) => {
      const onSettled = (id: string) => {
        if (id === consentId) done();
      };
      const timer = setTimeout(() => done(), Math.min(left, 250));
      function done() {
        clearTimeout(timer);
        reflectionSignals.off('settled', onSettled);
        resolve();
      }
      reflectionSignals.on('settled', onSettled);
    });
  }
}

export interface ReflectionVersionStatus {
  version: number;
  provider: string;
  state: ReflectionState;
  result: ReflectionResult | null;
  attempts: number;
  /** `<HTTP status> <error code>` or `network <reason>` of the last failed attempt. */
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
  acknowledgedAt: string | null;
}

export interface ReflectionStatus {
  consentId: string;
  /** Highest version the provider has acknowledged (200 or 409 stale), or null. */
  acknowledgedVersion: number | null;
  /** The newest version queued, with its delivery state; null when nothing was ever queued. */
  latest: ReflectionVersionStatus | null;
  /** Every queued version, newest first. */
  versions: ReflectionVersionStatus[];
}

/** Delivery state of one consent's reflections, for the resident pages and the admin API. */
export async function reflectionStatus(db: PlDb, consentId: string): Promise<ReflectionStatus> {
  const rows = await db.selectFrom('reflection_outbox').selectAll().where('consent_id', '=', consentId).orderBy('version', 'desc').execute();
  const versions: ReflectionVersionStatus[] = rows.map((r) => ({
    version: r.version,
    provider: r.provider_subsystem,
    state: r.state,
    result: r.result,
    attempts: r.attempts,
    lastError: r.last_error,
    nextAttemptAt: r.state === 'pending' ? new Date(r.next_attempt_at).toISOString() : null,
    createdAt: new Date(r.created_at).toISOString(),
    acknowledgedAt: r.acknowledged_at ? new Date(r.acknowledged_at).toISOString() : null,
  }));
  const acknowledged = versions.find((v) => v.state === 'acknowledged' && v.result !== 'superseded');
  return { consentId, acknowledgedVersion: acknowledged?.version ?? null, latest: versions[0] ?? null, versions };
}

export type ReflectionOverview = OutboxOverview;

/** Counts over the whole outbox (metrics, the admin API). */
export function reflectionOverview(db: PlDb): Promise<ReflectionOverview> {
  return outboxOverview(db, 'reflection_outbox');
}
