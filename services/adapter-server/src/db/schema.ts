// Row types of the Adapter Server's own store (schema `adapter_server` by default).
import type { ColumnType, Generated, Kysely } from 'kysely';
import type { AuditEventsTable } from '@jplink/db';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;

export interface AdapterTables extends AuditEventsTable {
  connections: {
    name: string;
    dialect: 'postgres' | 'mysql';
    host: string;
    port: number;
    database: string;
    username: string;
    password_enc: string | null;
    tls: 'disable' | 'require' | 'verify-full';
    pool_max: number;
    statement_timeout_ms: number;
    created_at: Timestamp;
    updated_at: Timestamp;
  };
  subsystems: { code: string; title: string; description: string; created_at: Timestamp };
  services: { subsystem_code: string; name: string; connection: string; definition: Json<Record<string, unknown>>; created_at: Timestamp; updated_at: Timestamp };
  id_conversions: { base_id: string; local_user_id: string; updated_at: Timestamp };
  consents: {
    consent_id: string;
    base_id: string;
    client: string;
    subsystem_code: string;
    data_items: Json<string[]>;
    purpose: string;
    valid_from: Timestamp;
    valid_until: Timestamp;
    status: 'active' | 'withdrawn';
    version: number;
    updated_at: Timestamp;
  };
  calls: {
    id: Generated<string>;
    at: Timestamp;
    subsystem_code: string;
    service: string;
    method: string;
    x_road_client: string | null;
    x_road_id: string | null;
    x_road_request_id: string | null;
    x_road_user_id: string | null;
    status: number;
    error_code: string | null;
    rows: number | null;
    duration_ms: number;
  };
}

export type AdapterDb = Kysely<AdapterTables>;
