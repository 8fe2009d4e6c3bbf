import { randomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';
import { pkijs } from './engine.ts';
import { PkiError } from './errors.ts';
import { certificateFields } from './cert-fields.ts';
import { bigintToInteger, bytesEqual, digest, encode, integerToBigint, toArrayBuffer, toBuffer, toDer } from './der.ts';
import { isPreparedIssuer, preparedIssuerOf, type PreparedIssuer } from './ocsp-issuer.ts';
import { OID } from './oids.ts';

export type CertIdHashAlgorithm = 'sha1' | 'sha256';

/** RFC 6960 CertID. */
export interface CertId {
  hashAlgorithm: CertIdHashAlgorithm;
  issuerNameHash: Buffer;
  issuerKeyHash: Buffer;
  serialNumber: bigint;
}

export interface ParsedOcspRequest {
  requests: CertId[];
  /** Value of the id-pkix-ocsp-nonce extension (the inner OCTET STRING content, RFC 8954). */
  nonce?: Uint8Array;
}

const CERT_ID_HASH: Record<string, CertIdHashAlgorithm> = { [OID.sha1]: 'sha1', [OID.sha256]: 'sha256' };

/** CertID of `certificate` (or of a bare serial number) under `issuer`. */
export function certIdFor(params: { issuer: Uint8Array | string; certificate?: Uint8Array | string; serialNumber?: bigint; hashAlgorithm?: CertIdHashAlgorithm }): CertId {
  const hashAlgorithm = params.hashAlgorithm ?? 'sha1';
  const issuer = certificateFields(params.issuer);
  let serialNumber = params.serialNumber;
  if (params.certificate !== undefined) {
    const cert = certificateFields(params.certificate);
    if (!bytesEqual(cert.issuer, issuer.subject)) throw new PkiError('PKI_INVALID_ARGUMENT', 'certificate was not issued by the given issuer (name mismatch)');
    serialNumber = cert.serialNumber;
  }
  if (serialNumber === undefined) throw new PkiError('PKI_INVALID_ARGUMENT', 'certificate or serialNumber is required');
  return {
    hashAlgorithm,
    issuerNameHash: digest(hashAlgorithm, issuer.subject),
    issuerKeyHash: digest(hashAlgorithm, issuer.subjectPublicKey),
    serialNumber,
  };
}

/**
 * True when the CertID's issuerNameHash/issuerKeyHash were computed over this
 * issuer: the DER subject name and the subjectPublicKey BIT STRING value.
 * Pass a `prepareIssuer` result to avoid parsing the certificate per call.
 */
export function certIdMatchesIssuer(certId: CertId, issuer: Uint8Array | string | PreparedIssuer): boolean {
  const prepared = isPreparedIssuer(issuer) ? issuer : preparedIssuerOf(issuer);
  const alg = certId.hashAlgorithm;
  if (alg !== 'sha1' && alg !== 'sha256') return false;
  return prepared.nameHash[alg].equals(certId.issuerNameHash) && prepared.keyHash[alg].equals(certId.issuerKeyHash);
}

export function certIdEquals(a: CertId, b: CertId): boolean {
  return a.hashAlgorithm === b.hashAlgorithm && a.serialNumber === b.serialNumber && a.issuerNameHash.equals(b.issuerNameHash) && a.issuerKeyHash.equals(b.issuerKeyHash);
}

/** pkijs CertID (hash AlgorithmIdentifier with NULL parameters, as OpenSSL sends). */
export function certIdToPkijs(certId: CertId): InstanceType<typeof pkijs.CertID> {
  return new pkijs.CertID({
    hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID[certId.hashAlgorithm], algorithmParams: new asn1js.Null() }),
    issuerNameHash: new asn1js.OctetString({ valueHex: toArrayBuffer(certId.issuerNameHash) }),
    issuerKeyHash: new asn1js.OctetString({ valueHex: toArrayBuffer(certId.issuerKeyHash) }),
    serialNumber: bigintToInteger(certId.serialNumber),
  });
}

/** Our CertId from a pkijs CertID; null when the hash algorithm is neither SHA-1 nor SHA-256. */
export function certIdFromPkijs(id: InstanceType<typeof pkijs.CertID>): CertId | null {
  const hashAlgorithm = CERT_ID_HASH[id.hashAlgorithm.algorithmId];
  if (!hashAlgorithm) return null;
  const issuerNameHash = toBuffer(id.issuerNameHash.valueBlock.valueHexView);
  const issuerKeyHash = toBuffer(id.issuerKeyHash.valueBlock.valueHexView);
  const len = hashAlgorithm === 'sha1' ? 20 : 32;
  if (issuerNameHash.length !== len || issuerKeyHash.length !== len) return null;
  return { hashAlgorithm, issuerNameHash: Buffer.from(issuerNameHash), issuerKeyHash: Buffer.from(issuerKeyHash), serialNumber: integerToBigint(id.serialNumber) };
}

/** extnValue of the nonce extension: DER OCTET STRING wrapping the nonce. */
export function nonceExtension(nonce: Uint8Array): InstanceType<typeof pkijs.Extension> {
  return new pkijs.Extension({ extnID: OID.ocspNonce, critical: false, extnValue: toArrayBuffer(encode(new asn1js.OctetString({ valueHex: toArrayBuffer(nonce) }))) });
}

/** Nonce from an extension list: the inner OCTET STRING, or the raw extnValue if it is not one. */
export function nonceFromExtensions(exts: Array<InstanceType<typeof pkijs.Extension>> | undefined): Uint8Array | undefined {
  const ext = exts?.find((e) => e.extnID === OID.ocspNonce);
  if (!ext) return undefined;
  const value = new Uint8Array(ext.extnValue.valueBlock.valueHexView);
  const inner = asn1js.fromBER(toArrayBuffer(value));
  if (inner.offset === value.length && inner.result instanceof asn1js.OctetString && !inner.result.idBlock.isConstructed) {
    return new Uint8Array(inner.result.valueBlock.valueHexView);
  }
  return value;
}

/** OCSP request for one certificate (SHA-1 CertID by default, like OpenSSL), with a 16-byte nonce by default. */
export async function createOcspRequest(opts: {
  certificate: Uint8Array;
  issuer: Uint8Array;
  nonce?: boolean;
  hashAlgorithm?: CertIdHashAlgorithm;
}): Promise<{ der: Uint8Array; nonce?: Uint8Array; certId: CertId }> {
  const certId = certIdFor({ issuer: toDer(opts.issuer), certificate: toDer(opts.certificate), hashAlgorithm: opts.hashAlgorithm ?? 'sha1' });
  const nonce = opts.nonce === false ? undefined : new Uint8Array(randomBytes(16));
  const tbs = new pkijs.TBSRequest({ requestList: [new pkijs.Request({ reqCert: certIdToPkijs(certId) })] });
  if (nonce) tbs.requestExtensions = [nonceExtension(nonce)];
  const req = new pkijs.OCSPRequest({ tbsRequest: tbs });
  const der = encode(req.toSchema(true));
  return nonce ? { der, nonce, certId } : { der, certId };
}
