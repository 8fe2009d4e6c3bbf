import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCsr, derToPem, generateKeyPair, parseCsr, pemToDer, verifyCsr, type NameInput } from '../src/index.ts';
import { KEY_ALGORITHMS } from './support/fixtures.ts';
import { openssl, TempDir } from './support/openssl.ts';

const SUBJECT: NameInput = [['C', 'JP'], ['O', 'JP-TEST'], ['OU', 'COM'], ['CN', '1234567890123']];

let dir: TempDir;
beforeAll(async () => {
  dir = await TempDir.create();
});
afterAll(() => dir.remove());

describe.each(KEY_ALGORITHMS)('CSR (%s)', (alg) => {
  it('createCsr output passes openssl req -verify and shows the subject', async () => {
    const keys = await generateKeyPair(alg);
    const csr = await createCsr({ subject: [...SUBJECT, ['serialNumber', 'JP-1']], ...keys });
    await dir.write(`ours-${alg}.csr`, derToPem(csr, 'CERTIFICATE REQUEST'));
    const r = await openssl(['req', '-in', `ours-${alg}.csr`, '-verify', '-noout', '-subject', '-nameopt', 'utf8,sep_comma_plus_space'], { cwd: dir.path });
    expect(r.output).toMatch(/verify OK/i);
    expect(r.stdout).toContain('subject=C=JP, O=JP-TEST, OU=COM, CN=1234567890123, serialNumber=JP-1');
    const parsed = await verifyCsr(csr);
    expect(parsed.subject).toEqual([...SUBJECT, ['serialNumber', 'JP-1']]);
    expect(parsed.publicKeyAlgorithm).toBe(alg);
  });

  it('a Japanese subject round-trips through createCsr/parseCsr and OpenSSL', async () => {
    const keys = await generateKeyPair(alg);
    const subject: NameInput = [['C', 'JP'], ['O', '株式会社テスト'], ['OU', '市役所'], ['CN', '山田 太郎']];
    const csr = await createCsr({ subject, ...keys });
    expect((await parseCsr(csr)).subject).toEqual(subject);
    await dir.write(`jp-${alg}.csr`, derToPem(csr, 'CERTIFICATE REQUEST'));
    const r = await openssl(['req', '-in', `jp-${alg}.csr`, '-noout', '-subject', '-nameopt', 'utf8,sep_comma_plus_space'], { cwd: dir.path });
    expect(r.stdout).toContain('O=株式会社テスト, OU=市役所, CN=山田 太郎');
  });
});

describe.each([
  ['ec', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], 'EC-P256'],
  ['rsa', ['-newkey', 'rsa:2048'], 'RSA-2048'],
] as const)('CSR made by openssl req -new (%s)', (name, keyArgs, alg) => {
  let pem: string;
  beforeAll(async () => {
    const r = await openssl(
      ['req', '-new', ...keyArgs, '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', '/C=JP/O=JP-TEST/OU=GOV/CN=9876543210987', '-utf8', '-sha256'],
      { cwd: dir.path },
    );
    expect(r.code).toBe(0);
    pem = (await dir.read(`${name}.csr`)).toString('utf8');
  });

  it('is parsed and verified by us', async () => {
    const parsed = await verifyCsr(pem);
    expect(parsed.signatureValid).toBe(true);
    expect(parsed.subject).toEqual([['C', 'JP'], ['O', 'JP-TEST'], ['OU', 'GOV'], ['CN', '9876543210987']]);
    expect(parsed.publicKeyAlgorithm).toBe(alg);
    expect(parsed.der).toEqual(pemToDer(pem));
  });

  it('a tampered copy is rejected with PKI_CSR_SIGNATURE_INVALID', async () => {
    const der = Buffer.from(pemToDer(pem));
    const at = der.indexOf(Buffer.from('9876543210987'));
    expect(at).toBeGreaterThan(0);
    der[at] = '1'.charCodeAt(0);
    const parsed = await parseCsr(der);
    expect(parsed.signatureValid).toBe(false);
    await expect(verifyCsr(der)).rejects.toMatchObject({ name: 'PkiError', code: 'PKI_CSR_SIGNATURE_INVALID' });
  });
});

describe('CSR errors', () => {
  it('malformed input → PKI_CSR_MALFORMED', async () => {
    await expect(parseCsr(new Uint8Array([0x30, 0x03, 0x02, 0x01]))).rejects.toMatchObject({ code: 'PKI_CSR_MALFORMED' });
    await expect(parseCsr(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]))).rejects.toMatchObject({ code: 'PKI_CSR_MALFORMED' });
    await expect(parseCsr('not a csr')).rejects.toMatchObject({ code: 'PKI_CSR_MALFORMED' });
    await expect(parseCsr(new Uint8Array(0))).rejects.toMatchObject({ code: 'PKI_CSR_MALFORMED' });
  });

  it('a P-384 CSR is refused with PKI_KEY_UNSUPPORTED', async () => {
    const r = await openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384', '-nodes', '-keyout', 'p384.key', '-out', 'p384.csr', '-subj', '/CN=x'], { cwd: dir.path });
    expect(r.code).toBe(0);
    await expect(parseCsr((await dir.read('p384.csr')).toString())).rejects.toMatchObject({ code: 'PKI_KEY_UNSUPPORTED' });
  });
});
