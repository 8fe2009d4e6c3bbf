import { describe, expect, it } from 'vitest';
import { FRAME, readMessage, verifyEnvelope, writeMessage, type ReadMessageResult, type SignatureEnvelope } from '../src/index.ts';
import { makeSignKey, oneChunk, requestHeader, signerFor } from './support/fixtures.ts';

const LIMITS = { maxBodyBytes: 1 << 20 };

async function read(stream: Buffer): Promise<ReadMessageResult> {
  return readMessage(oneChunk(stream), LIMITS);
}

function expectInvalid(digest: Buffer, envelope: SignatureEnvelope, code = 'JPX_SIGNATURE_INVALID'): void {
  expect(() => verifyEnvelope({ digest, envelope })).toThrow(expect.objectContaining({ code }));
}

describe('tamper detection', async () => {
  const key = await makeSignKey('EC-P256');
  const otherKey = await makeSignKey('EC-P256', '9999999999999');
  const rsaKey = await makeSignKey('RSA-2048');
  const signer = signerFor(key);
  const body = Buffer.from('{"請求":"住民票","部数":1}');
  // Three messages signed in one batch (tree size 3).
  const [a, b, c] = await Promise.all([0, 1, 2].map((i) => writeMessage({ header: requestHeader({ query: `n=${i}` }), body, sign: signer.sign })));
  const stream = Buffer.concat(a!.frames);

  it('the untouched message verifies', async () => {
    expect(a!.envelope.treeSize).toBe(3);
    const msg = await read(stream);
    verifyEnvelope({ digest: msg.digest, envelope: msg.signature! });
  });

  it('a changed body byte', async () => {
    const tampered = Buffer.from(stream);
    const at = a!.frames[0]!.length + 5 + 3; // inside the BODY payload
    tampered[at]! ^= 0x01;
    const msg = await read(tampered);
    expectInvalid(msg.digest, msg.signature!);
  });

  it('a changed header byte', async () => {
    const text = a!.headerBytes.toString('utf8');
    const at = 5 + Buffer.byteLength(text.slice(0, text.indexOf('GOV/0000000000001/ss1') + 20));
    const tampered = Buffer.from(stream);
    expect(String.fromCharCode(tampered[at]!)).toBe('1');
    tampered[at] = '2'.charCodeAt(0); // targetServer …/ss1 → …/ss2, still valid JSON
    const msg = await read(tampered);
    expect((msg.header as { targetServer: string }).targetServer).toBe('JP-TEST/GOV/0000000000001/ss2');
    expectInvalid(msg.digest, msg.signature!);
  });

  it('an envelope swapped from another message (same batch or another batch)', async () => {
    const msg = await read(stream);
    expectInvalid(msg.digest, b!.envelope);
    expectInvalid(msg.digest, c!.envelope);
    const lone = await writeMessage({ header: requestHeader(), body, sign: signer.sign });
    expectInvalid(msg.digest, lone.envelope);
    // And a SIGNATURE frame spliced into the stream.
    const spliced = Buffer.concat([...a!.frames.slice(0, -1), b!.frames[b!.frames.length - 1]!]);
    expect(spliced[spliced.length - b!.frames[b!.frames.length - 1]!.length]).toBe(FRAME.SIGNATURE);
    const m2 = await read(spliced);
    expectInvalid(m2.digest, m2.signature!);
  });

  it('a changed proof element, leaf index or tree size', () => {
    const proof = [...a!.envelope.proof];
    const p0 = Buffer.from(proof[0]!, 'base64');
    p0[31]! ^= 0x80;
    proof[0] = p0.toString('base64');
    expectInvalid(a!.digest, { ...a!.envelope, proof });
    expectInvalid(a!.digest, { ...a!.envelope, proof: a!.envelope.proof.slice(1) });
    expectInvalid(a!.digest, { ...a!.envelope, leafIndex: 1 });
    expectInvalid(a!.digest, { ...a!.envelope, treeSize: 1, leafIndex: 0 });
  });

  it('a changed root signature, algorithm or signer certificate', () => {
    const sig = Buffer.from(a!.envelope.rootSignature, 'base64');
    sig[sig.length - 1]! ^= 0x01;
    expectInvalid(a!.digest, { ...a!.envelope, rootSignature: sig.toString('base64') });
    expectInvalid(a!.digest, { ...a!.envelope, algorithm: 'RS256' });
    expectInvalid(a!.digest, { ...a!.envelope, signerCertificate: Buffer.from(otherKey.certificate).toString('base64') });
    expectInvalid(a!.digest, { ...a!.envelope, algorithm: 'RS256', signerCertificate: Buffer.from(rsaKey.certificate).toString('base64') });
  });

  it('a malformed envelope is JPX_MALFORMED', () => {
    expectInvalid(a!.digest, { ...a!.envelope, signerCertificate: 'AAAA' }, 'JPX_MALFORMED');
    expectInvalid(a!.digest, { ...a!.envelope, leafIndex: 3 }, 'JPX_MALFORMED');
    expectInvalid(a!.digest, { ...a!.envelope, proof: ['AAAA'] }, 'JPX_MALFORMED');
    expectInvalid(a!.digest, { ...a!.envelope, rootSignature: 'not base64!' }, 'JPX_MALFORMED');
    const { signedAt: _, ...missing } = a!.envelope;
    expectInvalid(a!.digest, missing as SignatureEnvelope, 'JPX_MALFORMED');
    expectInvalid(a!.digest, { ...a!.envelope, extra: 1 } as SignatureEnvelope, 'JPX_MALFORMED');
  });
});
