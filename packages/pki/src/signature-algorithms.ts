import type { KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import { verifyWithHash, type KeyAlgorithm } from './keys.ts';
import { OID, hashNameOf, type HashName } from './oids.ts';

interface SigAlg {
  hash?: HashName;
  key: 'ec' | 'rsa';
}

const SIGNATURE_ALGORITHMS: Record<string, SigAlg> = {
  [OID.ecdsaWithSHA1]: { hash: 'sha1', key: 'ec' },
  [OID.ecdsaWithSHA256]: { hash: 'sha256', key: 'ec' },
  [OID.ecdsaWithSHA384]: { hash: 'sha384', key: 'ec' },
  [OID.ecdsaWithSHA512]: { hash: 'sha512', key: 'ec' },
  [OID.sha1WithRSAEncryption]: { hash: 'sha1', key: 'rsa' },
  [OID.sha256WithRSAEncryption]: { hash: 'sha256', key: 'rsa' },
  [OID.sha384WithRSAEncryption]: { hash: 'sha384', key: 'rsa' },
  [OID.sha512WithRSAEncryption]: { hash: 'sha512', key: 'rsa' },
  // CMS SignerInfo may name only the key algorithm (RFC 3370/5753); the hash is the digestAlgorithm.
  [OID.rsaEncryption]: { key: 'rsa' },
  [OID.ecPublicKey]: { key: 'ec' },
};

/**
 * Verifies a signature given its AlgorithmIdentifier OID. `digestOid` supplies
 * the hash when the OID names only the key type (CMS). Unknown algorithms,
 * key-type mismatches and RSA-PSS return false.
 */
export function verifySignatureWithOid(params: {
  algorithm: string;
  digestOid?: string;
  data: Uint8Array;
  signature: Uint8Array;
  publicKey: KeyObject;
}): boolean {
  const alg = SIGNATURE_ALGORITHMS[params.algorithm];
  if (!alg) return false;
  const hash = alg.hash ?? (params.digestOid ? hashNameOf(params.digestOid) : undefined);
  if (!hash) return false;
  if (params.publicKey.asymmetricKeyType !== alg.key) return false;
  return verifyWithHash(hash, params.data, params.signature, params.publicKey);
}

/** AlgorithmIdentifier (as asn1js) for our SHA-256 signatures in X.509/OCSP. */
export function signatureAlgorithmSchema(alg: KeyAlgorithm): asn1js.Sequence {
  return alg === 'EC-P256'
    ? new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: OID.ecdsaWithSHA256 })] })
    : new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: OID.sha256WithRSAEncryption }), new asn1js.Null()] });
}

/** OID and whether NULL parameters are present, for our SHA-256 signatures. */
export function signatureAlgorithmOid(alg: KeyAlgorithm): { oid: string; nullParams: boolean } {
  return alg === 'EC-P256' ? { oid: OID.ecdsaWithSHA256, nullParams: false } : { oid: OID.sha256WithRSAEncryption, nullParams: true };
}
