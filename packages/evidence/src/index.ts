// Public API of @jplink/evidence: the message log's record format (hash chain, stored signature
// envelopes), archive and evidence files (zip writer and reader) and the offline verifier.
// Specification: docs/protocols/message-log.md and docs/protocols/evidence.md.
export { GENESIS_HASH, RECORD_HASH_PREFIX, recordHash, type HashedMessage, type HashedRecord } from './record-hash.ts';
export {
  CertificateCatalog,
  expandEnvelope,
  parseStoredEnvelope,
  storedEnvelopeBytes,
  storedEnvelopeHashes,
  storedEnvelopeSchema,
  type CertificateEntry,
  type StoredEnvelope,
} from './stored-envelope.ts';
export {
  ARCHIVE_FORMAT,
  ARCHIVE_FORMAT_PGCOPY,
  ARCHIVE_FORMATS,
  DEFAULT_LIMITS,
  ENTRY,
  ENTRY_NAMES,
  EVIDENCE_FORMAT,
  MAX_RECORDS_PER_TIMESTAMP,
  NO_PREVIOUS_ARCHIVE,
  TIMESTAMP_CLOCK_TOLERANCE_MS,
  TIMESTAMP_DATA_PREFIX,
  archiveFileName,
  archiveManifestOf,
  archiveManifestSchema,
  certificateEntrySchema,
  certificatesSchema,
  evidenceManifestSchema,
  parseManifest,
  recordLineSchema,
  recordMessageSchema,
  recordsEntryOf,
  timestampEntrySchema,
  timestampImprint,
  timestampProofSchema,
  timestampedData,
  timestampsSchema,
  type ArchiveManifest,
  type CertificateFileEntry,
  type EntryName,
  type EvidenceLimits,
  type EvidenceManifest,
  type Manifest,
  type RecordLine,
  type RecordMessage,
  type TimestampEntry,
  type TimestampProof,
} from './format.ts';
export {
  hashedRecordOf,
  toCertificateEntry,
  recordLineBytes,
  storedRecordOfLine,
  toRecordLine,
  toTimestampEntry,
  type StoredMessage,
  type StoredRecord,
  type StoredTimestamp,
} from './record-line.ts';
export { EvidenceFormatError, type FormatIssue } from './errors.ts';
export { deflateRecords, writeEvidenceZip, type EvidenceZipContent, type PgCopyRecords, type RecordCompression, type SerializedRecordLine } from './zip-writer.ts';
export { PGCOPY_SIGNATURE, RECORD_COLUMNS, RECORD_FIELDS, PgCopyError, PgCopyReader, encodeRecordTuple, encodeRecordsPgCopy, recordLineOfTuple, type Tuple } from './pgcopy.ts';
export { openEvidenceZip, type OpenEvidenceZipOptions, type OpenedEvidenceZip, type RecordLineResult } from './zip-reader.ts';
export { rootCertificatesFromPem, verifyEvidence, type VerifyEvidenceOptions } from './verify.ts';
export {
  PROBLEM_CODES,
  formatFinding,
  type FileSummary,
  type Finding,
  type Problem,
  type ProblemCode,
  type Report,
  type Warning,
  type WarningCode,
} from './report.ts';
