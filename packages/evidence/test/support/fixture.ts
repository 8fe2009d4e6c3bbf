// A real, synthetic message log and its evidence: root CA → issuing CA → member sign certificates
// and a TSA certificate; OCSP responses signed by the issuing CA; real exchange messages signed by
// batch signers; records hashed into a chain as the Security Server does; RFC 3161 tokens from a
// prepared TSA over the timestamp trees; archives and evidence files written by writeEvidenceZip.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { buildHashTree, createBatchSigner, writeMessage, type BatchSigner } from '@jplink/exchange';
import {
  buildOcspResponse,
  buildPreparedTimeStampResponse,
  certIdFor,
  createTimeStampRequest,
  derToPem,
  extractTimeStampToken,
  generateKeyPair,
  issueCertificate,
  parseCertificate,
  parseTimeStampRequest,
  prepareTimeStampSigner,
  type CertificateProfile,
  type OcspCertStatus,
  type PreparedTimeStampSigner,
} from '@jplink/pki';
import type { KeyObject } from 'node:crypto';
import {
  ARCHIVE_FORMAT,
  ARCHIVE_FORMAT_PGCOPY,
  CertificateCatalog,
  EVIDENCE_FORMAT,
  GENESIS_HASH,
  NO_PREVIOUS_ARCHIVE,
  archiveFileName,
  encodeRecordsPgCopy,
  recordHash,
  storedRecordOfLine,
  storedEnvelopeBytes,
  timestampImprint,
  timestampedData,
  toCertificateEntry,
  toRecordLine,
  toTimestampEntry,
  writeEvidenceZip,
  type ArchiveManifest,
  type CertificateFileEntry,
  type RecordLine,
  type StoredRecord,
  type TimestampEntry,
} from '../../src/index.ts';

export const INSTANCE = 'JP-TEST';
/** The Security Server whose log this is (the provider's). */
export const OWN_SERVER = `${INSTANCE}/GOV/2222222222222/ss-b`;
export const PEER_SERVER = `${INSTANCE}/COM/1111111111111/ss-a`;
export const CLIENT = `${INSTANCE}/COM/1111111111111/shopping`;
export const SERVICE = `${INSTANCE}/GOV/2222222222222/healthcare/vitals`;
const TSA_POLICY = '1.3.6.1.4.1.57264.1.1';
const HOUR = 3_600_000;

interface KeyAndCertificate {
  certificate: Uint8Array;
  privateKey: KeyObject;
}

export interface Pki {
  root: KeyAndCertificate;
  issuing: KeyAndCertificate;
  tsa: PreparedTimeStampSigner;
  clientMember: KeyAndCertificate;
  providerMember: KeyAndCertificate;
  rootPem: string;
  /** Issuing CA and TSA certificates, PEM: OpenSSL's -untrusted. */
  chainPem: string;
}

let serial = 100n;

// One validity for every certificate (a child may not outlive its issuer).
const NOW = Date.now();
const VALIDITY = { notBefore: new Date(NOW - 24 * HOUR), notAfter: new Date(NOW + 365 * 24 * HOUR) };

async function issue(profile: CertificateProfile, subject: Array<[string, string]>, issuer: KeyAndCertificate | undefined): Promise<KeyAndCertificate> {
  const keys = await generateKeyPair('EC-P256');
  const certificate = await issueCertificate({
    subject,
    publicKey: keys.publicKey,
    ...(issuer ? { issuer } : { selfSignedPrivateKey: keys.privateKey }),
    serialNumber: (serial += 1n),
    ...VALIDITY,
    profile,
  });
  return { certificate, privateKey: keys.privateKey };
}

