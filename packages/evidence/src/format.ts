// The files of docs/protocols/evidence.md §2–§3: zod schemas of the four zip entries of an archive
// or evidence file (manifest.json, records.jsonl, timestamps.json, certificates.json), the names
// and size limits, and the bytes a log timestamp stamps (§1).
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { memberIdText, securityServerIdText, serviceIdText, subsystemIdText } from '@jplink/contracts';
import { MAX_FRAME_BYTES, MAX_TREE_SIZE, base64Bytes, base64Sha256, isoMillis } from '@jplink/exchange';

/** An archive whose records are JSON lines, each with its timestamp proof (§2.2): grouped archives. */
export const ARCHIVE_FORMAT = 'jplink-log-archive/1';
/** An archive whose records are PostgreSQL binary COPY tuples, without proofs (§2.3): ungrouped archives. */
export const ARCHIVE_FORMAT_PGCOPY = 'jplink-log-archive/2';
export const EVIDENCE_FORMAT = 'jplink-evidence/1';
export const ARCHIVE_FORMATS = [ARCHIVE_FORMAT, ARCHIVE_FORMAT_PGCOPY] as const;

/** The zip entries of an archive or evidence file; a file holds the manifest, timestamps, certificates and one records entry (recordsEntryOf its format), no others. */
export const ENTRY = {
  manifest: 'manifest.json',
  records: 'records.jsonl',
  recordsPgCopy: 'records.pgcopy',
  timestamps: 'timestamps.json',
  certificates: 'certificates.json',
} as const;
export type EntryName = (typeof ENTRY)[keyof typeof ENTRY];
export const ENTRY_NAMES: readonly EntryName[] = Object.values(ENTRY);

/** The records entry of a file of this format. */
export function recordsEntryOf(format: string): typeof ENTRY.records | typeof ENTRY.recordsPgCopy {
  return format === ARCHIVE_FORMAT_PGCOPY ? ENTRY.recordsPgCopy : ENTRY.records;
}

/** `stamped = TIMESTAMP_DATA_PREFIX ‖ treeRoot`; a log timestamp's imprint is SHA-256(stamped) (§1). */
export const TIMESTAMP_DATA_PREFIX = 'jplink-log-timestamp/1\n';
/** Most records one log timestamp covers (§1). */
export const MAX_RECORDS_PER_TIMESTAMP = 10_000;
/** Clock tolerance between a record's loggedAt and its timestamp's genTime (§4 step 5). */
export const TIMESTAMP_CLOCK_TOLERANCE_MS = 5 * 60 * 1000;
/** previousArchiveSha256 of the first archive of a chain. */
export const NO_PREVIOUS_ARCHIVE = '0'.repeat(64);

/** The bytes a log timestamp covers: "jplink-log-timestamp/1\n" ‖ root (55 bytes). */
export function timestampedData(treeRoot: Uint8Array): Buffer {
  if (!(treeRoot instanceof Uint8Array) || treeRoot.length !== 32) throw new TypeError('a timestamp tree root must be 32 bytes');
  return Buffer.concat([Buffer.from(TIMESTAMP_DATA_PREFIX, 'utf8'), treeRoot]);
}

/** The TimeStampReq messageImprint (SHA-256) of a log timestamp over `treeRoot`. */
export function timestampImprint(treeRoot: Uint8Array): Buffer {
  return createHash('sha256').update(timestampedData(treeRoot)).digest();
}

/** `jplink-log-<server>-<group>-<sequence>.zip` (§2), identifiers with `/` replaced by `_`. */
export function archiveFileName(securityServer: string, group: string, sequence: number): string {
  if (!Number.isInteger(sequence) || sequence < 1 || sequence > MAX_ARCHIVE_SEQUENCE) throw new RangeError(`archive sequence must be 1..${MAX_ARCHIVE_SEQUENCE}`);
  const part = (id: string) => id.replaceAll('/', '_');
  return `jplink-log-${part(securityServer)}-${part(group)}-${String(sequence).padStart(8, '0')}.zip`;
}

/** Size limits a reader applies (uncompressed bytes). The defaults suit every file a Security Server writes with bodies up to 64 MiB. */
export interface EvidenceLimits {
  manifestBytes: number;
  timestampsBytes: number;
  certificatesBytes: number;
  /** One line of records.jsonl (a record with both bodies, base64). */
  recordLineBytes: number;
  /** All of records.jsonl. */
  recordsBytes: number;
}

