// Row types of the Security Server's tables (schema `security_server` by default). Only db/ code imports these.
import type { ColumnType, Generated } from 'kysely';
import type { AuditEventsTable } from '@jplink/db';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;

export interface SecurityServerTables extends AuditEventsTable {
  keys: {
    id: string;
    kind: KeyKind;
    member_class: string;
    member_code: string;
    private_key: string;
    certificate: Buffer | null;
    created_at: Timestamp;
  };
  clients: {
    subsystem: string;
    connection_type: ColumnType<ConnectionType, ConnectionType | undefined, ConnectionType>;
    log_bodies: ColumnType<boolean, boolean | undefined, boolean>;
    timestamp_immediately: ColumnType<boolean, boolean | undefined, boolean>;
    status: ColumnType<ClientStatus, ClientStatus | undefined, ClientStatus>;
    created_at: Timestamp;
  };
  client_is_certificates: { subsystem: string; sha256: string; certificate: Buffer };
  services: {
    subsystem: string;
    service_code: string;
    url: string;
    timeout_seconds: number;
    tls_verify: ColumnType<boolean, boolean | undefined, boolean>;
    openapi: Json<Record<string, unknown>> | null;
    created_at: Timestamp;
  };
  service_endpoints: { subsystem: string; service_code: string; method: string; path: string };
  local_groups: { code: string; description: string };
  local_group_members: { group_code: string; subsystem: string };
  access_rights: {
    id: Generated<string>;
    subsystem: string;
    service_code: string;
    endpoint_method: string | null;
    endpoint_path: string | null;
    subject_kind: 'subsystem' | 'local-group';
    subject: string;
    created_at: Timestamp;
  };
  message_log_v1: Record<string, unknown>;
  log_records: {
    id: Generated<string>;
    logged_at: Timestamp;
    side: 'client' | 'server';
    message_id: string;
    x_road_id: string;
    client: string;
    service: string;
    peer_server: string;
    request_header: Buffer;
    request_body: Buffer | null;
    request_body_sha256: Buffer;
    request_body_length: ColumnType<string, number | string, number | string>;
    request_signature: Buffer;
    response_header: Buffer | null;
    response_body: Buffer | null;
    response_body_sha256: Buffer | null;
    response_body_length: ColumnType<string | null, number | string | null, number | string | null>;
    response_signature: Buffer | null;
    prev_hash: Buffer;
    record_hash: Buffer;
  };
  log_timestamps: {
    id: Generated<string>;
    first_record_id: ColumnType<string, number | string, number | string>;
    last_record_id: ColumnType<string, number | string, number | string>;
    record_count: number;
    tree_root: Buffer;
    token: Buffer;
    tsa_name: string;
    tsa_url: string;
    gen_time: Timestamp;
    created_at: Timestamp;
  };
  log_archives: {
    id: Generated<string>;
    grp: string;
    sequence: number;
    file_name: string;
    sha256: Buffer;
    first_record_id: ColumnType<string, number | string, number | string>;
    last_record_id: ColumnType<string, number | string, number | string>;
    record_count: number;
    created_at: Timestamp;
  };
  log_archive_state: { id: number; archived_through: ColumnType<string, number | string, number | string> };
  log_certificates: {
    sha256: Buffer;
    kind: 'certificate' | 'ocsp';
    der: Buffer;
    first_logged_at: Timestamp;
  };
}

/** auth: TLS between Security Servers; sign: member signatures; internal-tls: the information-system HTTPS interface. */
export type KeyKind = 'auth' | 'sign' | 'internal-tls';
export type ConnectionType = 'http' | 'https' | 'https-cert';
export type ClientStatus = 'saved' | 'registration-requested' | 'registered';
