// Queries of the message-log archiver and the evidence export (docs/protocols/evidence.md §2–§3).
import { sql } from 'kysely';
import { to as copyTo } from 'pg-copy-streams';
import { quoteIdentifier, type Database } from '@jplink/db';
import { PGCOPY_SIGNATURE, RECORD_COLUMNS } from '@jplink/evidence';
import type { SecurityServerDb } from './database.ts';

export type ArchiveGrouping = 'none' | 'member' | 'subsystem';

/** The group key of a record as SQL: 'all', the local member, or the local subsystem. */
function groupExpression(grouping: ArchiveGrouping) {
  // The local subsystem is the client on the client side and the provider (the service id without its code) on the provider side.
  const subsystem = sql<string>`case when side = 'client' then client else regexp_replace(service, '/[^/]*$', '') end`;
  if (grouping === 'subsystem') return subsystem;
  if (grouping === 'member') return sql<string>`regexp_replace(${subsystem}, '/[^/]*$', '')`;
  return sql<string>`'all'`;
}

export async function archiveState(db: SecurityServerDb): Promise<string> {
  const row = await db.selectFrom('log_archive_state').select('archived_through').where('id', '=', 1).executeTakeFirstOrThrow();
  return row.archived_through;
}

/** The groups with records in (afterId, throughId]. */
export async function groupsInRange(db: SecurityServerDb, grouping: ArchiveGrouping, afterId: string, throughId: string): Promise<string[]> {
  if (grouping === 'none') return ['all'];
  const g = groupExpression(grouping);
  const rows = await db
    .selectFrom('log_records')
    .select(g.as('grp'))
    .where('id', '>', afterId)
    .where('id', '<=', throughId)
    .groupBy(g)
    .orderBy(g)
    .execute();
  return rows.map((r) => r.grp);
}

/** A group's records in (afterId, throughId]: how many, the first and last id, and the first record's prev_hash (undefined when none). */
export async function rangeSummary(
  db: SecurityServerDb,
  o: { grouping: ArchiveGrouping; group: string; afterId: string; throughId: string },
): Promise<{ count: number; firstId: string; lastId: string; firstPrevHash: Buffer } | undefined> {
  const inRange = db
    .selectFrom('log_records')
    .where('id', '>', o.afterId)
    .where('id', '<=', o.throughId)
    .where(groupExpression(o.grouping), '=', o.group);
  const row = await inRange
    .select([sql<string>`count(*)`.as('n'), sql<string | null>`max(id)`.as('last')])
    .executeTakeFirstOrThrow();
  if (Number(row.n) === 0 || row.last === null) return undefined;
  const first = await inRange.select(['id', 'prev_hash']).orderBy('id').limit(1).executeTakeFirstOrThrow();
  return { count: Number(row.n), firstId: first.id, lastId: row.last, firstPrevHash: first.prev_hash };
}

/**
 * One page of a group's records in (afterId, throughId], whole rows in id order. The archiver
 * serialises them itself (recordLineBytes): PostgreSQL sends bytea as hex text, about a quarter of
 * the database CPU that building the JSON lines there cost (json_build_object and base64).
 */
export async function recordsInRange(db: SecurityServerDb, o: { grouping: ArchiveGrouping; group: string; afterId: string; throughId: string; limit: number }) {
  return db
    .selectFrom('log_records')
    .selectAll()
    .where('id', '>', o.afterId)
    .where('id', '<=', o.throughId)
    .where(groupExpression(o.grouping), '=', o.group)
    .orderBy('id')
    .limit(o.limit)
    .execute();
}

/** Record hashes of a timestamp's range, in id order (its tree's leaves). */
export async function recordHashesInRange(db: SecurityServerDb, firstId: string, lastId: string): Promise<Array<{ id: string; hash: Buffer }>> {
  const rows = await db.selectFrom('log_records').select(['id', 'record_hash']).where('id', '>=', firstId).where('id', '<=', lastId).orderBy('id').execute();
  return rows.map((r) => ({ id: r.id, hash: r.record_hash }));
}

export async function lastArchiveOf(db: SecurityServerDb, group: string) {
  return db.selectFrom('log_archives').selectAll().where('grp', '=', group).orderBy('sequence', 'desc').limit(1).executeTakeFirst();
}

/** Records the written files and moves the archived-through mark, in one transaction. */
export async function recordArchives(
  db: SecurityServerDb,
  archives: Array<{ grp: string; sequence: number; file_name: string; sha256: Buffer; first_record_id: string; last_record_id: string; record_count: number }>,
  archivedThrough: string,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    if (archives.length > 0) await trx.insertInto('log_archives').values(archives).execute();
    await trx.updateTable('log_archive_state').set({ archived_through: archivedThrough }).where('id', '=', 1).execute();
  });
}

