import * as asn1js from 'asn1js';
import { pkijs } from './engine.ts';
import { PkiError } from './errors.ts';
import { certificateFields } from './cert-fields.ts';
import { isIssuerCandidate, isSignedBy, verifyCertificateChain } from './chain.ts';
import { bytesEqual, digest, encode, parseAsn1, toDer } from './der.ts';
import { decodeName, type NameInput } from './names.ts';
import { certIdEquals, certIdFor, certIdFromPkijs, nonceFromExtensions, type CertId } from './ocsp-request.ts';
import { OCSP_RESPONSE_STATUS_CODES, REVOCATION_REASON_CODES, type OcspErrorStatus, type RevocationReason } from './ocsp-codes.ts';
import { OID } from './oids.ts';
import { parseCertificate, type ParsedCertificate } from './parse-certificate.ts';
import { verifySignatureWithOid } from './signature-algorithms.ts';

export interface ParsedOcspSingleResponse {
  /** null when the CertID uses a hash other than SHA-1/SHA-256. */
  certId: CertId | null;
  status: 'good' | 'revoked' | 'unknown';
  revokedAt?: Date;
  reason?: RevocationReason;
  thisUpdate: Date;
  nextUpdate?: Date;
}

export interface ParsedOcspResponse {
  responseStatus: 'successful' | OcspErrorStatus;
  /** The fields below are only filled for a successful basic response. */
  responses: ParsedOcspSingleResponse[];
  producedAt?: Date;
  responderId?: { byKey: Buffer } | { byName: NameInput; byNameDer: Uint8Array };
  nonce?: Uint8Array;
  certificates: Uint8Array[];
  tbsResponseData?: Uint8Array;
  signatureAlgorithm?: string;
  signature?: Uint8Array;
}

export interface VerifyOcspResponseOptions {
  response: Uint8Array;
  /** CA certificate of the checked certificate. */
  issuer: Uint8Array;
  /** The checked certificate. */
  certificate: Uint8Array;
  /** When given, `issuer` must chain to one of these (at `at`). */
  trustAnchors?: Uint8Array[];
  /** When given, the response must carry exactly this nonce. */
  nonce?: Uint8Array;
  /** Default now. */
  at?: Date;
  /** Reject when thisUpdate is older than this. */
  maxAgeSeconds?: number;
  /** Tolerance for thisUpdate in the future and nextUpdate in the past; default 300 s (as OpenSSL). */
  clockSkewSeconds?: number;
}

export interface OcspVerificationResult {
  status: 'good' | 'revoked' | 'unknown';
  revokedAt?: Date;
  reason?: RevocationReason;
  thisUpdate: Date;
  nextUpdate?: Date;
  producedAt: Date;
  /** The certificate that signed the response (issuer or delegated responder). */
  responder: ParsedCertificate;
  delegated: boolean;
}

const STATUS_NAMES = Object.fromEntries(Object.entries(OCSP_RESPONSE_STATUS_CODES).map(([k, v]) => [v, k])) as Record<number, ParsedOcspResponse['responseStatus']>;
const REASON_NAMES = Object.fromEntries(Object.entries(REVOCATION_REASON_CODES).map(([k, v]) => [v, k])) as Record<number, RevocationReason>;

function malformed(why: string, cause?: unknown): PkiError {
  return new PkiError('PKI_OCSP_MALFORMED_RESPONSE', `OCSP response: ${why}`, cause === undefined ? undefined : { cause });
}

