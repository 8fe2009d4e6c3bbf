import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { exportPublicKeyPem, type KeyAlgorithm } from '@jplink/pki';
import { openssl, tempDir } from '@jplink/testing';
import { buildHashTree, createBatchSigner, memberIdOfSigner, rootSigningInput, verifyEnvelope } from '../src/index.ts';
import { FAKE_OCSP, makeSignKey, signerFor } from './support/fixtures.ts';

const digestOf = (i: number) => createHash('sha256').update(`batch message ${i}`).digest();

describe.each<KeyAlgorithm>(['EC-P256', 'RSA-2048'])('batch signer with %s', (alg) => {
  it('200 concurrent sign() calls share signatures, and every envelope verifies', async () => {
    const key = await makeSignKey(alg);
    const signer = signerFor(key);
    const digests = Array.from({ length: 200 }, (_, i) => digestOf(i));
    // Callers arrive over several I/O turns, as requests do.
    const envelopes = await Promise.all(digests.map(async (digest, i) => {
      for (let k = 0; k < i % 4; k++) await new Promise((resolve) => setImmediate(resolve));
      return signer.sign(digest);
    }));
    const stats = signer.stats();
    expect(stats.messages).toBe(200);
    expect(stats.signatures).toBeLessThan(stats.messages);
    expect(stats.signatures).toBeLessThanOrEqual(10);
    envelopes.forEach((envelope, i) => {
      expect(envelope.algorithm).toBe(alg === 'EC-P256' ? 'ES256' : 'RS256');
      expect(envelope.signerOcsp).toBe(FAKE_OCSP.toString('base64'));
      const { signer: cert } = verifyEnvelope({ digest: digests[i] as Buffer, envelope });
      expect(memberIdOfSigner(cert)).toBe('JP-TEST/COM/1234567890123');
    });
    expect(new Set(envelopes.map((e) => e.rootSignature)).size).toBe(stats.signatures);
  });

  it('signs one message at a time with tree size 1', async () => {
    const key = await makeSignKey(alg);
    const signer = signerFor(key);
    for (let i = 0; i < 5; i++) {
      const envelope = await signer.sign(digestOf(i));
      expect(envelope).toMatchObject({ treeSize: 1, leafIndex: 0, proof: [] });
      verifyEnvelope({ digest: digestOf(i), envelope });
    }
    expect(signer.stats()).toMatchObject({ signatures: 5, messages: 5, largestBatch: 1 });
  });

  it('caps a batch at maxBatch', async () => {
    const signer = signerFor(await makeSignKey(alg), 16);
    const envelopes = await Promise.all(Array.from({ length: 40 }, (_, i) => signer.sign(digestOf(i))));
    expect(envelopes.map((e) => e.treeSize)).toEqual([...Array(16).fill(16), ...Array(16).fill(16), ...Array(8).fill(8)]);
    envelopes.forEach((envelope, i) => verifyEnvelope({ digest: digestOf(i), envelope }));
  });

  it('a single-message root signature verifies with openssl dgst', async () => {
    const key = await makeSignKey(alg);
    const signer = signerFor(key);
    const digest = digestOf(7);
    const envelope = await signer.sign(digest);
    const root = buildHashTree([digest]).root;
    const dir = await tempDir('jplink-exchange-');
    const input = await dir.file('input.bin', rootSigningInput(root));
    const sig = await dir.file('sig.bin', Buffer.from(envelope.rootSignature, 'base64'));
    const pub = await dir.file('pub.pem', exportPublicKeyPem(key.publicKey));
    expect(Buffer.concat([Buffer.from('jpx/1 batch\n'), root]).equals(rootSigningInput(root))).toBe(true);
    const result = await openssl(['dgst', '-sha256', '-verify', pub, '-signature', sig, input]);
    expect(result.output).toContain('Verified OK');
    expect(result.code).toBe(0);
    // And openssl refuses a different root.
    const other = await dir.file('other.bin', rootSigningInput(buildHashTree([digestOf(8)]).root));
    expect((await openssl(['dgst', '-sha256', '-verify', pub, '-signature', sig, other])).code).not.toBe(0);
  });
});

describe('batch signer failures', () => {
  it('refuses a certificate of another key', async () => {
    const a = await makeSignKey('EC-P256');
    const b = await makeSignKey('EC-P256');
    expect(() => createBatchSigner({ privateKey: a.privateKey, certificate: b.certificate, ocsp: () => FAKE_OCSP })).toThrow(expect.objectContaining({ code: 'JPX_INVALID_ARGUMENT' }));
  });

  it('rejects the whole batch with JPX_SIGNING_FAILED when the OCSP source fails, then recovers', async () => {
    const key = await makeSignKey('EC-P256');
    let fail = true;
    const signer = createBatchSigner({ privateKey: key.privateKey, certificate: key.certificate, ocsp: () => {
      if (fail) throw new Error('no OCSP response yet');
      return FAKE_OCSP;
    } });
    const results = await Promise.allSettled([signer.sign(digestOf(1)), signer.sign(digestOf(2))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect((results[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'JPX_SIGNING_FAILED' });
    fail = false;
    verifyEnvelope({ digest: digestOf(3), envelope: await signer.sign(digestOf(3)) });
    await expect(signer.sign(Buffer.alloc(31))).rejects.toMatchObject({ code: 'JPX_INVALID_ARGUMENT' });
  });
});
