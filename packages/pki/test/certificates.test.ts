import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { certificateHash, generateKeyPair, issueCertificate, parseCertificate, PkiError } from '../src/index.ts';
import { buildHierarchy, KEY_ALGORITHMS, type Hierarchy, type Issued } from './support/fixtures.ts';
import { openssl, TempDir } from './support/openssl.ts';

describe.each(KEY_ALGORITHMS)('certificates (%s), verified by OpenSSL', (alg) => {
  let dir: TempDir;
  let h: Hierarchy;
  let auth: Issued;
  let signCert: Issued;
  let ocsp: Issued;
  let tsa: Issued;
  let tls: Issued;

  beforeAll(async () => {
    dir = await TempDir.create();
    h = await buildHierarchy(alg);
    auth = await h.issue('auth', { ocspUrl: 'http://127.0.0.1:8080/ocsp' });
    signCert = await h.issue('sign', { ocspUrl: 'http://127.0.0.1:8080/ocsp' });
    ocsp = await h.issue('ocsp-responder');
    tsa = await h.issue('tsa');
    tls = await h.issue('tls-server', { subjectAltNames: { dns: ['center.jp-link.test'], ip: ['127.0.0.1'] } });
    await dir.write('root.pem', h.root.pem);
    await dir.write('issuing.pem', h.issuing.pem);
    for (const [name, c] of Object.entries({ auth, sign: signCert, ocsp, tsa, tls })) await dir.write(`${name}.pem`, c.pem);
  });
  afterAll(() => dir.remove());

  it.each(['auth', 'sign', 'ocsp', 'tsa', 'tls'])('openssl verify accepts the %s leaf via the issuing CA', async (name) => {
    const r = await openssl(['verify', '-CAfile', 'root.pem', '-untrusted', 'issuing.pem', `${name}.pem`], { cwd: dir.path });
    expect(r.output).toContain(`${name}.pem: OK`);
    expect(r.code).toBe(0);
  });

  it('root and issuing CA carry critical CA basic constraints and keyCertSign', async () => {
    const root = (await openssl(['x509', '-in', 'root.pem', '-noout', '-text'], { cwd: dir.path })).stdout;
    expect(root).toMatch(/Basic Constraints: critical\s+CA:TRUE\n/);
    expect(root).toMatch(/Key Usage: critical\s+Certificate Sign, CRL Sign/);
    const iss = (await openssl(['x509', '-in', 'issuing.pem', '-noout', '-text'], { cwd: dir.path })).stdout;
    expect(iss).toMatch(/Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
    expect(iss).toContain('X509v3 Authority Key Identifier');
  });

  it('auth certificate: digitalSignature, EKU serverAuth+clientAuth, AIA OCSP URL', async () => {
    const t = (await openssl(['x509', '-in', 'auth.pem', '-noout', '-text'], { cwd: dir.path })).stdout;
    expect(t).toMatch(alg === 'RSA-2048' ? /Key Usage: critical\s+Digital Signature, Key Encipherment/ : /Key Usage: critical\s+Digital Signature\n/);
    expect(t).toMatch(/Extended Key Usage:\s*\n\s+TLS Web Server Authentication, TLS Web Client Authentication/);
    expect(t).toContain('OCSP - URI:http://127.0.0.1:8080/ocsp');
    expect(t).toMatch(/Basic Constraints: critical\s+CA:FALSE/);
    expect(t).toContain('X509v3 Subject Key Identifier');
    expect(t).toContain(alg === 'EC-P256' ? 'ecdsa-with-SHA256' : 'sha256WithRSAEncryption');
  });

  it('sign certificate: nonRepudiation + digitalSignature, no EKU', async () => {
    const t = (await openssl(['x509', '-in', 'sign.pem', '-noout', '-text'], { cwd: dir.path })).stdout;
    expect(t).toMatch(/Key Usage: critical\s+Digital Signature, Non Repudiation/);
    expect(t).not.toContain('Extended Key Usage');
  });

  it('OCSP responder certificate: EKU OCSPSigning and id-pkix-ocsp-nocheck', async () => {
    const t = (await openssl(['x509', '-in', 'ocsp.pem', '-noout', '-text'], { cwd: dir.path })).stdout;
    expect(t).toMatch(/Extended Key Usage:\s*\n\s+OCSP Signing\n/);
    expect(t).toContain('OCSP No Check');
    const p = await openssl(['x509', '-in', 'ocsp.pem', '-noout', '-purpose'], { cwd: dir.path });
    expect(p.stdout).toContain('OCSP helper : Yes');
  });

  it('TSA certificate: timeStamping is the only EKU and critical', async () => {
    const t = (await openssl(['x509', '-in', 'tsa.pem', '-noout', '-text'], { cwd: dir.path })).stdout;
    expect(t).toMatch(/Extended Key Usage: critical\s*\n\s+Time Stamping\n/);
    expect(t).toMatch(/Key Usage: critical\s+Digital Signature, Non Repudiation/);
    const p = await openssl(['x509', '-in', 'tsa.pem', '-noout', '-purpose'], { cwd: dir.path });
    expect(p.stdout).toContain('Time Stamp signing : Yes');
  });

  it('TLS server certificate: serverAuth and subjectAltName', async () => {
    const t = (await openssl(['x509', '-in', 'tls.pem', '-noout', '-text'], { cwd: dir.path })).stdout;
    expect(t).toMatch(/Extended Key Usage:\s*\n\s+TLS Web Server Authentication\n/);
    expect(t).toContain('DNS:center.jp-link.test, IP Address:127.0.0.1');
  });

  it('parseCertificate reads back what was issued', () => {
    const p = parseCertificate(auth.pem);
    expect(p.issuer).toEqual(parseCertificate(h.issuing.der).subject);
    expect(p.subject.slice(0, 3)).toEqual([['C', 'JP'], ['O', 'JP-TEST'], ['OU', 'COM']]);
    expect(p.keyAlgorithm).toBe(alg);
    expect(p.isCa).toBe(false);
    expect(p.extendedKeyUsage).toEqual(['serverAuth', 'clientAuth']);
    expect(p.keyUsage).toContain('digitalSignature');
    expect(p.ocspUrls).toEqual(['http://127.0.0.1:8080/ocsp']);
    expect(p.sha256).toBe(certificateHash(auth.der, 'sha256'));
    expect(p.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(p.publicKey.export({ format: 'der', type: 'spki' })).toEqual(auth.publicKey.export({ format: 'der', type: 'spki' }));
    const root = parseCertificate(h.root.der);
    expect(root.isCa).toBe(true);
    expect(root.selfIssued).toBe(true);
    expect(root.subject[2]).toEqual(['CN', `JP-Link テスト Root ${alg}`]);
    expect(parseCertificate(h.issuing.der).pathLength).toBe(0);
    expect(parseCertificate(ocsp.der).ocspNoCheck).toBe(true);
    expect(parseCertificate(tsa.der).extendedKeyUsageCritical).toBe(true);
  });

  it('certificateHash equals openssl x509 -fingerprint -sha256', async () => {
    const r = await openssl(['x509', '-in', 'auth.pem', '-noout', '-fingerprint', '-sha256'], { cwd: dir.path });
    const hex = r.stdout.split('=')[1]?.trim().replace(/:/g, '').toLowerCase();
    expect(certificateHash(auth.der, 'sha256')).toBe(hex);
  });

  it('serial numbers up to 159 bits survive and match OpenSSL', async () => {
    const big = (1n << 159n) - 1n;
    const c = await h.issue('sign', { serial: big });
    expect(parseCertificate(c.der).serialNumber).toBe(big);
    await dir.write('big.pem', c.pem);
    const r = await openssl(['x509', '-in', 'big.pem', '-noout', '-serial'], { cwd: dir.path });
    expect(BigInt(`0x${r.stdout.trim().split('=')[1]}`)).toBe(big);
  });
});

describe('issueCertificate argument checks', () => {
  it('rejects bad serials, dates and mismatched keys with PkiError', async () => {
    const k = await generateKeyPair();
    const other = await generateKeyPair();
    const base = { subject: [['CN', 'x']] as Array<[string, string]>, publicKey: k.publicKey, selfSignedPrivateKey: k.privateKey, notBefore: new Date(0), notAfter: new Date(1e12), profile: 'root-ca' as const };
    await expect(issueCertificate({ ...base, serialNumber: 0n })).rejects.toMatchObject({ code: 'PKI_INVALID_ARGUMENT' });
    await expect(issueCertificate({ ...base, serialNumber: 1n << 159n })).rejects.toMatchObject({ code: 'PKI_INVALID_ARGUMENT' });
    await expect(issueCertificate({ ...base, serialNumber: 1n, notAfter: new Date(0) })).rejects.toMatchObject({ code: 'PKI_INVALID_ARGUMENT' });
    await expect(issueCertificate({ ...base, serialNumber: 1n, selfSignedPrivateKey: other.privateKey })).rejects.toMatchObject({ code: 'PKI_KEY_MISMATCH' });
    await expect(issueCertificate({ ...base, serialNumber: 1n, subject: [['XX', 'y']] })).rejects.toBeInstanceOf(PkiError);
  });

  it('refuses an issuer that is not a CA and a key algorithm that is not supported', async () => {
    const h = await buildHierarchy('EC-P256');
    const leaf = await h.issue('auth');
    const k = await generateKeyPair();
    await expect(
      issueCertificate({ subject: [['CN', 'x']], publicKey: k.publicKey, issuer: { certificate: leaf.der, privateKey: leaf.privateKey }, serialNumber: 5n, notBefore: new Date(), notAfter: new Date(Date.now() + 1e9), profile: 'auth' }),
    ).rejects.toMatchObject({ code: 'PKI_INVALID_ARGUMENT' });
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey;
    await expect(
      issueCertificate({ subject: [['CN', 'x']], publicKey: p384, issuer: { certificate: h.issuing.der, privateKey: h.issuing.privateKey }, serialNumber: 5n, notBefore: new Date(), notAfter: new Date(Date.now() + 1e9), profile: 'auth' }),
    ).rejects.toMatchObject({ code: 'PKI_KEY_UNSUPPORTED' });
  });
});
