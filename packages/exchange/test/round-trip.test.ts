import { beforeAll, describe, expect, it } from 'vitest';
import {
  FRAME,
  MessageWriter,
  encodeFrame,
  messageDigest,
  parseRequestHeader,
  parseResponseHeader,
  readFrames,
  readMessage,
  verifyEnvelope,
  writeMessage,
  type BatchSigner,
} from '../src/index.ts';
import { chunked, makeSignKey, oneChunk, prng, requestHeader, responseHeader, signerFor } from './support/fixtures.ts';

let signer: BatchSigner;
beforeAll(async () => {
  signer = signerFor(await makeSignKey('EC-P256'));
});

const LIMITS = { maxBodyBytes: 1 << 20 };
const japaneseBody = Buffer.from(JSON.stringify({ 氏名: '山田 太郎', 住所: '東京都千代田区千代田1-1', 備考: '🗾'.repeat(10) }), 'utf8');

describe('request and response round trip', () => {
  it('reads back a request in one chunk, 1-byte chunks and random splits', async () => {
    const written = await writeMessage({ header: requestHeader(), body: japaneseBody, sign: signer.sign });
    const stream = Buffer.concat(written.frames);
    const rand = prng(42);
    const sources = [
      () => oneChunk(stream),
      () => chunked(stream, () => 1),
      ...Array.from({ length: 20 }, () => () => chunked(stream, () => 1 + Math.floor(rand() * 40))),
    ];
    for (const source of sources) {
      const read = await readMessage(source(), LIMITS);
      expect(read.headerBytes.equals(written.headerBytes)).toBe(true);
      expect(read.body.equals(japaneseBody)).toBe(true);
      expect(read.digest.equals(written.digest)).toBe(true);
      expect(read.signature).toEqual(written.envelope);
      expect(read.error).toBeUndefined();
      const header = parseRequestHeader(read.header);
      expect(header.userId).toBe('山田太郎');
      expect(header.issue).toBe('住民票の写し請求 #42');
      expect(header.headers[2]).toEqual(['x-note', 'テスト']);
      expect(header.bodyLength).toBe(japaneseBody.length);
      verifyEnvelope({ digest: read.digest, envelope: read.signature! });
    }
    expect(written.digest.equals(messageDigest('request', written.headerBytes, japaneseBody))).toBe(true);
  });

  it('binds a response to its request and reads it back', async () => {
    const request = await writeMessage({ header: requestHeader(), body: japaneseBody, sign: signer.sign });
    const big = Buffer.alloc(200_000, 0x61); // several BODY frames
    const written = await writeMessage({ header: responseHeader(request.digest, { messageId: parseRequestHeader(JSON.parse(request.headerBytes.toString())).messageId }), body: [big.subarray(0, 70_000), big.subarray(70_000)], sign: signer.sign });
    expect(written.frames.filter((f) => f[0] === FRAME.BODY).map((f) => f.length - 5)).toEqual([65_536, 4_464, 65_536, 64_464]);
    const rand = prng(7);
    const read = await readMessage(chunked(Buffer.concat(written.frames), () => 1 + Math.floor(rand() * 9000)), { ...LIMITS, expectKind: 'response' });
    const header = parseResponseHeader(read.header);
    expect(Buffer.from(header.requestDigest, 'base64').equals(request.digest)).toBe(true);
    expect(read.body.equals(big)).toBe(true);
    expect(read.digest.equals(written.digest)).toBe(true);
    expect(read.digest.equals(messageDigest('response', written.headerBytes, big))).toBe(true);
    // Same bytes as a request digest differ: the kind is part of the digest.
    expect(messageDigest('request', written.headerBytes, big).equals(read.digest)).toBe(false);
  });

  it('round-trips an empty body (no BODY frames)', async () => {
    const written = await writeMessage({ header: requestHeader({ method: 'GET', path: '', query: '' }), body: [], sign: signer.sign });
    expect(written.frames).toHaveLength(2);
    const read = await readMessage(chunked(Buffer.concat(written.frames), () => 3), LIMITS);
    expect(read.body.length).toBe(0);
    expect(read.digest.equals(written.digest)).toBe(true);
  });

  it('streams with MessageWriter and ends with an ERROR frame when the sender fails', async () => {
    const writer = new MessageWriter(responseHeader(Buffer.alloc(32, 1), { bodyLength: 10 }));
    const frames = [writer.headerFrame(), ...writer.bodyFrames(Buffer.from('abcd')), writer.errorFrame({ type: 'server.serverproxy.service_failed', message: 'バックエンドが応答しません', detail: 'e-123' })];
    const read = await readMessage(chunked(Buffer.concat(frames), () => 2), LIMITS);
    expect(read.signature).toBeUndefined();
    expect(read.error).toEqual({ type: 'server.serverproxy.service_failed', message: 'バックエンドが応答しません', detail: 'e-123' });
    expect(read.body.toString()).toBe('abcd');
  });

  it('readFrames yields the frames in order', async () => {
    const stream = Buffer.concat([encodeFrame(FRAME.HEADER, Buffer.from('{}')), encodeFrame(FRAME.BODY, Buffer.from('x')), encodeFrame(FRAME.SIGNATURE, Buffer.alloc(0))]);
    const frames = [];
    for await (const frame of readFrames(chunked(stream, () => 1), { maxBodyBytes: 10 })) frames.push([frame.type, frame.payload.toString()]);
    expect(frames).toEqual([[1, '{}'], [2, 'x'], [3, '']]);
  });
});