export async function createPki(): Promise<Pki> {
  const root = await issue('root-ca', [['C', 'JP'], ['O', INSTANCE], ['CN', 'JP-Link Test Root CA']], undefined);
  const issuing = await issue('issuing-ca', [['C', 'JP'], ['O', INSTANCE], ['CN', 'JP-Link Test Issuing CA']], root);
  const tsaCert = await issue('tsa', [['C', 'JP'], ['O', INSTANCE], ['CN', 'JP-Link Test TSA']], issuing);
  const tsa = prepareTimeStampSigner({ certificate: tsaCert.certificate, privateKey: tsaCert.privateKey, chain: [issuing.certificate], policy: TSA_POLICY, accuracySeconds: 1 });
  const clientMember = await issue('sign', [['C', 'JP'], ['O', INSTANCE], ['OU', 'COM'], ['CN', '1111111111111']], issuing);
  const providerMember = await issue('sign', [['C', 'JP'], ['O', INSTANCE], ['OU', 'GOV'], ['CN', '2222222222222']], issuing);
  return {
    root,
    issuing,
    tsa,
    clientMember,
    providerMember,
    rootPem: derToPem(root.certificate, 'CERTIFICATE'),
    chainPem: derToPem(issuing.certificate, 'CERTIFICATE') + derToPem(tsa.certificate, 'CERTIFICATE'),
  };
}

/** An OCSP response for a member certificate, signed by the issuing CA itself. */
export function ocspFor(pki: Pki, member: KeyAndCertificate, status: OcspCertStatus, thisUpdate = new Date(Date.now() - 60_000)): Promise<Uint8Array> {
  const certId = certIdFor({ issuer: pki.issuing.certificate, serialNumber: parseCertificate(member.certificate).serialNumber, hashAlgorithm: 'sha256' });
  return buildOcspResponse({ responder: pki.issuing, responses: [{ certId, status, thisUpdate, nextUpdate: new Date(thisUpdate.getTime() + HOUR) }], producedAt: thisUpdate });
}

/** An RFC 3161 token over a timestamp tree root, from the test TSA. */
export function stampRoot(pki: Pki, treeRoot: Buffer, serialNumber: bigint, genTime: Date): Buffer {
  const request = parseTimeStampRequest(createTimeStampRequest({ digest: timestampImprint(treeRoot), certReq: true }).der);
  return Buffer.from(extractTimeStampToken(buildPreparedTimeStampResponse(pki.tsa, { request, serialNumber, genTime })));
}

export interface LogFixture {
  pki: Pki;
  /** Every record, in id order (ids have a gap, as a bigserial may). */
  records: RecordLine[];
  timestamps: TimestampEntry[];
  certificates: CertificateFileEntry[];
  /** Per timestamp: the stamped bytes and the DER token (for OpenSSL). */
  stamps: Array<{ id: string; data: Buffer; token: Buffer }>;
}

export interface LogOptions {
  /** Records in the log (default 9). */
  count?: number;
  /** Records per timestamp, in order (default [4, 3, 2]). */
  timestampSizes?: number[];
  /** The status the client member's OCSP response says (default good). */
  clientStatus?: OcspCertStatus;
  /** Records left without a timestamp at the end (evidence of a record not yet stamped). */
  unstamped?: number;
}

async function exchange(i: number, clientSigner: BatchSigner, providerSigner: BatchSigner) {
  const messageId = randomUUID();
  const request = await writeMessage({
    header: {
      protocol: 'jpx/1',
      kind: 'request',
      messageId,
      xRoadId: `x-road-${i}`,
      createdAt: new Date().toISOString(),
      senderServer: PEER_SERVER,
      targetServer: OWN_SERVER,
      client: CLIENT,
      service: SERVICE,
      method: 'POST',
      path: `/residents/${i}`,
      query: '',
      headers: [['content-type', 'application/json']],
    },
    body: Buffer.from(JSON.stringify({ resident: i, vitals: 'pulse' })),
    sign: (digest) => clientSigner.sign(digest),
  });
  const response = await writeMessage({
    header: {
      protocol: 'jpx/1',
      kind: 'response',
      messageId,
      requestDigest: request.digest.toString('base64'),
      createdAt: new Date().toISOString(),
      senderServer: OWN_SERVER,
      status: 200,
      headers: [['content-type', 'application/json']],
      requestHash: `sha256-${i}`,
    },
    body: Buffer.from(JSON.stringify({ resident: i, pulse: 60 + i })),
    sign: (digest) => providerSigner.sign(digest),
  });
  return { messageId, request, response };
}

