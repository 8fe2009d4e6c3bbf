import type { KeyObject } from 'node:crypto';
import { PkiError } from './errors.ts';
import { bytesEqual, toDer } from './der.ts';
import { buildSignedData, openSignedData, verifySigner } from './cms-core.ts';
import { verifyCertificateChain } from './chain.ts';
import { OID } from './oids.ts';
import type { ParsedCertificate } from './parse-certificate.ts';

export interface SignDetachedOptions {
  data: Uint8Array;
  signer: { certificate: Uint8Array; privateKey: KeyObject };
  /** Extra certificates to include (e.g. the issuing CA). The signer certificate is always included. */
  chain?: Uint8Array[];
  /** Default now. */
  signingTime?: Date;
}

export interface VerifyDetachedOptions {
  signature: Uint8Array;
  data: Uint8Array;
  /** Accept when the signer certificate equals (DER) one of these. */
  trustedSigners?: Uint8Array[];
  /** Accept when the signer certificate chains to one of these (validated at `at`). */
  trustAnchors?: Uint8Array[];
  /** Extra intermediates for the chain (besides those in the signature). */
  intermediates?: Uint8Array[];
  /** Chain validation time; default now. */
  at?: Date;
}

/**
 * CMS SignedData (ContentInfo DER) without encapsulated content, SHA-256,
 * signed attributes contentType(id-data), signingTime and messageDigest.
 */
export async function signDetached(opts: SignDetachedOptions): Promise<Uint8Array> {
  const signerDer = toDer(opts.signer.certificate);
  const chain = (opts.chain ?? []).map((c) => toDer(c)).filter((c) => !bytesEqual(c, signerDer));
  const input = {
    eContentType: OID.data,
    content: opts.data,
    signer: { certificate: signerDer, privateKey: opts.signer.privateKey },
    certificates: [signerDer, ...chain],
  };
  return buildSignedData(opts.signingTime ? { ...input, signingTime: opts.signingTime } : input);
}

/**
 * Verifies a detached CMS signature over `data`. Trust: the signer
 * certificate must equal one of `trustedSigners` (pinning; validity dates
 * are not checked then) or chain to `trustAnchors`. With neither, throws
 * PKI_CMS_SIGNER_UNTRUSTED.
 */
export async function verifyDetached(opts: VerifyDetachedOptions): Promise<{ signer: ParsedCertificate; signingTime?: Date }> {
  let signatureDer: Uint8Array;
  try {
    signatureDer = toDer(opts.signature);
  } catch (cause) {
    throw new PkiError('PKI_CMS_MALFORMED', 'signature is not DER or PEM', { cause });
  }
  const opened = openSignedData(signatureDer, 'PKI_CMS_MALFORMED');
  if (opened.eContent) throw new PkiError('PKI_CMS_MALFORMED', 'signature is not detached');
  const pinned = (opts.trustedSigners ?? []).map((c) => toDer(c));
  const verified = verifySigner(opened, opts.data, pinned, {
    malformed: 'PKI_CMS_MALFORMED',
    signature: 'PKI_CMS_SIGNATURE_INVALID',
    signerNotFound: 'PKI_CMS_SIGNER_UNTRUSTED',
  });
  const result: { signer: ParsedCertificate; signingTime?: Date } = { signer: verified.signer };
  if (verified.signingTime) result.signingTime = verified.signingTime;

  if (pinned.some((c) => bytesEqual(c, verified.signer.der))) return result;
  if (opts.trustAnchors?.length) {
    try {
      await verifyCertificateChain({
        leaf: verified.signer.der,
        intermediates: [...opened.certificates, ...(opts.intermediates ?? [])],
        trustAnchors: opts.trustAnchors,
        at: opts.at ?? new Date(),
      });
      return result;
    } catch (cause) {
      throw new PkiError('PKI_CMS_SIGNER_UNTRUSTED', `signer certificate does not chain to a trust anchor: ${(cause as Error).message}`, { cause });
    }
  }
  throw new PkiError('PKI_CMS_SIGNER_UNTRUSTED', 'signer certificate is not trusted');
}
