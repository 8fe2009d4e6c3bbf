import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { derToPem, pemToDer, verifyCertificateChain } from '../src/index.ts';
import { buildHierarchy, type Hierarchy, type Issued } from './support/fixtures.ts';
import { openssl, TempDir } from './support/openssl.ts';

const DAY = 86_400_000;

describe('verifyCertificateChain', () => {
  let dir: TempDir;
  let h: Hierarchy;
  let auth: Issued;

  beforeAll(async () => {
    dir = await TempDir.create();
    h = await buildHierarchy('EC-P256');
    auth = await h.issue('auth');
    await dir.write('issuing.pem', h.issuing.pem);
    await dir.write('issuing.key', h.issuing.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
    await dir.write('auth.pem', auth.pem);
    await dir.write('auth.key', auth.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
    await dir.write('ca.ext', 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n');
    await dir.write('leaf.ext', 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n');
  });
  afterAll(() => dir.remove());

  async function opensslIssue(name: string, caName: string, ext: string): Promise<Uint8Array> {
    const req = await openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/C=JP/O=JP-TEST/CN=${name}`], { cwd: dir.path });
    expect(req.code).toBe(0);
    const x = await openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${caName}.pem`, '-CAkey', `${caName}.key`, '-set_serial', '77', '-days', '30', '-sha256', '-extfile', ext, '-out', `${name}.pem`], { cwd: dir.path });
    expect(x.code).toBe(0);
    return pemToDer((await dir.read(`${name}.pem`)).toString());
  }

  it('returns leaf → issuing → root and checks the EKU', async () => {
    const { chain } = await verifyCertificateChain({ leaf: auth.der, intermediates: [h.issuing.der], trustAnchors: [h.root.der], requiredEku: 'clientAuth' });
    expect(chain.map((c) => c.der)).toEqual([auth.der, h.issuing.der, h.root.der]);
    await verifyCertificateChain({ leaf: auth.der, intermediates: [h.issuing.der], trustAnchors: [h.root.der], requiredEku: 'serverAuth' });
    await expect(verifyCertificateChain({ leaf: auth.der, intermediates: [h.issuing.der], trustAnchors: [h.root.der], requiredEku: 'timeStamping' })).rejects.toMatchObject({ code: 'PKI_CERT_USAGE' });
    // The issuing CA itself may be the anchor.
    await verifyCertificateChain({ leaf: auth.der, intermediates: [], trustAnchors: [h.issuing.der] });
  });

  it('validity: expired and not yet valid at `at`', async () => {
    const now = Date.now();
    const shortLived = await h.issue('auth', { notBefore: new Date(now - 2 * DAY), notAfter: new Date(now + 2 * DAY) });
    const base = { leaf: shortLived.der, intermediates: [h.issuing.der], trustAnchors: [h.root.der] };
    await verifyCertificateChain({ ...base, at: new Date(now) });
    await expect(verifyCertificateChain({ ...base, at: new Date(now + 3 * DAY) })).rejects.toMatchObject({ code: 'PKI_CERT_EXPIRED' });
    await expect(verifyCertificateChain({ ...base, at: new Date(now - 3 * DAY) })).rejects.toMatchObject({ code: 'PKI_CERT_NOT_YET_VALID' });
    await expect(verifyCertificateChain({ ...base, at: new Date(now + 20 * 365 * DAY) })).rejects.toMatchObject({ code: 'PKI_CERT_EXPIRED' });
  });

  it('untrusted: other root, missing intermediate, self-signed leaf', async () => {
    const other = await buildHierarchy('EC-P256');
    await expect(verifyCertificateChain({ leaf: auth.der, intermediates: [h.issuing.der], trustAnchors: [other.root.der] })).rejects.toMatchObject({ code: 'PKI_CHAIN_UNTRUSTED' });
    await expect(verifyCertificateChain({ leaf: auth.der, intermediates: [], trustAnchors: [h.root.der] })).rejects.toMatchObject({ code: 'PKI_CHAIN_UNTRUSTED' });
    await expect(verifyCertificateChain({ leaf: other.root.der, intermediates: [], trustAnchors: [h.root.der] })).rejects.toMatchObject({ code: 'PKI_CHAIN_UNTRUSTED' });
  });

  it('a broken signature → PKI_CHAIN_SIGNATURE_INVALID', async () => {
    const bad = Buffer.from(auth.der);
    bad[bad.length - 3] = (bad[bad.length - 3] as number) ^ 0x55;
    await expect(verifyCertificateChain({ leaf: bad, intermediates: [h.issuing.der], trustAnchors: [h.root.der] })).rejects.toMatchObject({ code: 'PKI_CHAIN_SIGNATURE_INVALID' });
  });

  it('a certificate issued (by OpenSSL) under a non-CA certificate → PKI_CHAIN_ISSUER_NOT_CA', async () => {
    const der = await opensslIssue('under-leaf', 'auth', 'leaf.ext');
    await expect(verifyCertificateChain({ leaf: der, intermediates: [auth.der, h.issuing.der], trustAnchors: [h.root.der] })).rejects.toMatchObject({ code: 'PKI_CHAIN_ISSUER_NOT_CA' });
  });

  it('a sub-CA below the pathlen:0 issuing CA → PKI_CHAIN_PATH_LENGTH (OpenSSL agrees)', async () => {
    const sub = await opensslIssue('sub', 'issuing', 'ca.ext');
    const leaf = await opensslIssue('leaf-under-sub', 'sub', 'leaf.ext');
    await dir.write('root.pem', derToPem(h.root.der, 'CERTIFICATE'));
    await dir.write('untrusted.pem', h.issuing.pem + derToPem(sub, 'CERTIFICATE'));
    const r = await openssl(['verify', '-CAfile', 'root.pem', '-untrusted', 'untrusted.pem', 'leaf-under-sub.pem'], { cwd: dir.path });
    expect(r.output).toContain('path length constraint exceeded');
    await expect(verifyCertificateChain({ leaf, intermediates: [sub, h.issuing.der], trustAnchors: [h.root.der] })).rejects.toMatchObject({ code: 'PKI_CHAIN_PATH_LENGTH' });
  });
});
