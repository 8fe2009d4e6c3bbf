// An issuing CA as OCSP CertIDs name it: hashes of its DER subject name and of its
// subjectPublicKey BIT STRING value (RFC 6960 §4.1.1), computed once per CA.
import { certificateFields } from './cert-fields.ts';
import { bytesEqual, digest, toDer } from './der.ts';

export interface PreparedIssuer {
  /** DER of the issuer certificate (a copy). */
  readonly certificate: Uint8Array;
  /** issuerNameHash for SHA-1 and SHA-256 CertIDs. */
  readonly nameHash: { readonly sha1: Buffer; readonly sha256: Buffer };
  /** issuerKeyHash for SHA-1 and SHA-256 CertIDs. */
  readonly keyHash: { readonly sha1: Buffer; readonly sha256: Buffer };
}

/** Parses an issuer certificate (DER or PEM) once; throws PKI_CERT_MALFORMED. */
export function prepareIssuer(certificate: Uint8Array | string): PreparedIssuer {
  const f = certificateFields(certificate);
  return Object.freeze({
    certificate: Uint8Array.from(f.der),
    nameHash: Object.freeze({ sha1: digest('sha1', f.subject), sha256: digest('sha256', f.subject) }),
    keyHash: Object.freeze({ sha1: digest('sha1', f.subjectPublicKey), sha256: digest('sha256', f.subjectPublicKey) }),
  });
}

export function isPreparedIssuer(value: unknown): value is PreparedIssuer {
  return typeof value === 'object' && value !== null && !(value instanceof Uint8Array) && 'nameHash' in value && 'keyHash' in value;
}

// For callers that pass the same certificate bytes again and again: the cached entry is used only
// while the array still holds exactly the bytes it was prepared from.
const byArray = new WeakMap<Uint8Array, PreparedIssuer>();

/** prepareIssuer with a per-array cache (internal, for the DER/PEM forms of the public API). */
export function preparedIssuerOf(certificate: Uint8Array | string): PreparedIssuer {
  if (typeof certificate === 'string') return prepareIssuer(certificate);
  const hit = byArray.get(certificate);
  if (hit && bytesEqual(hit.certificate, certificate)) return hit;
  const prepared = prepareIssuer(toDer(certificate));
  byArray.set(certificate, prepared);
  return prepared;
}
