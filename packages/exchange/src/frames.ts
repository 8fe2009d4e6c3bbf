// Frame layer of jpx/1: `type (1 byte) | length (uint32 BE) | payload`.
import { MAX_FRAME_BYTES } from './constants.ts';
import { ExchangeError } from './errors.ts';

export const FRAME = { HEADER: 1, BODY: 2, SIGNATURE: 3, ERROR: 4 } as const;

export type FrameType = (typeof FRAME)[keyof typeof FRAME];

export interface Frame {
  type: FrameType;
  payload: Buffer;
}

export interface FrameLimits {
  /** Largest total of BODY payloads accepted; more is JPX_BODY_TOO_LARGE. */
  maxBodyBytes: number;
  /** Largest payload of one frame, at most (and by default) 65536; more is JPX_MALFORMED. */
  maxFrameBytes?: number;
}

export const FRAME_PREFIX_BYTES = 5;

export function isFrameType(value: number): value is FrameType {
  return value >= FRAME.HEADER && value <= FRAME.ERROR;
}

export function frameTypeName(type: number): string {
  switch (type) {
    case FRAME.HEADER: return 'HEADER';
    case FRAME.BODY: return 'BODY';
    case FRAME.SIGNATURE: return 'SIGNATURE';
    case FRAME.ERROR: return 'ERROR';
    default: return `0x${type.toString(16).padStart(2, '0')}`;
  }
}

/** One frame as bytes. BODY payloads must be 1..65536 bytes, the others 0..65536. */
export function encodeFrame(type: FrameType, payload: Uint8Array): Buffer {
  if (!isFrameType(type)) throw new ExchangeError('JPX_INVALID_ARGUMENT', `unknown frame type ${String(type)}`);
  if (!(payload instanceof Uint8Array)) throw new ExchangeError('JPX_INVALID_ARGUMENT', 'frame payload must be bytes');
  if (payload.length > MAX_FRAME_BYTES) throw new ExchangeError('JPX_INVALID_ARGUMENT', `frame payload of ${payload.length} bytes exceeds ${MAX_FRAME_BYTES}`);
  if (type === FRAME.BODY && payload.length === 0) throw new ExchangeError('JPX_INVALID_ARGUMENT', 'BODY frames must not be empty');
  const frame = Buffer.allocUnsafe(FRAME_PREFIX_BYTES + payload.length);
  frame[0] = type;
  frame.writeUInt32BE(payload.length, 1);
  frame.set(payload, FRAME_PREFIX_BYTES);
  return frame;
}

/** BODY frames for a body (split into payloads of at most 65536 bytes; none for an empty body). */
export function encodeBodyFrames(body: Uint8Array | readonly Uint8Array[]): Buffer[] {
  const parts = body instanceof Uint8Array ? [body] : body;
  const frames: Buffer[] = [];
  for (const part of parts) {
    for (let offset = 0; offset < part.length; offset += MAX_FRAME_BYTES) {
      frames.push(encodeFrame(FRAME.BODY, part.subarray(offset, Math.min(part.length, offset + MAX_FRAME_BYTES))));
    }
  }
  return frames;
}

function checkLimits(limits: FrameLimits): { maxBodyBytes: number; maxFrameBytes: number } {
  const maxFrameBytes = limits?.maxFrameBytes ?? MAX_FRAME_BYTES;
  const maxBodyBytes = limits?.maxBodyBytes;
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 0) {
    throw new ExchangeError('JPX_INVALID_ARGUMENT', 'limits.maxBodyBytes must be a non-negative integer');
  }
  if (!Number.isSafeInteger(maxFrameBytes) || maxFrameBytes < 1 || maxFrameBytes > MAX_FRAME_BYTES) {
    throw new ExchangeError('JPX_INVALID_ARGUMENT', `limits.maxFrameBytes must be 1..${MAX_FRAME_BYTES}`);
  }
  return { maxBodyBytes, maxFrameBytes };
}

export function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new ExchangeError('JPX_INVALID_ARGUMENT', 'frame source must yield Buffer or Uint8Array chunks (no string encoding)');
}

/**
 * Incremental, synchronous frame splitter: `push` chunks as they arrive, complete frames are handed
 * to `onFrame` in order; `end` when the source ends. Checks each frame on its own: known type
 * (as soon as the byte arrives), payload length within `maxFrameBytes` and BODY total within
 * `maxBodyBytes` (both from the length prefix, before the payload), non-empty BODY, and that the
 * source does not end inside a frame. Payloads are views into the pushed chunks when a frame lies
 * inside one chunk. An exception thrown by `onFrame` stops the split and propagates.
 */
