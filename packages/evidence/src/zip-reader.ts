// Reads an archive or evidence file (evidence.md §2–§3): checks the zip's structure (exactly the
// four entries, stored or deflated, sizes within limits), parses and validates manifest.json,
// timestamps.json and certificates.json, and streams the records: records.jsonl line by line, or
// records.pgcopy record by record, each with the timestamp proof the reader derives from the
// records of the timestamp's range (§2.3).
import type { Readable } from 'node:stream';
import { buildHashTree } from '@jplink/exchange';
import yauzl from 'yauzl';
import { EvidenceFormatError, type FormatIssue } from './errors.ts';
import { ARCHIVE_FORMAT_PGCOPY, DEFAULT_LIMITS, ENTRY, ENTRY_NAMES, certificatesSchema, parseManifest, recordLineSchema, recordsEntryOf, timestampsSchema, validate } from './format.ts';
import type { CertificateFileEntry, EntryName, EvidenceLimits, Manifest, RecordLine, TimestampEntry } from './format.ts';
import { FIELD, PgCopyError, PgCopyReader, recordLineOfTuple, tupleId } from './pgcopy.ts';

/** One line of records.jsonl: the validated record, or what is wrong with the line (reading goes on). */
export type RecordLineResult = { line: number; record: RecordLine } | { line: number; issue: FormatIssue };

export interface OpenedEvidenceZip {
  manifest: Manifest;
  timestamps: TimestampEntry[];
  certificates: CertificateFileEntry[];
  /**
   * The lines of records.jsonl in file order (once). A line that is not a valid record comes as an
   * issue and reading goes on; a damaged entry (bad deflate data, CRC or size) throws EvidenceFormatError.
   */
  records(): AsyncGenerator<RecordLineResult>;
  /** Closes the file (also done when records() has been read to the end). */
  close(): void;
}

export interface OpenEvidenceZipOptions {
  limits?: Partial<EvidenceLimits>;
}

const MAX_ENTRIES = 16;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function limitOf(limits: EvidenceLimits, name: EntryName): number {
  switch (name) {
    case ENTRY.manifest:
      return limits.manifestBytes;
    case ENTRY.timestamps:
      return limits.timestampsBytes;
    case ENTRY.certificates:
      return limits.certificatesBytes;
    case ENTRY.records:
    case ENTRY.recordsPgCopy:
      return limits.recordsBytes;
  }
}

function checkLimits(limits: EvidenceLimits): void {
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`limits.${name} must be a positive integer (bytes)`);
  }
}

