// The TSA's signing side, split into what is fixed per TSA (prepared once: certificate and EKU
// checks, key match, ESS SigningCertificateV2, signer identifier, certificate set, policy and
// accuracy in DER) and what each token needs (TSTInfo and signed attributes in DER, one
// node:crypto signature). The token is CMS SignedData (RFC 5652) with eContentType id-ct-TSTInfo.
import { sign as cryptoSign, type KeyObject } from 'node:crypto';
import { PkiError } from './errors.ts';
import { certificateFields } from './cert-fields.ts';
import { bytesEqual, digest, encode, toDer } from './der.ts';
import { NULL_DER, context, encodeDer, generalizedTime, integer, octetString, oid, primitive, sequence, set, utcTime, type DerPart } from './der-writer.ts';
import { signingCertificateV2Attribute } from './ess.ts';
import { keyAlgorithmOf, sameKey, type KeyAlgorithm } from './keys.ts';
import { HASH_LENGTH, OID, hashNameOf } from './oids.ts';
import { parseCertificate, type ParsedCertificate } from './parse-certificate.ts';
import type { ParsedTimeStampRequest } from './tsp-request.ts';

export interface PrepareTimeStampSignerOptions {
  /** TSA certificate (DER or PEM): timeStamping must be its only, critical EKU. */
  certificate: Uint8Array | string;
  privateKey: KeyObject;
  /** Further certificates for the token (e.g. the issuing CA), included with the TSA certificate when the request sets certReq. */
  chain?: Array<Uint8Array | string>;
  /** TSA policy OID. */
  policy: string;
  /** Accuracy of genTime; fractions become millis. */
  accuracySeconds?: number;
}

/** A TSA ready to sign: everything that does not change between tokens, checked and encoded once. */
export interface PreparedTimeStampSigner {
  /** DER of the TSA certificate. */
  readonly certificate: Uint8Array;
  readonly parsed: ParsedCertificate;
  readonly privateKey: KeyObject;
  readonly keyAlgorithm: KeyAlgorithm;
  readonly policy: string;
  readonly accuracySeconds?: number;
  /** DER of the chain certificates (without the TSA certificate). */
  readonly chain: readonly Uint8Array[];
  /** Pre-encoded DER pieces of the token. */
  readonly encoded: {
    /** TSTInfo.policy (OBJECT IDENTIFIER). */
    readonly policy: Uint8Array;
    /** TSTInfo.accuracy, when configured. */
    readonly accuracy?: Uint8Array;
    /** Signed attribute contentType = id-ct-TSTInfo. */
    readonly contentTypeAttribute: Uint8Array;
    /** Signed attribute ESS SigningCertificateV2 (RFC 5816) for the TSA certificate. */
    readonly signingCertificateAttribute: Uint8Array;
    /** SignerIdentifier: IssuerAndSerialNumber of the TSA certificate. */
    readonly signerIdentifier: Uint8Array;
    readonly signatureAlgorithm: Uint8Array;
    /** SignedData.certificates ([0] IMPLICIT): TSA certificate, then the chain. */
    readonly certificates: Uint8Array;
  };
}

export interface PreparedTimeStampResponseOptions {
  request: ParsedTimeStampRequest;
  /** Unique per token, positive, at most 160 bits. */
  serialNumber: bigint;
  genTime: Date;
}

function accuracyDer(seconds: number): Uint8Array {
  if (!(seconds > 0) || !Number.isFinite(seconds)) throw new PkiError('PKI_INVALID_ARGUMENT', 'accuracySeconds must be positive');
  const whole = Math.floor(seconds);
  const millis = Math.round((seconds - whole) * 1000);
  const parts: DerPart[] = [];
  if (whole > 0) parts.push(integer(whole));
  if (millis > 0) parts.push(integer(millis, 0x80));
  return encodeDer(sequence(...parts));
}

function attributeDer(type: string, value: DerPart): Uint8Array {
  return encodeDer(sequence(oid(type), set(value)));
}

/** CMS SignerInfo.signatureAlgorithm as this package has always written it. */
function cmsSignatureAlgorithm(alg: KeyAlgorithm): Uint8Array {
  return alg === 'EC-P256' ? encodeDer(sequence(oid(OID.ecdsaWithSHA256))) : encodeDer(sequence(oid(OID.rsaEncryption), NULL_DER));
}

/**
 * Checks the TSA certificate (sole, critical timeStamping EKU) and key, and encodes the fixed
 * parts once. Throws PKI_CERT_USAGE, PKI_KEY_MISMATCH, PKI_CERT_MALFORMED or PKI_INVALID_ARGUMENT.
 */
