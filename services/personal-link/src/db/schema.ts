// Row types of Personal-Link's store (schema `personal_link` by default).
import type { ColumnType, Generated, Kysely } from 'kysely';
import type { AuditEventsTable } from '@jplink/db';
import type { ConsentTables } from './schema-consent.ts';
import type { ReflectionTables } from './schema-reflection.ts';
import type { NotificationTables } from './schema-notifications.ts';
import type { MyDataTables } from './schema-my-data.ts';
import type { DataItemTables } from './schema-data-items.ts';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json<T> = ColumnType<T, string, string>;

export interface PlTables extends AuditEventsTable, ConsentTables, ReflectionTables, NotificationTables, MyDataTables, DataItemTables {
  oidc_models: {
    model: string;
    id: string;
    payload: ColumnType<Record<string, unknown>, string, string>;
    grant_id: string | null;
    uid: string | null;
    user_code: string | null;
    expires_at: NullableTimestamp;
    consumed_at: NullableTimestamp;
  };
  signing_keys: {
    kid: string;
    alg: 'ES256' | 'RS256';
    public_jwk: Json<Record<string, unknown>>;
    private_jwk_sealed: string;
    state: 'active' | 'previous' | 'retired';
    created_at: Timestamp;
    activated_at: NullableTimestamp;
    retired_at: NullableTimestamp;
  };
  cookie_keys: { id: Generated<string>; key_sealed: string; created_at: Timestamp; retired_at: NullableTimestamp };
  residents: { base_id: string; identity_verified: boolean; verified_at: NullableTimestamp; created_at: Timestamp };
  upstream_accounts: {
    id: Generated<string>;
    base_id: string;
    upstream_id: string;
    issuer: string;
    subject: string;
    verified: boolean;
    acr: string | null;
    claims: Json<Record<string, unknown>>;
    created_at: Timestamp;
    last_sign_in_at: Timestamp;
  };
  rp_clients: {
    client_id: string;
    member_subsystem: string;
    display_name_ja: string;
    display_name_en: string;
    redirect_uris: Json<string[]>;
    post_logout_redirect_uris: Json<string[]>;
    backchannel_logout_uri: string | null;
    /** Where the RP receives consent Security Event Tokens (migrations-notifications.ts). */
    consent_notification_uri: ColumnType<string | null, string | null | undefined, string | null>;
    grant_types: Json<string[]>;
    auth_method: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
    secret_sealed: string | null;
    id_token_signing_alg: 'ES256' | 'RS256' | null;
    jwks: ColumnType<{ keys: Record<string, unknown>[] } | null, string, string>;
    created_at: Timestamp;
    updated_at: Timestamp;
  };
}

export type PlDb = Kysely<PlTables>;