export class FrameSplitter {
  readonly #maxBodyBytes: number;
  readonly #maxFrameBytes: number;
  #chunks: Buffer[] = [];
  #buffered = 0;
  #bodyBytes = 0;
  // Prefix of the frame being read, once known.
  #type: FrameType | undefined;
  #length = -1;

  constructor(limits: FrameLimits) {
    const { maxBodyBytes, maxFrameBytes } = checkLimits(limits);
    this.#maxBodyBytes = maxBodyBytes;
    this.#maxFrameBytes = maxFrameBytes;
  }

  /** Removes and returns the first n buffered bytes (n <= buffered). */
  #take(n: number): Buffer {
    const chunks = this.#chunks;
    const first = chunks[0] as Buffer;
    this.#buffered -= n;
    if (first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) chunks.shift();
      else chunks[0] = first.subarray(n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const head = chunks[0] as Buffer;
      const used = Math.min(head.length, n - filled);
      head.copy(out, filled, 0, used);
      filled += used;
      if (used === head.length) chunks.shift();
      else chunks[0] = head.subarray(used);
    }
    return out;
  }

  push(chunk: Buffer, onFrame: (type: FrameType, payload: Buffer) => void): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    for (;;) {
      let type = this.#type;
      if (type === undefined) {
        if (this.#buffered === 0) return;
        const t = (this.#chunks[0] as Buffer)[0] as number;
        if (!isFrameType(t)) throw new ExchangeError('JPX_MALFORMED', `unknown frame type ${frameTypeName(t)}`);
        this.#type = type = t;
      }
      let length = this.#length;
      if (length < 0) {
        if (this.#buffered < FRAME_PREFIX_BYTES) return;
        const first = this.#chunks[0] as Buffer;
        if (first.length > FRAME_PREFIX_BYTES) {
          length = first.readUInt32BE(1);
          this.#chunks[0] = first.subarray(FRAME_PREFIX_BYTES);
          this.#buffered -= FRAME_PREFIX_BYTES;
        } else {
          length = this.#take(FRAME_PREFIX_BYTES).readUInt32BE(1);
        }
        this.#length = length;
        if (length > this.#maxFrameBytes) {
          throw new ExchangeError('JPX_MALFORMED', `${frameTypeName(type)} frame of ${length} bytes exceeds the frame limit of ${this.#maxFrameBytes}`);
        }
        if (type === FRAME.BODY) {
          if (length === 0) throw new ExchangeError('JPX_MALFORMED', 'empty BODY frame');
          this.#bodyBytes += length;
          if (this.#bodyBytes > this.#maxBodyBytes) throw new ExchangeError('JPX_BODY_TOO_LARGE', `message body exceeds ${this.#maxBodyBytes} bytes`);
        }
      }
      if (this.#buffered < length) return;
      const payload = length === 0 ? Buffer.alloc(0) : this.#take(length);
      this.#type = undefined;
      this.#length = -1;
      onFrame(type, payload);
    }
  }

  /** The source ended: throws JPX_TRUNCATED when that was inside a frame. */
  end(): void {
    if (this.#type !== undefined) {
      throw new ExchangeError('JPX_TRUNCATED', this.#length < 0 ? 'stream ended inside a frame prefix' : 'stream ended inside a frame payload');
    }
  }
}

/**
 * Splits a byte source into frames (a FrameSplitter over an async source). Frame order is checked
 * by readMessage. Throwing ends the iteration of `source` (a Node stream is destroyed by that; Node
 * keeps the socket of a server-side request, so a refusal can still be sent).
 */
export async function* readFrames(source: AsyncIterable<Buffer | Uint8Array>, limits: FrameLimits): AsyncGenerator<Frame, void, undefined> {
  const splitter = new FrameSplitter(limits);
  let frames: Frame[] = [];
  const collect = (type: FrameType, payload: Buffer): void => {
    frames.push({ type, payload });
  };
  for await (const raw of source) {
    let failure: unknown;
    try {
      splitter.push(toBuffer(raw), collect);
    } catch (error) {
      failure = error;
    }
    // The frames completed before a failure come first, as if split one at a time.
    const ready = frames;
    frames = [];
    for (const frame of ready) yield frame;
    if (failure !== undefined) throw failure;
  }
  splitter.end();
}
