// Shared CMS SignedData machinery (RFC 5652) for detached signatures and
// time-stamp tokens. Signing is done with node:crypto; pkijs provides the
// structures. Signed attributes are DER-sorted (SET OF), because verifiers
// such as OpenSSL re-encode them before checking the signature.
import type { KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import { pkijs } from './engine.ts';
import { PkiError, type PkiErrorCode } from './errors.ts';
import { certificateFields } from './cert-fields.ts';
import { bytesEqual, digest, encode, integerToBigint, octetStringBytes, parseAsn1, toArrayBuffer, toBuffer } from './der.ts';
import { keyAlgorithmOf, sameKey, sign } from './keys.ts';
import { OID, hashNameOf } from './oids.ts';
import { parseCertificate, type ParsedCertificate } from './parse-certificate.ts';
import { verifySignatureWithOid } from './signature-algorithms.ts';

type PkijsAttribute = InstanceType<typeof pkijs.Attribute>;

export function attribute(type: string, value: asn1js.BaseBlock): PkijsAttribute {
  return new pkijs.Attribute({ type, values: [value] });
}

/** signingTime: UTCTime for 1950–2049, else GeneralizedTime (RFC 5652 §11.3). */
export function timeValue(date: Date): asn1js.BaseBlock {
  const y = date.getUTCFullYear();
  const whole = new Date(Math.floor(date.getTime() / 1000) * 1000);
  return y >= 1950 && y < 2050 ? new asn1js.UTCTime({ valueDate: whole }) : new asn1js.GeneralizedTime({ valueDate: whole });
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(toBuffer(a), toBuffer(b));
}

export interface SignedDataInput {
  eContentType: string;
  /** Encapsulated content; absent = detached. */
  eContent?: Uint8Array;
  /** The content the messageDigest covers. */
  content: Uint8Array;
  signer: { certificate: Uint8Array; privateKey: KeyObject };
  /** Certificates for SignedData.certificates; undefined/empty = field omitted. */
  certificates?: Uint8Array[];
  signingTime?: Date;
  extraSignedAttributes?: PkijsAttribute[];
}

/** Builds ContentInfo(SignedData) with one SignerInfo (IssuerAndSerialNumber, SHA-256). */
export function buildSignedData(input: SignedDataInput): Uint8Array {
  const signerCert = parseCertificate(input.signer.certificate);
  if (!sameKey(input.signer.privateKey, signerCert.publicKey)) throw new PkiError('PKI_KEY_MISMATCH', 'signer key does not match its certificate');
  const alg = keyAlgorithmOf(input.signer.privateKey);
  const pkCert = new pkijs.Certificate({ schema: parseAsn1(signerCert.der, 'PKI_CERT_MALFORMED', 'certificate') });

  const attrs: PkijsAttribute[] = [
    attribute(OID.contentType, new asn1js.ObjectIdentifier({ value: input.eContentType })),
    attribute(OID.signingTime, timeValue(input.signingTime ?? new Date())),
    attribute(OID.messageDigest, new asn1js.OctetString({ valueHex: toArrayBuffer(digest('sha256', input.content)) })),
    ...(input.extraSignedAttributes ?? []),
  ];
  const sorted = attrs
    .map((a) => ({ a, der: encode(a.toSchema()) }))
    .sort((x, y) => compareBytes(x.der, y.der))
    .map((x) => x.a);
  const signedAttrsDer = encode(new asn1js.Set({ value: sorted.map((a) => a.toSchema()) }));
  const signature = sign(signedAttrsDer, input.signer.privateKey);

  const signerInfo = new pkijs.SignerInfo({
    version: 1,
    sid: new pkijs.IssuerAndSerialNumber({ issuer: pkCert.issuer, serialNumber: pkCert.serialNumber }),
    digestAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256 }),
    signedAttrs: new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes: sorted }),
    signatureAlgorithm: alg === 'EC-P256'
      ? new pkijs.AlgorithmIdentifier({ algorithmId: OID.ecdsaWithSHA256 })
      : new pkijs.AlgorithmIdentifier({ algorithmId: OID.rsaEncryption, algorithmParams: new asn1js.Null() }),
    signature: new asn1js.OctetString({ valueHex: toArrayBuffer(signature) }),
  });
  const encap = new pkijs.EncapsulatedContentInfo({ eContentType: input.eContentType });
  // Set after construction: the constructor would split eContent into a constructed (BER) string.
  if (input.eContent) encap.eContent = new asn1js.OctetString({ valueHex: toArrayBuffer(input.eContent) });
  const signedData = new pkijs.SignedData({
    digestAlgorithms: [new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256 })],
    encapContentInfo: encap,
    signerInfos: [signerInfo],
  });
  if (input.certificates?.length) {
    signedData.certificates = input.certificates.map((c) => new pkijs.Certificate({ schema: parseAsn1(c, 'PKI_CERT_MALFORMED', 'certificate') }));
  }
  const contentInfo = new pkijs.ContentInfo({ contentType: OID.signedData, content: signedData.toSchema(true) });
  return encode(contentInfo.toSchema());
}

export interface OpenedSignedData {
  signedData: InstanceType<typeof pkijs.SignedData>;
  eContentType: string;
  eContent?: Uint8Array;
  certificates: Uint8Array[];
}

