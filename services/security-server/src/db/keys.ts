import type { SecurityServerDb } from './database.ts';
import type { KeyKind } from './schema.ts';

export async function listKeys(db: SecurityServerDb) {
  return db.selectFrom('keys').selectAll().orderBy('id').execute();
}

export async function insertKey(
  db: SecurityServerDb,
  row: { id: string; kind: KeyKind; memberClass: string; memberCode: string; privateKey: string },
) {
  await db
    .insertInto('keys')
    .values({ id: row.id, kind: row.kind, member_class: row.memberClass, member_code: row.memberCode, private_key: row.privateKey })
    .execute();
}

export async function setKeyCertificate(db: SecurityServerDb, id: string, certificate: Buffer) {
  await db.updateTable('keys').set({ certificate }).where('id', '=', id).execute();
}
