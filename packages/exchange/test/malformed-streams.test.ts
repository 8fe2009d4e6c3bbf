import { beforeAll, describe, expect, it } from 'vitest';
import { FRAME, encodeFrame, parseMessage, readFrames, readMessage, writeMessage, type ExchangeErrorCode } from '../src/index.ts';
import { chunked, makeSignKey, oneChunk, requestHeader, signerFor } from './support/fixtures.ts';

let headerFrame: Buffer;
let bodyFrame: Buffer;
let signatureFrame: Buffer;
let headerBytes: Buffer;

beforeAll(async () => {
  const signer = signerFor(await makeSignKey('EC-P256'));
  const written = await writeMessage({ header: requestHeader(), body: Buffer.from('hello'), sign: signer.sign });
  [headerFrame, bodyFrame, signatureFrame] = written.frames as [Buffer, Buffer, Buffer];
  headerBytes = written.headerBytes;
});

const LIMITS = { maxBodyBytes: 1024 };

const outcome = (error: unknown) => `${(error as { code?: string }).code ?? String(error)}: ${(error as Error).message}`;

async function codeOf(stream: Buffer, limits: { maxBodyBytes: number; maxFrameBytes?: number } = LIMITS): Promise<ExchangeErrorCode | 'ok'> {
  // Every case must give the same answer (code and message) whether the bytes come at once, one by
  // one, or as one buffer to the synchronous parseMessage.
  const outcomes = new Set<string>();
  for (const source of [oneChunk(stream), chunked(stream, () => 1), chunked(stream, () => 7)]) {
    try {
      await readMessage(source, limits);
      outcomes.add('ok');
    } catch (error) {
      outcomes.add(outcome(error));
    }
  }
  try {
    parseMessage(stream, limits);
    outcomes.add('ok');
  } catch (error) {
    outcomes.add(outcome(error));
  }
  expect([...outcomes]).toHaveLength(1);
  const [only] = outcomes as Set<string>;
  return (only === 'ok' ? 'ok' : only.slice(0, only.indexOf(':'))) as ExchangeErrorCode;
}

const frame = (type: number, payload: Uint8Array | string) => {
  const bytes = typeof payload === 'string' ? Buffer.from(payload) : Buffer.from(payload);
  const prefix = Buffer.alloc(5);
  prefix[0] = type;
  prefix.writeUInt32BE(bytes.length, 1);
  return Buffer.concat([prefix, bytes]);
};

