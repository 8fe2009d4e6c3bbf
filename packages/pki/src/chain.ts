import { PkiError } from './errors.ts';
import { certificateFields } from './cert-fields.ts';
import { bytesEqual } from './der.ts';
import { OID } from './oids.ts';
import { parseCertificate, type ParsedCertificate } from './parse-certificate.ts';
import { verifySignatureWithOid } from './signature-algorithms.ts';

export type RequiredEku = 'clientAuth' | 'serverAuth' | 'OCSPSigning' | 'timeStamping';

export interface VerifyChainOptions {
  leaf: Uint8Array;
  intermediates: Uint8Array[];
  trustAnchors: Uint8Array[];
  /** Validation time; default now. */
  at?: Date;
  requiredEku?: RequiredEku;
}

const MAX_DEPTH = 8;

/** Extensions whose criticality we understand and enforce. */
const UNDERSTOOD = new Set<string>([
  OID.basicConstraints,
  OID.keyUsage,
  OID.extKeyUsage,
  OID.subjectAltName,
  OID.subjectKeyIdentifier,
  OID.authorityKeyIdentifier,
  OID.authorityInfoAccess,
  OID.certificatePolicies,
  OID.ocspNoCheck,
]);

/** Signature of `child` verifies with the key of `issuer` (exact TBS bytes). */
export function isSignedBy(child: Uint8Array, issuer: ParsedCertificate): boolean {
  const f = certificateFields(child);
  return verifySignatureWithOid({ algorithm: f.signatureAlgorithm, data: f.tbs, signature: f.signature, publicKey: issuer.publicKey });
}

/** Name chaining (byte-equal DER names) and, when both present, AKI/SKI agreement. */
export function isIssuerCandidate(child: ParsedCertificate, issuer: ParsedCertificate): boolean {
  if (!bytesEqual(certificateFields(child.der).issuer, certificateFields(issuer.der).subject)) return false;
  if (child.authorityKeyIdentifier && issuer.subjectKeyIdentifier && child.authorityKeyIdentifier !== issuer.subjectKeyIdentifier) return false;
  return true;
}

export function checkValidity(cert: ParsedCertificate, at: Date, what = 'certificate'): void {
  if (at.getTime() < cert.notBefore.getTime()) {
    throw new PkiError('PKI_CERT_NOT_YET_VALID', `${what} ${cert.serialNumber.toString(16)} is not valid before ${cert.notBefore.toISOString()}`);
  }
  if (at.getTime() > cert.notAfter.getTime()) {
    throw new PkiError('PKI_CERT_EXPIRED', `${what} ${cert.serialNumber.toString(16)} expired at ${cert.notAfter.toISOString()}`);
  }
}

function checkCriticalExtensions(cert: ParsedCertificate): void {
  const unknown = cert.criticalExtensions.filter((oid) => !UNDERSTOOD.has(oid));
  if (unknown.length) throw new PkiError('PKI_CERT_UNSUPPORTED_CRITICAL_EXTENSION', `unsupported critical extension ${unknown.join(', ')}`);
}

/**
 * Builds and validates a path leaf → … → trust anchor. Checks signatures,
 * validity at `at` for every certificate (anchors included), CA basic
 * constraints, keyCertSign and pathLenConstraint on issuers, name chaining,
 * unknown critical extensions, and the leaf EKU when `requiredEku` is given.
 * Returns the path, leaf first, anchor last.
 */
export async function verifyCertificateChain(opts: VerifyChainOptions): Promise<{ chain: ParsedCertificate[] }> {
  const at = opts.at ?? new Date();
  if (!opts.trustAnchors?.length) throw new PkiError('PKI_CHAIN_UNTRUSTED', 'no trust anchors given');
  const anchors = opts.trustAnchors.map((d) => parseCertificate(d));
  const intermediates = (opts.intermediates ?? []).map((d) => parseCertificate(d));
  const leaf = parseCertificate(opts.leaf);
  const isAnchor = (c: ParsedCertificate) => anchors.some((a) => bytesEqual(a.der, c.der));

  const chain: ParsedCertificate[] = [leaf];
  let current = leaf;
  let trusted = isAnchor(leaf);
  while (!trusted) {
    if (chain.length > MAX_DEPTH) throw new PkiError('PKI_CHAIN_PATH_LENGTH', 'certificate path too long');
    if (current.selfIssued && isSignedBy(current.der, current)) {
      throw new PkiError('PKI_CHAIN_UNTRUSTED', `self-signed certificate ${current.serialNumber.toString(16)} is not a trust anchor`);
    }
    const candidates = [...anchors, ...intermediates].filter(
      (c) => isIssuerCandidate(current, c) && !chain.some((x) => bytesEqual(x.der, c.der)),
    );
    if (!candidates.length) {
      throw new PkiError('PKI_CHAIN_UNTRUSTED', `no trusted issuer found for certificate ${current.serialNumber.toString(16)}`);
    }
    const issuer = candidates.find((c) => isSignedBy(current.der, c));
    if (!issuer) throw new PkiError('PKI_CHAIN_SIGNATURE_INVALID', `signature of certificate ${current.serialNumber.toString(16)} does not verify`);
    chain.push(issuer);
    current = issuer;
    trusted = isAnchor(issuer);
  }

  chain.forEach((cert, i) => {
    checkValidity(cert, at, i === 0 ? 'certificate' : 'issuer certificate');
    checkCriticalExtensions(cert);
    if (i === 0) return;
    if (!cert.isCa) throw new PkiError('PKI_CHAIN_ISSUER_NOT_CA', `issuer ${cert.serialNumber.toString(16)} is not a CA`);
    if (cert.keyUsage.length && !cert.keyUsage.includes('keyCertSign')) {
      throw new PkiError('PKI_CHAIN_ISSUER_NOT_CA', `issuer ${cert.serialNumber.toString(16)} lacks keyCertSign`);
    }
    // Non-self-issued intermediates below this CA (RFC 5280 §4.2.1.9).
    const below = chain.slice(1, i).filter((c) => !c.selfIssued).length;
    if (cert.pathLength !== undefined && below > cert.pathLength) {
      throw new PkiError('PKI_CHAIN_PATH_LENGTH', `pathLenConstraint ${cert.pathLength} of ${cert.serialNumber.toString(16)} exceeded`);
    }
  });

  if (opts.requiredEku && !leaf.extendedKeyUsage.includes(opts.requiredEku)) {
    throw new PkiError('PKI_CERT_USAGE', `certificate lacks extended key usage ${opts.requiredEku}`);
  }
  return { chain };
}
