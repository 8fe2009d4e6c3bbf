// records.pgcopy of a `jplink-log-archive/2` file (evidence.md §2.3): the log records in
// PostgreSQL's binary COPY format (https://www.postgresql.org/docs/current/sql-copy.html, "Binary
// Format"), twenty fields per record in RECORD_FIELDS order. The Security Server has PostgreSQL
// write it (COPY … TO STDOUT (FORMAT binary)) and passes the bytes into the zip untouched; this
// module reads the framing (the writer's checks and the verifier), turns a record into its
// record-line form (the verifier), and writes it (tests, tools).
import type { RecordLine } from './format.ts';
import type { StoredMessage, StoredRecord } from './record-line.ts';

/** The 11-byte signature that starts every binary COPY stream. */
export const PGCOPY_SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/** The fields of a record, in order, with their PostgreSQL types (binary send format). */
export const RECORD_FIELDS = [
  ['id', 'int8'],
  ['logged_at', 'timestamptz'],
  ['side', 'text'],
  ['message_id', 'uuid'],
  ['x_road_id', 'text'],
  ['client', 'text'],
  ['service', 'text'],
  ['peer_server', 'text'],
  ['request_header', 'bytea'],
  ['request_body', 'bytea'],
  ['request_body_sha256', 'bytea'],
  ['request_body_length', 'int8'],
  ['request_signature', 'bytea'],
  ['response_header', 'bytea'],
  ['response_body', 'bytea'],
  ['response_body_sha256', 'bytea'],
  ['response_body_length', 'int8'],
  ['response_signature', 'bytea'],
  ['prev_hash', 'bytea'],
  ['record_hash', 'bytea'],
] as const;

/** Positions of the fields in a tuple. */
export const FIELD = Object.fromEntries(RECORD_FIELDS.map(([name], i) => [name, i])) as { [K in (typeof RECORD_FIELDS)[number][0]]: number };

/** The column list of the archiver's COPY query, in RECORD_FIELDS order. */
export const RECORD_COLUMNS = RECORD_FIELDS.map(([name]) => name).join(', ');

/** Microseconds from 1970-01-01 to PostgreSQL's epoch, 2000-01-01T00:00:00Z. */
const PG_EPOCH_MS = 946_684_800_000;

/** One tuple: each field's bytes (views into the stream's chunks), null for SQL NULL. */
export type Tuple = Array<Buffer | null>;

/** What is wrong with a binary COPY stream: where (byte offset), and in which record (1-based). */
export class PgCopyError extends Error {
  readonly offset: number;
  readonly record: number;
  constructor(message: string, offset: number, record: number) {
    super(`${message} (byte ${offset} of records.pgcopy)`);
    this.name = 'PgCopyError';
    this.offset = offset;
    this.record = record;
  }
}

/**
 * Reads the framing of a binary COPY stream chunk by chunk: the header (signature, flags of 0,
 * a header extension that is skipped), tuples of exactly `fieldCount` fields, and the trailer
 * (-1), after which nothing may follow. A tuple larger than `maxTupleBytes` is refused before it
 * is gathered.
 */
export class PgCopyReader {
  #fieldCount: number;
  #maxTupleBytes: number;
  #pending: Buffer | undefined;
  #consumed = 0;
  #headerDone = false;
  #ended = false;
  #tuples = 0;
  /** An error found after tuples that were returned first; thrown by the next call. */
  #error: PgCopyError | undefined;

  constructor(options: { fieldCount?: number; maxTupleBytes: number }) {
    this.#fieldCount = options.fieldCount ?? RECORD_FIELDS.length;
    this.#maxTupleBytes = options.maxTupleBytes;
  }

  /**
   * The complete tuples that `chunk` finishes (their fields are views into the chunks; copy what
   * must outlive them). Damage is thrown as a PgCopyError — after the tuples before it were
   * returned, by the next call.
   */
  push(chunk: Buffer): Tuple[] {
    if (this.#error) throw this.#error;
    const tuples: Tuple[] = [];
    try {
      return this.#parse(chunk, tuples);
    } catch (error) {
      if (!(error instanceof PgCopyError) || tuples.length === 0) throw error;
      this.#error = error;
      return tuples;
    }
  }

  #parse(chunk: Buffer, tuples: Tuple[]): Tuple[] {
    let rest = chunk;
    const pending = this.#pending;
    if (pending) {
      // A record spans the chunks: copy only as much of the new chunk as completes it (records
      // are a few KiB; the chunks may be far larger), then read on in the chunk itself.
      this.#pending = undefined;
      for (let take = Math.min(chunk.length, pending.length + 16_384); ; take = chunk.length) {
        const joined = Buffer.concat([pending, chunk.subarray(0, take)]);
        const at = this.#read(joined, tuples, 1);
        if (at > pending.length) {
          this.#consumed += at;
          rest = chunk.subarray(at - pending.length);
          break;
        }
        if (take === chunk.length) return this.#keep(joined, at, tuples);
      }
    }
    return this.#keep(rest, this.#read(rest, tuples, Infinity), tuples);
  }

