// The OCSP responder's signing side, split into what is fixed per responder (prepared once: the
// certificate checked against the key, the responderID, the certificate list, the signature
// AlgorithmIdentifier) and what each response needs (ResponseData in DER, one node:crypto signature).
import { sign as cryptoSign, type KeyObject } from 'node:crypto';
import { PkiError } from './errors.ts';
import { certificateFields } from './cert-fields.ts';
import { digest, encode, toDer } from './der.ts';
import { NULL_DER, bitString, context, encodeDer, generalizedTime, integer, node, octetString, oid, sequence, type DerPart } from './der-writer.ts';
import { keyAlgorithmOf, sameKey, type KeyAlgorithm } from './keys.ts';
import { OCSP_RESPONSE_STATUS_CODES, REVOCATION_REASON_CODES, type OcspCertStatus, type OcspSingleResponseInput } from './ocsp-codes.ts';
import type { CertId } from './ocsp-request.ts';
import { OID } from './oids.ts';
import { parseCertificate, type ParsedCertificate } from './parse-certificate.ts';
import { signatureAlgorithmSchema } from './signature-algorithms.ts';

export interface PrepareOcspSignerOptions {
  /** The issuing CA itself or its delegated responder (EKU OCSPSigning); DER or PEM. */
  certificate: Uint8Array | string;
  privateKey: KeyObject;
  /** Certificates for BasicOCSPResponse.certs (normally the delegated responder certificate); default none. */
  includeCertificates?: Array<Uint8Array | string>;
}

/** A responder ready to sign: everything that does not change between responses, parsed and encoded once. */
export interface PreparedOcspSigner {
  /** DER of the responder certificate. */
  readonly certificate: Uint8Array;
  readonly parsed: ParsedCertificate;
  readonly privateKey: KeyObject;
  readonly keyAlgorithm: KeyAlgorithm;
  /** responderID byKey: SHA-1 of the subjectPublicKey BIT STRING value. */
  readonly responderKeyHash: Buffer;
  /** DER of the certificates placed in BasicOCSPResponse.certs. */
  readonly includeCertificates: readonly Uint8Array[];
  /** Pre-encoded DER: responderID ([2] byKey), signatureAlgorithm, and certs ([0] EXPLICIT) when there are any. */
  readonly encoded: { readonly responderId: Uint8Array; readonly signatureAlgorithm: Uint8Array; readonly certs?: Uint8Array };
}

export interface PreparedOcspResponseOptions {
  responses: OcspSingleResponseInput[];
  /** Echoed as id-pkix-ocsp-nonce. */
  nonce?: Uint8Array;
  /** Default now. */
  producedAt?: Date;
}

/**
 * Checks the responder certificate against its key and encodes the fixed parts once.
 * Throws PKI_CERT_MALFORMED, PKI_KEY_UNSUPPORTED or PKI_KEY_MISMATCH.
 */
export function prepareOcspSigner(opts: PrepareOcspSignerOptions): PreparedOcspSigner {
  const parsed = parseCertificate(opts.certificate);
  if (!sameKey(opts.privateKey, parsed.publicKey)) throw new PkiError('PKI_KEY_MISMATCH', 'responder key does not match its certificate');
  const keyAlgorithm = keyAlgorithmOf(opts.privateKey);
  const certificate = Uint8Array.from(parsed.der);
  const responderKeyHash = digest('sha1', certificateFields(certificate).subjectPublicKey);
  const includeCertificates = (opts.includeCertificates ?? []).map((c) => Uint8Array.from(certificateFields(toDer(c)).der));
  const encoded: PreparedOcspSigner['encoded'] = {
    responderId: encodeDer(context(2, octetString(responderKeyHash))),
    signatureAlgorithm: encode(signatureAlgorithmSchema(keyAlgorithm)),
    ...(includeCertificates.length ? { certs: encodeDer(context(0, sequence(...includeCertificates))) } : {}),
  };
  return Object.freeze({ certificate, parsed, privateKey: opts.privateKey, keyAlgorithm, responderKeyHash, includeCertificates: Object.freeze(includeCertificates), encoded: Object.freeze(encoded) });
}

/** CertID hash AlgorithmIdentifiers with NULL parameters, as OpenSSL sends them. */
const CERT_ID_ALGORITHMS: Record<string, Uint8Array> = {
  sha1: encodeDer(sequence(oid(OID.sha1), NULL_DER)),
  sha256: encodeDer(sequence(oid(OID.sha256), NULL_DER)),
};

const GOOD = new Uint8Array([0x80, 0x00]);
const UNKNOWN = new Uint8Array([0x82, 0x00]);
const SUCCESSFUL = encodeDer(integer(OCSP_RESPONSE_STATUS_CODES.successful, 0x0a));
const BASIC_TYPE = oid(OID.ocspBasic);
const NONCE_ID = oid(OID.ocspNonce);

function certIdDer(certId: CertId): DerPart {
  const algorithm = CERT_ID_ALGORITHMS[certId.hashAlgorithm];
  if (!algorithm) throw new PkiError('PKI_INVALID_ARGUMENT', `unsupported CertID hash ${String(certId.hashAlgorithm)}`);
  return sequence(algorithm, octetString(certId.issuerNameHash), octetString(certId.issuerKeyHash), integer(certId.serialNumber));
}

function certStatusDer(status: OcspCertStatus): DerPart {
  switch (status.type) {
    case 'good':
      return GOOD;
    case 'unknown':
      return UNKNOWN;
    case 'revoked': {
      const parts: DerPart[] = [generalizedTime(status.revokedAt)];
      if (status.reason !== undefined) {
        const code = REVOCATION_REASON_CODES[status.reason];
        if (code === undefined) throw new PkiError('PKI_INVALID_ARGUMENT', `unknown revocation reason ${String(status.reason)}`);
        parts.push(context(0, integer(code, 0x0a)));
      }
      return context(1, ...parts);
    }
    default:
      throw new PkiError('PKI_INVALID_ARGUMENT', 'unknown certificate status');
  }
}

function singleResponseDer(r: OcspSingleResponseInput): DerPart {
  const parts: DerPart[] = [certIdDer(r.certId), certStatusDer(r.status), generalizedTime(r.thisUpdate)];
  if (r.nextUpdate) parts.push(context(0, generalizedTime(r.nextUpdate)));
  return sequence(...parts);
}

/**
 * Signed, successful OCSPResponse (id-pkix-ocsp-basic, responderID byKey) from a prepared
 * signer: the same DER as buildOcspResponse. Times are truncated to whole seconds.
 */
export function buildPreparedOcspResponse(signer: PreparedOcspSigner, opts: PreparedOcspResponseOptions): Uint8Array {
  if (!opts.responses.length) throw new PkiError('PKI_INVALID_ARGUMENT', 'at least one response is required');
  const data: DerPart[] = [signer.encoded.responderId, generalizedTime(opts.producedAt ?? new Date()), sequence(...opts.responses.map(singleResponseDer))];
  if (opts.nonce) data.push(context(1, sequence(sequence(NONCE_ID, node(0x04, [octetString(opts.nonce)])))));
  const tbs = encodeDer(sequence(...data));
  const signature = cryptoSign('sha256', tbs, signer.privateKey);
  const basic: DerPart[] = [tbs, signer.encoded.signatureAlgorithm, bitString(signature)];
  if (signer.encoded.certs) basic.push(signer.encoded.certs);
  return encodeDer(sequence(SUCCESSFUL, context(0, sequence(BASIC_TYPE, node(0x04, [sequence(...basic)])))));
}
