// Verification of one message's signature envelope: proof → root → root signature.
// Not checked here (the caller's duty): the signer certificate's chain, validity, OCSP status
// (envelope.signerOcsp) and that it is the sign certificate of the client/provider member.
import { isPkiError, parseCertificate, type ParsedCertificate } from '@jplink/pki';
import { checkEnvelope, type SignatureEnvelope } from './envelope.ts';
import { ExchangeError } from './errors.ts';
import { rootFromProof } from './hash-tree.ts';
import { signatureAlgorithmFor, verifyRoot } from './root-signature.ts';

export interface VerifyEnvelopeInput {
  /** Message digest computed by the receiver from the bytes it received. */
  digest: Buffer;
  envelope: SignatureEnvelope;
}

export interface VerifiedEnvelope {
  /** The parsed signer certificate (shared, read-only). */
  signer: ParsedCertificate;
  /** The batch root the signature covers. */
  root: Buffer;
}

const CACHE_LIMIT = 512;
// base64 DER → parsed certificate.
const certificates = new Map<string, ParsedCertificate>();
// root|signature → algorithm and certificate of root signatures that verified (a batch often carries
// several messages to one receiver); keyed by the short values, the long certificate text compared.
const verifiedRoots = new Map<string, { algorithm: string; certificate: string }>();

function remember<V>(cache: Map<string, V>, key: string, value: V): void {
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(key, value);
}

function signerOf(certificateBase64: string): ParsedCertificate {
  const cached = certificates.get(certificateBase64);
  if (cached) return cached;
  let signer: ParsedCertificate;
  try {
    signer = Object.freeze(parseCertificate(Buffer.from(certificateBase64, 'base64')));
  } catch (cause) {
    if (isPkiError(cause, 'PKI_KEY_UNSUPPORTED')) {
      throw new ExchangeError('JPX_SIGNATURE_INVALID', 'signer certificate key is neither EC P-256 nor RSA-2048', { cause });
    }
    throw new ExchangeError('JPX_MALFORMED', 'signer certificate cannot be parsed', { cause });
  }
  remember(certificates, certificateBase64, signer);
  return signer;
}

export function verifyEnvelope(input: VerifyEnvelopeInput): VerifiedEnvelope {
  const digest = input?.digest;
  if (!(digest instanceof Uint8Array) || digest.length !== 32) throw new ExchangeError('JPX_INVALID_ARGUMENT', 'digest must be 32 bytes');
  const checked = checkEnvelope(input.envelope);
  if ('issue' in checked) throw new ExchangeError('JPX_MALFORMED', `signature envelope: ${checked.issue}`);
  const envelope = checked.envelope;
  const signer = signerOf(envelope.signerCertificate);
  if (signatureAlgorithmFor(signer.keyAlgorithm) !== envelope.algorithm) {
    throw new ExchangeError('JPX_SIGNATURE_INVALID', `algorithm ${envelope.algorithm} does not match the ${signer.keyAlgorithm} signer key`);
  }
  const proof = envelope.proof.map((p) => Buffer.from(p, 'base64'));
  const root = rootFromProof(Buffer.from(digest), envelope.leafIndex, envelope.treeSize, proof);
  const key = `${root.toString('base64')}|${envelope.rootSignature}`;
  const known = verifiedRoots.get(key);
  if (known?.algorithm !== envelope.algorithm || known.certificate !== envelope.signerCertificate) {
    if (!verifyRoot(signer.publicKey, root, Buffer.from(envelope.rootSignature, 'base64'))) {
      throw new ExchangeError('JPX_SIGNATURE_INVALID', 'root signature does not verify for this message and proof');
    }
    remember(verifiedRoots, key, { algorithm: envelope.algorithm, certificate: envelope.signerCertificate });
  }
  return { signer, root };
}
