// The error of this package: content that does not follow the file format (evidence.md §2–§3),
// with every issue found and where it is.

export interface FormatIssue {
  /** The zip entry (manifest.json, records.jsonl, …), or undefined for the zip file itself. */
  entry?: string;
  /** 1-based line of records.jsonl. */
  line?: number;
  /** The record the issue is about, when its id could be read. */
  recordId?: string;
  message: string;
}

export function describeIssue(issue: FormatIssue): string {
  const where = [issue.entry, issue.line !== undefined ? `line ${issue.line}` : undefined, issue.recordId !== undefined ? `record ${issue.recordId}` : undefined]
    .filter((part) => part !== undefined)
    .join(', ');
  return where ? `${where}: ${issue.message}` : issue.message;
}

export class EvidenceFormatError extends Error {
  override readonly name = 'EvidenceFormatError';
  readonly issues: readonly FormatIssue[];

  constructor(issues: FormatIssue[], options?: { cause?: unknown }) {
    const first = issues[0] ?? { message: 'invalid evidence file' };
    super(issues.length > 1 ? `${describeIssue(first)} (and ${issues.length - 1} more issues)` : describeIssue(first), options);
    this.issues = Object.freeze([...issues]);
  }
}
