import {
  createPrivateKey,
  createPublicKey,
  generateKeyPair as generateKeyPairCb,
  sign as cryptoSign,
  verify as cryptoVerify,
  type KeyObject,
} from 'node:crypto';
import { promisify } from 'node:util';
import { webcrypto } from './engine.ts';
import type { webcrypto as wc } from 'node:crypto';
import { PkiError } from './errors.ts';
import { bytesEqual } from './der.ts';

export type KeyAlgorithm = 'EC-P256' | 'RSA-2048';

export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

const generate = promisify(generateKeyPairCb);

export async function generateKeyPair(alg: KeyAlgorithm = 'EC-P256'): Promise<KeyPair> {
  if (alg === 'EC-P256') return generate('ec', { namedCurve: 'prime256v1' });
  if (alg === 'RSA-2048') return generate('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
  throw new PkiError('PKI_KEY_UNSUPPORTED', `unsupported key algorithm ${String(alg)}`);
}

/** EC-P256 or RSA-2048; throws PKI_KEY_UNSUPPORTED for anything else. */
export function keyAlgorithmOf(key: KeyObject): KeyAlgorithm {
  if (key.type === 'secret') throw new PkiError('PKI_KEY_UNSUPPORTED', 'secret keys are not supported');
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'ec' && details.namedCurve === 'prime256v1') return 'EC-P256';
  if (key.asymmetricKeyType === 'rsa' && details.modulusLength === 2048) return 'RSA-2048';
  const what = key.asymmetricKeyType === 'ec' ? `ec ${details.namedCurve}` : `${key.asymmetricKeyType} ${details.modulusLength ?? ''}`;
  throw new PkiError('PKI_KEY_UNSUPPORTED', `unsupported key: ${what.trim()}`);
}

/** PEM "ENCRYPTED PRIVATE KEY" (PKCS#8, PBES2: PBKDF2-HMAC-SHA256 + AES-256-CBC). */
export function exportPrivateKeyEncrypted(key: KeyObject, passphrase: string): string {
  if (key.type !== 'private') throw new PkiError('PKI_INVALID_ARGUMENT', 'not a private key');
  if (!passphrase) throw new PkiError('PKI_INVALID_ARGUMENT', 'passphrase must not be empty');
  return key.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase }) as string;
}

/** Imports PKCS#8 (plain or encrypted), SEC1 or PKCS#1 PEM. */
export function importPrivateKey(pem: string, passphrase?: string): KeyObject {
  const encrypted = pem.includes('ENCRYPTED');
  if (encrypted && passphrase === undefined) throw new PkiError('PKI_KEY_DECRYPT_FAILED', 'key is encrypted, passphrase required');
  let key: KeyObject;
  try {
    key = createPrivateKey(passphrase === undefined ? { key: pem, format: 'pem' } : { key: pem, format: 'pem', passphrase });
  } catch (cause) {
    throw new PkiError(encrypted ? 'PKI_KEY_DECRYPT_FAILED' : 'PKI_KEY_MALFORMED', encrypted ? 'cannot decrypt private key' : 'cannot parse private key', { cause });
  }
  keyAlgorithmOf(key);
  return key;
}

/** Imports an SPKI public key from PEM or DER (a private key yields its public half). */
export function importPublicKey(input: string | Uint8Array): KeyObject {
  try {
    const key = typeof input === 'string'
      ? createPublicKey({ key: input, format: 'pem' })
      : createPublicKey({ key: Buffer.from(input), format: 'der', type: 'spki' });
    keyAlgorithmOf(key);
    return key;
  } catch (cause) {
    if (cause instanceof PkiError) throw cause;
    throw new PkiError('PKI_KEY_MALFORMED', 'cannot parse public key', { cause });
  }
}

export function publicKeyOf(key: KeyObject): KeyObject {
  return key.type === 'public' ? key : createPublicKey(key);
}

export function exportPublicKeyPem(key: KeyObject): string {
  return publicKeyOf(key).export({ type: 'spki', format: 'pem' }) as string;
}

export function exportPublicKeyDer(key: KeyObject): Uint8Array {
  return new Uint8Array(publicKeyOf(key).export({ type: 'spki', format: 'der' }));
}

/** True when both keys have the same public part. */
export function sameKey(a: KeyObject, b: KeyObject): boolean {
  return bytesEqual(exportPublicKeyDer(a), exportPublicKeyDer(b));
}

/** SHA-256 signature (ECDSA in DER form, RSA PKCS#1 v1.5). */
export function sign(data: Uint8Array, key: KeyObject): Buffer {
  keyAlgorithmOf(key);
  return cryptoSign('sha256', data, key);
}

export function verify(data: Uint8Array, signature: Uint8Array, publicKey: KeyObject): boolean {
  return verifyWithHash('sha256', data, signature, publicKey);
}

export function verifyWithHash(hash: string, data: Uint8Array, signature: Uint8Array, publicKey: KeyObject): boolean {
  try {
    return cryptoVerify(hash, data, publicKey, signature);
  } catch {
    return false;
  }
}

function webAlgorithm(alg: KeyAlgorithm): wc.EcKeyImportParams | wc.RsaHashedImportParams {
  return alg === 'EC-P256' ? { name: 'ECDSA', namedCurve: 'P-256' } : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
}

/** WebCrypto signing key for @peculiar/x509 (internal). */
export async function toWebCryptoPrivateKey(key: KeyObject): Promise<wc.CryptoKey> {
  if (key.type !== 'private') throw new PkiError('PKI_INVALID_ARGUMENT', 'not a private key');
  const alg = keyAlgorithmOf(key);
  const der = key.export({ type: 'pkcs8', format: 'der' });
  return webcrypto.subtle.importKey('pkcs8', der, webAlgorithm(alg), false, ['sign']);
}

/** WebCrypto (extractable) public key for @peculiar/x509 (internal). */
export async function toWebCryptoPublicKey(key: KeyObject): Promise<wc.CryptoKey> {
  const pub = publicKeyOf(key);
  const alg = keyAlgorithmOf(pub);
  return webcrypto.subtle.importKey('spki', exportPublicKeyDer(pub), webAlgorithm(alg), true, ['verify']);
}

/** The x509/WebCrypto signing algorithm for a key (always SHA-256). */
export function webSigningAlgorithm(alg: KeyAlgorithm): wc.Algorithm | wc.EcdsaParams {
  return alg === 'EC-P256' ? ({ name: 'ECDSA', hash: 'SHA-256' } as wc.EcdsaParams) : { name: 'RSASSA-PKCS1-v1_5' };
}
