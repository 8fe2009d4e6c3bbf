// Writes an archive or evidence file (evidence.md §2–§3): a zip with manifest.json, the records
// (records.jsonl, one record per line, or records.pgcopy, PostgreSQL's binary COPY of them;
// streamed), timestamps.json and certificates.json.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { access, open, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32 as nativeCrc32, deflateRawSync } from 'node:zlib';
import yazl from 'yazl';
import { EvidenceFormatError, type FormatIssue } from './errors.ts';
import { ARCHIVE_FORMAT_PGCOPY, ENTRY, NO_PREVIOUS_ARCHIVE, archiveManifestOf, certificatesSchema, parseManifest, recordLineSchema, recordsEntryOf, timestampsSchema, validate } from './format.ts';
import type { CertificateFileEntry, Manifest, RecordLine, TimestampEntry } from './format.ts';
import { FIELD, PgCopyError, PgCopyReader, tupleId } from './pgcopy.ts';
import { storedEnvelopeHashes } from './stored-envelope.ts';

export interface EvidenceZipContent {
  /** The manifest (archive or evidence kind); its `records` must describe exactly the records given. */
  manifest: Manifest;
  /**
   * The records in id order; read once, as the zip is written: record lines (records.jsonl), or
   * for a `jplink-log-archive/2` manifest the bytes of records.pgcopy.
   */
  records: AsyncIterable<RecordLine | SerializedRecordLine> | Iterable<RecordLine | SerializedRecordLine> | PgCopyRecords;
  /** Every timestamp a record refers to (more are allowed). */
  timestamps: readonly TimestampEntry[];
  /**
   * Every certificate and OCSP response the records' stored envelopes name, and the `ca`
   * certificates for chains to the root; or a function giving them, called once after the last
   * record was read with the SHA-256 (base64) of every certificate and OCSP response the records
   * name, where the writer reads them (record objects and records.pgcopy; not serialised lines) —
   * so a caller can collect what the records name while they stream, in one pass.
   */
  certificates: readonly CertificateFileEntry[] | ((named: ReadonlySet<string>) => Promise<readonly CertificateFileEntry[]>);
  /**
   * Validate every record line against the schema (default true). A caller whose lines come from
   * `toRecordLine` over stored rows may turn it off: the id order, timestamp and certificate
   * references are still checked, the per-field schema check (the costly part) is skipped.
   */
  validateRecords?: boolean;
  /**
   * How records.jsonl is stored (the small entries are always deflated): `deflate`, `store`, or
   * `auto` (default) — deflated when the first 64 KiB of records shrink to at most half at level 1,
   * else stored. Base64 text of random or already compressed bodies shrinks only to about 75 % and
   * deflate then costs about 20 µs per KiB; JSON bodies shrink to about a tenth for a fraction of that.
   */
  compression?: RecordCompression;
}

export type RecordCompression = 'auto' | 'deflate' | 'store';

/** records.pgcopy of a `jplink-log-archive/2` archive: the binary COPY stream, as PostgreSQL writes it (pgcopy.ts). */
export interface PgCopyRecords {
  pgcopy: AsyncIterable<Buffer>;
}

function isPgCopy(records: EvidenceZipContent['records']): records is PgCopyRecords {
  return typeof (records as PgCopyRecords).pgcopy === 'object';
}

/** Bytes of records.jsonl that `auto` tries to deflate before choosing. */
const COMPRESSION_SAMPLE_BYTES = 64 * 1024;

/** Whether records.jsonl is deflated, for the first chunk of its bytes (undefined: no records). */
export function deflateRecords(mode: RecordCompression, firstChunk: Buffer | undefined): boolean {
  if (mode !== 'auto') return mode === 'deflate';
  if (!firstChunk || firstChunk.length === 0) return true;
  const sample = firstChunk.subarray(0, COMPRESSION_SAMPLE_BYTES);
  return deflateRawSync(sample, { level: 1 }).length * 2 <= sample.length;
}

/**
 * A record line already serialised (for example built by the database): written as given after
 * the checks that need only its id, prevHash and timestamp id (order, presence and membership of
 * the timestamp, the manifest's range). The caller answers for the rest of its content; the
 * verifier checks it like any other line.
 */
export interface SerializedRecordLine {
  /** The line without its newline: text, or its UTF-8 bytes (recordLineBytes). */
  serialized: string | Buffer;
  id: string;
  prevHash: string;
  timestampId?: string;
}

