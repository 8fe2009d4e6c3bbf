import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import {
  certificateHash,
  derToPem,
  exportPrivateKeyEncrypted,
  exportPublicKeyPem,
  generateKeyPair,
  importPrivateKey,
  importPublicKey,
  keyAlgorithmOf,
  pemBlocks,
  pemToDer,
  sha256,
  sign,
  verify,
} from '../src/index.ts';
import { KEY_ALGORITHMS } from './support/fixtures.ts';
import { openssl, TempDir } from './support/openssl.ts';

let dir: TempDir;
beforeAll(async () => {
  dir = await TempDir.create();
});
afterAll(() => dir.remove());

describe.each(KEY_ALGORITHMS)('keys (%s)', (alg) => {
  it('generates, reports its algorithm, exports encrypted PKCS#8 that OpenSSL can decrypt', async () => {
    const { privateKey, publicKey } = await generateKeyPair(alg);
    expect(keyAlgorithmOf(privateKey)).toBe(alg);
    expect(keyAlgorithmOf(publicKey)).toBe(alg);
    const pem = exportPrivateKeyEncrypted(privateKey, 'correct horse');
    expect(pem).toContain('-----BEGIN ENCRYPTED PRIVATE KEY-----');
    await dir.write(`${alg}.key`, pem);
    const r = await openssl(['pkcs8', '-in', `${alg}.key`, '-passin', 'pass:correct horse', '-topk8', '-nocrypt', '-out', `${alg}.plain`], { cwd: dir.path });
    expect(r.code).toBe(0);
    const info = await openssl(['asn1parse', '-in', `${alg}.key`], { cwd: dir.path });
    expect(info.stdout).toContain('PBES2');
    expect(info.stdout).toContain('aes-256-cbc');
    const back = importPrivateKey(pem, 'correct horse');
    expect(exportPublicKeyPem(back)).toBe(exportPublicKeyPem(publicKey));
    expect(() => importPrivateKey(pem, 'wrong')).toThrow(expect.objectContaining({ code: 'PKI_KEY_DECRYPT_FAILED' }));
    expect(() => importPrivateKey(pem)).toThrow(expect.objectContaining({ code: 'PKI_KEY_DECRYPT_FAILED' }));
  });

  it('signatures verify with node and with openssl dgst (ECDSA in DER form)', async () => {
    const { privateKey, publicKey } = await generateKeyPair(alg);
    const data = Buffer.from('署名されるデータ');
    const sig = sign(data, privateKey);
    if (alg === 'EC-P256') expect(sig[0]).toBe(0x30);
    expect(verify(data, sig, publicKey)).toBe(true);
    expect(verify(Buffer.from('other'), sig, publicKey)).toBe(false);
    expect(verify(data, Buffer.from('junk'), publicKey)).toBe(false);
    await dir.write(`${alg}.pub`, exportPublicKeyPem(publicKey));
    await dir.write(`${alg}.data`, data);
    await dir.write(`${alg}.sig`, sig);
    const r = await openssl(['dgst', '-sha256', '-verify', `${alg}.pub`, '-signature', `${alg}.sig`, `${alg}.data`], { cwd: dir.path });
    expect(r.stdout).toContain('Verified OK');
  });

  it('imports an OpenSSL-generated key (plain and encrypted)', async () => {
    const args = alg === 'EC-P256' ? ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'] : ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'];
    await openssl(['genpkey', ...args, '-out', `gen-${alg}.pem`], { cwd: dir.path });
    await openssl(['pkcs8', '-topk8', '-in', `gen-${alg}.pem`, '-v2', 'aes-256-cbc', '-passout', 'pass:pw', '-out', `gen-${alg}.enc`], { cwd: dir.path });
    expect(keyAlgorithmOf(importPrivateKey((await dir.read(`gen-${alg}.pem`)).toString()))).toBe(alg);
    expect(keyAlgorithmOf(importPrivateKey((await dir.read(`gen-${alg}.enc`)).toString(), 'pw'))).toBe(alg);
  });
});

describe('key and encoding errors', () => {
  it('unsupported keys are refused', () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    const rsa3072 = generateKeyPairSync('rsa', { modulusLength: 3072 });
    const ed = generateKeyPairSync('ed25519');
    for (const k of [p384.privateKey, rsa3072.publicKey, ed.publicKey]) {
      expect(() => keyAlgorithmOf(k)).toThrow(expect.objectContaining({ code: 'PKI_KEY_UNSUPPORTED' }));
    }
    expect(() => importPublicKey(p384.publicKey.export({ type: 'spki', format: 'pem' }) as string)).toThrow(expect.objectContaining({ code: 'PKI_KEY_UNSUPPORTED' }));
    expect(() => importPrivateKey('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n')).toThrow(expect.objectContaining({ code: 'PKI_KEY_MALFORMED' }));
  });

  it('PEM/DER helpers and hashes', () => {
    const der = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x07]);
    const pem = derToPem(der, 'TEST');
    expect(pem).toBe('-----BEGIN TEST-----\nMAMCAQc=\n-----END TEST-----\n');
    expect(pemToDer(pem)).toEqual(der);
    expect(pemBlocks(pem + pem)).toHaveLength(2);
    expect(() => pemToDer('nothing')).toThrow(expect.objectContaining({ code: 'PKI_ENCODING_INVALID' }));
    expect(sha256(Buffer.from('abc')).toString('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(certificateHash(der)).toBe(sha256(der).toString('hex'));
  });
});
