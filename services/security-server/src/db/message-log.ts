// Message-log storage (record format v2, docs/protocols/message-log.md). The writer's inserts go
// through the pool with schema-qualified names and prebuilt statement texts: no query building per
// batch, and bytes travel as binary parameters. On a PostgreSQL server the insert of each batch size
// is a named prepared statement, parsed and planned once per pooled session.
import { createHash } from 'node:crypto';
import type { Database } from '@jplink/db';
import { quoteIdentifier } from '@jplink/db';
import type { SecurityServerDb } from './database.ts';
import type { CertificateEntry, StoredRecord } from '@jplink/evidence';

export interface LogRowMessage {
  header: Buffer;
  body: Buffer | null;
  bodySha256: Buffer;
  bodyLength: number;
  signature: Buffer;
}

export interface LogRow {
  side: 'client' | 'server';
  messageId: string;
  xRoadId: string;
  client: string;
  service: string;
  peerServer: string;
  request: LogRowMessage;
  response: LogRowMessage | null;
  prevHash: Buffer;
  recordHash: Buffer;
}

/** Batches up to this many rows use a named prepared statement (one per size and pooled session); larger ones an unnamed one. */
const MAX_PREPARED_ROWS = 32;

const COLUMNS = [
  'side', 'message_id', 'x_road_id', 'client', 'service', 'peer_server',
  'request_header', 'request_body', 'request_body_sha256', 'request_body_length', 'request_signature',
  'response_header', 'response_body', 'response_body_sha256', 'response_body_length', 'response_signature',
  'prev_hash', 'record_hash',
] as const;

export class LogStore {
  #pool: Database['pool'];
  #records: string;
  #certificates: string;
  #statements = new Map<number, { text: string; name: string | undefined }>();
  #embedded: boolean;

  #prepare: boolean;

  /** `prepare: false` sends every insert as an unnamed statement (for comparisons; the default prepares). */
  constructor(database: Database, options: { prepare?: boolean } = {}) {
    this.#pool = database.pool;
    this.#embedded = database.kind === 'embedded';
    this.#prepare = !this.#embedded && options.prepare !== false;
    const schema = quoteIdentifier(database.schema);
    this.#records = `${schema}.log_records`;
    this.#certificates = `${schema}.log_certificates`;
  }

  /**
   * The insert of `rows` rows and, on a PostgreSQL server for up to MAX_PREPARED_ROWS rows, its
   * prepared-statement name (derived from the text, so servers sharing a database in different
   * schemas never share a name with different texts). Not on the embedded PGlite: its connections
   * share one session, where a name prepared through one pg client is unknown to the others.
   */
  #insert(rows: number): { text: string; name: string | undefined } {
    let statement = this.#statements.get(rows);
    if (!statement) {
      const n = COLUMNS.length;
      const tuples = Array.from({ length: rows }, (_, r) => `(${COLUMNS.map((_, c) => `$${r * n + c + 1}`).join(',')})`);
      const text = `insert into ${this.#records} (${COLUMNS.join(',')}) values ${tuples.join(',')}`;
      const name = this.#prepare && rows <= MAX_PREPARED_ROWS ? `jpl_log_${createHash('sha256').update(text).digest('hex').slice(0, 24)}` : undefined;
      statement = { text, name };
      if (this.#statements.size < 64) this.#statements.set(rows, statement);
    }
    return statement;
  }

  /** Inserts the rows in one statement (all or none), in the given order. */
  async insertRecords(rows: LogRow[]): Promise<void> {
    const values: unknown[] = [];
    for (const r of rows) {
      const q = r.response;
      values.push(
        r.side, r.messageId, r.xRoadId, r.client, r.service, r.peerServer,
        r.request.header, r.request.body, r.request.bodySha256, r.request.bodyLength, r.request.signature,
        q?.header ?? null, q?.body ?? null, q?.bodySha256 ?? null, q?.bodyLength ?? null, q?.signature ?? null,
        r.prevHash, r.recordHash,
      );
    }
    const statement = this.#insert(rows.length);
    if (statement.name) {
      await this.#pool.query({ name: statement.name, text: statement.text, values });
      return;
    }
    await this.#run(statement.text, values);
  }

