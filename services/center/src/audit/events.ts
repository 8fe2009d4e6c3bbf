// Audit events of the Center: every state change, who did it, and how it ended.
// The list is the contract documented in docs/audit-events.md (## Center), checked by a test.
import type { CenterDb } from '../db/database.ts';
import { insertAuditEvent } from '@jplink/db';

export const CENTER_AUDIT_ACTIONS = [
  'ca.initialized',
  'member-class.created',
  'member.created',
  'subsystem.created',
  'certificate.issued',
  'certificate.revoked',
  'management-request.submitted',
  'management-request.approved',
  'management-request.rejected',
  'security-server.auth-cert-registered',
  'security-server.client-registered',
  'security-server.client-deleted',
  'security-server.address-changed',
  'global-conf.changed',
  'api-key.created',
  'admin.authentication-failed',
] as const;

export type CenterAuditAction = (typeof CENTER_AUDIT_ACTIONS)[number];

export interface AuditEvent {
  /** `admin:<key name>`, a security server id, `system`, or `anonymous`. */
  actor: string;
  action: CenterAuditAction;
  target?: string;
  outcome?: 'success' | 'failure';
  details?: Record<string, unknown>;
}

export type Auditor = (event: AuditEvent, db?: CenterDb) => Promise<void>;

/** Returns the function that records audit events; pass `db` to record inside a transaction. */
export function createAuditor(defaultDb: CenterDb): Auditor {
  return async (event, db) => {
    await insertAuditEvent(db ?? defaultDb, event);
  };
}
