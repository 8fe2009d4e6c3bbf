import type { KeyObject } from 'node:crypto';
import { x509 } from './engine.ts';
import { PkiError } from './errors.ts';
import { certificateFields, spkiPublicKeyBits } from './cert-fields.ts';
import { bytesEqual, digest, toBuffer, wholeSeconds } from './der.ts';
import {
  exportPublicKeyDer,
  keyAlgorithmOf,
  sameKey,
  toWebCryptoPrivateKey,
  webSigningAlgorithm,
  type KeyAlgorithm,
} from './keys.ts';
import { encodeName, type NameInput } from './names.ts';
import { OID } from './oids.ts';
import { parseCertificate } from './parse-certificate.ts';

export type CertificateProfile =
  | 'root-ca'
  | 'issuing-ca'
  | 'auth'
  | 'sign'
  | 'ocsp-responder'
  | 'tsa'
  | 'config-signing'
  | 'tls-server';

export const CERTIFICATE_PROFILES: readonly CertificateProfile[] = [
  'root-ca', 'issuing-ca', 'auth', 'sign', 'ocsp-responder', 'tsa', 'config-signing', 'tls-server',
];

export interface SubjectAltNames {
  dns?: string[];
  ip?: string[];
}

export interface IssueCertificateOptions {
  subject: NameInput;
  publicKey: KeyObject;
  /** Issuing CA; absent = self-signed with `selfSignedPrivateKey`. */
  issuer?: { certificate: Uint8Array; privateKey: KeyObject };
  selfSignedPrivateKey?: KeyObject;
  /** Positive, at most 159 bits. */
  serialNumber: bigint;
  notBefore: Date;
  notAfter: Date;
  profile: CertificateProfile;
  /** AIA id-ad-ocsp */
  ocspUrl?: string;
  /** AIA id-ad-caIssuers */
  caIssuersUrl?: string;
  /** Only for the 'tls-server' and 'auth' profiles. */
  subjectAltNames?: SubjectAltNames;
}

const KU = x509.KeyUsageFlags;

function keyUsageFor(profile: CertificateProfile, alg: KeyAlgorithm): number {
  switch (profile) {
    case 'root-ca':
    case 'issuing-ca':
      return KU.keyCertSign | KU.cRLSign;
    case 'auth':
    case 'tls-server':
      return alg === 'RSA-2048' ? KU.digitalSignature | KU.keyEncipherment : KU.digitalSignature;
    case 'sign':
    case 'tsa':
    case 'config-signing':
      return KU.digitalSignature | KU.nonRepudiation;
    case 'ocsp-responder':
      return KU.digitalSignature;
  }
}

function ekuFor(profile: CertificateProfile): { usages: string[]; critical: boolean } | undefined {
  switch (profile) {
    case 'auth':
      return { usages: [OID.serverAuth, OID.clientAuth], critical: false };
    case 'tls-server':
      return { usages: [OID.serverAuth], critical: false };
    case 'ocsp-responder':
      return { usages: [OID.OCSPSigning], critical: false };
    case 'tsa':
      // RFC 3161 §2.3: critical and the only EKU (OpenSSL refuses otherwise).
      return { usages: [OID.timeStamping], critical: true };
    default:
      return undefined;
  }
}

function keyIdHex(spki: Uint8Array): string {
  // RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING value.
  return digest('sha1', spkiPublicKeyBits(spki)).toString('hex');
}

function validate(opts: IssueCertificateOptions): void {
  if (!CERTIFICATE_PROFILES.includes(opts.profile)) throw new PkiError('PKI_INVALID_ARGUMENT', `unknown profile ${String(opts.profile)}`);
  if (typeof opts.serialNumber !== 'bigint' || opts.serialNumber <= 0n || opts.serialNumber >= 1n << 159n) {
    throw new PkiError('PKI_INVALID_ARGUMENT', 'serialNumber must be a positive bigint of at most 159 bits');
  }
  if (!(opts.notBefore instanceof Date) || !(opts.notAfter instanceof Date) || Number.isNaN(opts.notBefore.getTime()) || Number.isNaN(opts.notAfter.getTime())) {
    throw new PkiError('PKI_INVALID_ARGUMENT', 'notBefore/notAfter must be valid dates');
  }
  if (opts.notAfter.getTime() <= opts.notBefore.getTime()) throw new PkiError('PKI_INVALID_ARGUMENT', 'notAfter must be after notBefore');
  if (opts.subjectAltNames && opts.profile !== 'tls-server' && opts.profile !== 'auth') {
    throw new PkiError('PKI_INVALID_ARGUMENT', 'subjectAltNames are only allowed for tls-server and auth');
  }
  if (!opts.issuer && !opts.selfSignedPrivateKey) throw new PkiError('PKI_INVALID_ARGUMENT', 'either issuer or selfSignedPrivateKey is required');
  if (opts.issuer && opts.selfSignedPrivateKey) throw new PkiError('PKI_INVALID_ARGUMENT', 'issuer and selfSignedPrivateKey are exclusive');
}

