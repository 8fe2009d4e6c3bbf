import type { CenterDb } from './database.ts';

export interface CertificateRow {
  serialNumber: string;
  profile: string;
  memberClass: string | null;
  memberCode: string | null;
  serverCode: string | null;
  subject: string;
  sha256: string;
  der: Buffer;
  notBefore: Date;
  notAfter: Date;
}

export async function insertCertificate(db: CenterDb, row: CertificateRow) {
  await db
    .insertInto('certificates')
    .values({
      serial_number: row.serialNumber,
      profile: row.profile,
      member_class: row.memberClass,
      member_code: row.memberCode,
      server_code: row.serverCode,
      subject: row.subject,
      sha256: row.sha256,
      der: row.der,
      not_before: row.notBefore,
      not_after: row.notAfter,
    })
    .execute();
}

export async function findCertificateBySerial(db: CenterDb, serialNumber: string) {
  return db.selectFrom('certificates').selectAll().where('serial_number', '=', serialNumber).executeTakeFirst();
}

export async function findCertificateByHash(db: CenterDb, sha256: string) {
  return db.selectFrom('certificates').selectAll().where('sha256', '=', sha256).executeTakeFirst();
}

export async function listCertificates(
  db: CenterDb,
  filter: { memberClass?: string; memberCode?: string; status?: 'good' | 'revoked'; limit: number },
) {
  let query = db.selectFrom('certificates').selectAll().orderBy('issued_at', 'desc').limit(filter.limit);
  if (filter.memberClass !== undefined) query = query.where('member_class', '=', filter.memberClass);
  if (filter.memberCode !== undefined) query = query.where('member_code', '=', filter.memberCode);
  if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  return query.execute();
}

/** Serial, status and revocation data of every certificate: what the OCSP responder answers from. */
export async function listCertificateStatuses(db: CenterDb) {
  return db.selectFrom('certificates').select(['serial_number', 'status', 'revoked_at', 'revocation_reason']).execute();
}

export async function markRevoked(db: CenterDb, serialNumber: string, revokedAt: Date, reason: string) {
  const result = await db
    .updateTable('certificates')
    .set({ status: 'revoked', revoked_at: revokedAt, revocation_reason: reason })
    .where('serial_number', '=', serialNumber)
    .where('status', '=', 'good')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