/** A log of exchanges on the provider's Security Server, with timestamps, as the Security Server keeps it. */
export async function buildLog(pki: Pki, options: LogOptions = {}): Promise<LogFixture> {
  const count = options.count ?? 9;
  const sizes = options.timestampSizes ?? [4, 3, 2];
  const clientOcsp = await ocspFor(pki, pki.clientMember, options.clientStatus ?? { type: 'good' });
  const providerOcsp = await ocspFor(pki, pki.providerMember, { type: 'good' });
  const clientSigner = createBatchSigner({ ...pki.clientMember, ocsp: () => clientOcsp });
  const providerSigner = createBatchSigner({ ...pki.providerMember, ocsp: () => providerOcsp });
  const catalog = new CertificateCatalog();

  // Exchanges three at a time, so that they share batch signatures (with inclusion proofs) as concurrent ones do.
  const exchanges: Array<Awaited<ReturnType<typeof exchange>>> = [];
  for (let i = 0; i < count; i += 3) {
    exchanges.push(...(await Promise.all([i, i + 1, i + 2].filter((n) => n < count).map((n) => exchange(n, clientSigner, providerSigner)))));
  }
  const stored: StoredRecord[] = [];
  let prev: Buffer = GENESIS_HASH;
  for (const [i, { messageId, request, response }] of exchanges.entries()) {
    const message = (m: typeof request, body: Buffer) => ({ header: m.headerBytes, body, bodySha256: m.bodySha256, bodyLength: body.length, signature: storedEnvelopeBytes(m.envelope, catalog) });
    const requestBody = Buffer.from(JSON.stringify({ resident: i, vitals: 'pulse' }));
    const responseBody = Buffer.from(JSON.stringify({ resident: i, pulse: 60 + i }));
    const fields = {
      side: 'server' as const,
      messageId,
      xRoadId: `x-road-${i}`,
      client: CLIENT,
      service: SERVICE,
      peerServer: PEER_SERVER,
      // The third record was logged without its request body (body logging off for it).
      request: { ...message(request, requestBody), ...(i === 2 ? { body: null } : {}) },
      response: message(response, responseBody),
    };
    const hash = recordHash(prev, fields);
    stored.push({ id: String(i < 3 ? i + 1 : i + 2), loggedAt: new Date(), ...fields, prevHash: prev, recordHash: hash });
    prev = hash;
  }

  const timestamps: TimestampEntry[] = [];
  const stamps: LogFixture['stamps'] = [];
  let next = 0;
  const stampable = count - (options.unstamped ?? 0);
  for (const [t, size] of sizes.entries()) {
    const range = stored.slice(next, Math.min(next + size, stampable));
    if (range.length === 0) break;
    next += range.length;
    const id = String(t + 1);
    const { root, proofs } = buildHashTree(range.map((r) => Buffer.from(r.recordHash)));
    const genTime = new Date();
    const token = stampRoot(pki, root, BigInt(1000 + t), genTime);
    range.forEach((r, leafIndex) => (r.timestamp = { id, leafIndex, treeSize: range.length, proof: proofs[leafIndex] as Buffer[] }));
    timestamps.push(
      toTimestampEntry({
        id,
        firstRecordId: range[0]!.id,
        lastRecordId: range[range.length - 1]!.id,
        recordCount: range.length,
        treeRoot: root,
        tsaName: 'JP-Link Test TSA',
        genTime,
        token,
      }),
    );
    stamps.push({ id, data: timestampedData(root), token });
  }
  const certificates = [
    ...catalog.takeUnsaved().map((c) => toCertificateEntry(c.kind, c.der)),
    toCertificateEntry('ca', pki.issuing.certificate),
    toCertificateEntry('ca', pki.tsa.certificate),
  ];
  return { pki, records: stored.map(toRecordLine), timestamps, certificates, stamps };
}

