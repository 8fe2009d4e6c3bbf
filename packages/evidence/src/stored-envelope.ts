// How a signature envelope is kept in the message log (record format v2): the envelope of the wire
// protocol without its two large members — the signer certificate and OCSP response, which are
// stored once each in log_certificates — but with their SHA-256 in their place. Serialised as
// UTF-8 JSON with the members in this order (the record hash covers these bytes).
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { base64Sha256, signatureEnvelopeSchema, type SignatureEnvelope } from '@jplink/exchange';


export const storedEnvelopeSchema = z.strictObject({
  algorithm: z.enum(['ES256', 'RS256']),
  signerCertificateSha256: base64Sha256('signerCertificateSha256'),
  signerOcspSha256: base64Sha256('signerOcspSha256'),
  treeSize: z.number().int().min(1),
  leafIndex: z.number().int().min(0),
  proof: z.array(base64Sha256('proof element')).max(31),
  rootSignature: z.string().min(1).max(2048),
  signedAt: z.string(),
});

export type StoredEnvelope = z.infer<typeof storedEnvelopeSchema>;

export interface CertificateEntry {
  kind: 'certificate' | 'ocsp';
  sha256: Buffer;
  der: Buffer;
}

/**
 * Remembers the certificates and OCSP responses seen in envelopes (keyed by their base64 text, as
 * they arrive) with their SHA-256, and which of them still have to be written to log_certificates.
 */
export class CertificateCatalog {
  #byText = new Map<string, CertificateEntry>();
  #unsaved: CertificateEntry[] = [];
  #limit: number;

  constructor(limit = 1024) {
    this.#limit = limit;
  }

  entry(kind: CertificateEntry['kind'], base64: string): CertificateEntry {
    let entry = this.#byText.get(base64);
    if (!entry) {
      const der = Buffer.from(base64, 'base64');
      entry = { kind, der, sha256: createHash('sha256').update(der).digest() };
      if (this.#byText.size >= this.#limit) this.#byText.delete(this.#byText.keys().next().value as string);
      this.#byText.set(base64, entry);
      this.#unsaved.push(entry);
    }
    return entry;
  }

  /** Entries not yet handed out for saving (each is handed out once; put back with `unsaved` on failure). */
  takeUnsaved(): CertificateEntry[] {
    const out = this.#unsaved;
    this.#unsaved = [];
    return out;
  }

  putBack(entries: CertificateEntry[]): void {
    this.#unsaved.unshift(...entries);
  }
}

/** The stored form of an envelope, as bytes. */
export function storedEnvelopeBytes(envelope: SignatureEnvelope, catalog: CertificateCatalog): Buffer {
  const certificate = catalog.entry('certificate', envelope.signerCertificate);
  const ocsp = catalog.entry('ocsp', envelope.signerOcsp);
  const stored: StoredEnvelope = {
    algorithm: envelope.algorithm,
    signerCertificateSha256: certificate.sha256.toString('base64'),
    signerOcspSha256: ocsp.sha256.toString('base64'),
    treeSize: envelope.treeSize,
    leafIndex: envelope.leafIndex,
    proof: envelope.proof as string[],
    rootSignature: envelope.rootSignature,
    signedAt: envelope.signedAt,
  };
  return Buffer.from(JSON.stringify(stored), 'utf8');
}

/** Parses stored envelope bytes. Throws with a readable message when they are not a stored envelope. */
export function parseStoredEnvelope(bytes: Uint8Array): StoredEnvelope {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new Error('the stored signature is not JSON');
  }
  const result = storedEnvelopeSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new Error(`the stored signature is invalid: ${issue?.path.join('.') || '(envelope)'}: ${issue?.message}`);
  }
  return result.data;
}

/** The wire envelope again, from the stored form and the DER bytes its hashes name (checked). */
export function expandEnvelope(stored: StoredEnvelope, certificate: Uint8Array, ocsp: Uint8Array): SignatureEnvelope {
  const sha = (d: Uint8Array) => createHash('sha256').update(d).digest('base64');
  if (sha(certificate) !== stored.signerCertificateSha256) throw new Error('the signer certificate does not match its hash');
  if (sha(ocsp) !== stored.signerOcspSha256) throw new Error('the OCSP response does not match its hash');
  return signatureEnvelopeSchema.parse({
    algorithm: stored.algorithm,
    signerCertificate: Buffer.from(certificate).toString('base64'),
    signerOcsp: Buffer.from(ocsp).toString('base64'),
    treeSize: stored.treeSize,
    leafIndex: stored.leafIndex,
    proof: stored.proof,
    rootSignature: stored.rootSignature,
    signedAt: stored.signedAt,
  });
}

const CERTIFICATE_KEY = Buffer.from('"signerCertificateSha256":"');
const OCSP_KEY = Buffer.from('"signerOcspSha256":"');
const SHA256_BASE64 = /^[A-Za-z0-9+/]{43}=$/;

/** The 44-character base64 SHA-256 right after `key` (which occurs once), or undefined. */
function memberAfter(buf: Buffer, key: Buffer): string | undefined {
  const at = buf.indexOf(key);
  if (at < 0 || buf.indexOf(key, at + key.length) >= 0) return undefined;
  const start = at + key.length;
  if (buf[start + 44] !== 0x22) return undefined;
  const value = buf.toString('latin1', start, start + 44);
  return SHA256_BASE64.test(value) ? value : undefined;
}

/**
 * The SHA-256 (base64) of the signer certificate and of the OCSP response a stored envelope names,
 * read without the full schema (for collecting certificates; verification parses it fully).
 * Undefined when the bytes are not a JSON object with both members.
 */
export function storedEnvelopeHashes(bytes: Uint8Array): { certificate: string; ocsp: string } | undefined {
  // Fast path for envelopes as storedEnvelopeBytes writes them (JSON.stringify: no whitespace, no
  // escapes in base64): the two members found by their key, without parsing the rest (the
  // archiver reads two envelopes per record). Anything else goes through JSON.parse.
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const certificate = memberAfter(buf, CERTIFICATE_KEY);
  const ocsp = certificate === undefined ? undefined : memberAfter(buf, OCSP_KEY);
  if (certificate !== undefined && ocsp !== undefined) return { certificate, ocsp };
  try {
    const parsed = JSON.parse(buf.toString('utf8')) as { signerCertificateSha256?: unknown; signerOcspSha256?: unknown };
    const { signerCertificateSha256: certificate, signerOcspSha256: ocsp } = parsed ?? {};
    return typeof certificate === 'string' && typeof ocsp === 'string' ? { certificate, ocsp } : undefined;
  } catch {
    return undefined;
  }
}
