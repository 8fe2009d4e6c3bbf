import type { CenterDb } from './database.ts';

export async function findApiKeyByHash(db: CenterDb, keySha256: string) {
  return db.selectFrom('api_keys').selectAll().where('key_sha256', '=', keySha256).where('revoked_at', 'is', null).executeTakeFirst();
}

export async function insertApiKey(db: CenterDb, row: { name: string; role: string; keySha256: string }) {
  await db.insertInto('api_keys').values({ name: row.name, role: row.role, key_sha256: row.keySha256 }).execute();
}

export async function countApiKeys(db: CenterDb) {
  const row = await db.selectFrom('api_keys').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}