describe('malformed frame streams', () => {
  it('accepts the well-formed stream', async () => {
    expect(await codeOf(Buffer.concat([headerFrame, bodyFrame, signatureFrame]))).toBe('ok');
  });

  it('rejects an unknown frame type', async () => {
    expect(await codeOf(Buffer.concat([headerFrame, frame(0x05, 'x'), signatureFrame]))).toBe('JPX_MALFORMED');
    expect(await codeOf(Buffer.concat([frame(0x00, '{}')]))).toBe('JPX_MALFORMED');
  });

  it('rejects a stream whose first frame is not HEADER', async () => {
    expect(await codeOf(Buffer.concat([bodyFrame, headerFrame, signatureFrame]))).toBe('JPX_MALFORMED');
    expect(await codeOf(signatureFrame)).toBe('JPX_MALFORMED');
  });

  it('rejects two headers', async () => {
    expect(await codeOf(Buffer.concat([headerFrame, headerFrame, bodyFrame, signatureFrame]))).toBe('JPX_MALFORMED');
    expect(await codeOf(Buffer.concat([headerFrame, bodyFrame, headerFrame, signatureFrame]))).toBe('JPX_MALFORMED');
  });

  it('rejects a BODY frame after the SIGNATURE', async () => {
    expect(await codeOf(Buffer.concat([headerFrame, signatureFrame, bodyFrame]))).toBe('JPX_MALFORMED');
  });

  it('rejects frames after an ERROR frame', async () => {
    const error = frame(FRAME.ERROR, JSON.stringify({ type: 'server.x', message: 'm', detail: '' }));
    expect(await codeOf(Buffer.concat([headerFrame, error]))).toBe('ok');
    expect(await codeOf(Buffer.concat([headerFrame, error, signatureFrame]))).toBe('JPX_MALFORMED');
  });

  it('reports a missing signature as truncated', async () => {
    expect(await codeOf(Buffer.concat([headerFrame, bodyFrame]))).toBe('JPX_TRUNCATED');
    expect(await codeOf(headerFrame)).toBe('JPX_TRUNCATED');
    expect(await codeOf(Buffer.alloc(0))).toBe('JPX_TRUNCATED');
  });

  it('rejects trailing bytes after the final frame', async () => {
    const whole = Buffer.concat([headerFrame, bodyFrame, signatureFrame]);
    expect(await codeOf(Buffer.concat([whole, Buffer.from([0x00])]))).toBe('JPX_MALFORMED');
    expect(await codeOf(Buffer.concat([whole, Buffer.from([0x02, 0x00])]))).toBe('JPX_MALFORMED');
    expect(await codeOf(Buffer.concat([whole, signatureFrame]))).toBe('JPX_MALFORMED');
  });

  it('reports a truncated frame prefix or payload', async () => {
    expect(await codeOf(Buffer.concat([headerFrame, bodyFrame.subarray(0, 3)]))).toBe('JPX_TRUNCATED');
    expect(await codeOf(headerFrame.subarray(0, 1))).toBe('JPX_TRUNCATED');
    expect(await codeOf(headerFrame.subarray(0, headerFrame.length - 1))).toBe('JPX_TRUNCATED');
    expect(await codeOf(Buffer.concat([headerFrame, bodyFrame, signatureFrame.subarray(0, 40)]))).toBe('JPX_TRUNCATED');
  });

  it('rejects a frame longer than the frame limit before reading it', async () => {
    const prefix = Buffer.from([FRAME.HEADER, 0x00, 0x01, 0x00, 0x01]); // 65537 bytes announced, none sent
    expect(await codeOf(prefix, { maxBodyBytes: 1 << 20 })).toBe('JPX_MALFORMED');
    const big = frame(FRAME.BODY, Buffer.alloc(200, 1));
    expect(await codeOf(Buffer.concat([frame(FRAME.HEADER, '{"kind":"request"}'), big, signatureFrame]), { maxBodyBytes: 1024, maxFrameBytes: 100 })).toBe('JPX_MALFORMED');
  });

  it('rejects a body over maxBodyBytes', async () => {
    const header = frame(FRAME.HEADER, '{"kind":"request"}'); // no bodyLength: only the frame budget applies
    const chunk = frame(FRAME.BODY, Buffer.alloc(600, 1));
    expect(await codeOf(Buffer.concat([header, chunk, chunk, signatureFrame]))).toBe('JPX_BODY_TOO_LARGE');
    const declared = frame(FRAME.HEADER, JSON.stringify({ kind: 'request', bodyLength: 5000 }));
    expect(await codeOf(Buffer.concat([declared, chunk]))).toBe('JPX_BODY_TOO_LARGE');
  });

  it('rejects a body that differs from the declared bodyLength', async () => {
    expect(await codeOf(Buffer.concat([headerFrame, bodyFrame, bodyFrame, signatureFrame]))).toBe('JPX_MALFORMED');
    expect(await codeOf(Buffer.concat([headerFrame, signatureFrame]))).toBe('JPX_MALFORMED');
  });

  it('rejects an empty BODY frame', async () => {
    expect(await codeOf(Buffer.concat([headerFrame, frame(FRAME.BODY, ''), bodyFrame, signatureFrame]))).toBe('JPX_MALFORMED');
  });

  it('rejects bad JSON payloads', async () => {
    expect(await codeOf(Buffer.concat([frame(FRAME.HEADER, '{"kind":"request",'), signatureFrame]))).toBe('JPX_MALFORMED');
    expect(await codeOf(Buffer.concat([frame(FRAME.HEADER, Buffer.from([0x7b, 0xff, 0x7d])), signatureFrame]))).toBe('JPX_MALFORMED');
    expect(await codeOf(Buffer.concat([frame(FRAME.HEADER, '\ufeff{"kind":"request"}'), signatureFrame]))).toBe('JPX_MALFORMED');
    expect(await codeOf(Buffer.concat([frame(FRAME.HEADER, '[1]'), signatureFrame]))).toBe('JPX_MALFORMED');
    const dup = headerBytes.toString().replace('{', '{"targetServer":"JP-TEST/GOV/9/ss9",');
    expect(await codeOf(Buffer.concat([frame(FRAME.HEADER, dup), bodyFrame, signatureFrame]))).toBe('JPX_MALFORMED');
    expect(await codeOf(Buffer.concat([headerFrame, bodyFrame, frame(FRAME.SIGNATURE, '{"algorithm":"ES256"}')]))).toBe('JPX_MALFORMED');
    expect(await codeOf(Buffer.concat([headerFrame, frame(FRAME.ERROR, '{"type":"x"}')]))).toBe('JPX_MALFORMED');
  });

  it('needs a header kind', async () => {
    expect(await codeOf(Buffer.concat([frame(FRAME.HEADER, '{"kind":"other"}'), signatureFrame]))).toBe('JPX_HEADER_INVALID');
    await expect(readMessage(oneChunk(Buffer.concat([headerFrame, bodyFrame, signatureFrame])), { ...LIMITS, expectKind: 'response' })).rejects.toMatchObject({ code: 'JPX_HEADER_INVALID' });
  });

  it('parseMessage returns what readMessage returns', async () => {
    const whole = Buffer.concat([headerFrame, bodyFrame, signatureFrame]);
    const sync = parseMessage(whole, { ...LIMITS, expectKind: 'request' });
    const streamed = await readMessage(chunked(whole, () => 3), { ...LIMITS, expectKind: 'request' });
    expect(sync).toEqual(streamed);
    expect(sync.headerBytes.equals(headerBytes)).toBe(true);
    expect(sync.body.toString()).toBe('hello');
    expect(() => parseMessage(whole, { ...LIMITS, expectKind: 'response' })).toThrow(expect.objectContaining({ code: 'JPX_HEADER_INVALID' }));
    expect(() => parseMessage(whole, { maxBodyBytes: -1 })).toThrow(expect.objectContaining({ code: 'JPX_INVALID_ARGUMENT' }));
  });

  it('readFrames rejects bad limits and string chunks', async () => {
    await expect(readFrames(oneChunk(headerFrame), { maxBodyBytes: 1, maxFrameBytes: 70_000 }).next()).rejects.toMatchObject({ code: 'JPX_INVALID_ARGUMENT' });
    async function* strings() {
      yield 'abc' as unknown as Buffer;
    }
    await expect(readFrames(strings(), LIMITS).next()).rejects.toMatchObject({ code: 'JPX_INVALID_ARGUMENT' });
  });

  it('encodeFrame refuses what the reader would refuse', () => {
    expect(() => encodeFrame(5 as never, Buffer.alloc(1))).toThrow(expect.objectContaining({ code: 'JPX_INVALID_ARGUMENT' }));
    expect(() => encodeFrame(FRAME.BODY, Buffer.alloc(0))).toThrow(expect.objectContaining({ code: 'JPX_INVALID_ARGUMENT' }));
    expect(() => encodeFrame(FRAME.BODY, Buffer.alloc(65_537))).toThrow(expect.objectContaining({ code: 'JPX_INVALID_ARGUMENT' }));
  });
});
