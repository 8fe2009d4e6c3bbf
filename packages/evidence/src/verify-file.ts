// evidence.md §4 steps 1–5 for one archive or evidence file, reading its records as a stream.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { memberIdOfSigner, messageDigestFromHashes, verifyEnvelope, type MessageKind } from '@jplink/exchange';
import type { ParsedCertificate } from '@jplink/pki';
import { EvidenceFormatError, type FormatIssue } from './errors.ts';
import { ENTRY, EVIDENCE_FORMAT, archiveManifestOf, recordsEntryOf, type ArchiveManifest, type EvidenceLimits, type Manifest, type RecordLine, type RecordMessage, type TimestampProof } from './format.ts';
import { recordHash } from './record-hash.ts';
import { hashedRecordOf } from './record-line.ts';
import type { FileSummary, Problem, ProblemCode, Warning, WarningCode } from './report.ts';
import { expandEnvelope, parseStoredEnvelope } from './stored-envelope.ts';
import { SignerChecks } from './verify-signer.ts';
import { checkRecordTimestamp, verifyTimestampTokens } from './verify-timestamps.ts';
import { openEvidenceZip, type OpenedEvidenceZip } from './zip-reader.ts';

type Where = Pick<Problem, 'recordId' | 'timestampId' | 'entry'>;

/** Collects the problems and warnings of one file. */
export class FileFindings {
  readonly file: string;
  readonly problems: Problem[];
  readonly warnings: Warning[];

  constructor(file: string, problems: Problem[], warnings: Warning[]) {
    this.file = file;
    this.problems = problems;
    this.warnings = warnings;
  }

  problem(code: ProblemCode, message: string, where: Where = {}): void {
    this.problems.push({ file: this.file, code, ...where, message });
  }

  warning(code: WarningCode, message: string, where: Where = {}): void {
    this.warnings.push({ file: this.file, code, ...where, message });
  }

  formatIssue(issue: FormatIssue): void {
    const message = issue.line !== undefined ? `line ${issue.line}: ${issue.message}` : issue.message;
    this.problem('format', message, { ...(issue.recordId !== undefined ? { recordId: issue.recordId } : {}), ...(issue.entry !== undefined ? { entry: issue.entry } : {}) });
  }
}

/** What the chain checks across files need of a record. */
export interface RecordLink {
  id: string;
  prevHash: string;
  recordHash: string;
  timestamp?: TimestampProof;
}

/** An archive that was read, for the checks across the files of its chain (step 6). */
export interface ArchiveLink {
  file: string;
  manifest: ArchiveManifest;
  sha256: string;
  first?: RecordLink;
  last?: RecordLink;
}

export interface VerifyFileContext {
  roots: Uint8Array[];
  limits?: Partial<EvidenceLimits>;
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest();
const memberOf = (id: string) => id.split('/').slice(0, 3).join('/');

async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest('hex');
}

const linkOf = (r: RecordLine): RecordLink => ({ id: r.id, prevHash: r.prevHash, recordHash: r.recordHash, ...(r.timestamp ? { timestamp: r.timestamp } : {}) });

/**
 * Why `next` cannot directly follow `previous` in a log that holds every record (chainComplete):
 * its prevHash is not the previous record hash, or the timestamp trees show records between them
 * (records of one timestamp have consecutive leaves; the next timestamp starts after the last leaf).
 */
export function chainLinkProblems(previous: RecordLink, next: RecordLink): string[] {
  const out: string[] = [];
  if (BigInt(next.id) <= BigInt(previous.id)) out.push(`record ids must increase, and ${next.id} follows ${previous.id}`);
  if (next.prevHash !== previous.recordHash) out.push(`prevHash is not the recordHash of record ${previous.id} before it: a record was removed, inserted or reordered`);
  const [a, b] = [previous.timestamp, next.timestamp];
  if (a && b) {
    const consecutive = a.id === b.id ? b.leafIndex === a.leafIndex + 1 : a.leafIndex === a.treeSize - 1 && b.leafIndex === 0;
    if (!consecutive) out.push(`records are missing between ${previous.id} and ${next.id}: their timestamp leaves (timestamp ${a.id} leaf ${a.leafIndex}, timestamp ${b.id} leaf ${b.leafIndex}) are not consecutive`);
  }
  return out;
}