export const DEFAULT_LIMITS: Readonly<EvidenceLimits> = Object.freeze({
  manifestBytes: 64 * 1024,
  timestampsBytes: 64 * 1024 * 1024,
  certificatesBytes: 64 * 1024 * 1024,
  recordLineBytes: 256 * 1024 * 1024,
  recordsBytes: 64 * 1024 * 1024 * 1024,
});

const MAX_ARCHIVE_SEQUENCE = 99_999_999;
/** Largest stored signature envelope (a compact JSON object; the wire envelope's DER members are replaced by hashes). */
const MAX_STORED_ENVELOPE_BYTES = 16_384;
/** Largest DER certificate, OCSP response or timestamp token. */
const MAX_DER_BYTES = 65_536;

// zod runs an object's refinements even when a field failed: they must not assume valid fields.
/** The value of decimal text or an integer, or undefined for anything else. */
function integerOf(value: unknown): bigint | undefined {
  if (typeof value === 'string' && /^[0-9]{1,20}$/.test(value)) return BigInt(value);
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  return undefined;
}

/** `a <= b`, or true when either is not an integer (its own check reports that). */
function notAfter(a: unknown, b: unknown): boolean {
  const [x, y] = [integerOf(a), integerOf(b)];
  return x === undefined || y === undefined || x <= y;
}

/** A record or timestamp id: a positive bigint as decimal text. */
const decimalId = z
  .string()
  .regex(/^[1-9][0-9]{0,18}$/, 'must be a positive integer as decimal text')
  .refine((text) => notAfter(text, 0x7fff_ffff_ffff_ffffn), 'must fit a bigint');

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits (a SHA-256)');
const count = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

export const archiveManifestSchema = z
  .strictObject({
    format: z.enum(ARCHIVE_FORMATS),
    securityServer: securityServerIdText,
    /** `all`, or the local member or subsystem of a grouped chain. */
    group: z.union([z.literal('all'), memberIdText, subsystemIdText]),
    sequence: z.number().int().min(1).max(MAX_ARCHIVE_SEQUENCE),
    previousArchiveSha256: sha256Hex,
    createdAt: isoMillis,
    records: z.strictObject({ count, firstId: decimalId, lastId: decimalId, firstPrevHash: base64Sha256('firstPrevHash') }),
    chainComplete: z.boolean(),
  })
  .refine((m) => notAfter(m.records?.firstId, m.records?.lastId), { message: 'firstId must not be greater than lastId', path: ['records', 'lastId'] })
  .refine((m) => m.format !== ARCHIVE_FORMAT_PGCOPY || m.chainComplete === true, { message: `a ${ARCHIVE_FORMAT_PGCOPY} archive holds every record of its range (chainComplete true)`, path: ['chainComplete'] });

export const evidenceManifestSchema = z.strictObject({
  format: z.literal(EVIDENCE_FORMAT),
  securityServer: securityServerIdText,
  createdAt: isoMillis,
  query: z.union([z.strictObject({ messageId: z.string().min(1).max(256) }), z.strictObject({ xRoadId: z.string().min(1).max(256) })]),
  records: z.strictObject({ count }),
});

export type ArchiveManifest = z.infer<typeof archiveManifestSchema>;
export type EvidenceManifest = z.infer<typeof evidenceManifestSchema>;
export type Manifest = ArchiveManifest | EvidenceManifest;

/** The manifest of an archive (either format), or undefined for an evidence file. */
export function archiveManifestOf(manifest: Manifest): ArchiveManifest | undefined {
  return manifest.format === EVIDENCE_FORMAT ? undefined : manifest;
}

/** A manifest of either kind (chosen by its `format`), or the issues that make it invalid. */
export function parseManifest(value: unknown): { manifest: Manifest } | { issue: string } {
  const format = (value as { format?: unknown } | null)?.format;
  const schema = (ARCHIVE_FORMATS as readonly unknown[]).includes(format) ? archiveManifestSchema : format === EVIDENCE_FORMAT ? evidenceManifestSchema : undefined;
  if (!schema) return { issue: `format: must be "${ARCHIVE_FORMAT}", "${ARCHIVE_FORMAT_PGCOPY}" or "${EVIDENCE_FORMAT}"` };
  const result = schema.safeParse(value);
  return result.success ? { manifest: result.data } : { issue: describeIssues(result.error) };
}

export const recordMessageSchema = z.strictObject({
  /** The HEADER frame payload exactly as signed. */
  header: base64Bytes('header', 1, MAX_FRAME_BYTES),
  /** null when body logging was off. */
  body: base64Bytes('body', 0, Number.MAX_SAFE_INTEGER).nullable(),
  bodySha256: base64Sha256('bodySha256'),
  bodyLength: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  /** The stored signature envelope bytes (message-log.md). */
  signature: base64Bytes('signature', 1, MAX_STORED_ENVELOPE_BYTES),
});

