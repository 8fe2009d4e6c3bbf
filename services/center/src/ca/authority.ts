// The Center's certificate authority: a root and an issuing CA plus the service certificates the
// Center itself signs with (OCSP responder, TSA, configuration signing, registration TLS).
// Keys are created once at init and stored encrypted (PKCS#8, passphrase from a file).
import { randomBytes, type KeyObject } from 'node:crypto';
import {
  derToPem,
  exportPrivateKeyEncrypted,
  formatName,
  generateKeyPair,
  importPrivateKey,
  issueCertificate,
  parseCertificate,
  PkiError,
  type CertificateProfile,
  type KeyAlgorithm,
  type NameInput,
  type ParsedCertificate,
} from '@jplink/pki';
import { ConfigError } from '@jplink/kit';
import type { CenterDb } from '../db/database.ts';
import { findCaKeys, insertCaKey, type CaKeyRole } from '../db/ca-keys.ts';
import { insertCertificate } from '../db/certificates.ts';

export interface CaKey {
  certificate: Buffer;
  parsed: ParsedCertificate;
  privateKey: KeyObject;
}

export type CaKeys = Record<CaKeyRole, CaKey>;

const YEAR_MS = 365 * 86_400_000;

/** A positive serial number of up to 127 bits, random so that serials are unpredictable. */
export function randomSerial(): bigint {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  const serial = BigInt(`0x${bytes.toString('hex')}`);
  return serial === 0n ? 1n : serial;
}

export function serialHex(serial: bigint): string {
  return serial.toString(16);
}

interface InitOptions {
  instance: string;
  algorithm: KeyAlgorithm;
  passphrase: string;
  publicUrl: string;
  /** Names for the registration service's TLS certificate (DNS names or IP addresses). */
  tlsNames: string[];
  onProgress?: (step: string) => void;
}

function subjectAltNames(names: string[]) {
  const ip = names.filter((n) => /^[0-9.]+$/.test(n) || n.includes(':'));
  const dns = names.filter((n) => !ip.includes(n));
  return { dns, ip };
}

/**
 * Loads the CA keys, creating any that are missing (first start). Returns them decrypted in memory.
 * Returns `created: true` when this call made the root (a brand-new CA).
 */
export async function loadOrCreateCa(db: CenterDb, options: InitOptions): Promise<{ keys: CaKeys; created: boolean }> {
  const existing = new Map((await findCaKeys(db)).map((row) => [row.role as CaKeyRole, row]));
  const keys: Partial<CaKeys> = {};
  for (const [role, row] of existing) {
    let privateKey: KeyObject;
    try {
      privateKey = importPrivateKey(row.private_key, options.passphrase);
    } catch (cause) {
      if (cause instanceof PkiError && cause.code === 'PKI_KEY_DECRYPT_FAILED') {
        throw new ConfigError([{ variable: 'CENTER_KEY_PASSPHRASE_FILE', message: `the passphrase does not decrypt the stored ${role} key (wrong passphrase file?)` }]);
      }
      throw cause;
    }
    keys[role] = { certificate: row.certificate, parsed: parseCertificate(row.certificate), privateKey };
  }
  const created = !keys.root;
  const now = Date.now();
  const notBefore = new Date(now - 5 * 60_000);

  const make = async (
    role: CaKeyRole,
    profile: CertificateProfile,
    subject: NameInput,
    years: number,
    issuer: CaKey | undefined,
    extra: { ocspUrl?: string; subjectAltNames?: { dns?: string[]; ip?: string[] } } = {},
  ) => {
    options.onProgress?.(`creating ${role} key and certificate`);
    const pair = await generateKeyPair(options.algorithm);
    const serialNumber = randomSerial();
    const der = Buffer.from(
      await issueCertificate({
        subject,
        publicKey: pair.publicKey,
        ...(issuer ? { issuer: { certificate: issuer.certificate, privateKey: issuer.privateKey } } : { selfSignedPrivateKey: pair.privateKey }),
        serialNumber,
        notBefore,
        notAfter: new Date(now + years * YEAR_MS),
        profile,
        ...extra,
      }),
    );
    const parsed = parseCertificate(der);
    await db.transaction().execute(async (trx) => {
      await insertCaKey(trx, { role, certificate: der, privateKey: exportPrivateKeyEncrypted(pair.privateKey, options.passphrase) });
      await insertCertificate(trx, {
        serialNumber: serialHex(serialNumber),
        profile,
        memberClass: null,
        memberCode: null,
        serverCode: null,
        subject: formatName(subject),
        sha256: parsed.sha256,
        der,
        notBefore: parsed.notBefore,
        notAfter: parsed.notAfter,
      });
    });
    keys[role] = { certificate: der, parsed, privateKey: pair.privateKey };
  };

  const base: NameInput = [
    ['C', 'JP'],
    ['O', `JP-Link ${options.instance}`],
  ];
  const ocspUrl = `${options.publicUrl.replace(/\/+$/, '')}/ocsp`;
  if (!keys.root) await make('root', 'root-ca', [...base, ['CN', `JP-Link Root CA ${options.instance}`]], 20, undefined);
  if (!keys.issuing) await make('issuing', 'issuing-ca', [...base, ['CN', `JP-Link Issuing CA ${options.instance}`]], 10, keys.root, { ocspUrl });
  if (!keys.ocsp) await make('ocsp', 'ocsp-responder', [...base, ['CN', `JP-Link OCSP Responder ${options.instance}`]], 2, keys.issuing);
  if (!keys.tsa) await make('tsa', 'tsa', [...base, ['CN', `JP-Link TSA ${options.instance}`]], 5, keys.issuing, { ocspUrl });
  if (!keys['config-signing']) {
    await make('config-signing', 'config-signing', [...base, ['CN', `JP-Link Configuration Signing ${options.instance}`]], 5, keys.issuing, { ocspUrl });
  }
  if (!keys['tls-server']) {
    await make('tls-server', 'tls-server', [...base, ['CN', options.tlsNames[0] ?? 'localhost']], 2, keys.issuing, {
      ocspUrl,
      subjectAltNames: subjectAltNames(options.tlsNames),
    });
  }
  return { keys: keys as CaKeys, created };
}

export function pemOf(key: CaKey): string {
  return derToPem(key.certificate, 'CERTIFICATE');
}
