// Reads one message (request or response) from a frame stream:
// HEADER, BODY*, then exactly one of SIGNATURE or ERROR, then the end of the stream.
// MessageParser does the work synchronously, chunk by chunk; readMessage feeds it from an async
// source, parseMessage from a buffer that already holds the whole stream.
import { hash } from 'node:crypto';
import type { z } from 'zod';
import { checkEnvelope, errorFrameSchema, type ErrorFrame, type SignatureEnvelope } from './envelope.ts';
import { messageDigestFromHashes } from './digest.ts';
import { ExchangeError } from './errors.ts';
import { FRAME, FrameSplitter, frameTypeName, toBuffer, type FrameLimits, type FrameType } from './frames.ts';
import type { MessageKind } from './headers.ts';
import { parseJsonObject } from './strict-json.ts';

export interface ReadMessageOptions extends FrameLimits {
  /** Refuse (JPX_HEADER_INVALID) a header of the other kind. */
  expectKind?: MessageKind;
}

export interface ReadMessageResult {
  /** The HEADER frame payload exactly as received (what the digest covers). */
  headerBytes: Buffer;
  /** The parsed header JSON (an object with a valid `kind`); validate with parseRequestHeader/parseResponseHeader. */
  header: unknown;
  body: Buffer;
  /** Present when the stream ended with SIGNATURE (schema-checked and frozen, not yet verified). */
  signature?: SignatureEnvelope;
  /** Present when the stream ended with ERROR: the sender failed; body may be partial. */
  error?: ErrorFrame;
  /** Message digest of headerBytes and body. */
  digest: Buffer;
  /** SHA-256 of the body (the value inside the message digest). */
  bodySha256: Buffer;
  /** SHA-256 of headerBytes (the value inside the message digest). */
  headerSha256: Buffer;
}

function parseFrameJson<T>(type: FrameType, payload: Buffer, schema: z.ZodType<T>): T {
  const what = `${frameTypeName(type)} frame`;
  const result = schema.safeParse(parseJsonObject(payload, what));
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ExchangeError('JPX_MALFORMED', `${what}: ${issue?.path.join('.') || '(payload)'}: ${issue?.message}`);
  }
  return result.data;
}

const EXPECT_HEADER = 0;
const IN_BODY = 1;
const FINISHED = 2;

/**
 * Incremental, synchronous reader of one message: `push` each chunk as it arrives (throws as soon as
 * the stream is known to be bad), then `end()` for the result. Checks the frames (FrameSplitter),
 * their order, the JSON payloads, the envelope or error schema and `bodyLength`. Throws
 * JPX_MALFORMED, JPX_TRUNCATED, JPX_BODY_TOO_LARGE or JPX_HEADER_INVALID (kind missing or not
 * `expectKind`). Once it has thrown, the parser must not be used again.
 */
export class MessageParser {
  readonly #maxBodyBytes: number;
  readonly #expectKind: MessageKind | undefined;
  readonly #splitter: FrameSplitter;
  #state = EXPECT_HEADER;
  #headerBytes: Buffer | undefined;
  #header: Record<string, unknown> | undefined;
  #kind: MessageKind = 'request';
  #declared: number | undefined;
  #body: Buffer[] = [];
  #bodyBytes = 0;
  #signature: SignatureEnvelope | undefined;
  #error: ErrorFrame | undefined;
  /** The refusal of a frame after the final one (not to be re-labelled as trailing data). */
  #trailing: ExchangeError | undefined;
  readonly #onFrame = (type: FrameType, payload: Buffer): void => this.#frame(type, payload);

  constructor(options: ReadMessageOptions) {
    this.#splitter = new FrameSplitter(options);
    this.#maxBodyBytes = options.maxBodyBytes;
    this.#expectKind = options.expectKind;
  }

  push(chunk: Buffer): void {
    try {
      this.#splitter.push(chunk, this.#onFrame);
    } catch (cause) {
      throw this.#afterFinal(cause);
    }
  }

