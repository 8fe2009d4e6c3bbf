// The consent notification outbox: every decision on a consent request (given, declined) and every
// end of a consent (withdrawn, expired) is queued here, in the transaction that records it, for the
// data consumer (RP A) when it registered a consent notification endpoint. The worker (worker.ts)
// delivers each row as a signed Security Event Token (set.ts) until RP A answers 2xx
// (docs/protocols/consent-notifications.md).
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { ConsentRow } from '../db/consents.ts';
import type { PlDb } from '../db/schema.ts';
import type { ConsentNotificationEvent, NotificationState } from '../db/schema-notifications.ts';
import { outboxOverview, type OutboxOverview } from '../outbox/shared.ts';

/** `enqueued` wakes this process's notification worker at once (other instances poll). */
export const notificationSignals = new EventEmitter();
notificationSignals.setMaxListeners(0);

export function notifyNotificationWorker(): void {
  notificationSignals.emit('enqueued');
}

export const NOTIFIED_EVENTS: readonly ConsentNotificationEvent[] = ['given', 'declined', 'withdrawn', 'expired'];
export const isNotifiedEvent = (event: string): event is ConsentNotificationEvent => (NOTIFIED_EVENTS as readonly string[]).includes(event);

/**
 * Queues the notification of one consent event for the consumer RP, inside the transaction that
 * records the event (`db` is that transaction). Nothing is queued when the consumer has no
 * endpoint. Idempotent on (consumer, consent, version). Call notifyNotificationWorker() after the commit.
 */
export async function queueConsentNotification(db: PlDb, row: ConsentRow, event: ConsentNotificationEvent, version: number, at: Date): Promise<boolean> {
  const consumer = await db.selectFrom('rp_clients').select('consent_notification_uri').where('client_id', '=', row.consumer_client_id).executeTakeFirst();
  if (!consumer?.consent_notification_uri) return false;
  await db
    .insertInto('consent_notification_outbox')
    .values({
      event_id: randomUUID(),
      client_id: row.consumer_client_id,
      consent_id: row.consent_id,
      version,
      event,
      payload: JSON.stringify({
        consentId: row.consent_id,
        version,
        status: event,
        previousStatus: row.status,
        baseId: row.base_id,
        consumer: row.consumer_client_id,
        provider: row.provider_client_id,
        subsystemCode: row.subsystem_code,
        occurredAt: at.toISOString(),
      }),
    })
    .onConflict((oc) => oc.columns(['client_id', 'consent_id', 'version']).doNothing())
    .execute();
  return true;
}

export interface NotificationView {
  eventId: string;
  clientId: string;
  consentId: string;
  version: number;
  event: ConsentNotificationEvent;
  state: NotificationState;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

/** Delivery state of a consent's notifications (newest first): the admin API and tests. */
export async function notificationsOf(db: PlDb, consentId: string): Promise<NotificationView[]> {
  const rows = await db.selectFrom('consent_notification_outbox').selectAll().where('consent_id', '=', consentId).orderBy('version', 'desc').execute();
  return rows.map((r) => ({
    eventId: r.event_id,
    clientId: r.client_id,
    consentId: r.consent_id,
    version: r.version,
    event: r.event,
    state: r.state,
    attempts: r.attempts,
    lastError: r.last_error,
    nextAttemptAt: r.state === 'pending' ? new Date(r.next_attempt_at).toISOString() : null,
    createdAt: new Date(r.created_at).toISOString(),
    deliveredAt: r.delivered_at ? new Date(r.delivered_at).toISOString() : null,
  }));
}

export type NotificationOverview = OutboxOverview;

export function notificationOverview(db: PlDb): Promise<NotificationOverview> {
  return outboxOverview(db, 'consent_notification_outbox');
}
