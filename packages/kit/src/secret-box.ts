// Secrets kept at rest in a service's database (for example the Adapter Server's database
// passwords): AES-256-GCM under a key derived with scrypt from the service's passphrase file.
// Format: `sb1.<salt>.<iv>.<tag>.<ciphertext>` (base64url parts); the salt is random per secret.
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';

const PREFIX = 'sb1';
// Derived keys by (salt, passphrase): every secret has its own salt and a derivation costs ≈ 0.1 s,
// so secrets opened on hot paths (an RP's client secret on each token request) must stay cached.
// Least recently used entries leave first (a Map iterates in insertion order; a hit re-inserts).
const MAX_KEYS = 4096;
const keys = new Map<string, Buffer>();

function keyFor(passphrase: string, salt: Buffer): Buffer {
  const id = `${salt.toString('base64url')}:${passphrase}`;
  let key = keys.get(id);
  if (key) {
    keys.delete(id);
  } else {
    key = scryptSync(passphrase, salt, 32, { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
    if (keys.size >= MAX_KEYS) keys.delete(keys.keys().next().value!);
  }
  keys.set(id, key);
  return key;
}

export function sealSecret(passphrase: string, plaintext: string): string {
  if (passphrase.length < 8) throw new RangeError('the passphrase must have at least 8 characters');
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyFor(passphrase, salt), iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [PREFIX, salt, iv, cipher.getAuthTag(), ciphertext].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
}

/** The plaintext; throws when the passphrase is wrong or the text was changed. */
export function openSecret(passphrase: string, sealed: string): string {
  const parts = sealed.split('.');
  if (parts.length !== 5 || parts[0] !== PREFIX) throw new TypeError('not a sealed secret (sb1)');
  const [salt, iv, tag, ciphertext] = parts.slice(1).map((p) => Buffer.from(p, 'base64url')) as [Buffer, Buffer, Buffer, Buffer];
  const decipher = createDecipheriv('aes-256-gcm', keyFor(passphrase, salt), iv);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
}
