// Signature over a batch root: sign(key, "jpx/1 batch\n" ‖ root) with SHA-256;
// ES256 = ECDSA P-256 (DER-encoded signature), RS256 = RSA-2048 PKCS#1 v1.5.
import { sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import type { KeyAlgorithm } from '@jplink/pki';
import { BATCH_SIGNATURE_PREFIX } from './constants.ts';
import type { SignatureAlgorithm } from './envelope.ts';

const PREFIX = Buffer.from(BATCH_SIGNATURE_PREFIX, 'utf8');

/** The exact bytes the root signature covers. */
export function rootSigningInput(root: Uint8Array): Buffer {
  return Buffer.concat([PREFIX, root]);
}

export function signatureAlgorithmFor(keyAlgorithm: KeyAlgorithm): SignatureAlgorithm {
  return keyAlgorithm === 'EC-P256' ? 'ES256' : 'RS256';
}

export function signRoot(privateKey: KeyObject, root: Uint8Array): Buffer {
  return cryptoSign('sha256', rootSigningInput(root), { key: privateKey, dsaEncoding: 'der' });
}

export function verifyRoot(publicKey: KeyObject, root: Uint8Array, signature: Uint8Array): boolean {
  try {
    return cryptoVerify('sha256', rootSigningInput(root), { key: publicKey, dsaEncoding: 'der' }, signature);
  } catch {
    return false;
  }
}
