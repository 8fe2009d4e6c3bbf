import { PkiError } from './errors.ts';
import { bytesEqual, digest, toDer } from './der.ts';
import { openSignedData, verifySigner } from './cms-core.ts';
import { verifyCertificateChain } from './chain.ts';
import { checkSigningCertificate } from './ess.ts';
import { OID, hashNameOf } from './oids.ts';
import type { ParsedCertificate } from './parse-certificate.ts';
import { extractTimeStampToken, isTimeStampResponse, parseTstInfo, type ParsedTstInfo } from './tsp-parse.ts';

export interface VerifyTimeStampTokenOptions {
  /** TimeStampToken (ContentInfo DER) or a whole TimeStampResp. */
  token: Uint8Array;
  /** The time-stamped data; or give `digest`. */
  data?: Uint8Array;
  /** The expected imprint (same hash as in the token). */
  digest?: Uint8Array;
  trustAnchors: Uint8Array[];
  /** Extra certificates (e.g. the TSA certificate when the token carries none, and its CA). */
  intermediates?: Uint8Array[];
  /** The nonce sent in the request. */
  nonce?: bigint;
}

export interface TimeStampVerificationResult {
  genTime: Date;
  serialNumber: bigint;
  policy: string;
  signer: ParsedCertificate;
  nonce?: bigint;
  accuracy?: ParsedTstInfo['accuracy'];
  hashAlgorithm: string;
  messageImprint: Buffer;
}

const CODES = {
  malformed: 'PKI_TSP_MALFORMED_RESPONSE',
  signature: 'PKI_TSP_SIGNATURE_INVALID',
  signerNotFound: 'PKI_TSP_SIGNER_NOT_FOUND',
} as const;

/**
 * Verifies a time-stamp token: imprint against data/digest, nonce, CMS
 * signature and signed attributes, ESS SigningCertificate(V2) binding, TSA
 * EKU (timeStamping, critical, only) and the TSA chain at genTime.
 */
export async function verifyTimeStampToken(opts: VerifyTimeStampTokenOptions): Promise<TimeStampVerificationResult> {
  let der: Uint8Array;
  try {
    der = toDer(opts.token);
  } catch (cause) {
    throw new PkiError('PKI_TSP_MALFORMED_RESPONSE', 'token is not DER or PEM', { cause });
  }
  const token = isTimeStampResponse(der) ? extractTimeStampToken(der) : der;
  const opened = openSignedData(token, 'PKI_TSP_MALFORMED_RESPONSE');
  if (opened.eContentType !== OID.tstInfo || !opened.eContent) throw new PkiError('PKI_TSP_MALFORMED_RESPONSE', 'not a TSTInfo token');
  const tst = parseTstInfo(opened.eContent);
  if (tst.version !== 1) throw new PkiError('PKI_TSP_MALFORMED_RESPONSE', `unsupported TSTInfo version ${tst.version}`);

  const hash = hashNameOf(tst.hashAlgorithm);
  if (opts.digest) {
    if (!bytesEqual(opts.digest, tst.messageImprint)) throw new PkiError('PKI_TSP_IMPRINT_MISMATCH', 'messageImprint differs from the given digest');
  } else if (opts.data) {
    if (!hash || hash === 'sha1') throw new PkiError('PKI_TSP_UNSUPPORTED_ALGORITHM', `unsupported imprint hash ${tst.hashAlgorithm}`);
    if (!digest(hash, opts.data).equals(tst.messageImprint)) throw new PkiError('PKI_TSP_IMPRINT_MISMATCH', 'messageImprint does not match the data');
  } else {
    throw new PkiError('PKI_INVALID_ARGUMENT', 'data or digest is required');
  }
  if (opts.nonce !== undefined && tst.nonce !== opts.nonce) throw new PkiError('PKI_TSP_NONCE_MISMATCH', 'nonce differs from the request');

  const verified = verifySigner(opened, opened.eContent, (opts.intermediates ?? []).map((c) => toDer(c)), CODES);
  checkSigningCertificate(verified.attributes, verified.signer.der);
  const signer = verified.signer;
  if (signer.extendedKeyUsage.length !== 1 || signer.extendedKeyUsage[0] !== 'timeStamping' || !signer.extendedKeyUsageCritical) {
    throw new PkiError('PKI_CERT_USAGE', 'TSA certificate must have timeStamping as its only, critical EKU');
  }
  await verifyCertificateChain({
    leaf: signer.der,
    intermediates: [...opened.certificates, ...(opts.intermediates ?? []).map((c) => toDer(c))],
    trustAnchors: opts.trustAnchors,
    at: tst.genTime,
    requiredEku: 'timeStamping',
  });

  const result: TimeStampVerificationResult = {
    genTime: tst.genTime,
    serialNumber: tst.serialNumber,
    policy: tst.policy,
    signer,
    hashAlgorithm: tst.hashAlgorithm,
    messageImprint: tst.messageImprint,
  };
  if (tst.nonce !== undefined) result.nonce = tst.nonce;
  if (tst.accuracy) result.accuracy = tst.accuracy;
  return result;
}