async function readWhole(zip: yauzl.ZipFile, entry: yauzl.Entry, limit: number): Promise<Buffer> {
  const stream = await zip.openReadStreamPromise(entry);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      stream.destroy();
      throw new Error(`more than ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

function parseJson(bytes: Buffer): unknown {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new Error('not UTF-8');
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`not JSON (${(error as Error).message})`);
  }
}

/** The lines of a stream, each at most `maxBytes` (a longer one is reported and skipped), without the newline. */
async function* lines(stream: Readable, maxBytes: number): AsyncGenerator<{ bytes: Buffer } | { tooLong: true }> {
  let parts: Buffer[] = [];
  let size = 0;
  let skipping = false;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let start = 0;
    for (let nl = chunk.indexOf(0x0a, start); ; nl = chunk.indexOf(0x0a, start)) {
      const end = nl === -1 ? chunk.length : nl;
      if (!skipping) {
        size += end - start;
        if (size > maxBytes) {
          skipping = true;
          parts = [];
        } else {
          parts.push(chunk.subarray(start, end));
        }
      }
      if (nl === -1) break;
      yield skipping ? { tooLong: true } : { bytes: Buffer.concat(parts, size) };
      parts = [];
      size = 0;
      skipping = false;
      start = nl + 1;
    }
  }
  if (skipping) yield { tooLong: true };
  else if (size > 0) yield { bytes: Buffer.concat(parts, size) };
}

function recordIdOf(value: unknown): string | undefined {
  const id = (value as { id?: unknown } | null)?.id;
  return typeof id === 'string' && /^[0-9]{1,20}$/.test(id) ? id : undefined;
}

function parseRecordLine(bytes: Buffer, line: number): RecordLineResult {
  const where = { entry: ENTRY.records, line };
  let json: unknown;
  try {
    json = parseJson(bytes);
  } catch (error) {
    return { line, issue: { ...where, message: `the line is ${(error as Error).message}` } };
  }
  return validRecord(json, line, where);
}

function validRecord(json: unknown, line: number, where: { entry: string; line: number }): RecordLineResult {
  const result = validate(recordLineSchema, json);
  if ('ok' in result) return { line, record: result.ok };
  const recordId = recordIdOf(json);
  return { line, issue: { ...where, ...(recordId ? { recordId } : {}), message: result.issue } };
}

/** Record hashes (32 bytes each) gathered into one growing buffer. */
class HashList {
  #bytes = Buffer.allocUnsafe(32 * 64);
  count = 0;
  push(hash: Buffer): void {
    if ((this.count + 1) * 32 > this.#bytes.length) {
      const bigger = Buffer.allocUnsafe(this.#bytes.length * 2);
      this.#bytes.copy(bigger);
      this.#bytes = bigger;
    }
    hash.copy(this.#bytes, this.count * 32);
    this.count += 1;
  }
  leaves(): Buffer[] {
    return Array.from({ length: this.count }, (_, i) => this.#bytes.subarray(i * 32, i * 32 + 32));
  }
}

/** Reads records.pgcopy, yielding each tuple that has been read; a damaged stream throws EvidenceFormatError after the tuples before the damage. */
async function* tuples(stream: Readable, limits: EvidenceLimits) {
  const reader = new PgCopyReader({ maxTupleBytes: limits.recordLineBytes });
  let count = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      for (const tuple of reader.push(chunk)) {
        count += 1;
        yield tuple;
      }
    }
    reader.end();
  } catch (cause) {
    if (cause instanceof EvidenceFormatError) throw cause;
    const message = cause instanceof PgCopyError ? cause.message : `cannot be read: ${(cause as Error).message}`;
    throw new EvidenceFormatError([{ entry: ENTRY.recordsPgCopy, line: cause instanceof PgCopyError ? cause.record : count + 1, message }], { cause });
  } finally {
    stream.destroy();
  }
}

/**
 * The records of records.pgcopy, in two passes. The first reads each record's id and record hash
 * and gathers, for each timestamp of timestamps.json, the hashes of the records in its range in
 * file order; the second yields each record as a record line with the proof of its hash in the
 * tree of those hashes — so a record missing from, added to or changed in a timestamp's range
 * gives proofs that do not lead to the timestamp's tree root, as the verifier reports.
 */
async function* pgCopyRecords(open: () => Promise<Readable>, timestamps: readonly TimestampEntry[], limits: EvidenceLimits): AsyncGenerator<RecordLineResult> {
  const ranges = timestamps.map((t) => ({ id: t.id, first: BigInt(t.firstRecordId), last: BigInt(t.lastRecordId), hashes: new HashList() }));
  // Records come in id order: the range of the record before is tried first.
  let recent: (typeof ranges)[number] | undefined;
  const rangeOf = (id: bigint) => {
    if (!recent || id < recent.first || id > recent.last) recent = ranges.find((r) => r.first <= id && id <= r.last);
    return recent;
  };
  // Pass 1. A damaged stream is reported by pass 2, at the same record.
  try {
    for await (const tuple of tuples(await open(), limits)) {
      const id = tupleId(tuple);
      const hash = tuple[FIELD.record_hash];
      if (id === undefined || !hash || hash.length !== 32) continue;
      rangeOf(BigInt(id))?.hashes.push(hash);
    }
  } catch (error) {
    if (!(error instanceof EvidenceFormatError)) throw error;
  }
  // Pass 2, one timestamp's tree at a time (records come in id order).
  let tree: { range: (typeof ranges)[number]; proofs: string[][]; next: number } | undefined;
  let line = 0;
  for await (const tuple of tuples(await open(), limits)) {
    line += 1;
    const where = { entry: ENTRY.recordsPgCopy, line };
    let record: RecordLine;
    try {
      record = recordLineOfTuple(tuple);
    } catch (error) {
      const recordId = tupleId(tuple);
      yield { line, issue: { ...where, ...(recordId ? { recordId } : {}), message: (error as Error).message } };
      continue;
    }
    const range = tuple[FIELD.record_hash]?.length === 32 ? rangeOf(BigInt(record.id)) : undefined;
    if (range && range.hashes.count > 0) {
      if (tree?.range !== range) {
        tree = { range, proofs: buildHashTree(range.hashes.leaves()).proofs.map((p) => p.map((h) => h.toString('base64'))), next: 0 };
      }
      const leafIndex = tree.next++;
      const proof = tree.proofs[leafIndex];
      if (proof) record.timestamp = { id: range.id, leafIndex, treeSize: range.hashes.count, proof };
    }
    yield validRecord(record, line, where);
  }
}

/**
 * Opens an archive or evidence file and reads its manifest, timestamps and certificates.
 * Throws EvidenceFormatError with every issue found when the file is not a zip of exactly the four
 * entries, an entry is larger than its limit (DEFAULT_LIMITS, or `options.limits`), or one of the
 * three JSON entries does not parse or validate.
 */
export async function openEvidenceZip(path: string, options: OpenEvidenceZipOptions = {}): Promise<OpenedEvidenceZip> {
  const limits: EvidenceLimits = { ...DEFAULT_LIMITS, ...options.limits };
  checkLimits(limits);
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(path, { lazyEntries: true, autoClose: false, strictFileNames: true, validateEntrySizes: true });
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const message = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder, not a zip file' : `not a readable zip file: ${(cause as Error).message}`;
    throw new EvidenceFormatError([{ message }], { cause });
  }
  try {
    if (zip.entryCount > MAX_ENTRIES) throw new EvidenceFormatError([{ message: `the zip has ${zip.entryCount} entries; an evidence file has exactly ${ENTRY_NAMES.length}` }]);
    const entries = new Map<EntryName, yauzl.Entry>();
    // Which records entry a file has depends on its manifest's format; both names are read here
    // and checked against the format below.
    const issues: FormatIssue[] = [];
    for await (const entry of zip.eachEntry()) {
      const name = entry.fileName as EntryName;
      if (!ENTRY_NAMES.includes(name)) issues.push({ entry: entry.fileName, message: `unexpected entry (allowed: ${ENTRY_NAMES.join(', ')})` });
      else if (entries.has(name)) issues.push({ entry: name, message: 'the entry occurs twice' });
      else if (entry.isEncrypted()) issues.push({ entry: name, message: 'the entry is encrypted' });
      else if (!entry.canDecodeFileData()) issues.push({ entry: name, message: `unsupported compression method ${entry.compressionMethod} (stored or deflated only)` });
      else if (entry.uncompressedSize > limitOf(limits, name)) {
        issues.push({ entry: name, message: `the entry is ${entry.uncompressedSize} bytes uncompressed, more than the limit of ${limitOf(limits, name)}` });
      } else entries.set(name, entry);
    }
    const seen = (name: EntryName) => entries.has(name) || issues.some((i) => i.entry === name);
    // Without a records entry of either name, the format decides nothing yet: say which it may be.
    const noRecords = !seen(ENTRY.records) && !seen(ENTRY.recordsPgCopy);
    for (const name of [ENTRY.manifest, ENTRY.records, ENTRY.timestamps, ENTRY.certificates]) {
      if (name === ENTRY.records) {
        if (noRecords) issues.push({ entry: name, message: `the entry is missing (${ENTRY.recordsPgCopy} in a ${ARCHIVE_FORMAT_PGCOPY} archive)` });
      } else if (!seen(name)) issues.push({ entry: name, message: 'the entry is missing' });
    }
    const checkRecordsEntry = (format: string) => {
      const wanted = recordsEntryOf(format);
      const other = wanted === ENTRY.records ? ENTRY.recordsPgCopy : ENTRY.records;
      if (entries.has(other)) issues.push({ entry: other, message: `unexpected entry in a ${format} file (its records are ${wanted})` });
      if (!noRecords && !seen(wanted)) issues.push({ entry: wanted, message: 'the entry is missing' });
      return entries.get(wanted);
    };

    const json = async <T>(name: EntryName, parse: (value: unknown) => { ok: T } | { issue: string }): Promise<T | undefined> => {
      const entry = entries.get(name);
      if (!entry) return undefined;
      let value: unknown;
      try {
        value = parseJson(await readWhole(zip, entry, limitOf(limits, name)));
      } catch (error) {
        issues.push({ entry: name, message: `cannot be read: ${(error as Error).message}` });
        return undefined;
      }
      const result = parse(value);
      if ('issue' in result) {
        issues.push({ entry: name, message: result.issue });
        return undefined;
      }
      return result.ok;
    };
    const manifest = await json(ENTRY.manifest, (v) => {
      const r = parseManifest(v);
      return 'issue' in r ? r : { ok: r.manifest };
    });
    const timestamps = await json(ENTRY.timestamps, (v) => validate(timestampsSchema, v));
    const certificates = await json(ENTRY.certificates, (v) => validate(certificatesSchema, v));
    const recordsEntry = manifest ? checkRecordsEntry(manifest.format) : undefined;
    if (issues.length > 0 || !manifest || !timestamps || !certificates || !recordsEntry) throw new EvidenceFormatError(issues);

    const opened = zip;
    const close = () => {
      if (opened.isOpen) opened.close();
    };
    let started = false;
    return {
      manifest,
      timestamps,
      certificates,
      async *records() {
        if (started) throw new Error('records() can be read only once');
        started = true;
        const open = async (): Promise<Readable> => {
          try {
            return await opened.openReadStreamPromise(recordsEntry);
          } catch (cause) {
            throw new EvidenceFormatError([{ entry: recordsEntry.fileName, message: `cannot be read: ${(cause as Error).message}` }], { cause });
          }
        };
        if (recordsEntry.fileName === ENTRY.recordsPgCopy) {
          try {
            yield* pgCopyRecords(open, timestamps, limits);
          } finally {
            close();
          }
          return;
        }
        const stream = await open();
        let line = 0;
        try {
          for await (const item of lines(stream, limits.recordLineBytes)) {
            line += 1;
            if ('tooLong' in item) {
              yield { line, issue: { entry: ENTRY.records, line, message: `the line is longer than the limit of ${limits.recordLineBytes} bytes` } };
            } else if (item.bytes.length === 0) {
              yield { line, issue: { entry: ENTRY.records, line, message: 'empty line' } };
            } else {
              yield parseRecordLine(item.bytes, line);
            }
          }
        } catch (cause) {
          if (cause instanceof EvidenceFormatError) throw cause;
          throw new EvidenceFormatError([{ entry: ENTRY.records, line: line + 1, message: `cannot be read: ${(cause as Error).message}` }], { cause });
        } finally {
          stream.destroy();
          close();
        }
      },
      close,
    };
  } catch (error) {
    if (zip.isOpen) zip.close();
    if (error instanceof EvidenceFormatError) throw error;
    throw new EvidenceFormatError([{ message: `not a readable zip file: ${(error as Error).message}` }], { cause: error });
  }
}
