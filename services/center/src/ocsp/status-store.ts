// Revocation status of every certificate this CA issued, kept in memory for the OCSP responder so
// that answering needs no database round trip. Loaded at start, updated by this process on every
// issue and revocation, and reloaded periodically (a second Center process sharing the database
// would be seen within `reloadSeconds`).
import type { RevocationReason } from '@jplink/pki';
import type { CenterDb } from '../db/database.ts';
import { listCertificateStatuses } from '../db/certificates.ts';

export type CertStatus = { type: 'good' } | { type: 'revoked'; revokedAt: Date; reason: RevocationReason };

export class CertificateStatusStore {
  #statuses = new Map<string, CertStatus>();
  #db: CenterDb;

  constructor(db: CenterDb) {
    this.#db = db;
  }

  async reload(): Promise<void> {
    const next = new Map<string, CertStatus>();
    for (const row of await listCertificateStatuses(this.#db)) {
      next.set(
        row.serial_number,
        row.status === 'revoked' && row.revoked_at
          ? { type: 'revoked', revokedAt: new Date(row.revoked_at), reason: (row.revocation_reason ?? 'unspecified') as RevocationReason }
          : { type: 'good' },
      );
    }
    this.#statuses = next;
  }

  /** Status by lower-case hex serial; undefined = never issued here. */
  get(serialHex: string): CertStatus | undefined {
    return this.#statuses.get(serialHex);
  }

  set(serialHex: string, status: CertStatus): void {
    this.#statuses.set(serialHex, status);
  }
}
