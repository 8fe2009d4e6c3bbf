// What `verifyEvidence` reports (evidence.md §4): problems and warnings, each naming the file and
// the record, timestamp or entry it is about, with a code.

export const PROBLEM_CODES = [
  'format',
  'record-hash',
  'chain-broken',
  'body-mismatch',
  'signature-invalid',
  'certificate-untrusted',
  'certificate-revoked',
  'ocsp-invalid',
  'timestamp-missing',
  'timestamp-invalid',
  'timestamp-mismatch',
  'archive-chain-broken',
  'archive-sequence-gap',
] as const;
export type ProblemCode = (typeof PROBLEM_CODES)[number];

/**
 * Codes of warnings: `certificate-revoked` (revoked, but only after signedAt) and
 * `timestamp-missing` (a record of an evidence file exported before it was timestamped).
 */
export type WarningCode = Extract<ProblemCode, 'certificate-revoked' | 'timestamp-missing'>;

export interface Finding<C extends string> {
  /** The file as given to verifyEvidence. */
  file: string;
  code: C;
  recordId?: string;
  timestampId?: string;
  /** The zip entry, for problems about an entry as a whole (manifest.json, …). */
  entry?: string;
  message: string;
}

export type Problem = Finding<ProblemCode>;
export type Warning = Finding<WarningCode>;

export interface FileSummary {
  file: string;
  /** null when the manifest could not be read. */
  kind: 'archive' | 'evidence' | null;
  /** SHA-256 of the whole file (hex), null when it could not be read. */
  sha256: string | null;
  securityServer?: string;
  /** Archives: the chain's group and this file's sequence. */
  group?: string;
  sequence?: number;
  /** Record lines read. */
  records: number;
  /** Message signatures that verified (proof, root signature). */
  signatures: number;
  /** Timestamp tokens that verified. */
  timestamps: number;
}

export interface Report {
  /** True when there is no problem (warnings allowed). */
  ok: boolean;
  files: FileSummary[];
  problems: Problem[];
  warnings: Warning[];
}

/** `file: record 4001: code: message` — one line for a problem or warning. */
export function formatFinding(f: Finding<string>): string {
  const where = [
    f.recordId !== undefined ? `record ${f.recordId}` : undefined,
    f.timestampId !== undefined ? `timestamp ${f.timestampId}` : undefined,
    f.entry !== undefined ? f.entry : undefined,
  ].filter((part) => part !== undefined);
  return `${[f.file, ...where, f.code].join(': ')}: ${f.message}`;
}
