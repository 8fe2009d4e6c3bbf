// Servicer A's own tables (schema `shopping_app`): its user master keyed by its existing ids, its
// ID conversion rows (its user id ↔ the resident's BaseID) and the consent requests it made.
import type { ColumnType } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;

export interface ShopTables {
  users: { user_id: string; display_name: string; created_at: Timestamp };
  id_conversions: {
    user_id: string;
    base_id: string;
    /** When Personal-Link acknowledged the ID completion notice (ID完了通知) and the linkage notice (ID連携完了通知). */
    conversion_notified_at: Timestamp | null;
    linked_at: Timestamp | null;
    created_at: Timestamp;
  };
  consent_requests: {
    consent_id: string;
    user_id: string;
    status: string;
    version: number;
    approval_url: string;
    requested_at: Timestamp;
    checked_at: Timestamp;
  };
  consent_events: {
    event_id: string;
    consent_id: string;
    version: number;
    status: string;
    received_at: Timestamp;
  };
}