function isSerialized(value: RecordLine | SerializedRecordLine): value is SerializedRecordLine {
  const serialized = (value as SerializedRecordLine).serialized;
  return typeof serialized === 'string' || Buffer.isBuffer(serialized);
}

/**
 * yazl computes each entry's CRC-32 with buffer-crc32, a byte-at-a-time JavaScript loop (about 8 %
 * of archiving's CPU, docs/performance.md). Node has the same CRC-32 natively (zlib.crc32, Node ≥
 * 20.15): the buffer-crc32 instance that yazl itself loads gets it for what yazl asks (a Buffer and
 * an optional running CRC number); anything else still goes to the JavaScript version.
 * packages/evidence/test/zip-crc32.test.ts checks both give the same values.
 */
export function useNativeCrc32ForZips(): void {
  const fromYazl = createRequire(createRequire(import.meta.url).resolve('yazl'));
  const bufferCrc32 = fromYazl('buffer-crc32') as { unsigned: ((buf: unknown, previous?: unknown) => number) & { native?: true } };
  if (bufferCrc32.unsigned.native || typeof nativeCrc32 !== 'function') return;
  const javascript = bufferCrc32.unsigned;
  const unsigned = (buf: unknown, previous?: unknown): number =>
    Buffer.isBuffer(buf) && (previous === undefined || typeof previous === 'number') ? nativeCrc32(buf, previous ?? 0) : javascript(buf, previous);
  bufferCrc32.unsigned = Object.assign(unsigned, { native: true as const });
}
useNativeCrc32ForZips();

/** Lines are handed to the zip in chunks of about this many bytes (fewer, larger stream writes). */
const CHUNK_BYTES = 256 * 1024;

function invalid(issues: FormatIssue[]): never {
  throw new EvidenceFormatError(issues);
}

function checkManifest(manifest: Manifest): Manifest {
  const parsed = parseManifest(manifest);
  if ('issue' in parsed) invalid([{ entry: ENTRY.manifest, message: parsed.issue }]);
  const m = parsed.manifest;
  const archive = archiveManifestOf(m);
  if (archive && (archive.sequence === 1) !== (archive.previousArchiveSha256 === NO_PREVIOUS_ARCHIVE)) {
    invalid([{ entry: ENTRY.manifest, message: 'previousArchiveSha256 must be 64 zeros for sequence 1 and only then' }]);
  }
  return m;
}

/** What the records entry has shown of the records, for the checks against the manifest at its end. */
interface RecordTally {
  count: number;
  first?: { id: string; prevHash: string };
  last?: { id: string };
  previousId?: bigint;
}

/** One more record: ids increase; remembers the first and last. */
function tally(t: RecordTally, id: string, prevHash: () => string, where: Omit<FormatIssue, 'message'>): void {
  const numeric = BigInt(id);
  if (t.previousId !== undefined && numeric <= t.previousId) invalid([{ ...where, recordId: id, message: `records must be in increasing id order (after ${t.previousId})` }]);
  t.previousId = numeric;
  t.first ??= { id, prevHash: prevHash() };
  t.last = { id };
}

/** The count (and for an archive the first and last id and the first prevHash) agree with the manifest. */
function checkTally(t: RecordTally, manifest: Manifest): void {
  const expected = manifest.records.count;
  if (t.count !== expected) invalid([{ entry: ENTRY.manifest, message: `records.count is ${expected}, but ${t.count} records were given` }]);
  const archive = archiveManifestOf(manifest);
  if (archive && t.first && t.last) {
    const r = archive.records;
    if (r.firstId !== t.first.id || r.lastId !== t.last.id) invalid([{ entry: ENTRY.manifest, message: `records run from ${t.first.id} to ${t.last.id}, the manifest says ${r.firstId} to ${r.lastId}` }]);
    if (r.firstPrevHash !== t.first.prevHash) invalid([{ entry: ENTRY.manifest, message: 'records.firstPrevHash is not the prevHash of the first record' }]);
  }
}

/** Notes the certificate and OCSP response a stored envelope names (the first record naming each). */
function noteNamed(named: Map<string, NamedCertificate>, signature: Uint8Array, line: number, recordId: string): void {
  const hashes = storedEnvelopeHashes(signature);
  if (!hashes) return; // written as stored; the verifier reports it
  for (const [kind, sha256] of [['certificate', hashes.certificate], ['ocsp', hashes.ocsp]] as const) {
    const key = `${kind}:${sha256}`;
    if (!named.has(key)) named.set(key, { kind, sha256, line, recordId });
  }
}