  /**
   * One parameterised statement. On the embedded PGlite every connection shares one session and
   * only explicit transactions keep another connection's messages out, so there the statement runs
   * inside BEGIN … COMMIT (otherwise another connection's unnamed statement can replace ours
   * between Parse and Bind).
   */
  async #run(text: string, values: unknown[]): Promise<void> {
    if (!this.#embedded) {
      await this.#pool.query(text, values);
      return;
    }
    const client = await this.#pool.connect();
    try {
      await client.query('begin');
      await client.query(text, values);
      await client.query('commit');
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Stores certificates and OCSP responses (already stored ones are left as they are). */
  async insertCertificates(entries: CertificateEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const tuples = entries.map((_, i) => `($${i * 3 + 1},$${i * 3 + 2},$${i * 3 + 3})`).join(',');
    await this.#run(
      `insert into ${this.#certificates} (sha256, kind, der) values ${tuples} on conflict (sha256) do nothing`,
      entries.flatMap((e) => [e.sha256, e.kind, e.der]),
    );
  }
}

export async function lastRecordHash(db: SecurityServerDb): Promise<Buffer | undefined> {
  const row = await db.selectFrom('log_records').select('record_hash').orderBy('id', 'desc').limit(1).executeTakeFirst();
  return row?.record_hash;
}

/** Records in chain order, a page at a time (for checks, evidence and archiving). */
export async function logRecordsAfter(db: SecurityServerDb, afterId: string, limit: number) {
  return db.selectFrom('log_records').selectAll().where('id', '>', afterId).orderBy('id').limit(limit).execute();
}

/** Certificates and OCSP responses by SHA-256 (base64). */
export async function logCertificates(db: SecurityServerDb, hashes: Buffer[]): Promise<Map<string, { der: Buffer; kind: 'certificate' | 'ocsp' }>> {
  if (hashes.length === 0) return new Map();
  const rows = await db.selectFrom('log_certificates').select(['sha256', 'der', 'kind']).where('sha256', 'in', hashes).execute();
  return new Map(rows.map((r) => [r.sha256.toString('base64'), { der: r.der, kind: r.kind }]));
}

/** Message ids the provider side logged since `since` (seeds the replay guard after a restart). */
export async function serverMessageIdsSince(db: SecurityServerDb, since: Date): Promise<Array<{ messageId: string; loggedAt: Date }>> {
  const rows = await db.selectFrom('log_records').select(['message_id', 'logged_at']).where('side', '=', 'server').where('logged_at', '>=', since).execute();
  return rows.map((r) => ({ messageId: r.message_id, loggedAt: r.logged_at }));
}

/** A row of log_records as the queries return it. */
export type LogRecordRow = Awaited<ReturnType<typeof logRecordsAfter>>[number];

/** A log_records row as the evidence format's stored record (without its timestamp proof). */
export function storedRecordOf(row: LogRecordRow): StoredRecord {
  const message = (header: Buffer, body: Buffer | null, bodySha256: Buffer, bodyLength: string, signature: Buffer) => ({ header, body, bodySha256, bodyLength: Number(bodyLength), signature });
  return {
    id: row.id,
    loggedAt: row.logged_at,
    side: row.side,
    messageId: row.message_id,
    xRoadId: row.x_road_id,
    client: row.client,
    service: row.service,
    peerServer: row.peer_server,
    request: message(row.request_header, row.request_body, row.request_body_sha256, row.request_body_length, row.request_signature),
    response:
      row.response_header && row.response_body_sha256 && row.response_body_length !== null && row.response_signature
        ? message(row.response_header, row.response_body, row.response_body_sha256, row.response_body_length, row.response_signature)
        : null,
    prevHash: row.prev_hash,
    recordHash: row.record_hash,
  };
}
