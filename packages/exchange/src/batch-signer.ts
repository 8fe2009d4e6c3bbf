// Batch signer: digests that wait for the same key share one root signature.
// While a batch is being signed, new digests queue; the next batch takes all of them (up to maxBatch).
import { createPublicKey, type KeyObject } from 'node:crypto';
import { bytesEqual, exportPublicKeyDer, keyAlgorithmOf, parseCertificate } from '@jplink/pki';
import { DEFAULT_MAX_BATCH } from './constants.ts';
import { MAX_ENVELOPE_DER_BYTES, trustedEnvelope, type SignatureAlgorithm, type SignatureEnvelope } from './envelope.ts';
import { ExchangeError } from './errors.ts';
import { buildHashTree } from './hash-tree.ts';
import { signRoot, signatureAlgorithmFor } from './root-signature.ts';

export interface BatchSignerOptions {
  /** The member's signing key (EC P-256 or RSA-2048). */
  privateKey: KeyObject;
  /** DER sign certificate of that key. */
  certificate: Uint8Array;
  /** Current DER OCSP response for the certificate; called once per batch (it may change over time). */
  ocsp: () => Uint8Array;
  /** Most messages per signature (default 1024). */
  maxBatch?: number;
}

export interface BatchSignerStats {
  /** Root signatures made. */
  signatures: number;
  /** Messages signed (envelopes returned). */
  messages: number;
  /** Largest tree signed so far. */
  largestBatch: number;
}

export interface BatchSigner {
  /** Envelope for one message digest (32 bytes). Rejects with JPX_SIGNING_FAILED if its batch could not be signed. */
  sign(digest: Buffer): Promise<SignatureEnvelope>;
  stats(): BatchSignerStats;
}

interface Waiting {
  digest: Buffer;
  resolve: (envelope: SignatureEnvelope) => void;
  reject: (error: unknown) => void;
}

function prepare(options: BatchSignerOptions): { algorithm: SignatureAlgorithm; certificate: string; maxBatch: number } {
  const { privateKey, certificate, ocsp } = options ?? ({} as BatchSignerOptions);
  const maxBatch = options?.maxBatch ?? DEFAULT_MAX_BATCH;
  if (!Number.isInteger(maxBatch) || maxBatch < 1 || maxBatch > 1 << 20) throw new ExchangeError('JPX_INVALID_ARGUMENT', 'maxBatch must be 1..1048576');
  if (typeof ocsp !== 'function') throw new ExchangeError('JPX_INVALID_ARGUMENT', 'ocsp must be a function returning the current DER OCSP response');
  if (!privateKey || privateKey.type !== 'private') throw new ExchangeError('JPX_INVALID_ARGUMENT', 'privateKey must be a private KeyObject');
  if (!(certificate instanceof Uint8Array) || certificate.length > MAX_ENVELOPE_DER_BYTES) {
    throw new ExchangeError('JPX_INVALID_ARGUMENT', `certificate must be DER bytes (at most ${MAX_ENVELOPE_DER_BYTES})`);
  }
  try {
    const algorithm = signatureAlgorithmFor(keyAlgorithmOf(privateKey));
    const cert = parseCertificate(certificate);
    if (!bytesEqual(exportPublicKeyDer(cert.publicKey), exportPublicKeyDer(createPublicKey(privateKey)))) {
      throw new ExchangeError('JPX_INVALID_ARGUMENT', 'the certificate does not belong to the private key');
    }
    return { algorithm, certificate: Buffer.from(certificate).toString('base64'), maxBatch };
  } catch (cause) {
    if (cause instanceof ExchangeError) throw cause;
    throw new ExchangeError('JPX_INVALID_ARGUMENT', `unusable signing key or certificate: ${(cause as Error).message}`, { cause });
  }
}

export function createBatchSigner(options: BatchSignerOptions): BatchSigner {
  const { algorithm, certificate, maxBatch } = prepare(options);
  const { privateKey, ocsp } = options;
  const queue: Waiting[] = [];
  let scheduled = false;
  const stats: BatchSignerStats = { signatures: 0, messages: 0, largestBatch: 0 };

  const signBatch = (batch: Waiting[]): void => {
    let envelopes: SignatureEnvelope[];
    try {
      const { root, proofs } = buildHashTree(batch.map((w) => w.digest));
      const rootSignature = signRoot(privateKey, root).toString('base64');
      const ocspDer = ocsp();
      if (!(ocspDer instanceof Uint8Array) || ocspDer.length === 0 || ocspDer.length > MAX_ENVELOPE_DER_BYTES) {
        throw new ExchangeError('JPX_SIGNING_FAILED', `the OCSP source returned no response or one over ${MAX_ENVELOPE_DER_BYTES} bytes`);
      }
      const signerOcsp = Buffer.from(ocspDer).toString('base64');
      const signedAt = new Date().toISOString();
      envelopes = batch.map((_, leafIndex) => trustedEnvelope({
        algorithm,
        signerCertificate: certificate,
        signerOcsp,
        treeSize: batch.length,
        leafIndex,
        proof: (proofs[leafIndex] as Buffer[]).map((p) => p.toString('base64')),
        rootSignature,
        signedAt,
      }));
    } catch (cause) {
      const error = cause instanceof ExchangeError && cause.code === 'JPX_SIGNING_FAILED'
        ? cause
        : new ExchangeError('JPX_SIGNING_FAILED', `batch signing failed: ${(cause as Error)?.message ?? String(cause)}`, { cause });
      for (const w of batch) w.reject(error);
      return;
    }
    stats.signatures += 1;
    stats.messages += batch.length;
    stats.largestBatch = Math.max(stats.largestBatch, batch.length);
    batch.forEach((w, i) => w.resolve(envelopes[i] as SignatureEnvelope));
  };

  const drain = (): void => {
    signBatch(queue.splice(0, maxBatch));
    // Whatever arrived while this batch was signed (and any overflow) goes into the next one.
    if (queue.length > 0) setImmediate(drain);
    else scheduled = false;
  };

  return {
    sign(digest) {
      if (!(digest instanceof Uint8Array) || digest.length !== 32) {
        return Promise.reject(new ExchangeError('JPX_INVALID_ARGUMENT', 'digest must be 32 bytes'));
      }
      return new Promise<SignatureEnvelope>((resolve, reject) => {
        queue.push({ digest: Buffer.from(digest), resolve, reject });
        if (!scheduled) {
          scheduled = true;
          setImmediate(drain);
        }
      });
    },
    stats: () => ({ ...stats }),
  };
}
