// Converting between the message log's stored form (bytes, as in log_records, log_timestamps and
// log_certificates) and the JSON of archive and evidence files (base64 text, evidence.md §2).
import { createHash } from 'node:crypto';
import type { CertificateFileEntry, RecordLine, RecordMessage, TimestampEntry } from './format.ts';
import type { HashedMessage, HashedRecord } from './record-hash.ts';

/** One message of a stored record, as bytes: what its hash covers, and the body when it was logged. */
export interface StoredMessage extends Omit<HashedMessage, 'headerSha256'> {
  /** null when body logging was off. */
  body: Uint8Array | null;
}

/** A stored record (one row of log_records) and, once timestamped, its timestamp proof. */
export interface StoredRecord extends Omit<HashedRecord, 'side' | 'request' | 'response'> {
  id: string | bigint;
  loggedAt: Date;
  side: 'client' | 'server';
  request: StoredMessage;
  response: StoredMessage | null;
  prevHash: Uint8Array;
  recordHash: Uint8Array;
  /** The record's inclusion proof in its timestamp's tree (leaves: the record hashes of the range, in id order). */
  timestamp?: { id: string | bigint; leafIndex: number; treeSize: number; proof: readonly Uint8Array[] };
}

/** A stored timestamp (one row of log_timestamps). */
export interface StoredTimestamp {
  id: string | bigint;
  firstRecordId: string | bigint;
  lastRecordId: string | bigint;
  recordCount: number;
  treeRoot: Uint8Array;
  tsaName: string;
  genTime: Date;
  /** DER TimeStampToken. */
  token: Uint8Array;
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

function messageLine(m: StoredMessage): RecordMessage {
  return { header: b64(m.header), body: m.body === null ? null : b64(m.body), bodySha256: b64(m.bodySha256), bodyLength: m.bodyLength, signature: b64(m.signature) };
}

/** The records.jsonl object of a stored record (not validated here; writeEvidenceZip validates every line). */
export function toRecordLine(r: StoredRecord): RecordLine {
  const line: RecordLine = {
    id: String(r.id),
    loggedAt: r.loggedAt.toISOString(),
    side: r.side,
    messageId: r.messageId,
    xRoadId: r.xRoadId,
    client: r.client,
    service: r.service,
    peerServer: r.peerServer,
    request: messageLine(r.request),
    response: r.response ? messageLine(r.response) : null,
    prevHash: b64(r.prevHash),
    recordHash: b64(r.recordHash),
  };
  if (r.timestamp) line.timestamp = { id: String(r.timestamp.id), leafIndex: r.timestamp.leafIndex, treeSize: r.timestamp.treeSize, proof: r.timestamp.proof.map(b64) };
  return line;
}

const q = JSON.stringify;

/**
 * A line assembled from pieces without ever joining them into one string: short JSON pieces
 * (which may hold any character) and base64 text (ASCII), copied once each into one Buffer. Joining
 * first would copy every character into a flat string and then scan it again to encode it as
 * UTF-8 — in the archiver the costliest part of writing a record (docs/performance.md, 2026-12-08).
 */
class LineBytes {
  #parts: string[] = [];
  #bytes = 0;
  /** JSON text (any characters). */
  text(s: string): this {
    this.#parts.push(s);
    this.#bytes += Buffer.byteLength(s, 'utf8');
    return this;
  }
  /** The base64 of bytes, between quotes. */
  base64(bytes: Uint8Array): this {
    const s = b64(bytes);
    this.#parts.push('"', s, '"');
    this.#bytes += s.length + 2;
    return this;
  }
  message(m: StoredMessage): this {
    this.text('{"header":').base64(m.header).text(',"body":');
    if (m.body === null) this.text('null');
    else this.base64(m.body);
    return this.text(',"bodySha256":').base64(m.bodySha256).text(`,"bodyLength":${q(m.bodyLength)},"signature":`).base64(m.signature).text('}');
  }
  build(): Buffer {
    const out = Buffer.allocUnsafe(this.#bytes);
    let offset = 0;
    for (const part of this.#parts) offset += out.write(part, offset, 'utf8');
    return out;
  }
}

/**
 * The records.jsonl line of a stored record as UTF-8 bytes, without the newline: exactly
 * `JSON.stringify(toRecordLine(r))`, built without the intermediate object or string (the
 * archiver writes every record of the log this way).
 */
export function recordLineBytes(r: StoredRecord): Buffer {
  const line = new LineBytes()
    .text(
      `{"id":${q(String(r.id))},"loggedAt":${q(r.loggedAt.toISOString())},"side":${q(r.side)},"messageId":${q(r.messageId)},` +
        `"xRoadId":${q(r.xRoadId)},"client":${q(r.client)},"service":${q(r.service)},"peerServer":${q(r.peerServer)},"request":`,
    )
    .message(r.request)
    .text(',"response":');
  if (r.response) line.message(r.response);
  else line.text('null');
  line.text(',"prevHash":').base64(r.prevHash).text(',"recordHash":').base64(r.recordHash);
  const t = r.timestamp;
  if (t) {
    line.text(`,"timestamp":{"id":${q(String(t.id))},"leafIndex":${q(t.leafIndex)},"treeSize":${q(t.treeSize)},"proof":[`);
    t.proof.forEach((p, i) => (i > 0 ? line.text(',') : line).base64(p));
    line.text(']}');
  }
  return line.text('}').build();
}

/** The timestamps.json object of a stored timestamp. */
export function toTimestampEntry(t: StoredTimestamp): TimestampEntry {
  return {
    id: String(t.id),
    firstRecordId: String(t.firstRecordId),
    lastRecordId: String(t.lastRecordId),
    recordCount: t.recordCount,
    treeRoot: b64(t.treeRoot),
    tsaName: t.tsaName,
    genTime: t.genTime.toISOString(),
    token: b64(t.token),
  };
}

/** The certificates.json object of a DER certificate or OCSP response. */
export function toCertificateEntry(kind: CertificateFileEntry['kind'], der: Uint8Array): CertificateFileEntry {
  return { sha256: createHash('sha256').update(der).digest('base64'), kind, der: b64(der) };
}

const bytes = (text: string) => Buffer.from(text, 'base64');

function hashedMessage(m: RecordMessage): HashedMessage {
  return { header: bytes(m.header), bodySha256: bytes(m.bodySha256), bodyLength: m.bodyLength, signature: bytes(m.signature) };
}

/** The fields of a record line that its record hash covers (message-log.md), as bytes. */
export function hashedRecordOf(line: RecordLine): HashedRecord {
  const { side, messageId, xRoadId, client, service, peerServer } = line;
  return { side, messageId, xRoadId, client, service, peerServer, request: hashedMessage(line.request), response: line.response ? hashedMessage(line.response) : null };
}

/** A record line as the stored record it shows (bytes again; without its timestamp proof): the inverse of toRecordLine. */
export function storedRecordOfLine(line: RecordLine): StoredRecord {
  const message = (m: RecordMessage): StoredMessage => ({ ...hashedMessage(m), body: m.body === null ? null : bytes(m.body) });
  const { id, side, messageId, xRoadId, client, service, peerServer } = line;
  return {
    id,
    loggedAt: new Date(line.loggedAt),
    side,
    messageId,
    xRoadId,
    client,
    service,
    peerServer,
    request: message(line.request),
    response: line.response ? message(line.response) : null,
    prevHash: bytes(line.prevHash),
    recordHash: bytes(line.recordHash),
  };
}
