// The worked example of docs/protocols/exchange.md §11, recomputed (keeps the document honest).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FRAME, buildHashTree, encodeFrame, exchangeErrorCodes, leafHash, messageDigest, messageDigestFromHashes, nodeHash, parseRequestHeader, rootFromProof, rootSigningInput } from '../src/index.ts';

const HEADER_JSON =
  '{"protocol":"jpx/1","kind":"request","messageId":"3f2c1a9e-8b7d-4c6e-9f01-2a3b4c5d6e7f","xRoadId":"JP-TEST-1",' +
  '"createdAt":"2025-04-01T09:30:00.123Z","senderServer":"JP-TEST/COM/1234567890123/ss1","targetServer":"JP-TEST/GOV/0000000000001/ss1",' +
  '"client":"JP-TEST/COM/1234567890123/app","service":"JP-TEST/GOV/0000000000001/city/get","method":"POST","path":"/v1/x","query":"",' +
  '"headers":[["content-type","text/plain"]],"bodyLength":2}';
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const doc = readFileSync(new URL('../../../docs/protocols/exchange.md', import.meta.url), 'utf8');

describe('worked example of the protocol document', () => {
  const headerBytes = Buffer.from(HEADER_JSON, 'utf8');
  const body = Buffer.from('hi');
  const digest = messageDigest('request', headerBytes, body);

  it('frames', () => {
    parseRequestHeader(JSON.parse(HEADER_JSON));
    expect(headerBytes.length).toBe(430);
    expect(hex(encodeFrame(FRAME.HEADER, headerBytes).subarray(0, 16))).toBe('010000' + '01ae7b2270726f746f636f6c22');
    expect(hex(encodeFrame(FRAME.BODY, body))).toBe('02000000026869');
  });

  it('digest, tree and signing input', () => {
    const values = {
      headerHash: hex(createHash('sha256').update(headerBytes).digest()),
      bodyHash: hex(createHash('sha256').update(body).digest()),
      digest: hex(digest),
      digestBase64: digest.toString('base64'),
      leaf0: hex(leafHash(digest)),
      signingInput1: hex(rootSigningInput(leafHash(digest))),
    };
    expect(values).toEqual({
      headerHash: '0f15827df6d3468b09db7cad67c7154043eed9d4cea0147b2d6195368e46c50a',
      bodyHash: '8f434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4',
      digest: '166aa43cc00275e4b90c7ce6f27c1e1589832220c3ed098403487ade57eb72a6',
      digestBase64: 'FmqkPMACdeS5DHzm8nweFYmDIiDD7QmEA0h63lfrcqY=',
      leaf0: 'a0b5f240745da8c452f342c34a85192389669bd3d413338e6c88ed692120e389',
      signingInput1: '6a70782f312062617463680a' + 'a0b5f240745da8c452f342c34a85192389669bd3d413338e6c88ed692120e389',
    });
    for (const value of Object.values(values)) expect(doc).toContain(value.slice(0, 64));
    const fromHashes = messageDigestFromHashes('request', Buffer.from(values.headerHash, 'hex'), Buffer.from(values.bodyHash, 'hex'));
    expect(fromHashes.equals(digest)).toBe(true);
    expect(() => messageDigestFromHashes('request', Buffer.alloc(31), Buffer.alloc(32))).toThrow(expect.objectContaining({ code: 'JPX_INVALID_ARGUMENT' }));

    const d1 = createHash('sha256').update('b').digest();
    const d2 = createHash('sha256').update('c').digest();
    const { root, proofs } = buildHashTree([digest, d1, d2]);
    const n01 = nodeHash(leafHash(digest), leafHash(d1));
    expect(hex(n01)).toBe('0af3628b0210200c667d44fa8284ee58dbe39e45c5e95619daba10ab7021354b');
    expect(hex(root)).toBe('463e10b471e42509d92fbdaf8a2634ad81923ad02022d2d3fca01f4771baa66c');
    expect(proofs.map((p) => p.map(hex))).toEqual([
      ['a0d9f0a50b35b9f7d7edc57fb64f4771ddef0fefeaca4e6f949a1514db5b136d', '6a3fc11b79f836bda340e75c8906e961b8adf4d6a08a2b992e3f38cd6ff38ebf'],
      ['a0b5f240745da8c452f342c34a85192389669bd3d413338e6c88ed692120e389', '6a3fc11b79f836bda340e75c8906e961b8adf4d6a08a2b992e3f38cd6ff38ebf'],
      ['0af3628b0210200c667d44fa8284ee58dbe39e45c5e95619daba10ab7021354b'],
    ]);
    expect(rootFromProof(d2, 2, 3, proofs[2] as Buffer[]).equals(root)).toBe(true);
    for (const value of [hex(n01), hex(root), ...proofs.flat().map(hex)]) expect(doc).toContain(value);
    // The abridged envelope of leaf 0 shows its proof in base64.
    expect(doc).toContain(`"proof":[${(proofs[0] as Buffer[]).map((p) => `"${p.toString('base64')}"`).join(',')}]`);
  });

  it('lists every error code', () => {
    for (const code of exchangeErrorCodes) expect(doc).toContain(`\`${code}\``);
  });
});