/** Parses ContentInfo(SignedData); structural errors throw `code`. */
export function openSignedData(der: Uint8Array, code: PkiErrorCode): OpenedSignedData {
  const schema = parseAsn1(der, code, 'ContentInfo');
  try {
    const ci = new pkijs.ContentInfo({ schema });
    if (ci.contentType !== OID.signedData) throw new PkiError(code, `ContentInfo is ${ci.contentType}, not SignedData`);
    const signedData = new pkijs.SignedData({ schema: ci.content });
    const encap = signedData.encapContentInfo;
    const out: OpenedSignedData = {
      signedData,
      eContentType: encap.eContentType,
      certificates: (signedData.certificates ?? [])
        .filter((c): c is InstanceType<typeof pkijs.Certificate> => c instanceof pkijs.Certificate)
        .map((c) => encode(c.toSchema())),
    };
    if (encap.eContent) out.eContent = octetStringBytes(encap.eContent);
    return out;
  } catch (cause) {
    if (cause instanceof PkiError) throw cause;
    throw new PkiError(code, 'cannot parse SignedData', { cause });
  }
}

export interface SignerCodes {
  malformed: PkiErrorCode;
  signature: PkiErrorCode;
  signerNotFound: PkiErrorCode;
}

export interface VerifiedSigner {
  signer: ParsedCertificate;
  /** Signed attributes by OID (first value of each). */
  attributes: Map<string, asn1js.BaseBlock>;
  signingTime?: Date;
}

function findSignerCert(sid: unknown, certs: Uint8Array[]): Uint8Array | undefined {
  if (sid instanceof pkijs.IssuerAndSerialNumber) {
    const issuer = new Uint8Array(sid.issuer.valueBeforeDecode.byteLength ? sid.issuer.valueBeforeDecode : encode(sid.issuer.toSchema()));
    const serial = integerToBigint(sid.serialNumber);
    return certs.find((c) => {
      const f = certificateFields(c);
      return f.serialNumber === serial && bytesEqual(f.issuer, issuer);
    });
  }
  const block = sid as asn1js.Constructed & asn1js.Primitive;
  const keyId = block.idBlock.isConstructed
    ? new Uint8Array((block.valueBlock.value[0] as asn1js.OctetString).valueBlock.valueHexView)
    : new Uint8Array(block.valueBlock.valueHexView);
  const hex = toBuffer(keyId).toString('hex');
  return certs.find((c) => {
    const p = parseCertificate(c);
    return p.subjectKeyIdentifier === hex || digest('sha1', certificateFields(c).subjectPublicKey).toString('hex') === hex;
  });
}

/**
 * Verifies the single SignerInfo over `content`: signer certificate lookup,
 * contentType and messageDigest attributes, and the signature.
 */
export function verifySigner(opened: OpenedSignedData, content: Uint8Array, extraCerts: Uint8Array[], codes: SignerCodes): VerifiedSigner {
  const infos = opened.signedData.signerInfos;
  if (infos.length !== 1) throw new PkiError(codes.malformed, `expected exactly one SignerInfo, found ${infos.length}`);
  const si = infos[0] as InstanceType<typeof pkijs.SignerInfo>;
  const certDer = findSignerCert(si.sid, [...opened.certificates, ...extraCerts]);
  if (!certDer) throw new PkiError(codes.signerNotFound, 'signer certificate not found');
  const signer = parseCertificate(certDer);
  const digestOid = si.digestAlgorithm.algorithmId;
  const hash = hashNameOf(digestOid);
  if (!hash || hash === 'sha1') throw new PkiError(codes.signature, `unsupported digest algorithm ${digestOid}`);
  const signature = new Uint8Array(si.signature.valueBlock.valueHexView);
  const attributes = new Map<string, asn1js.BaseBlock>();
  let signedBytes: Uint8Array;
  if (si.signedAttrs && si.signedAttrs.attributes.length) {
    for (const a of si.signedAttrs.attributes) {
      if (attributes.has(a.type) || a.values.length !== 1) throw new PkiError(codes.malformed, `signed attribute ${a.type} must be single-valued and unique`);
      attributes.set(a.type, a.values[0] as asn1js.BaseBlock);
    }
    const ct = attributes.get(OID.contentType);
    if (!(ct instanceof asn1js.ObjectIdentifier) || ct.valueBlock.toString() !== opened.eContentType) {
      throw new PkiError(codes.signature, 'contentType attribute missing or different from eContentType');
    }
    const md = attributes.get(OID.messageDigest);
    if (!(md instanceof asn1js.OctetString) || !bytesEqual(octetStringBytes(md), digest(hash, content))) {
      throw new PkiError(codes.signature, 'messageDigest does not match the content');
    }
    signedBytes = new Uint8Array(si.signedAttrs.encodedValue);
  } else {
    if (opened.eContentType !== OID.data) throw new PkiError(codes.signature, 'signed attributes are required for this content type');
    signedBytes = content;
  }
  const ok = verifySignatureWithOid({ algorithm: si.signatureAlgorithm.algorithmId, digestOid, data: signedBytes, signature, publicKey: signer.publicKey });
  if (!ok) throw new PkiError(codes.signature, 'signature does not verify');
  const out: VerifiedSigner = { signer, attributes };
  const st = attributes.get(OID.signingTime);
  if (st instanceof asn1js.UTCTime || st instanceof asn1js.GeneralizedTime) out.signingTime = st.toDate();
  return out;
}