export interface ArchiveContent {
  manifest: ArchiveManifest;
  records: RecordLine[];
  timestamps: TimestampEntry[];
  certificates: CertificateFileEntry[];
}

const copy = <T>(value: T): T => structuredClone(value);

/** The log cut into a chain of archives of `sizes` records each (copies, free to tamper with). */
export function archiveContents(log: LogFixture, sizes = [3, 3, 3]): ArchiveContent[] {
  let next = 0;
  return sizes.map((size, i) => {
    const records = copy(log.records.slice(next, next + size));
    next += size;
    const used = new Set(records.map((r) => r.timestamp?.id));
    return {
      manifest: {
        format: ARCHIVE_FORMAT,
        securityServer: OWN_SERVER,
        group: 'all',
        sequence: i + 1,
        previousArchiveSha256: NO_PREVIOUS_ARCHIVE,
        createdAt: new Date().toISOString(),
        records: { count: records.length, firstId: records[0]!.id, lastId: records[records.length - 1]!.id, firstPrevHash: records[0]!.prevHash },
        chainComplete: true,
      },
      records,
      timestamps: copy(log.timestamps.filter((t) => used.has(t.id))),
      certificates: copy(log.certificates),
    };
  });
}

/**
 * Writes the archives in order as the archiver does — each manifest's record range taken from its
 * (possibly tampered) records and previousArchiveSha256 from the file written before — and
 * returns their paths. `pgcopy`: as `jplink-log-archive/2`, the records in PostgreSQL's binary
 * COPY format without proofs (the archives must then hold whole timestamp ranges).
 */
export async function writeArchives(dir: string, contents: ArchiveContent[], options: { pgcopy?: boolean | ((sequence: number) => boolean) } = {}): Promise<string[]> {
  const files: string[] = [];
  let previous = NO_PREVIOUS_ARCHIVE;
  for (const content of contents) {
    const { records, manifest } = content;
    manifest.records = { count: records.length, firstId: records[0]!.id, lastId: records[records.length - 1]!.id, firstPrevHash: records[0]!.prevHash };
    manifest.previousArchiveSha256 = manifest.sequence === 1 ? NO_PREVIOUS_ARCHIVE : previous;
    const pgcopy = typeof options.pgcopy === 'function' ? options.pgcopy(manifest.sequence) : options.pgcopy === true;
    if (pgcopy) manifest.format = ARCHIVE_FORMAT_PGCOPY;
    const file = join(dir, archiveFileName(manifest.securityServer, manifest.group, manifest.sequence));
    const bytes = async function* () {
      yield encodeRecordsPgCopy(records.map(storedRecordOfLine));
    };
    previous = await writeEvidenceZip(file, { ...content, records: pgcopy ? { pgcopy: bytes() } : records });
    files.push(file);
  }
  return files;
}

/** Writes the evidence file of the records with this message id (or X-Road-Id). */
export async function writeEvidence(dir: string, log: LogFixture, query: { messageId: string } | { xRoadId: string }, name = 'evidence.zip'): Promise<string> {
  const records = log.records.filter((r) => ('messageId' in query ? r.messageId === query.messageId : r.xRoadId === query.xRoadId));
  const used = new Set(records.map((r) => r.timestamp?.id));
  const file = join(dir, name);
  await writeEvidenceZip(file, {
    manifest: { format: EVIDENCE_FORMAT, securityServer: OWN_SERVER, createdAt: new Date().toISOString(), query, records: { count: records.length } },
    records,
    timestamps: log.timestamps.filter((t) => used.has(t.id)),
    certificates: log.certificates,
  });
  return file;
}
