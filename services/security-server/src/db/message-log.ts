import type { SecurityServerDb } from './database.ts';

export interface LogRow {
  side: 'client' | 'server';
  kind: 'request' | 'response';
  messageId: string;
  xRoadId: string;
  client: string;
  service: string;
  peerServer: string;
  header: Uint8Array;
  body: Buffer | null;
  bodySha256: Uint8Array;
  bodyLength: number;
  digest: Uint8Array;
  signature: Uint8Array;
  prevHash: Buffer;
  recordHash: Buffer;
}

/** The bytes as a Buffer for pg: Buffers as they are (no copy), other Uint8Arrays wrapped. */
const asBuffer = (bytes: Uint8Array): Buffer => (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));

export async function insertLogRecords(db: SecurityServerDb, rows: LogRow[]): Promise<void> {
  await db
    .insertInto('message_log')
    .values(
      rows.map((r) => ({
        side: r.side,
        kind: r.kind,
        message_id: r.messageId,
        x_road_id: r.xRoadId,
        client: r.client,
        service: r.service,
        peer_server: r.peerServer,
        header: asBuffer(r.header),
        body: r.body,
        body_sha256: asBuffer(r.bodySha256),
        body_length: r.bodyLength,
        digest: asBuffer(r.digest),
        signature: asBuffer(r.signature),
        prev_hash: r.prevHash,
        record_hash: r.recordHash,
      })),
    )
    .execute();
}

export async function lastRecordHash(db: SecurityServerDb): Promise<Buffer | undefined> {
  const row = await db.selectFrom('message_log').select('record_hash').orderBy('id', 'desc').limit(1).executeTakeFirst();
  return row?.record_hash;
}

/** Records in chain order, a page at a time (for checks and, later, archiving). */
export async function logRecordsAfter(db: SecurityServerDb, afterId: string, limit: number) {
  return db.selectFrom('message_log').selectAll().where('id', '>', afterId).orderBy('id').limit(limit).execute();
}
