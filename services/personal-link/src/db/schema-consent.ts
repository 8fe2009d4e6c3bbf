// Row types of the linkage and consent tables (see migrations-consent.ts).
import type { ColumnType } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json<T> = ColumnType<T, string, string>;

export interface ConsentTables {
  rp_links: { base_id: string; client_id: string; status: 'linked' | 'unlinked'; linked_at: Timestamp; unlinked_at: NullableTimestamp; updated_at: Timestamp };
  id_conversions: { base_id: string; client_id: string; local_user_id: string; created_at: Timestamp; updated_at: Timestamp };
  rp_api_access: { client_id: string; scopes: Json<string[]>; consent_return_uris: Json<string[]>; updated_at: Timestamp };
  consents: {
    consent_id: string;
    base_id: string;
    consumer_client_id: string;
    consumer_subsystem: string;
    provider_client_id: string;
    provider_subsystem: string;
    subsystem_code: string;
    data_items: Json<string[]>;
    purpose_code: string;
    purpose_ja: string;
    purpose_en: string;
    valid_from: Timestamp;
    valid_until: Timestamp;
    status: 'requested' | 'given' | 'declined' | 'withdrawn' | 'expired';
    version: number;
    return_uri: string;
    request_expires_at: Timestamp;
    receipt_jwt: string | null;
    created_at: Timestamp;
    updated_at: Timestamp;
  };
  consent_events: {
    consent_id: string;
    seq: number;
    type: string;
    at: Timestamp;
    actor: string;
    details: Json<Record<string, unknown>>;
    prev_hash: string;
    hash: string;
  };
}
