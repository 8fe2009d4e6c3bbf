import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signDetached, verifyDetached } from '../src/index.ts';
import { buildHierarchy, KEY_ALGORITHMS, type Hierarchy, type Issued } from './support/fixtures.ts';
import { openssl, TempDir } from './support/openssl.ts';

const DATA = Buffer.from('{"instance":"JP-TEST","version":7,"members":["株式会社テスト"]}');

describe.each(KEY_ALGORITHMS)('CMS detached signatures (%s)', (alg) => {
  let dir: TempDir;
  let h: Hierarchy;
  let signer: Issued;
  let sig: Uint8Array;
  const signingTime = new Date('2025-04-01T09:00:00Z');

  beforeAll(async () => {
    dir = await TempDir.create();
    h = await buildHierarchy(alg);
    signer = await h.issue('config-signing');
    sig = await signDetached({ data: DATA, signer: { certificate: signer.der, privateKey: signer.privateKey }, chain: [h.issuing.der], signingTime });
    await dir.write('sig.der', sig);
    await dir.write('data.bin', DATA);
    await dir.write('root.pem', h.root.pem);
    await dir.write('signer.pem', signer.pem);
  });
  afterAll(() => dir.remove());

  // -binary: the content is bytes, no MIME canonicalisation; -purpose any: the
  // config-signing profile has no EKU and OpenSSL's default purpose is smimesign.
  it('openssl cms -verify accepts the signature over the data', async () => {
    const r = await openssl(['cms', '-verify', '-binary', '-inform', 'DER', '-in', 'sig.der', '-content', 'data.bin', '-CAfile', 'root.pem', '-purpose', 'any', '-out', 'out.bin'], { cwd: dir.path });
    expect(r.output).toContain('Verification successful');
    expect(r.code).toBe(0);
    expect(await dir.read('out.bin')).toEqual(DATA);
  });

  it('openssl cms -verify fails for changed data', async () => {
    await dir.write('changed.bin', Buffer.concat([DATA, Buffer.from(' ')]));
    const r = await openssl(['cms', '-verify', '-binary', '-inform', 'DER', '-in', 'sig.der', '-content', 'changed.bin', '-CAfile', 'root.pem', '-purpose', 'any', '-out', '/dev/null'], { cwd: dir.path });
    expect(r.code).not.toBe(0);
    expect(r.output).toMatch(/digest failure|Verification failure/i);
  });

  it('openssl cms -cmsout -print shows the signed attributes', async () => {
    const r = await openssl(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', 'sig.der'], { cwd: dir.path });
    expect(r.stdout).toContain('eContentType: pkcs7-data');
    expect(r.stdout).toContain('eContent: <ABSENT>');
    expect(r.stdout).toContain('contentType');
    expect(r.stdout).toContain('signingTime');
    expect(r.stdout).toContain('messageDigest');
  });

  it('verifyDetached accepts a pinned signer and a chain to the root', async () => {
    const pinned = await verifyDetached({ signature: sig, data: DATA, trustedSigners: [signer.der] });
    expect(pinned.signer.der).toEqual(signer.der);
    expect(pinned.signingTime).toEqual(signingTime);
    const chained = await verifyDetached({ signature: sig, data: DATA, trustAnchors: [h.root.der] });
    expect(chained.signer.subject).toEqual(pinned.signer.subject);
  });

  it('verifyDetached accepts a signature made by openssl cms -sign', async () => {
    await dir.write('signer.key', signer.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
    const r = await openssl(['cms', '-sign', '-binary', '-in', 'data.bin', '-signer', 'signer.pem', '-inkey', 'signer.key', '-outform', 'DER', '-out', 'ossl.der', '-md', 'sha256'], { cwd: dir.path });
    expect(r.code).toBe(0);
    const v = await verifyDetached({ signature: await dir.read('ossl.der'), data: DATA, trustedSigners: [signer.der] });
    expect(v.signer.der).toEqual(signer.der);
  });

  it('verifyDetached rejects changed data, an untrusted signer and garbage', async () => {
    await expect(verifyDetached({ signature: sig, data: Buffer.from('changed'), trustedSigners: [signer.der] })).rejects.toMatchObject({ code: 'PKI_CMS_SIGNATURE_INVALID' });
    const other = await buildHierarchy(alg);
    const stranger = await other.issue('config-signing');
    await expect(verifyDetached({ signature: sig, data: DATA, trustedSigners: [stranger.der] })).rejects.toMatchObject({ code: 'PKI_CMS_SIGNER_UNTRUSTED' });
    await expect(verifyDetached({ signature: sig, data: DATA, trustAnchors: [other.root.der] })).rejects.toMatchObject({ code: 'PKI_CMS_SIGNER_UNTRUSTED' });
    await expect(verifyDetached({ signature: sig, data: DATA })).rejects.toMatchObject({ code: 'PKI_CMS_SIGNER_UNTRUSTED' });
    await expect(verifyDetached({ signature: Buffer.from('garbage'), data: DATA, trustedSigners: [signer.der] })).rejects.toMatchObject({ code: 'PKI_CMS_MALFORMED' });
    const tampered = Buffer.from(sig);
    tampered[tampered.length - 5] = (tampered[tampered.length - 5] as number) ^ 0x01;
    await expect(verifyDetached({ signature: tampered, data: DATA, trustedSigners: [signer.der] })).rejects.toMatchObject({ code: 'PKI_CMS_SIGNATURE_INVALID' });
  });
});
