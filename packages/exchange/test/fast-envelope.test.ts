// The envelope fast path must accept only what the schema accepts, and return the same envelope; the
// SIGNATURE frame must be the envelope's JSON;
// the strict JSON reader must find every repeated key, whatever the nesting or escaping.
import { describe, expect, it } from 'vitest';
import { fastEnvelope, signatureEnvelopeSchema } from '../src/envelope.ts';
import { FRAME, createBatchSigner, encodeFrame, writeMessage } from '../src/index.ts';
import { findDuplicateKey, parseJsonPayload } from '../src/strict-json.ts';
import { makeSignKey, requestHeader, signerFor } from './support/fixtures.ts';

function agrees(value: unknown): void {
  const fast = fastEnvelope(value);
  const schema = signatureEnvelopeSchema.safeParse(value);
  if (fast !== undefined) {
    expect(schema.success).toBe(true);
    expect(JSON.stringify(fast)).toBe(JSON.stringify(schema.data));
  }
}

describe('fastEnvelope', () => {
  it('returns the schema output for valid envelopes and refuses what the schema refuses', async () => {
    const signer = signerFor(await makeSignKey('EC-P256'));
    const digests = [Buffer.alloc(32, 1), Buffer.alloc(32, 2), Buffer.alloc(32, 3)];
    const envelopes = await Promise.all(digests.map((d) => signer.sign(d)));
    const valid = JSON.parse(JSON.stringify(envelopes[1])) as Record<string, unknown>;
    expect(fastEnvelope(valid)).toBeDefined();
    agrees(valid);
    expect(fastEnvelope(Object.fromEntries(Object.entries(valid).reverse()))).toEqual(fastEnvelope(valid));
    const cert = valid.signerCertificate as string;
    const variants: Array<Record<string, unknown>> = [
      { algorithm: 'ES384' }, { algorithm: undefined },
      { signerCertificate: '' }, { signerCertificate: `${cert}=` }, { signerCertificate: cert.slice(1) }, { signerCertificate: `${cert} ` },
      { signerCertificate: 'AB==' }, { signerCertificate: 'QR==' }, { signerCertificate: 'A'.repeat(21_852) }, { signerCertificate: 7 },
      { signerOcsp: 'QR==' }, { signerOcsp: '' }, { signerOcsp: null },
      { treeSize: 0 }, { treeSize: 1.5 }, { treeSize: 2 ** 31 }, { treeSize: '3' },
      { leafIndex: -1 }, { leafIndex: 3 }, { leafIndex: 0.5 }, { leafIndex: 2 ** 31 - 1 },
      { proof: 'x' }, { proof: [Buffer.alloc(31).toString('base64')] }, { proof: ['AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB='] },
      { proof: Array.from({ length: 32 }, () => Buffer.alloc(32).toString('base64')) }, { proof: [1] },
      { rootSignature: '' }, { rootSignature: Buffer.alloc(1025).toString('base64') }, { rootSignature: 'QR==' },
      { signedAt: '2025-02-29T00:00:00.000Z' }, { signedAt: '2025-01-01T00:00:00Z' }, { signedAt: 1 },
      { extra: 1 },
    ];
    for (const change of variants) {
      const envelope = { ...valid, ...change };
      agrees(envelope);
      expect(fastEnvelope(envelope)).toBeUndefined();
    }
    const { signedAt: _s, ...missing } = valid;
    expect(fastEnvelope(missing)).toBeUndefined();
    expect(fastEnvelope(JSON.parse(JSON.stringify(valid).replace('{', '{"__proto__":1,')))).toBeUndefined();
    expect(fastEnvelope(Object.assign(Object.create(null), valid))).toBeUndefined();
    expect(fastEnvelope([valid])).toBeUndefined();
    agrees({ ...valid, leafIndex: 0, treeSize: 1, proof: [] });
    expect(fastEnvelope({ ...valid, leafIndex: 0, treeSize: 1, proof: [] })).toBeDefined();
  });
});

describe('strict JSON', () => {
  const dup = (text: string) => {
    try {
      parseJsonPayload(Buffer.from(text), 'X');
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  };

  it('finds repeated keys at any depth, with any spelling', () => {
    expect(dup('{"a":1,"b":2}')).toBeUndefined();
    expect(dup('{"a":1,"a":2}')).toBe('X repeats the key "a"');
    expect(dup('{"a":{"b":1},"c":[{"d":1,"d":2}]}')).toBe('X repeats the key "d"');
    expect(dup('{"a":1,"\\u0061":2}')).toBe('X repeats the key "a"');
    expect(dup('{ "a" : "x\\"" , "a"\n:\t2 }')).toBe('X repeats the key "a"');
    expect(dup('{"a\\\\":1,"a\\\\":2}')).toBe('X repeats the key "a\\\\"');
    expect(dup('{"a":"b:","b":"a","c":{"a":1}}')).toBeUndefined();
    expect(dup('{"__proto__":1,"__proto__":2}')).toBe('X repeats the key "__proto__"');
    expect(dup('{"1":1,"b":{"1":2},"01":3}')).toBeUndefined();
    expect(dup(`${'['.repeat(20_000)}{"a":1,"a":1}${']'.repeat(20_000)}`)).toBe('X repeats the key "a"');
    expect(findDuplicateKey('{"a":[1,{"a":2}],"b":3}')).toBeUndefined();
  });
});

describe('the SIGNATURE frame', () => {
  it('is the envelope serialised as JSON, whichever signer and OCSP response', async () => {
    const key = await makeSignKey('EC-P256');
    let ocsp = Buffer.from('30030a0100', 'hex');
    const signer = createBatchSigner({ privateKey: key.privateKey, certificate: key.certificate, ocsp: () => ocsp });
    const other = signerFor(await makeSignKey('RSA-2048'));
    for (const sign of [signer.sign, signer.sign, other.sign]) {
      const written = await writeMessage({ header: requestHeader(), body: Buffer.from('x'), sign });
      expect(written.envelopeBytes.equals(Buffer.from(JSON.stringify(written.envelope)))).toBe(true);
      expect(written.frames.at(-1)!.equals(encodeFrame(FRAME.SIGNATURE, written.envelopeBytes))).toBe(true);
      ocsp = Buffer.from('30030a0101', 'hex');
    }
  });
});
