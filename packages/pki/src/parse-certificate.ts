import { createPublicKey, type KeyObject } from 'node:crypto';
import { x509 } from './engine.ts';
import { PkiError } from './errors.ts';
import { certificateFields } from './cert-fields.ts';
import { sha256, toBuffer, toDer } from './der.ts';
import { keyAlgorithmOf, type KeyAlgorithm } from './keys.ts';
import { decodeName, type NameInput } from './names.ts';
import { OID } from './oids.ts';

export interface ParsedCertificate {
  der: Uint8Array;
  subject: NameInput;
  issuer: NameInput;
  serialNumber: bigint;
  notBefore: Date;
  notAfter: Date;
  publicKey: KeyObject;
  keyAlgorithm: KeyAlgorithm;
  isCa: boolean;
  /** basicConstraints pathLenConstraint, when present. */
  pathLength?: number;
  /** Names as in RFC 5280: digitalSignature, nonRepudiation, keyEncipherment, dataEncipherment, keyAgreement, keyCertSign, cRLSign, encipherOnly, decipherOnly. */
  keyUsage: string[];
  /** serverAuth, clientAuth, codeSigning, emailProtection, timeStamping, OCSPSigning, or the OID. */
  extendedKeyUsage: string[];
  extendedKeyUsageCritical: boolean;
  ocspUrls: string[];
  caIssuersUrls: string[];
  subjectAltNames: { dns: string[]; ip: string[] };
  /** hex */
  subjectKeyIdentifier?: string;
  /** hex (keyIdentifier of the AKI extension) */
  authorityKeyIdentifier?: string;
  ocspNoCheck: boolean;
  /** OIDs of the extensions marked critical. */
  criticalExtensions: string[];
  /** subject DER == issuer DER */
  selfIssued: boolean;
  /** lower-case hex SHA-256 of the DER certificate */
  sha256: string;
}

const KEY_USAGE_BITS: Array<[number, string]> = [
  [1, 'digitalSignature'],
  [2, 'nonRepudiation'],
  [4, 'keyEncipherment'],
  [8, 'dataEncipherment'],
  [16, 'keyAgreement'],
  [32, 'keyCertSign'],
  [64, 'cRLSign'],
  [128, 'encipherOnly'],
  [256, 'decipherOnly'],
];

const EKU_NAMES: Record<string, string> = {
  [OID.serverAuth]: 'serverAuth',
  [OID.clientAuth]: 'clientAuth',
  [OID.codeSigning]: 'codeSigning',
  [OID.emailProtection]: 'emailProtection',
  [OID.timeStamping]: 'timeStamping',
  [OID.OCSPSigning]: 'OCSPSigning',
};

export function ekuName(oid: string): string {
  return EKU_NAMES[oid] ?? oid;
}

// Parsing a certificate costs about a millisecond of synchronous ASN.1 work; the same few
// certificates (CAs, TSA, peers' and signers' certificates) are parsed over and over. Results are
// remembered by the SHA-256 of the DER (the cached object holds its own copy of the bytes) and
// handed out frozen.
const CACHE_LIMIT = 512;
const cache = new Map<string, ParsedCertificate>();

export function parseCertificate(derOrPem: Uint8Array | string): ParsedCertificate {
  const der = toDer(derOrPem);
  const hash = sha256(der).toString('hex');
  // `der` keeps the kind of bytes the caller gave (Buffer or plain Uint8Array), as before the cache.
  const isBuffer = Buffer.isBuffer(der);
  const key = `${isBuffer ? 'b' : 'u'}${hash}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const parsed = Object.freeze(parseUncached(isBuffer ? Buffer.from(der) : Uint8Array.from(der), hash));
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(key, parsed);
  return parsed;
}

function parseUncached(der: Uint8Array, sha256Hex: string): ParsedCertificate {
  const fields = certificateFields(der);
  let cert: InstanceType<typeof x509.X509Certificate>;
  try {
    cert = new x509.X509Certificate(toBuffer(der));
  } catch (cause) {
    throw new PkiError('PKI_CERT_MALFORMED', 'certificate: cannot parse', { cause });
  }
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: Buffer.from(fields.spki), format: 'der', type: 'spki' });
  } catch (cause) {
    throw new PkiError('PKI_CERT_MALFORMED', 'certificate: cannot read public key', { cause });
  }
  let subject: NameInput;
  let issuer: NameInput;
  try {
    subject = decodeName(fields.subject);
    issuer = decodeName(fields.issuer);
  } catch (cause) {
    throw new PkiError('PKI_CERT_MALFORMED', 'certificate: cannot read names', { cause });
  }

  const bc = cert.getExtension(x509.BasicConstraintsExtension);
  const ku = cert.getExtension(x509.KeyUsagesExtension);
  const eku = cert.getExtension(x509.ExtendedKeyUsageExtension);
  const aia = cert.getExtension(x509.AuthorityInfoAccessExtension);
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const ski = cert.getExtension(x509.SubjectKeyIdentifierExtension);
  const aki = cert.getExtension(x509.AuthorityKeyIdentifierExtension);

  const parsed: ParsedCertificate = {
    der,
    subject,
    issuer,
    serialNumber: fields.serialNumber,
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    publicKey,
    keyAlgorithm: keyAlgorithmOf(publicKey),
    isCa: bc?.ca ?? false,
    keyUsage: ku ? KEY_USAGE_BITS.filter(([bit]) => (ku.usages & bit) !== 0).map(([, n]) => n) : [],
    extendedKeyUsage: eku ? Array.from(eku.usages, (u) => ekuName(String(u))) : [],
    extendedKeyUsageCritical: eku?.critical ?? false,
    ocspUrls: aia ? Array.from(aia.ocsp).filter((g) => g.type === 'url').map((g) => g.value) : [],
    caIssuersUrls: aia ? Array.from(aia.caIssuers).filter((g) => g.type === 'url').map((g) => g.value) : [],
    subjectAltNames: {
      dns: san ? Array.from(san.names.items).filter((g) => g.type === 'dns').map((g) => g.value) : [],
      ip: san ? Array.from(san.names.items).filter((g) => g.type === 'ip').map((g) => g.value) : [],
    },
    ocspNoCheck: Array.from(cert.extensions).some((e) => e.type === OID.ocspNoCheck),
    criticalExtensions: Array.from(cert.extensions).filter((e) => e.critical).map((e) => e.type),
    selfIssued: Buffer.from(fields.subject).equals(Buffer.from(fields.issuer)),
    sha256: sha256Hex,
  };
  if (bc?.pathLength !== undefined) parsed.pathLength = bc.pathLength;
  if (ski) parsed.subjectKeyIdentifier = ski.keyId.toLowerCase();
  if (aki?.keyId) parsed.authorityKeyIdentifier = aki.keyId.toLowerCase();
  return parsed;
}