export function prepareTimeStampSigner(opts: PrepareTimeStampSignerOptions): PreparedTimeStampSigner {
  const parsed = parseCertificate(opts.certificate);
  if (parsed.extendedKeyUsage.length !== 1 || parsed.extendedKeyUsage[0] !== 'timeStamping' || !parsed.extendedKeyUsageCritical) {
    throw new PkiError('PKI_CERT_USAGE', 'TSA certificate must have timeStamping as its only, critical EKU');
  }
  if (!sameKey(opts.privateKey, parsed.publicKey)) throw new PkiError('PKI_KEY_MISMATCH', 'signer key does not match its certificate');
  const keyAlgorithm = keyAlgorithmOf(opts.privateKey);
  const certificate = Uint8Array.from(parsed.der);
  const fields = certificateFields(certificate);
  const chain = (opts.chain ?? []).map((c) => Uint8Array.from(certificateFields(toDer(c)).der)).filter((c) => !bytesEqual(c, certificate));
  const encoded: PreparedTimeStampSigner['encoded'] = {
    policy: oid(opts.policy),
    ...(opts.accuracySeconds !== undefined ? { accuracy: accuracyDer(opts.accuracySeconds) } : {}),
    contentTypeAttribute: attributeDer(OID.contentType, oid(OID.tstInfo)),
    signingCertificateAttribute: encode(signingCertificateV2Attribute(certificate).toSchema()),
    signerIdentifier: encodeDer(sequence(fields.issuer, primitive(0x02, fields.serialBytes))),
    signatureAlgorithm: cmsSignatureAlgorithm(keyAlgorithm),
    certificates: encodeDer(context(0, certificate, ...chain)),
  };
  const signer: PreparedTimeStampSigner = {
    certificate,
    parsed,
    privateKey: opts.privateKey,
    keyAlgorithm,
    policy: opts.policy,
    chain: Object.freeze(chain),
    encoded: Object.freeze(encoded),
  };
  return Object.freeze(opts.accuracySeconds !== undefined ? { ...signer, accuracySeconds: opts.accuracySeconds } : signer);
}

/**
 * Checks a request against what the TSA serves. Throws PKI_TSP_UNSUPPORTED_ALGORITHM (hash not
 * SHA-256/384/512 or wrong imprint length), PKI_TSP_UNACCEPTED_POLICY and PKI_INVALID_ARGUMENT (serial).
 */
export function checkTimeStampRequest(request: ParsedTimeStampRequest, policy: string, serialNumber: bigint): void {
  const hash = hashNameOf(request.hashAlgorithm);
  if (!hash || hash === 'sha1') throw new PkiError('PKI_TSP_UNSUPPORTED_ALGORITHM', `unsupported hash algorithm ${request.hashAlgorithm}`);
  if (request.messageImprint.length !== HASH_LENGTH[hash]) throw new PkiError('PKI_TSP_UNSUPPORTED_ALGORITHM', 'imprint length does not match the hash algorithm');
  if (request.policy !== undefined && request.policy !== policy) throw new PkiError('PKI_TSP_UNACCEPTED_POLICY', `policy ${request.policy} is not served`);
  if (serialNumber <= 0n || serialNumber >= 1n << 160n) throw new PkiError('PKI_INVALID_ARGUMENT', 'serialNumber must be positive and at most 160 bits');
}

/** signingTime: UTCTime for 1950–2049, else GeneralizedTime, whole seconds (RFC 5652 §11.3). */
function signingTimeDer(date: Date): DerPart {
  const year = date.getUTCFullYear();
  return year >= 1950 && year < 2050 ? utcTime(date) : generalizedTime(date);
}

const VERSION_1 = encodeDer(integer(1));
const VERSION_3 = encodeDer(integer(3));
const SHA256_ALGORITHM = encodeDer(sequence(oid(OID.sha256)));
const DIGEST_ALGORITHMS = encodeDer(set(SHA256_ALGORITHM));
const TST_INFO_TYPE = oid(OID.tstInfo);
const SIGNED_DATA_TYPE = oid(OID.signedData);
const GRANTED = encodeDer(sequence(integer(0)));

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

/**
 * Granted TimeStampResp from a prepared signer: the same token as buildTimeStampResponse
 * (TSTInfo v1 with policy, copied messageImprint, serial, genTime, accuracy and echoed nonce;
 * signed attributes contentType, messageDigest, signingTime and ESS SigningCertificateV2;
 * certificates when the request set certReq). Throws as checkTimeStampRequest.
 */
export function buildPreparedTimeStampResponse(signer: PreparedTimeStampSigner, opts: PreparedTimeStampResponseOptions): Uint8Array {
  const { request } = opts;
  checkTimeStampRequest(request, signer.policy, opts.serialNumber);
  const algorithm = request.hashAlgorithmParameters === 'absent' ? sequence(oid(request.hashAlgorithm)) : sequence(oid(request.hashAlgorithm), NULL_DER);
  const tst: DerPart[] = [
    VERSION_1,
    signer.encoded.policy,
    sequence(algorithm, octetString(request.messageImprint)),
    integer(opts.serialNumber),
    generalizedTime(opts.genTime, true),
  ];
  if (signer.encoded.accuracy) tst.push(signer.encoded.accuracy);
  if (request.nonce !== undefined) tst.push(integer(request.nonce));
  const tstInfo = encodeDer(sequence(...tst));

  // SET OF Attribute in DER order, as verifiers re-encode the set before checking the signature.
  const attributes = [
    signer.encoded.contentTypeAttribute,
    attributeDer(OID.signingTime, signingTimeDer(opts.genTime)),
    attributeDer(OID.messageDigest, octetString(digest('sha256', tstInfo))),
    signer.encoded.signingCertificateAttribute,
  ].sort(compareBytes);
  const signature = cryptoSign('sha256', encodeDer(set(...attributes)), signer.privateKey);

  const signerInfo = sequence(VERSION_1, signer.encoded.signerIdentifier, SHA256_ALGORITHM, context(0, ...attributes), signer.encoded.signatureAlgorithm, octetString(signature));
  const signedData: DerPart[] = [VERSION_3, DIGEST_ALGORITHMS, sequence(TST_INFO_TYPE, context(0, octetString(tstInfo)))];
  if (request.certReq) signedData.push(signer.encoded.certificates);
  signedData.push(set(signerInfo));
  return encodeDer(sequence(GRANTED, sequence(SIGNED_DATA_TYPE, context(0, sequence(...signedData)))));
}
