// Audit events of the Adapter Server: configuration changes, publishing, consents, and every
// allow/deny decision on personal data. Documented in docs/audit-events.md (## Adapter Server),
// checked by a test.
import { insertAuditEvent } from '@jplink/db';
import type { AdapterDb } from './db/schema.ts';

export const ADAPTER_AUDIT_ACTIONS = [
  'connection.saved',
  'connection.deleted',
  'subsystem.saved',
  'subsystem.deleted',
  'service.saved',
  'service.deleted',
  'service.published',
  'id-conversion.saved',
  'id-conversion.deleted',
  'consent.reflected',
  'consent.refused',
  'personal-data.allowed',
  'personal-data.denied',
  'admin.authentication-failed',
] as const;

export type AdapterAuditAction = (typeof ADAPTER_AUDIT_ACTIONS)[number];

export type AdapterAuditor = (event: { actor: string; action: AdapterAuditAction; target?: string; outcome?: 'success' | 'failure'; details?: Record<string, unknown> }) => Promise<void>;

export function createAdapterAuditor(db: AdapterDb): AdapterAuditor {
  return (event) => insertAuditEvent(db, event);
}
