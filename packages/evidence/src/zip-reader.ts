// Reads an archive or evidence file (evidence.md §2–§3): checks the zip's structure (exactly the
// four entries, stored or deflated, sizes within limits), parses and validates manifest.json,
// timestamps.json and certificates.json, and streams records.jsonl line by line.
import type { Readable } from 'node:stream';
import yauzl from 'yauzl';
import { EvidenceFormatError, type FormatIssue } from './errors.ts';
import { DEFAULT_LIMITS, ENTRY, ENTRY_NAMES, certificatesSchema, parseManifest, recordLineSchema, timestampsSchema, validate } from './format.ts';
import type { CertificateFileEntry, EntryName, EvidenceLimits, Manifest, RecordLine, TimestampEntry } from './format.ts';

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
  const result = validate(recordLineSchema, json);
  if ('ok' in result) return { line, record: result.ok };
  const recordId = recordIdOf(json);
  return { line, issue: { ...where, ...(recordId ? { recordId } : {}), message: result.issue } };
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
    for (const name of ENTRY_NAMES) if (!entries.has(name) && !issues.some((i) => i.entry === name)) issues.push({ entry: name, message: 'the entry is missing' });

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
    const recordsEntry = entries.get(ENTRY.records);
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
        let stream: Readable;
        try {
          stream = await opened.openReadStreamPromise(recordsEntry);
        } catch (cause) {
          throw new EvidenceFormatError([{ entry: ENTRY.records, message: `cannot be read: ${(cause as Error).message}` }], { cause });
        }
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
