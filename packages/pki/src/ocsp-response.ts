import type { KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import { pkijs } from './engine.ts';
import { PkiError } from './errors.ts';
import { certificateFields } from './cert-fields.ts';
import { digest, encode, parseAsn1, toArrayBuffer, wholeSeconds } from './der.ts';
import { keyAlgorithmOf, sameKey, sign } from './keys.ts';
import { certIdToPkijs, nonceExtension, type CertId } from './ocsp-request.ts';
import { OID } from './oids.ts';
import { parseCertificate } from './parse-certificate.ts';
import { signatureAlgorithmOid } from './signature-algorithms.ts';

export type RevocationReason =
  | 'unspecified'
  | 'keyCompromise'
  | 'cACompromise'
  | 'affiliationChanged'
  | 'superseded'
  | 'cessationOfOperation'
  | 'certificateHold'
  | 'removeFromCRL'
  | 'privilegeWithdrawn'
  | 'aACompromise';

/** CRLReason codes (RFC 5280 §5.3.1; 7 is unused). */
export const REVOCATION_REASON_CODES: Readonly<Record<RevocationReason, number>> = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  removeFromCRL: 8,
  privilegeWithdrawn: 9,
  aACompromise: 10,
};

export type OcspCertStatus =
  | { type: 'good' }
  | { type: 'revoked'; revokedAt: Date; reason?: RevocationReason }
  | { type: 'unknown' };

export interface OcspSingleResponseInput {
  certId: CertId;
  status: OcspCertStatus;
  thisUpdate: Date;
  nextUpdate?: Date;
}

export interface BuildOcspResponseOptions {
  /** The issuing CA itself or its delegated responder (EKU OCSPSigning). */
  responder: { certificate: Uint8Array; privateKey: KeyObject };
  responses: OcspSingleResponseInput[];
  /** Echoed as id-pkix-ocsp-nonce. */
  nonce?: Uint8Array;
  /** Default now. */
  producedAt?: Date;
  /** Certificates for BasicOCSPResponse.certs (normally the delegated responder certificate). */
  includeCertificates?: Uint8Array[];
}

export type OcspErrorStatus = 'malformedRequest' | 'internalError' | 'tryLater' | 'sigRequired' | 'unauthorized';

export const OCSP_RESPONSE_STATUS_CODES = {
  successful: 0,
  malformedRequest: 1,
  internalError: 2,
  tryLater: 3,
  sigRequired: 5,
  unauthorized: 6,
} as const;

function certStatusSchema(status: OcspCertStatus): asn1js.BaseBlock {
  switch (status.type) {
    case 'good':
      return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 } });
    case 'unknown':
      return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 2 } });
    case 'revoked': {
      const value: asn1js.BaseBlock[] = [new asn1js.GeneralizedTime({ valueDate: wholeSeconds(status.revokedAt) })];
      if (status.reason !== undefined) {
        const code = REVOCATION_REASON_CODES[status.reason];
        if (code === undefined) throw new PkiError('PKI_INVALID_ARGUMENT', `unknown revocation reason ${String(status.reason)}`);
        value.push(new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [new asn1js.Enumerated({ value: code })] }));
      }
      return new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 1 }, value });
    }
    default:
      throw new PkiError('PKI_INVALID_ARGUMENT', 'unknown certificate status');
  }
}

function toPkijsCertificate(der: Uint8Array): InstanceType<typeof pkijs.Certificate> {
  return new pkijs.Certificate({ schema: parseAsn1(der, 'PKI_CERT_MALFORMED', 'certificate') });
}

/** Signed, successful OCSPResponse (id-pkix-ocsp-basic), responderID byKey. */
export async function buildOcspResponse(opts: BuildOcspResponseOptions): Promise<Uint8Array> {
  if (!opts.responses.length) throw new PkiError('PKI_INVALID_ARGUMENT', 'at least one response is required');
  const responderCert = parseCertificate(opts.responder.certificate);
  if (!sameKey(opts.responder.privateKey, responderCert.publicKey)) throw new PkiError('PKI_KEY_MISMATCH', 'responder key does not match its certificate');
  const alg = keyAlgorithmOf(opts.responder.privateKey);

  const responses = opts.responses.map((r) => {
    const single = new pkijs.SingleResponse({
      certID: certIdToPkijs(r.certId),
      certStatus: certStatusSchema(r.status),
      thisUpdate: wholeSeconds(r.thisUpdate),
    });
    if (r.nextUpdate) single.nextUpdate = wholeSeconds(r.nextUpdate);
    return single;
  });
  const keyHash = digest('sha1', certificateFields(responderCert.der).subjectPublicKey);
  const data = new pkijs.ResponseData({
    responderID: new asn1js.OctetString({ valueHex: toArrayBuffer(keyHash) }),
    producedAt: wholeSeconds(opts.producedAt ?? new Date()),
    responses,
  });
  if (opts.nonce) data.responseExtensions = [nonceExtension(opts.nonce)];
  const tbs = encode(data.toSchema(true));
  data.tbsView = tbs;

  const sigAlg = signatureAlgorithmOid(alg);
  const basic = new pkijs.BasicOCSPResponse({
    tbsResponseData: data,
    signatureAlgorithm: sigAlg.nullParams
      ? new pkijs.AlgorithmIdentifier({ algorithmId: sigAlg.oid, algorithmParams: new asn1js.Null() })
      : new pkijs.AlgorithmIdentifier({ algorithmId: sigAlg.oid }),
    signature: new asn1js.BitString({ valueHex: toArrayBuffer(sign(tbs, opts.responder.privateKey)) }),
  });
  if (opts.includeCertificates?.length) basic.certs = opts.includeCertificates.map(toPkijsCertificate);

  const response = new pkijs.OCSPResponse({
    responseStatus: new asn1js.Enumerated({ value: OCSP_RESPONSE_STATUS_CODES.successful }),
    responseBytes: new pkijs.ResponseBytes({
      responseType: OID.ocspBasic,
      response: new asn1js.OctetString({ valueHex: toArrayBuffer(encode(basic.toSchema())) }),
    }),
  });
  return encode(response.toSchema());
}

/** Unsigned error OCSPResponse (responseStatus only, RFC 6960 §2.3). */
export function buildOcspErrorResponse(status: OcspErrorStatus): Uint8Array {
  const code = OCSP_RESPONSE_STATUS_CODES[status];
  if (code === undefined || status === ('successful' as OcspErrorStatus)) throw new PkiError('PKI_INVALID_ARGUMENT', `not an OCSP error status: ${String(status)}`);
  return encode(new asn1js.Sequence({ value: [new asn1js.Enumerated({ value: code })] }));
}