function parseHeader(bytes: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Fields of the signed headers that must agree with the record and the file (the signature covers the headers, not the record's fields). */
function headerMismatches(r: RecordLine, ownServer: string, kind: MessageKind, header: Record<string, unknown>, requestDigest: Buffer | undefined): string[] {
  const expected: Array<[string, unknown]> = [['kind', kind], ['messageId', r.messageId]];
  const [own, peer] = r.side === 'client' ? ['senderServer', 'targetServer'] : ['targetServer', 'senderServer'];
  if (kind === 'request') {
    expected.push(['xRoadId', r.xRoadId], ['client', r.client], ['service', r.service], [own, ownServer], [peer, r.peerServer]);
  } else {
    expected.push(['senderServer', r.side === 'client' ? r.peerServer : ownServer]);
    if (requestDigest) expected.push(['requestDigest', requestDigest.toString('base64')]);
  }
  return expected.filter(([field, value]) => header[field] !== value).map(([field, value]) => `${field} is ${JSON.stringify(header[field])}, expected ${JSON.stringify(value)}`);
}

interface FileState {
  findings: FileFindings;
  manifest: Manifest;
  certificates: Map<string, Buffer>;
  signers: SignerChecks;
  signatures: number;
}

/** Steps 2–4 for one message of a record; returns its digest and the signer when the signature verified. */
async function checkMessage(state: FileState, r: RecordLine, kind: MessageKind, m: RecordMessage): Promise<{ digest: Buffer; signer?: ParsedCertificate }> {
  const { findings } = state;
  const at = { recordId: r.id };
  const header = Buffer.from(m.header, 'base64');
  const bodySha256 = Buffer.from(m.bodySha256, 'base64');
  if (m.body !== null) {
    const body = Buffer.from(m.body, 'base64');
    if (body.length !== m.bodyLength) findings.problem('body-mismatch', `the ${kind} body has ${body.length} bytes, bodyLength says ${m.bodyLength}`, at);
    else if (!sha256(body).equals(bodySha256)) findings.problem('body-mismatch', `the ${kind} body does not match its bodySha256`, at);
  }
  const digest = messageDigestFromHashes(kind, sha256(header), bodySha256);
  let stored;
  try {
    stored = parseStoredEnvelope(Buffer.from(m.signature, 'base64'));
  } catch (error) {
    findings.problem('signature-invalid', `${kind}: ${(error as Error).message}`, at);
    return { digest };
  }
  const certificate = state.certificates.get(`certificate:${stored.signerCertificateSha256}`);
  const ocsp = state.certificates.get(`ocsp:${stored.signerOcspSha256}`);
  if (!certificate || !ocsp) {
    const missing = !certificate ? `signer certificate ${stored.signerCertificateSha256}` : `OCSP response ${stored.signerOcspSha256}`;
    findings.problem('signature-invalid', `${kind}: the envelope names the ${missing}, which certificates.json does not hold`, at);
    return { digest };
  }
  let signer: ParsedCertificate;
  try {
    signer = verifyEnvelope({ digest, envelope: expandEnvelope(stored, certificate, ocsp) }).signer;
  } catch (error) {
    findings.problem('signature-invalid', `${kind}: ${(error as Error).message}`, at);
    return { digest };
  }
  state.signatures += 1;
  const signerFindings = await state.signers.check({
    certificate,
    certificateSha256: stored.signerCertificateSha256,
    ocsp,
    ocspSha256: stored.signerOcspSha256,
    signedAt: stored.signedAt,
  });
  for (const f of signerFindings) {
    if (f.level === 'problem') findings.problem(f.code, `${kind}: ${f.message}`, at);
    else findings.warning(f.code, `${kind}: ${f.message}`, at);
  }
  return { digest, signer };
}

/** Step 3's binding: the signed headers describe this record, and each message is signed by the right member. */
async function checkMessages(state: FileState, r: RecordLine): Promise<void> {
  const request = await checkMessage(state, r, 'request', r.request);
  const messages: Array<{ kind: MessageKind; m: RecordMessage; signer: ParsedCertificate | undefined; member: string; party: string }> = [
    { kind: 'request', m: r.request, signer: request.signer, member: memberOf(r.client), party: 'client' },
  ];
  if (r.response) {
    const response = await checkMessage(state, r, 'response', r.response);
    messages.push({ kind: 'response', m: r.response, signer: response.signer, member: memberOf(r.service), party: 'provider' });
  }
  for (const { kind, m, signer, member, party } of messages) {
    const header = parseHeader(Buffer.from(m.header, 'base64'));
    const mismatches = header ? headerMismatches(r, state.manifest.securityServer, kind, header, request.digest) : ['it is not a JSON object'];
    if (mismatches.length) state.findings.problem('signature-invalid', `the signed ${kind} header does not match the record: ${mismatches.join('; ')}`, { recordId: r.id });
    if (!signer) continue;
    const signerMember = memberIdOfSigner(signer);
    if (signerMember !== member) {
      const who = signerMember ? `member ${signerMember}` : 'a certificate that names no member';
      state.findings.problem('signature-invalid', `the ${kind} is signed by ${who}, not by ${member}, the ${party}`, { recordId: r.id });
    }
  }
}

function checkQuery(state: FileState, r: RecordLine): void {
  const { manifest } = state;
  if (manifest.format !== EVIDENCE_FORMAT) return;
  const query = manifest.query;
  const matches = 'messageId' in query ? r.messageId === query.messageId : r.xRoadId === query.xRoadId;
  if (!matches) state.findings.problem('format', `the record does not match the evidence query ${JSON.stringify(query)}`, { recordId: r.id, entry: ENTRY.records });
}

/** Steps 1–5 for one file. Returns its summary and, for an archive, what the chain checks need. */
export async function verifyFile(file: string, context: VerifyFileContext, findings: FileFindings): Promise<{ summary: FileSummary; archive?: ArchiveLink }> {
  const summary: FileSummary = { file, kind: null, sha256: null, records: 0, signatures: 0, timestamps: 0 };
  let zip: OpenedEvidenceZip;
  try {
    summary.sha256 = await fileSha256(file);
    zip = await openEvidenceZip(file, context.limits ? { limits: context.limits } : {});
  } catch (error) {
    if (error instanceof EvidenceFormatError) for (const issue of error.issues) findings.formatIssue(issue);
    else findings.problem('format', `cannot be read: ${(error as Error).message}`);
    return { summary };
  }
  const { manifest } = zip;
  const archive = archiveManifestOf(manifest);
  summary.kind = archive ? 'archive' : 'evidence';
  summary.securityServer = manifest.securityServer;
  if (archive) {
    summary.group = archive.group;
    summary.sequence = archive.sequence;
  }

  const certificates = new Map(zip.certificates.map((c) => [`${c.kind}:${c.sha256}`, Buffer.from(c.der, 'base64')]));
  const intermediates = zip.certificates.filter((c) => c.kind === 'ca').map((c) => Buffer.from(c.der, 'base64'));
  const state: FileState = { findings, manifest, certificates, signers: new SignerChecks(context.roots, intermediates), signatures: 0 };
  const timestamps = await verifyTimestampTokens(zip.timestamps, { roots: context.roots, intermediates }, (timestampId, f) => findings.problem(f.code, f.message, { timestampId }));
  summary.timestamps = [...timestamps.values()].filter((t) => t.genTime).length;

  let first: RecordLink | undefined;
  let previous: RecordLink | undefined;
  let last: RecordLink | undefined;
  try {
    for await (const item of zip.records()) {
      summary.records += 1;
      if ('issue' in item) {
        findings.formatIssue(item.issue);
        previous = undefined; // the next record's link cannot be checked
        continue;
      }
      const r = item.record;
      const at = { recordId: r.id };
      if (previous) {
        const problems = archive?.chainComplete ? chainLinkProblems(previous, linkOf(r)) : BigInt(r.id) <= BigInt(previous.id) ? [`record ids must increase, and ${r.id} follows ${previous.id}`] : [];
        for (const message of problems) findings.problem('chain-broken', message, at);
      }
      if (!recordHash(Buffer.from(r.prevHash, 'base64'), hashedRecordOf(r)).equals(Buffer.from(r.recordHash, 'base64'))) {
        findings.problem('record-hash', 'the record hash is not the hash of the record’s fields and prevHash: a field was changed', at);
      }
      await checkMessages(state, r);
      if (r.timestamp) {
        for (const f of checkRecordTimestamp(r, timestamps)) findings.problem(f.code, f.message, { ...at, timestampId: r.timestamp.id });
      } else if (archive) {
        findings.problem('timestamp-missing', 'an archived record has no timestamp', at);
      } else {
        findings.warning('timestamp-missing', 'the record was exported before it was timestamped: nothing shows when it existed', at);
      }
      checkQuery(state, r);
      previous = linkOf(r);
      first ??= previous;
      last = previous;
    }
  } catch (error) {
    if (!(error instanceof EvidenceFormatError)) throw error;
    for (const issue of error.issues) findings.formatIssue(issue);
  } finally {
    zip.close();
  }
  summary.signatures = state.signatures;

  const inManifest = { entry: ENTRY.manifest };
  if (summary.records !== manifest.records.count) {
    findings.problem(archive ? 'chain-broken' : 'format', `records.count is ${manifest.records.count}, but ${recordsEntryOf(manifest.format)} has ${summary.records} records`, inManifest);
  }
  if (!archive) return { summary };
  if (first && (first.id !== archive.records.firstId || first.prevHash !== archive.records.firstPrevHash)) {
    findings.problem('chain-broken', `the first record (${first.id}) is not the one the manifest names (${archive.records.firstId}, with its firstPrevHash)`, inManifest);
  }
  if (last && last.id !== archive.records.lastId) findings.problem('chain-broken', `the last record (${last.id}) is not the one the manifest names (${archive.records.lastId})`, inManifest);
  return { summary, archive: { file, manifest: archive, sha256: summary.sha256 as string, ...(first ? { first } : {}), ...(last ? { last } : {}) } };
}
