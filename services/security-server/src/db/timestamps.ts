// Message-log timestamps (docs/protocols/evidence.md §1).
import { sql } from 'kysely';
import type { SecurityServerDb } from './database.ts';

/** The last record id covered by a timestamp ('0' when none). */
export async function lastTimestampedRecordId(db: SecurityServerDb): Promise<string> {
  const row = await db.selectFrom('log_timestamps').select(sql<string | null>`max(last_record_id)`.as('last')).executeTakeFirst();
  return row?.last ?? '0';
}

/** Records after `afterId`, in chain order: what the next timestamp covers. */
export async function unstampedRecords(db: SecurityServerDb, afterId: string, limit: number): Promise<Array<{ id: string; recordHash: Buffer; loggedAt: Date }>> {
  const rows = await db.selectFrom('log_records').select(['id', 'record_hash', 'logged_at']).where('id', '>', afterId).orderBy('id').limit(limit).execute();
  return rows.map((r) => ({ id: r.id, recordHash: r.record_hash, loggedAt: r.logged_at }));
}

export async function insertTimestamp(
  db: SecurityServerDb,
  t: { firstRecordId: string; lastRecordId: string; recordCount: number; treeRoot: Buffer; token: Buffer; tsaName: string; tsaUrl: string; genTime: Date },
): Promise<void> {
  await db
    .insertInto('log_timestamps')
    .values({
      first_record_id: t.firstRecordId,
      last_record_id: t.lastRecordId,
      record_count: t.recordCount,
      tree_root: t.treeRoot,
      token: t.token,
      tsa_name: t.tsaName,
      tsa_url: t.tsaUrl,
      gen_time: t.genTime,
    })
    .execute();
}

/** Timestamps covering any record in [firstId, lastId]. */
export async function timestampsCovering(db: SecurityServerDb, firstId: string, lastId: string) {
  return db.selectFrom('log_timestamps').selectAll().where('last_record_id', '>=', firstId).where('first_record_id', '<=', lastId).orderBy('id').execute();
}
