import type { CenterDb } from './database.ts';

export async function latestGlobalConf(db: CenterDb) {
  return db.selectFrom('global_conf_versions').selectAll().orderBy('version', 'desc').limit(1).executeTakeFirst();
}

export async function findGlobalConf(db: CenterDb, version: number) {
  return db.selectFrom('global_conf_versions').selectAll().where('version', '=', version).executeTakeFirst();
}

export async function insertGlobalConf(
  db: CenterDb,
  row: { version: number; document: Buffer; signature: Buffer; documentSha256: string; generatedAt: Date; expiresAt: Date },
) {
  await db
    .insertInto('global_conf_versions')
    .values({
      version: row.version,
      document: row.document,
      signature: row.signature,
      document_sha256: row.documentSha256,
      generated_at: row.generatedAt,
      expires_at: row.expiresAt,
    })
    .execute();
}

/** Keeps published versions that may still be in use; older ones are history nobody can verify anymore. */
export async function pruneGlobalConf(db: CenterDb, expiredBefore: Date, keepAtLeast: number) {
  const newest = await latestGlobalConf(db);
  if (!newest) return;
  await db
    .deleteFrom('global_conf_versions')
    .where('expires_at', '<', expiredBefore)
    .where('version', '<=', newest.version - keepAtLeast)
    .execute();
}