/**
 * Deletes archived records logged before `before`, whole timestamp ranges at a time (a record
 * left in the database keeps every leaf of its timestamp's tree, so its proof can still be
 * computed for an evidence export). Returns how many were deleted.
 */
export async function deleteArchivedRecords(db: SecurityServerDb, archivedThrough: string, before: Date): Promise<number> {
  const keep = await db.selectFrom('log_records').select('id').where('logged_at', '>=', before).orderBy('id').limit(1).executeTakeFirst();
  let through = archivedThrough;
  if (keep && BigInt(keep.id) <= BigInt(archivedThrough)) {
    const range = await db.selectFrom('log_timestamps').select('first_record_id').where('first_record_id', '<=', keep.id).where('last_record_id', '>=', keep.id).executeTakeFirst();
    const below = BigInt(range?.first_record_id ?? keep.id) - 1n;
    through = String(below < BigInt(archivedThrough) ? below : BigInt(archivedThrough));
  }
  if (BigInt(through) <= 0n) return 0;
  const result = await db.deleteFrom('log_records').where('id', '<=', through).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Records of one exchange (by X-Road-Request-Id) or of every exchange with an X-Road-Id. */
export async function recordsForEvidence(db: SecurityServerDb, query: { messageId: string } | { xRoadId: string }) {
  const base = db.selectFrom('log_records').selectAll().orderBy('id').limit(1000);
  return 'messageId' in query ? base.where('message_id', '=', query.messageId).execute() : base.where('x_road_id', '=', query.xRoadId).execute();
}

/** Record ids per COPY statement of recordsPgCopy (a statement holds its connection and snapshot while it runs). */
const COPY_PAGE_IDS = 2000n;
/** PostgreSQL's binary COPY header: signature, flags 0, no header extension. */
const PGCOPY_HEADER = Buffer.concat([PGCOPY_SIGNATURE, Buffer.alloc(8)]);
const PGCOPY_TRAILER = Buffer.from([0xff, 0xff]);

/**
 * Every record in (afterId, throughId], in id order, as one PostgreSQL binary COPY stream with the
 * columns RECORD_COLUMNS (records.pgcopy, evidence.md §2.3): PostgreSQL encodes the rows and the
 * bytes go to the archive untouched. Read with one COPY statement per COPY_PAGE_IDS ids on one
 * connection; each statement's own header and trailer are dropped, and the stream gets one of each.
 */
export async function* recordsPgCopy(database: Pick<Database, 'pool' | 'schema'>, afterId: string, throughId: string, pageIds = COPY_PAGE_IDS): AsyncGenerator<Buffer> {
  const table = `${quoteIdentifier(database.schema)}.log_records`;
  const [after, through] = [BigInt(afterId), BigInt(throughId)];
  const client = await database.pool.connect();
  let complete = false;
  try {
    yield PGCOPY_HEADER;
    for (let from = after; from < through; from += pageIds) {
      const to = from + pageIds < through ? from + pageIds : through;
      // Literal bounds (COPY takes no parameters): bigints, formatted here.
      const stream = client.query(copyTo(`copy (select ${RECORD_COLUMNS} from ${table} where id > ${from} and id <= ${to} order by id) to stdout (format binary)`));
      yield* withoutHeaderAndTrailer(stream);
    }
    complete = true;
    yield PGCOPY_TRAILER;
  } finally {
    // A connection left in the middle of a COPY (an error, or a reader that stopped early) is
    // closed, not given back to the pool.
    client.release(complete ? undefined : true);
  }
}

/** The tuples of one COPY statement's output: its 19-byte header checked and dropped, its 2-byte trailer dropped (no copies of the data). */
async function* withoutHeaderAndTrailer(stream: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let head: Buffer = Buffer.alloc(0);
  let headerDone = false;
  // The last two bytes seen, held back until more data shows they are not the trailer.
  let held: Buffer = Buffer.alloc(0);
  for await (let chunk of stream) {
    if (!headerDone) {
      head = Buffer.concat([head, chunk]);
      if (head.length < PGCOPY_HEADER.length) continue;
      if (!head.subarray(0, PGCOPY_HEADER.length).equals(PGCOPY_HEADER)) throw new Error('PostgreSQL answered COPY with an unexpected binary header');
      chunk = head.subarray(PGCOPY_HEADER.length);
      headerDone = true;
    }
    if (chunk.length === 0) continue;
    if (chunk.length >= 2) {
      if (held.length > 0) yield held;
      if (chunk.length > 2) yield chunk.subarray(0, chunk.length - 2);
      held = chunk.subarray(chunk.length - 2);
    } else {
      const joined = Buffer.concat([held, chunk]);
      if (joined.length > 2) yield joined.subarray(0, joined.length - 2);
      held = joined.subarray(Math.max(0, joined.length - 2));
    }
  }
  if (!headerDone || !held.equals(PGCOPY_TRAILER)) throw new Error('PostgreSQL\'s binary COPY output ended without its trailer');
}