function parseSingle(single: InstanceType<typeof pkijs.SingleResponse>): ParsedOcspSingleResponse {
  const cs = single.certStatus as asn1js.BaseBlock;
  const base = { certId: certIdFromPkijs(single.certID), thisUpdate: single.thisUpdate } as ParsedOcspSingleResponse;
  if (single.nextUpdate) base.nextUpdate = single.nextUpdate;
  if (cs.idBlock.tagClass !== 3) throw malformed('bad certStatus');
  if (cs.idBlock.tagNumber === 0) return { ...base, status: 'good' };
  if (cs.idBlock.tagNumber === 2) return { ...base, status: 'unknown' };
  if (cs.idBlock.tagNumber !== 1) throw malformed('bad certStatus tag');
  const [time, reasonBlock] = (cs as asn1js.Constructed).valueBlock.value;
  if (!(time instanceof asn1js.GeneralizedTime)) throw malformed('bad revocationTime');
  const out: ParsedOcspSingleResponse = { ...base, status: 'revoked', revokedAt: time.toDate() };
  const enumerated = reasonBlock ? (reasonBlock as asn1js.Constructed).valueBlock.value?.[0] : undefined;
  if (enumerated instanceof asn1js.Enumerated) {
    const reason = REASON_NAMES[enumerated.valueBlock.valueDec];
    if (reason) out.reason = reason;
  }
  return out;
}

/** Decodes an OCSPResponse (no signature or trust checks). */
export function parseOcspResponse(der: Uint8Array): ParsedOcspResponse {
  const schema = parseAsn1(toDer(der), 'PKI_OCSP_MALFORMED_RESPONSE', 'OCSP response');
  let resp: InstanceType<typeof pkijs.OCSPResponse>;
  try {
    resp = new pkijs.OCSPResponse({ schema });
  } catch (cause) {
    throw malformed('not an OCSPResponse', cause);
  }
  const responseStatus = STATUS_NAMES[resp.responseStatus.valueBlock.valueDec];
  if (!responseStatus) throw malformed('unknown responseStatus');
  if (responseStatus !== 'successful') return { responseStatus, responses: [], certificates: [] };
  if (!resp.responseBytes || resp.responseBytes.responseType !== OID.ocspBasic) throw malformed('not an id-pkix-ocsp-basic response');
  let basic: InstanceType<typeof pkijs.BasicOCSPResponse>;
  try {
    const inner = parseAsn1(new Uint8Array(resp.responseBytes.response.valueBlock.valueHexView), 'PKI_OCSP_MALFORMED_RESPONSE', 'BasicOCSPResponse');
    basic = new pkijs.BasicOCSPResponse({ schema: inner });
  } catch (cause) {
    if (cause instanceof PkiError) throw cause;
    throw malformed('bad BasicOCSPResponse', cause);
  }
  const data = basic.tbsResponseData;
  const rid = data.responderID as unknown;
  let responderId: ParsedOcspResponse['responderId'];
  if (rid instanceof asn1js.OctetString) responderId = { byKey: Buffer.from(rid.valueBlock.valueHexView) };
  else if (rid instanceof pkijs.RelativeDistinguishedNames) {
    const byNameDer = rid.valueBeforeDecode.byteLength ? new Uint8Array(rid.valueBeforeDecode) : encode(rid.toSchema());
    responderId = { byName: decodeName(byNameDer), byNameDer };
  } else throw malformed('bad responderID');
  const out: ParsedOcspResponse = {
    responseStatus,
    responses: data.responses.map(parseSingle),
    producedAt: data.producedAt,
    responderId,
    certificates: (basic.certs ?? []).map((c) => encode(c.toSchema())),
    tbsResponseData: new Uint8Array(data.tbsView),
    signatureAlgorithm: basic.signatureAlgorithm.algorithmId,
    signature: new Uint8Array(basic.signature.valueBlock.valueHexView),
  };
  const nonce = nonceFromExtensions(data.responseExtensions);
  if (nonce) out.nonce = nonce;
  return out;
}

function matchesResponderId(cert: ParsedCertificate, rid: NonNullable<ParsedOcspResponse['responderId']>): boolean {
  const f = certificateFields(cert.der);
  if ('byKey' in rid) return digest('sha1', f.subjectPublicKey).equals(rid.byKey);
  return bytesEqual(f.subject, rid.byNameDer);
}

/**
 * Verifies an OCSP response for `certificate`: successful status, responder
 * is `issuer` or a delegated responder issued by it with EKU OCSPSigning,
 * signature, CertID match, nonce, and freshness. Each failure has its own code.
 */
