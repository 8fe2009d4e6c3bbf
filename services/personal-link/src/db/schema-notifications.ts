// Row types of the consent notification outbox (see migrations-notifications.ts).
import type { ColumnType, Generated } from 'kysely';

export type NotificationState = 'pending' | 'delivered' | 'failed-permanently' | 'cancelled';
export type ConsentNotificationEvent = 'given' | 'declined' | 'withdrawn' | 'expired';

/** What the SET says about the event (ids only): stored at enqueue, signed at sending. */
export interface ConsentNotificationPayload {
  consentId: string;
  version: number;
  status: ConsentNotificationEvent;
  /** The consent's status before (`requested` or `given`; for `expired`). */
  previousStatus: string;
  baseId: string;
  consumer: string;
  provider: string;
  subsystemCode: string;
  occurredAt: string;
}

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export interface NotificationTables {
  consent_notification_outbox: {
    id: Generated<string>;
    event_id: string;
    client_id: string;
    consent_id: string;
    version: number;
    event: ConsentNotificationEvent;
    payload: ColumnType<ConsentNotificationPayload, string, string>;
    state: ColumnType<NotificationState, NotificationState | undefined, NotificationState>;
    attempts: ColumnType<number, number | undefined, number>;
    next_attempt_at: Timestamp;
    last_attempt_at: NullableTimestamp;
    last_error: string | null;
    created_at: Timestamp;
    delivered_at: NullableTimestamp;
  };
}