export const timestampProofSchema = z
  .strictObject({
    id: decimalId,
    leafIndex: z.number().int().min(0).max(MAX_TREE_SIZE - 1),
    treeSize: z.number().int().min(1).max(MAX_TREE_SIZE),
    proof: z.array(base64Sha256('proof element')).max(31),
  })
  .refine((t) => t.leafIndex < t.treeSize, { message: 'leafIndex must be less than treeSize', path: ['leafIndex'] });

export const recordLineSchema = z.strictObject({
  id: decimalId,
  loggedAt: isoMillis,
  side: z.enum(['client', 'server']),
  messageId: z.string().regex(/^[\x21-\x7e]{1,256}$/, 'must be 1..256 visible ASCII characters'),
  xRoadId: z.string().regex(/^[\x21-\x7e]{1,256}$/, 'must be 1..256 visible ASCII characters'),
  client: subsystemIdText,
  service: serviceIdText,
  peerServer: securityServerIdText,
  request: recordMessageSchema,
  response: recordMessageSchema.nullable(),
  prevHash: base64Sha256('prevHash'),
  recordHash: base64Sha256('recordHash'),
  /** Absent for a record not yet timestamped (evidence files only). */
  timestamp: timestampProofSchema.optional(),
});

export const timestampEntrySchema = z
  .strictObject({
    id: decimalId,
    firstRecordId: decimalId,
    lastRecordId: decimalId,
    recordCount: z.number().int().min(1).max(MAX_TREE_SIZE),
    treeRoot: base64Sha256('treeRoot'),
    tsaName: z.string().min(1).max(1024),
    genTime: isoMillis,
    /** DER TimeStampToken (CMS ContentInfo). */
    token: base64Bytes('token', 1, MAX_DER_BYTES),
  })
  .refine((t) => notAfter(t.firstRecordId, t.lastRecordId), { message: 'firstRecordId must not be greater than lastRecordId', path: ['lastRecordId'] })
  .refine(
    (t) => {
      const [count, first, last] = [integerOf(t.recordCount), integerOf(t.firstRecordId), integerOf(t.lastRecordId)];
      return count === undefined || first === undefined || last === undefined || count <= last - first + 1n;
    },
    { message: 'recordCount is more than the ids between firstRecordId and lastRecordId', path: ['recordCount'] },
  );

export const timestampsSchema = z
  .array(timestampEntrySchema)
  .refine((list) => !Array.isArray(list) || new Set(list.map((t) => t?.id)).size === list.length, 'timestamp ids must be unique');

export const certificateEntrySchema = z
  .strictObject({
    sha256: base64Sha256('sha256'),
    /** `certificate`: a signer certificate; `ocsp`: an OCSP response; `ca`: any certificate for building chains (intermediate CA, OCSP responder, TSA). */
    kind: z.enum(['certificate', 'ocsp', 'ca']),
    der: base64Bytes('der', 1, MAX_DER_BYTES),
  })
  .refine((c) => typeof c.der !== 'string' || createHash('sha256').update(Buffer.from(c.der, 'base64')).digest('base64') === c.sha256, {
    message: 'sha256 is not the SHA-256 of der',
    path: ['sha256'],
  });

export const certificatesSchema = z.array(certificateEntrySchema);

export type RecordMessage = z.infer<typeof recordMessageSchema>;
export type TimestampProof = z.infer<typeof timestampProofSchema>;
export type RecordLine = z.infer<typeof recordLineSchema>;
export type TimestampEntry = z.infer<typeof timestampEntrySchema>;
export type CertificateFileEntry = z.infer<typeof certificateEntrySchema>;

/** The first issues of a zod error as one line (`path: message; …`). */
export function describeIssues(error: z.ZodError, max = 3): string {
  const issues = error.issues.slice(0, max).map((issue) => `${issue.path.length ? issue.path.join('.') : '(value)'}: ${issue.message}`);
  const more = error.issues.length > max ? `; and ${error.issues.length - max} more` : '';
  return `${issues.join('; ')}${more}`;
}

/** A value checked against a schema: the parsed value, or its first issues as one line. */
export function validate<T>(schema: z.ZodType<T>, value: unknown): { ok: T } | { issue: string } {
  const result = schema.safeParse(value);
  return result.success ? { ok: result.data } : { issue: describeIssues(result.error) };
}
