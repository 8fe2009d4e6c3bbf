// Row → API view mappers shared by the admin and registration routes.
import type { Selectable } from 'kysely';
import { derToPem } from '@jplink/pki';
import type { CenterTables } from '../db/schema.ts';

const iso = (d: Date | string) => new Date(d).toISOString();

export function toRequestView(row: Selectable<CenterTables['management_requests']>) {
  return {
    id: row.id,
    type: row.type as 'authCertReg',
    status: row.status,
    submittedBy: row.submitted_by,
    createdAt: iso(row.created_at),
    decidedAt: row.decided_at ? iso(row.decided_at) : null,
    decidedBy: row.decided_by,
    rejectionReason: row.rejection_reason,
    payload: row.payload as Record<string, unknown>,
  };
}

export function toCertificateView(row: Selectable<CenterTables['certificates']>, instance: string) {
  return {
    serialNumber: row.serial_number,
    profile: row.profile as 'auth',
    member: row.member_class && row.member_code ? `${instance}/${row.member_class}/${row.member_code}` : null,
    serverCode: row.server_code,
    subject: row.subject,
    notBefore: iso(row.not_before),
    notAfter: iso(row.not_after),
    status: row.status,
    revokedAt: row.revoked_at ? iso(row.revoked_at) : null,
    revocationReason: (row.revocation_reason as 'unspecified' | null) ?? null,
    sha256: row.sha256,
    certificate: derToPem(row.der, 'CERTIFICATE'),
  };
}