  end(): ReadMessageResult {
    try {
      this.#splitter.end();
    } catch (cause) {
      throw this.#afterFinal(cause);
    }
    if (this.#state === EXPECT_HEADER) throw new ExchangeError('JPX_TRUNCATED', 'stream ended before the HEADER frame');
    if (this.#state === IN_BODY) throw new ExchangeError('JPX_TRUNCATED', 'stream ended before the SIGNATURE frame');
    const headerBytes = this.#headerBytes as Buffer;
    const parts = this.#body;
    const body = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, this.#bodyBytes);
    const headerSha256 = hash('sha256', headerBytes, 'buffer');
    const bodySha256 = hash('sha256', body, 'buffer');
    const result: ReadMessageResult = {
      headerBytes,
      header: this.#header,
      body,
      digest: messageDigestFromHashes(this.#kind, headerSha256, bodySha256),
      bodySha256,
      headerSha256,
    };
    if (this.#signature) result.signature = this.#signature;
    if (this.#error) result.error = this.#error;
    return result;
  }

  /** After the final frame, a problem of the frame layer is "data after the final frame". */
  #afterFinal(cause: unknown): unknown {
    if (this.#state !== FINISHED || cause === this.#trailing || !(cause instanceof ExchangeError)) return cause;
    return new ExchangeError('JPX_MALFORMED', 'data after the final frame', { cause });
  }

  #frame(type: FrameType, payload: Buffer): void {
    if (this.#state === EXPECT_HEADER) {
      if (type !== FRAME.HEADER) throw new ExchangeError('JPX_MALFORMED', `first frame is ${frameTypeName(type)}, not HEADER`);
      const header = parseJsonObject(payload, 'HEADER frame');
      const kind = header.kind;
      if (kind !== 'request' && kind !== 'response') throw new ExchangeError('JPX_HEADER_INVALID', 'header: kind must be "request" or "response"');
      if (this.#expectKind !== undefined && kind !== this.#expectKind) {
        throw new ExchangeError('JPX_HEADER_INVALID', `header: kind is "${kind}", expected "${this.#expectKind}"`);
      }
      const declared = Number.isSafeInteger(header.bodyLength) && (header.bodyLength as number) >= 0 ? (header.bodyLength as number) : undefined;
      if (declared !== undefined && declared > this.#maxBodyBytes) {
        throw new ExchangeError('JPX_BODY_TOO_LARGE', `declared bodyLength ${declared} exceeds ${this.#maxBodyBytes} bytes`);
      }
      this.#headerBytes = payload;
      this.#header = header;
      this.#kind = kind;
      this.#declared = declared;
      this.#state = IN_BODY;
      return;
    }
    if (this.#state === FINISHED) {
      this.#trailing = new ExchangeError('JPX_MALFORMED', `${frameTypeName(type)} frame after the final ${this.#signature ? 'SIGNATURE' : 'ERROR'} frame`);
      throw this.#trailing;
    }
    const declared = this.#declared;
    if (type === FRAME.BODY) {
      this.#bodyBytes += payload.length;
      if (declared !== undefined && this.#bodyBytes > declared) throw new ExchangeError('JPX_MALFORMED', `body is longer than the declared bodyLength ${declared}`);
      this.#body.push(payload);
    } else if (type === FRAME.SIGNATURE) {
      const checked = checkEnvelope(parseJsonObject(payload, 'SIGNATURE frame'));
      if ('issue' in checked) throw new ExchangeError('JPX_MALFORMED', `SIGNATURE frame: ${checked.issue}`);
      if (declared !== undefined && this.#bodyBytes !== declared) throw new ExchangeError('JPX_MALFORMED', `body has ${this.#bodyBytes} bytes, header declares ${declared}`);
      this.#signature = checked.envelope;
      this.#state = FINISHED;
    } else if (type === FRAME.ERROR) {
      this.#error = parseFrameJson(type, payload, errorFrameSchema);
      this.#state = FINISHED;
    } else {
      throw new ExchangeError('JPX_MALFORMED', 'a second HEADER frame');
    }
  }
}

/**
 * Reads a message from an async byte source (e.g. a Node stream). The body is buffered in memory
 * (at most `maxBodyBytes`). Throws like MessageParser; throwing ends the iteration of `source`.
 */
export async function readMessage(source: AsyncIterable<Buffer | Uint8Array>, options: ReadMessageOptions): Promise<ReadMessageResult> {
  const parser = new MessageParser(options);
  for await (const chunk of source) parser.push(toBuffer(chunk));
  return parser.end();
}

/** Reads a message whose whole frame stream is in `stream`: the same checks and errors as readMessage, synchronously. */
export function parseMessage(stream: Uint8Array, options: ReadMessageOptions): ReadMessageResult {
  const parser = new MessageParser(options);
  parser.push(toBuffer(stream));
  return parser.end();
}
