// Row types of the Center's tables (schema `center` by default). Only db/ code imports these.
import type { ColumnType } from 'kysely';
import type { AuditEventsTable } from '@jplink/db';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;

export interface CenterTables extends AuditEventsTable {
  ca_keys: { role: string; certificate: Buffer; private_key: string; created_at: Timestamp };
  member_classes: { code: string; description: string };
  members: { member_class: string; member_code: string; name: string; created_at: Timestamp };
  subsystems: { member_class: string; member_code: string; subsystem_code: string; created_at: Timestamp };
  security_servers: {
    member_class: string;
    member_code: string;
    server_code: string;
    address: string;
    port: number | null;
    ocsp_port: number | null;
    created_at: Timestamp;
  };
  certificates: {
    serial_number: string;
    profile: string;
    member_class: string | null;
    member_code: string | null;
    server_code: string | null;
    subject: string;
    sha256: string;
    der: Buffer;
    not_before: Timestamp;
    not_after: Timestamp;
    status: ColumnType<'good' | 'revoked', 'good' | 'revoked' | undefined, 'good' | 'revoked'>;
    revoked_at: Timestamp | null;
    revocation_reason: string | null;
    issued_at: Timestamp;
  };
  server_auth_certs: { member_class: string; member_code: string; server_code: string; cert_sha256: string; registered_at: Timestamp };
  server_clients: {
    member_class: string;
    member_code: string;
    server_code: string;
    client_class: string;
    client_code: string;
    client_subsystem: string;
    registered_at: Timestamp;
  };
  management_requests: {
    id: string;
    type: string;
    status: 'pending' | 'approved' | 'rejected';
    submitted_by: string;
    payload: Json<Record<string, unknown>>;
    poll_token_sha256: string | null;
    result: Json<Record<string, unknown>> | null;
    rejection_reason: string | null;
    created_at: Timestamp;
    decided_at: Timestamp | null;
    decided_by: string | null;
  };
  global_conf_versions: {
    version: number;
    document: Buffer;
    signature: Buffer;
    document_sha256: string;
    generated_at: Timestamp;
    expires_at: Timestamp;
  };
  api_keys: { name: string; role: string; key_sha256: string; created_at: Timestamp; revoked_at: Timestamp | null };
}
