// Audit events of Personal-Link: resident sign-ins, accounts and upstream links, RP registrations and
// key rotations. Documented in docs/audit-events.md (## Personal-Link), checked by a test. Details
// never hold tokens or personal data (no names, e-mail addresses or upstream claims).
import { insertAuditEvent } from '@jplink/db';
import type { PlDb } from './db/schema.ts';

export const PL_AUDIT_ACTIONS = [
  'resident.signed-in',
  'resident.sign-in-failed',
  'resident.created',
  'upstream.linked',
  'upstream.unlinked',
  'client.registered',
  'client.updated',
  'client.deleted',
  'client.secret-rotated',
  'signing-key.created',
  'signing-key.activated',
  'signing-key.retired',
  'cookie-key.rotated',
  'admin.authentication-failed',
  // Consent reflection (src/reflection/)
  'reflection.failed',
  'reflection.retried',
  // Consent notifications to the consumer RP (src/notifications/)
  'consent-notification.failed',
  // My Data (src/my-data/)
  'client.my-data-changed',
  'my-data.fetched',
  // RP API, links and consents (src/api/, src/links/, src/consent/)
  'client.api-access-changed',
  'client.data-items-described',
  'api.authentication-failed',
  'id-conversion.registered',
  'rp-link.linked',
  'rp-link.unlinked',
  'consent.requested',
  'consent.given',
  'consent.declined',
  'consent.withdrawn',
  'consent.expired',
  'consent.registered',
] as const;

export type PlAuditAction = (typeof PL_AUDIT_ACTIONS)[number];

export type PlAuditor = (event: { actor: string; action: PlAuditAction; target?: string; outcome?: 'success' | 'failure'; details?: Record<string, unknown> }) => Promise<void>;

export function createPlAuditor(db: PlDb): PlAuditor {
  return (event) => insertAuditEvent(db, event);
}