/** Issues an X.509 v3 certificate for a profile; returns DER. */
export async function issueCertificate(opts: IssueCertificateOptions): Promise<Uint8Array> {
  validate(opts);
  const subjectAlg = keyAlgorithmOf(opts.publicKey);
  const spki = exportPublicKeyDer(opts.publicKey);
  const subjectName = new x509.Name(toBuffer(encodeName(opts.subject)));

  let signingKey: KeyObject;
  let issuerNameDer: Uint8Array;
  let authorityKeyId: string | undefined;
  if (opts.issuer) {
    const ca = parseCertificate(opts.issuer.certificate);
    if (!ca.isCa || !ca.keyUsage.includes('keyCertSign')) throw new PkiError('PKI_INVALID_ARGUMENT', 'issuer certificate is not a CA');
    if ((opts.profile === 'root-ca' || opts.profile === 'issuing-ca') && ca.pathLength === 0) {
      throw new PkiError('PKI_INVALID_ARGUMENT', 'issuer pathLenConstraint 0 forbids issuing CA certificates');
    }
    if (!sameKey(opts.issuer.privateKey, ca.publicKey)) throw new PkiError('PKI_KEY_MISMATCH', 'issuer private key does not match the issuer certificate');
    if (wholeSeconds(opts.notAfter).getTime() > ca.notAfter.getTime()) throw new PkiError('PKI_INVALID_ARGUMENT', 'notAfter is beyond the issuer notAfter');
    signingKey = opts.issuer.privateKey;
    issuerNameDer = certificateFields(ca.der).subject;
    authorityKeyId = ca.subjectKeyIdentifier ?? keyIdHex(certificateFields(ca.der).spki);
  } else {
    signingKey = opts.selfSignedPrivateKey as KeyObject;
    if (!sameKey(signingKey, opts.publicKey)) throw new PkiError('PKI_KEY_MISMATCH', 'selfSignedPrivateKey does not match publicKey');
    issuerNameDer = encodeName(opts.subject);
  }
  const signerAlg = keyAlgorithmOf(signingKey);

  const extensions: InstanceType<typeof x509.Extension>[] = [];
  const isCa = opts.profile === 'root-ca' || opts.profile === 'issuing-ca';
  extensions.push(new x509.BasicConstraintsExtension(isCa, opts.profile === 'issuing-ca' ? 0 : undefined, true));
  extensions.push(new x509.KeyUsagesExtension(keyUsageFor(opts.profile, subjectAlg), true));
  const eku = ekuFor(opts.profile);
  if (eku) extensions.push(new x509.ExtendedKeyUsageExtension(eku.usages, eku.critical));
  extensions.push(new x509.SubjectKeyIdentifierExtension(keyIdHex(spki)));
  if (authorityKeyId) extensions.push(new x509.AuthorityKeyIdentifierExtension(authorityKeyId));
  if (opts.ocspUrl || opts.caIssuersUrl) {
    const aia: { ocsp?: string[]; caIssuers?: string[] } = {};
    if (opts.ocspUrl) aia.ocsp = [opts.ocspUrl];
    if (opts.caIssuersUrl) aia.caIssuers = [opts.caIssuersUrl];
    extensions.push(new x509.AuthorityInfoAccessExtension(aia));
  }
  const san = [
    ...(opts.subjectAltNames?.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(opts.subjectAltNames?.ip ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  if (san.length) extensions.push(new x509.SubjectAlternativeNameExtension(san));
  if (opts.profile === 'ocsp-responder') {
    // id-pkix-ocsp-nocheck, value NULL (RFC 6960 §4.2.2.2.1)
    extensions.push(new x509.Extension(OID.ocspNoCheck, false, new Uint8Array([0x05, 0x00])));
  }

  let serialHex = opts.serialNumber.toString(16);
  if (serialHex.length % 2) serialHex = `0${serialHex}`;

  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialHex,
    subject: subjectName,
    issuer: new x509.Name(toBuffer(issuerNameDer)),
    notBefore: opts.notBefore,
    notAfter: opts.notAfter,
    publicKey: toBuffer(spki),
    signingKey: await toWebCryptoPrivateKey(signingKey),
    signingAlgorithm: webSigningAlgorithm(signerAlg),
    extensions,
  });
  const der = new Uint8Array(cert.rawData);
  // The issuer name must be byte-identical to the CA subject for path building.
  if (!bytesEqual(certificateFields(der).issuer, issuerNameDer)) {
    throw new PkiError('PKI_NAME_INVALID', 'issuer name did not round-trip through the encoder');
  }
  return der;
}