/**
 * Validates each record line as it streams and checks what the manifest and the other entries
 * say about the records: the count (and for an archive the first and last id and the first
 * prevHash), ids in increasing order, a timestamp on every archived record, and that every
 * timestamp a record names is in the file. Collects the certificates the records name.
 */
async function* recordLineBytes(
  records: Exclude<EvidenceZipContent['records'], PgCopyRecords>,
  content: EvidenceZipContent,
  manifest: Manifest,
  named: Map<string, NamedCertificate>,
): AsyncGenerator<Buffer> {
  const timestampIds = new Set(content.timestamps.map((t) => t.id));
  const archive = archiveManifestOf(manifest);
  const t: RecordTally = { count: 0 };
  const validateRecords = content.validateRecords ?? true;
  const chunk = new ChunkBuilder();
  for await (const record of records) {
    t.count += 1;
    const where = { entry: ENTRY.records, line: t.count };
    let id: string;
    let prevHash: string;
    let timestampId: string | undefined;
    let text: string | Buffer;
    if (isSerialized(record)) {
      ({ id, prevHash, timestampId } = record);
      text = record.serialized;
    } else {
      let line: RecordLine = record;
      if (validateRecords) {
        const result = validate(recordLineSchema, record);
        if ('issue' in result) invalid([{ ...where, message: result.issue }]);
        line = result.ok;
      }
      for (const message of line.response ? [line.request, line.response] : [line.request]) noteNamed(named, Buffer.from(message.signature, 'base64'), t.count, line.id);
      ({ id, prevHash } = line);
      timestampId = line.timestamp?.id;
      text = JSON.stringify(line);
    }
    tally(t, id, () => prevHash, where);
    if (timestampId !== undefined && !timestampIds.has(timestampId)) invalid([{ ...where, recordId: id, message: `timestamp ${timestampId} is not in timestamps.json` }]);
    if (archive && timestampId === undefined) invalid([{ ...where, recordId: id, message: 'an archived record must have a timestamp' }]);
    for (const full of chunk.add(text, true)) yield full;
  }
  const rest = chunk.take();
  if (rest) yield rest;
  checkTally(t, manifest);
}

/**
 * Passes a binary COPY stream (records.pgcopy) through unchanged while reading its framing: twenty
 * fields per record, a header and a trailer; ids in increasing order; every record inside the
 * range of a timestamp of timestamps.json; the count, first and last id and first prevHash as the
 * manifest says. Collects the certificates the records name. The rest of each record is the
 * caller's (PostgreSQL's) to answer for; the verifier checks it.
 */
async function* pgCopyBytes(source: AsyncIterable<Buffer>, content: EvidenceZipContent, manifest: Manifest, named: Map<string, NamedCertificate>): AsyncGenerator<Buffer> {
  const ranges = content.timestamps.map((ts) => ({ first: BigInt(ts.firstRecordId), last: BigInt(ts.lastRecordId) })).sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  let range = 0;
  const reader = new PgCopyReader({ maxTupleBytes: Number.MAX_SAFE_INTEGER });
  const t: RecordTally = { count: 0 };
  const chunk = new ChunkBuilder();
  const entry = ENTRY.recordsPgCopy;
  /** A framing error as the writer's EvidenceFormatError, with the record where it was found. */
  const framing = <T>(read: () => T): T => {
    try {
      return read();
    } catch (error) {
      if (error instanceof PgCopyError) invalid([{ entry, line: error.record, message: error.message }]);
      throw error;
    }
  };
  for await (const piece of source) {
    for (const tuple of framing(() => reader.push(piece))) {
      t.count += 1;
      const where = { entry, line: t.count };
      const id = tupleId(tuple);
      if (id === undefined) invalid([{ ...where, message: 'the id field is not an int8' }]);
      tally(t, id, () => tuple[FIELD.prev_hash]?.toString('base64') ?? '', where);
      const numeric = BigInt(id);
      while (range < ranges.length && ranges[range]!.last < numeric) range += 1;
      const covering = ranges[range];
      if (!covering || covering.first > numeric) invalid([{ ...where, recordId: id, message: 'an archived record must be in the range of a timestamp of timestamps.json' }]);
      for (const signature of [tuple[FIELD.request_signature], tuple[FIELD.response_signature]]) if (signature) noteNamed(named, signature, t.count, id);
    }
    for (const full of chunk.add(piece, false)) yield full;
  }
  framing(() => reader.end());
  const rest = chunk.take();
  if (rest) yield rest;
  checkTally(t, manifest);
}