export async function verifyOcspResponse(opts: VerifyOcspResponseOptions): Promise<OcspVerificationResult> {
  const at = opts.at ?? new Date();
  const skewMs = (opts.clockSkewSeconds ?? 300) * 1000;
  const parsed = parseOcspResponse(opts.response);
  if (parsed.responseStatus !== 'successful') throw new PkiError('PKI_OCSP_UNSUCCESSFUL', `OCSP responder answered ${parsed.responseStatus}`);
  const issuer = parseCertificate(opts.issuer);
  const checked = parseCertificate(opts.certificate);
  if (opts.trustAnchors) await verifyCertificateChain({ leaf: issuer.der, intermediates: [], trustAnchors: opts.trustAnchors, at });

  const rid = parsed.responderId as NonNullable<ParsedOcspResponse['responderId']>;
  let candidates: ParsedCertificate[];
  try {
    candidates = [issuer, ...parsed.certificates.map((c) => parseCertificate(c))];
  } catch (cause) {
    throw malformed('bad certificate in response', cause);
  }
  const responder = candidates.find((c) => matchesResponderId(c, rid));
  if (!responder) throw new PkiError('PKI_OCSP_RESPONDER_UNKNOWN', 'no certificate matches the responderID');
  const delegated = !bytesEqual(responder.der, issuer.der);
  if (delegated) {
    if (!isIssuerCandidate(responder, issuer) || !isSignedBy(responder.der, issuer)) {
      throw new PkiError('PKI_OCSP_RESPONDER_UNAUTHORIZED', 'responder certificate is not issued by the CA of the checked certificate');
    }
    if (!responder.extendedKeyUsage.includes('OCSPSigning')) throw new PkiError('PKI_OCSP_RESPONDER_UNAUTHORIZED', 'responder certificate lacks EKU OCSPSigning');
    if (at < responder.notBefore || at > responder.notAfter) throw new PkiError('PKI_OCSP_RESPONDER_UNAUTHORIZED', 'responder certificate is not valid at the verification time');
  }
  const signatureOk = verifySignatureWithOid({
    algorithm: parsed.signatureAlgorithm as string,
    data: parsed.tbsResponseData as Uint8Array,
    signature: parsed.signature as Uint8Array,
    publicKey: responder.publicKey,
  });
  if (!signatureOk) throw new PkiError('PKI_OCSP_SIGNATURE_INVALID', 'OCSP response signature does not verify');

  const single = parsed.responses.find(
    (r) => r.certId !== null && certIdEquals(r.certId, certIdFor({ issuer: issuer.der, serialNumber: checked.serialNumber, hashAlgorithm: r.certId.hashAlgorithm })),
  );
  if (!single || !bytesEqual(certificateFields(checked.der).issuer, certificateFields(issuer.der).subject)) {
    throw new PkiError('PKI_OCSP_CERT_ID_MISMATCH', 'OCSP response does not cover the checked certificate');
  }
  if (opts.nonce && !(parsed.nonce && bytesEqual(parsed.nonce, opts.nonce))) {
    throw new PkiError('PKI_OCSP_NONCE_MISMATCH', parsed.nonce ? 'OCSP nonce differs from the request' : 'OCSP response has no nonce');
  }
  if (single.thisUpdate.getTime() > at.getTime() + skewMs) throw new PkiError('PKI_OCSP_NOT_YET_VALID', 'OCSP thisUpdate is in the future');
  if (single.nextUpdate && single.nextUpdate.getTime() < at.getTime() - skewMs) throw new PkiError('PKI_OCSP_EXPIRED', 'OCSP nextUpdate has passed');
  if (opts.maxAgeSeconds !== undefined && at.getTime() - single.thisUpdate.getTime() > opts.maxAgeSeconds * 1000) {
    throw new PkiError('PKI_OCSP_STALE', `OCSP thisUpdate is older than ${opts.maxAgeSeconds} s`);
  }
  const result: OcspVerificationResult = {
    status: single.status,
    thisUpdate: single.thisUpdate,
    producedAt: parsed.producedAt as Date,
    responder,
    delegated,
  };
  if (single.revokedAt) result.revokedAt = single.revokedAt;
  if (single.reason) result.reason = single.reason;
  if (single.nextUpdate) result.nextUpdate = single.nextUpdate;
  return result;
}