  /** Reads the header (when due) and up to `limit` tuples (or the trailer) from `buf`; returns where it stopped. */
  #read(buf: Buffer, tuples: Tuple[], limit: number): number {
    let at = 0;
    const fail = (message: string, offset = at): never => {
      throw new PgCopyError(message, this.#consumed + offset, this.#tuples + 1);
    };
    if (!this.#headerDone) {
      if (buf.length < PGCOPY_SIGNATURE.length + 8) return 0;
      if (!buf.subarray(0, PGCOPY_SIGNATURE.length).equals(PGCOPY_SIGNATURE)) fail('not a PostgreSQL binary COPY stream (no PGCOPY signature)', 0);
      const flags = buf.readUInt32BE(11);
      if (flags !== 0) fail(`header flags are ${flags}, must be 0`, 11);
      const extension = buf.readUInt32BE(15);
      if (extension > 1024 * 1024) fail(`header extension of ${extension} bytes`, 15);
      if (buf.length < 19 + extension) return 0;
      at = 19 + extension;
      this.#headerDone = true;
    }
    let read = 0;
    while (at < buf.length && read < limit) {
      if (this.#ended) fail('data after the trailer');
      if (buf.length - at < 2) break;
      const count = buf.readInt16BE(at);
      if (count === -1) {
        this.#ended = true;
        at += 2;
        read += 1;
        continue;
      }
      if (count !== this.#fieldCount) fail(`a tuple of ${count} fields, records have ${this.#fieldCount}`);
      const fields: Tuple = new Array(count);
      let p = at + 2;
      let complete = true;
      for (let i = 0; i < count; i++) {
        if (buf.length - p < 4) {
          complete = false;
          break;
        }
        const length = buf.readInt32BE(p);
        p += 4;
        if (length === -1) {
          fields[i] = null;
          continue;
        }
        if (length < 0) fail(`field ${i + 1} has length ${length}`, p - 4);
        if (p + length - at > this.#maxTupleBytes) fail(`a record of more than ${this.#maxTupleBytes} bytes (the limit)`);
        if (buf.length - p < length) {
          complete = false;
          break;
        }
        fields[i] = buf.subarray(p, p + length);
        p += length;
      }
      if (!complete) break;
      tuples.push(fields);
      this.#tuples += 1;
      read += 1;
      at = p;
    }
    return at;
  }

  /** Keeps what `buf` holds after `at` for the next chunk; returns the tuples of this one. */
  #keep(buf: Buffer, at: number, tuples: Tuple[]): Tuple[] {
    if (at < buf.length) this.#pending = buf.subarray(at);
    this.#consumed += at;
    return tuples;
  }

  /** Throws unless the stream ended with the trailer and nothing is left over. */
  end(): void {
    if (this.#error) throw this.#error;
    const record = this.#tuples + 1;
    if (!this.#headerDone) throw new PgCopyError('the stream ends before its header (not a PostgreSQL binary COPY stream)', this.#consumed, record);
    if (this.#pending) throw new PgCopyError('the stream ends inside a record', this.#consumed, record);
    if (!this.#ended) throw new PgCopyError('the stream ends without the trailer', this.#consumed, record);
  }
}

/** A record id (int8) of a tuple as decimal text; undefined when the field is not 8 bytes. */
export function tupleId(tuple: Tuple): string | undefined {
  const id = tuple[FIELD.id];
  return id?.length === 8 ? id.readBigInt64BE(0).toString() : undefined;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function text(field: Buffer | null, name: string): string {
  if (field === null) throw new Error(`${name} is NULL`);
  try {
    return utf8.decode(field);
  } catch {
    throw new Error(`${name} is not UTF-8`);
  }
}

function int8(field: Buffer | null, name: string): bigint {
  if (field === null || field.length !== 8) throw new Error(`${name} is not an int8`);
  return field.readBigInt64BE(0);
}

function bytes(field: Buffer | null, name: string): Buffer {
  if (field === null) throw new Error(`${name} is NULL`);
  return field;
}

function uuid(field: Buffer | null, name: string): string {
  if (field === null || field.length !== 16) throw new Error(`${name} is not a uuid`);
  const hex = field.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** loggedAt (ISO, milliseconds, truncated as when PostgreSQL's text is read into a Date). */
function timestamptz(field: Buffer | null, name: string): string {
  const micros = int8(field, name);
  const ms = Number(micros / 1000n - (micros % 1000n < 0n ? 1n : 0n)) + PG_EPOCH_MS;
  const date = new Date(ms);
  if (Number.isNaN(date.getTime())) throw new Error(`${name} is out of range`);
  return date.toISOString();
}

const b64 = (b: Buffer) => b.toString('base64');

function message(t: Tuple, prefix: 'request' | 'response'): RecordLine['request'] {
  const f = (suffix: string) => t[FIELD[`${prefix}_${suffix}` as keyof typeof FIELD]]!;
  const body = f('body');
  return {
    header: b64(bytes(f('header'), `${prefix}_header`)),
    body: body === null ? null : b64(body),
    bodySha256: b64(bytes(f('body_sha256'), `${prefix}_body_sha256`)),
    bodyLength: Number(int8(f('body_length'), `${prefix}_body_length`)),
    signature: b64(bytes(f('signature'), `${prefix}_signature`)),
  };
}

/**
 * A tuple as a record line (without `timestamp`; the reader adds it), not yet validated against
 * recordLineSchema. Throws an Error naming the field whose bytes do not fit its type.
 */
export function recordLineOfTuple(t: Tuple): RecordLine {
  const responseFields = ['header', 'body_sha256', 'body_length', 'signature'].map((s) => t[FIELD[`response_${s}` as keyof typeof FIELD]]);
  const hasResponse = responseFields.every((f) => f !== null);
  if (!hasResponse && responseFields.some((f) => f !== null)) throw new Error('the response fields are partly NULL');
  if (!hasResponse && t[FIELD.response_body] !== null) throw new Error('response_body without a response');
  return {
    id: int8(t[FIELD.id]!, 'id').toString(),
    loggedAt: timestamptz(t[FIELD.logged_at]!, 'logged_at'),
    side: text(t[FIELD.side]!, 'side') as RecordLine['side'],
    messageId: uuid(t[FIELD.message_id]!, 'message_id'),
    xRoadId: text(t[FIELD.x_road_id]!, 'x_road_id'),
    client: text(t[FIELD.client]!, 'client'),
    service: text(t[FIELD.service]!, 'service'),
    peerServer: text(t[FIELD.peer_server]!, 'peer_server'),
    request: message(t, 'request'),
    response: hasResponse ? message(t, 'response') : null,
    prevHash: b64(bytes(t[FIELD.prev_hash]!, 'prev_hash')),
    recordHash: b64(bytes(t[FIELD.record_hash]!, 'record_hash')),
  };
}

// ---- writing (tests and tools; the Security Server has PostgreSQL write these bytes) ----

function field(value: Buffer | null): Buffer[] {
  if (value === null) return [Buffer.from([0xff, 0xff, 0xff, 0xff])];
  const length = Buffer.allocUnsafe(4);
  length.writeInt32BE(value.length, 0);
  return [length, value];
}

const int8Bytes = (value: bigint) => {
  const out = Buffer.allocUnsafe(8);
  out.writeBigInt64BE(value, 0);
  return out;
};
const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

function uuidBytes(value: string): Buffer {
  const hex = value.replaceAll('-', '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new Error(`messageId ${value} is not a uuid`);
  return Buffer.from(hex, 'hex');
}

function messageFields(m: StoredMessage | null): Array<Buffer | null> {
  if (!m) return [null, null, null, null, null];
  return [asBuffer(m.header), m.body === null ? null : asBuffer(m.body), asBuffer(m.bodySha256), int8Bytes(BigInt(m.bodyLength)), asBuffer(m.signature)];
}

/** One record as a binary COPY tuple (fields in RECORD_FIELDS order). */
export function encodeRecordTuple(r: StoredRecord): Buffer {
  const values: Array<Buffer | null> = [
    int8Bytes(BigInt(r.id)),
    int8Bytes(BigInt(r.loggedAt.getTime() - PG_EPOCH_MS) * 1000n),
    Buffer.from(r.side, 'utf8'),
    uuidBytes(r.messageId),
    Buffer.from(r.xRoadId, 'utf8'),
    Buffer.from(r.client, 'utf8'),
    Buffer.from(r.service, 'utf8'),
    Buffer.from(r.peerServer, 'utf8'),
    ...messageFields(r.request),
    ...messageFields(r.response),
    asBuffer(r.prevHash),
    asBuffer(r.recordHash),
  ];
  const count = Buffer.allocUnsafe(2);
  count.writeInt16BE(values.length, 0);
  return Buffer.concat([count, ...values.flatMap(field)]);
}

/** A whole records.pgcopy: header, the records' tuples, trailer. */
export function encodeRecordsPgCopy(records: Iterable<StoredRecord>): Buffer {
  const header = Buffer.concat([PGCOPY_SIGNATURE, Buffer.alloc(8)]);
  return Buffer.concat([header, ...[...records].map(encodeRecordTuple), Buffer.from([0xff, 0xff])]);
}