/** A certificate or OCSP response a record names, and where first (checked once certificates.json is known). */
interface NamedCertificate {
  kind: 'certificate' | 'ocsp';
  sha256: string;
  line: number;
  recordId: string;
}

function checkNamed(named: ReadonlyMap<string, NamedCertificate>, certificates: readonly CertificateFileEntry[], entry: string): void {
  const present = new Set(certificates.map((c) => `${c.kind}:${c.sha256}`));
  for (const n of named.values()) {
    if (!present.has(`${n.kind}:${n.sha256}`)) {
      invalid([{ entry, line: n.line, recordId: n.recordId, message: `the ${n.kind === 'ocsp' ? 'OCSP response' : 'signer certificate'} ${n.sha256} is not in certificates.json` }]);
    }
  }
}

/** Bytes gathered into pieces of about CHUNK_BYTES (fewer, larger stream writes), each byte copied once. */
class ChunkBuilder {
  #buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  #used = 0;
  /** Appends `data` (and a newline when `line`); returns the pieces that filled up. */
  add(data: string | Buffer, line: boolean): Buffer[] {
    const full: Buffer[] = [];
    const length = (typeof data === 'string' ? Buffer.byteLength(data, 'utf8') : data.length) + (line ? 1 : 0);
    if (typeof data === 'string' || line) {
      // A line is kept whole in one piece.
      if (this.#used + length > this.#buffer.length) {
        const taken = this.take();
        if (taken) full.push(taken);
      }
      if (length > this.#buffer.length) this.#buffer = Buffer.allocUnsafe(length);
      this.#used += typeof data === 'string' ? this.#buffer.write(data, this.#used, 'utf8') : data.copy(this.#buffer, this.#used);
      if (line) this.#buffer[this.#used++] = 0x0a;
      return full;
    }
    for (let at = 0; at < data.length; ) {
      const copied = data.copy(this.#buffer, this.#used, at);
      this.#used += copied;
      at += copied;
      if (this.#used === this.#buffer.length) full.push(this.take()!);
    }
    return full;
  }
  /** What has been gathered (undefined when nothing); what comes next goes to a new piece. */
  take(): Buffer | undefined {
    if (this.#used === 0) return undefined;
    const out = this.#buffer.subarray(0, this.#used);
    this.#buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    this.#used = 0;
    return out;
  }
}

/** Adds a Readable to the zip and returns a promise that rejects when it fails (yazl does not pass read errors on). */
function addStream(zip: yazl.ZipFile, stream: Readable, name: string, mtime: Date, compress: boolean): Promise<never> {
  // Level 1: most of deflate's gain on JSON at a fraction of the default level's CPU (archives are written continuously).
  zip.addReadStream(stream, name, compress ? { mtime, compressionLevel: 1 } : { mtime, compress: false });
  return new Promise((_, reject) => stream.once('error', reject));
}

async function* prepend(head: IteratorResult<Buffer>, rest: AsyncGenerator<Buffer>): AsyncGenerator<Buffer> {
  if (head.done) return;
  yield head.value;
  yield* rest;
}

/**
 * Writes an archive or evidence zip to `outPath`: under a temporary name in the same folder,
 * flushed to disk (fsync), then renamed, and the folder flushed — so `outPath` either does not
 * exist or is complete. Validates everything it writes (manifest, every record line, timestamps,
 * certificates) and the references between them; throws EvidenceFormatError naming the entry,
 * line and record of the first problem, and leaves nothing behind. Refuses to replace an existing
 * file. Entries are deflated and dated `manifest.createdAt`.
 *
 * @returns the SHA-256 of the written file, lower-case hex (the next archive's `previousArchiveSha256`).
 */
export async function writeEvidenceZip(outPath: string, content: EvidenceZipContent): Promise<string> {
  const manifest = checkManifest(content.manifest);
  const timestamps = validate(timestampsSchema, content.timestamps);
  if ('issue' in timestamps) invalid([{ entry: ENTRY.timestamps, message: timestamps.issue }]);
  const given = typeof content.certificates === 'function' ? undefined : validCertificates(content.certificates);
  await refuseExisting(outPath);

  const temp = join(dirname(outPath), `.${basename(outPath)}.${randomBytes(6).toString('hex')}.tmp`);
  const mtime = new Date(manifest.createdAt);
  const zip = new yazl.ZipFile();
  const hash = createHash('sha256');
  // Hashes the file and hands it to the file in pieces of at least CHUNK_BYTES: deflate emits
  // 16 KiB pieces, and each write to the file is a round trip through libuv's thread pool.
  let held: Buffer[] = [];
  let heldBytes = 0;
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      held.push(chunk);
      heldBytes += chunk.length;
      if (heldBytes < CHUNK_BYTES) return done();
      const out = held.length === 1 ? held[0]! : Buffer.concat(held, heldBytes);
      held = [];
      heldBytes = 0;
      done(null, out);
    },
    flush(done) {
      done(null, heldBytes === 0 ? undefined : held.length === 1 ? held[0] : Buffer.concat(held, heldBytes));
    },
  });
  const named = new Map<string, NamedCertificate>();
  const recordsEntry = recordsEntryOf(manifest.format);
  const source = content.records;
  if (isPgCopy(source) !== (manifest.format === ARCHIVE_FORMAT_PGCOPY)) {
    invalid([{ entry: ENTRY.manifest, message: `a ${manifest.format} file takes its records as ${recordsEntry}` }]);
  }
  const chunks = isPgCopy(source) ? pgCopyBytes(source.pgcopy, content, manifest, named) : recordLineBytes(source, content, manifest, named);
  const lazy = content.certificates;
  async function* certificateBytes(): AsyncGenerator<Buffer> {
    const list = given ?? validCertificates(await (lazy as (named: ReadonlySet<string>) => Promise<readonly CertificateFileEntry[]>)(new Set([...named.values()].map((n) => n.sha256))));
    checkNamed(named, list, recordsEntry);
    yield Buffer.from(JSON.stringify(list), 'utf8');
  }
  let records: Readable | undefined;
  let certificatesStream: Readable | undefined;
  const zipFailed = new Promise<never>((_, reject) => zip.once('error', reject));
  zipFailed.catch(() => undefined); // raced below once the records are added; a failure before that is thrown from there
  let written: Promise<void> | undefined;
  try {
    zip.addBuffer(Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8'), ENTRY.manifest, { mtime });
    const head = await chunks.next();
    // One chunk read ahead (Readable.from would otherwise buffer 16, 4 MiB).
    records = Readable.from(prepend(head, chunks), { highWaterMark: 1 });
    const recordsFailed = addStream(zip, records, recordsEntry, mtime, deflateRecords(content.compression ?? 'auto', head.done ? undefined : head.value));
    zip.addBuffer(Buffer.from(JSON.stringify(timestamps.ok), 'utf8'), ENTRY.timestamps, { mtime });
    // Read by the zip only after the records (entries are written in order).
    certificatesStream = Readable.from(certificateBytes());
    const certificatesFailed = addStream(zip, certificatesStream, ENTRY.certificates, mtime, true);
    zip.end();
    written = pipeline(zip.outputStream, hashing, createWriteStream(temp, { flags: 'wx' }));
    await Promise.race([written, recordsFailed, certificatesFailed, zipFailed]);
    const handle = await open(temp, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await refuseExisting(outPath);
    await rename(temp, outPath);
  } catch (error) {
    if (records) records.destroy();
    else await chunks.return(undefined).catch(() => undefined);
    certificatesStream?.destroy();
    hashing.destroy();
    await written?.catch(() => undefined); // the file is closed (or was never opened) before it is removed
    await rm(temp, { force: true });
    throw error;
  }
  await syncFolder(dirname(outPath));
  return hash.digest('hex');
}

function validCertificates(certificates: readonly CertificateFileEntry[]): CertificateFileEntry[] {
  const result = validate(certificatesSchema, certificates);
  if ('issue' in result) invalid([{ entry: ENTRY.certificates, message: result.issue }]);
  return result.ok;
}

async function refuseExisting(path: string): Promise<void> {
  try {
    await access(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  throw new Error(`${path} already exists; an archive or evidence file is never replaced`);
}

/** fsync of a folder, so a rename in it survives a crash (not supported everywhere; then skipped). */
async function syncFolder(path: string): Promise<void> {
  let handle;
  try {
    handle = await open(path, 'r');
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM' && code !== 'EBADF') throw error;
  } finally {
    await handle?.close();
  }
}
