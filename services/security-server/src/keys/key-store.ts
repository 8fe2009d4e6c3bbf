// This server's keys: one auth key (TLS between Security Servers) and one sign key per member whose
// subsystems it hosts. Private keys are stored encrypted (PKCS#8, passphrase from a file) and held
// decrypted in memory only.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { exportPrivateKeyEncrypted, generateKeyPair, importPrivateKey, parseCertificate, type KeyAlgorithm, type ParsedCertificate } from '@jplink/pki';
import type { SecurityServerDb } from '../db/database.ts';
import { insertKey, listKeys, setKeyCertificate } from '../db/keys.ts';
import type { KeyKind } from '../db/schema.ts';

export interface StoredKey {
  id: string;
  kind: KeyKind;
  memberClass: string;
  memberCode: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  certificate?: { der: Buffer; parsed: ParsedCertificate };
}

export const signKeyId = (memberClass: string, memberCode: string) => `sign:${memberClass}/${memberCode}`;

export class KeyStore {
  #db: SecurityServerDb;
  #passphrase: string;
  #keys = new Map<string, StoredKey>();

  private constructor(db: SecurityServerDb, passphrase: string) {
    this.#db = db;
    this.#passphrase = passphrase;
  }

  static async open(db: SecurityServerDb, passphrase: string): Promise<KeyStore> {
    const store = new KeyStore(db, passphrase);
    for (const row of await listKeys(db)) {
      const privateKey = importPrivateKey(row.private_key, passphrase);
      store.#keys.set(row.id, {
        id: row.id,
        kind: row.kind,
        memberClass: row.member_class,
        memberCode: row.member_code,
        privateKey,
        publicKey: createPublicKey(privateKey),
        ...(row.certificate ? { certificate: { der: row.certificate, parsed: parseCertificate(row.certificate) } } : {}),
      });
    }
    return store;
  }

  get(id: string): StoredKey | undefined {
    return this.#keys.get(id);
  }

  all(): StoredKey[] {
    return [...this.#keys.values()];
  }

  /** Returns the key, creating it when missing. */
  async ensure(id: string, kind: KeyKind, member: { memberClass: string; memberCode: string }, algorithm: KeyAlgorithm): Promise<StoredKey> {
    const existing = this.#keys.get(id);
    if (existing) return existing;
    const pair = await generateKeyPair(algorithm);
    await insertKey(this.#db, { id, kind, ...member, privateKey: exportPrivateKeyEncrypted(pair.privateKey, this.#passphrase) });
    const key: StoredKey = { id, kind, ...member, privateKey: pair.privateKey, publicKey: pair.publicKey };
    this.#keys.set(id, key);
    return key;
  }

  async setCertificate(id: string, der: Buffer): Promise<StoredKey> {
    const key = this.#keys.get(id);
    if (!key) throw new RangeError(`no key ${id}`);
    await setKeyCertificate(this.#db, id, der);
    key.certificate = { der, parsed: parseCertificate(der) };
    return key;
  }

  /** DER certificates of the auth and sign keys that have one (the certificates whose OCSP we fetch). */
  certificates(): Array<{ der: Buffer }> {
    return this.all().flatMap((k) => (k.certificate && k.kind !== 'internal-tls' ? [{ der: k.certificate.der }] : []));
  }
}
