// Audit events of the Security Server: every change to its configuration and enrolment.
// Documented in docs/audit-events.md (## Security Server), checked by a test.
import { insertAuditEvent } from '@jplink/db';
import type { SecurityServerDb } from './db/database.ts';

export const SECURITY_SERVER_AUDIT_ACTIONS = [
  'client.saved',
  'service.saved',
  'service.deleted',
  'access-right.granted',
  'access-right.revoked',
  'local-group.saved',
  'enrolment.completed',
  'enrolment.failed',
  'admin.authentication-failed',
  'evidence.exported',
  'message-log.archived',
] as const;

export type SecurityServerAuditAction = (typeof SECURITY_SERVER_AUDIT_ACTIONS)[number];

export type SsAuditor = (event: { actor: string; action: SecurityServerAuditAction; target?: string; outcome?: 'success' | 'failure'; details?: Record<string, unknown> }) => Promise<void>;

export function createSsAuditor(db: SecurityServerDb): SsAuditor {
  return (event) => insertAuditEvent(db, event);
}
