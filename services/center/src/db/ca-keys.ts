import type { CenterDb } from './database.ts';

export type CaKeyRole = 'root' | 'issuing' | 'ocsp' | 'tsa' | 'config-signing' | 'tls-server';

export async function findCaKeys(db: CenterDb) {
  return db.selectFrom('ca_keys').selectAll().execute();
}

export async function insertCaKey(db: CenterDb, row: { role: CaKeyRole; certificate: Buffer; privateKey: string }) {
  await db.insertInto('ca_keys').values({ role: row.role, certificate: row.certificate, private_key: row.privateKey }).execute();
}
