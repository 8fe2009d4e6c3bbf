// Reads one message (request or response) from a frame stream:
// HEADER, BODY*, then exactly one of SIGNATURE or ERROR, then the end of the stream.
import type { z } from 'zod';
import { checkEnvelope, errorFrameSchema, type ErrorFrame, type SignatureEnvelope } from './envelope.ts';
import { createDigester } from './digest.ts';
import { ExchangeError } from './errors.ts';
import { FRAME, frameTypeName, readFrames, type Frame, type FrameLimits } from './frames.ts';
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
  /** Message digest of headerBytes and body, computed while reading. */
  digest: Buffer;
  /** SHA-256 of the body (the value inside the message digest), computed while reading. */
  bodySha256: Buffer;
  /** SHA-256 of headerBytes (the value inside the message digest). */
  headerSha256: Buffer;
}

function parseFrameJson<T>(frame: Frame, schema: z.ZodType<T>): T {
  const what = `${frameTypeName(frame.type)} frame`;
  const result = schema.safeParse(parseJsonObject(frame.payload, what));
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ExchangeError('JPX_MALFORMED', `${what}: ${issue?.path.join('.') || '(payload)'}: ${issue?.message}`);
  }
  return result.data;
}

/**
 * Reads and checks the frame order; computes the digest while the body arrives. The body is
 * buffered in memory (at most `maxBodyBytes`). Throws JPX_MALFORMED, JPX_TRUNCATED,
 * JPX_BODY_TOO_LARGE or JPX_HEADER_INVALID (kind missing or not `expectKind`).
 */
export async function readMessage(source: AsyncIterable<Buffer | Uint8Array>, options: ReadMessageOptions): Promise<ReadMessageResult> {
  const frames = readFrames(source, options);
  try {
    const first = await frames.next();
    if (first.done) throw new ExchangeError('JPX_TRUNCATED', 'stream ended before the HEADER frame');
    if (first.value.type !== FRAME.HEADER) throw new ExchangeError('JPX_MALFORMED', `first frame is ${frameTypeName(first.value.type)}, not HEADER`);
    const headerBytes = first.value.payload;
    const header = parseJsonObject(headerBytes, 'HEADER frame');
    const kind = header.kind;
    if (kind !== 'request' && kind !== 'response') throw new ExchangeError('JPX_HEADER_INVALID', 'header: kind must be "request" or "response"');
    if (options.expectKind !== undefined && kind !== options.expectKind) {
      throw new ExchangeError('JPX_HEADER_INVALID', `header: kind is "${kind}", expected "${options.expectKind}"`);
    }
    const declared = Number.isSafeInteger(header.bodyLength) && (header.bodyLength as number) >= 0 ? (header.bodyLength as number) : undefined;
    if (declared !== undefined && declared > options.maxBodyBytes) {
      throw new ExchangeError('JPX_BODY_TOO_LARGE', `declared bodyLength ${declared} exceeds ${options.maxBodyBytes} bytes`);
    }

    const digester = createDigester(kind, headerBytes);
    const body: Buffer[] = [];
    let bodyBytes = 0;
    let signature: SignatureEnvelope | undefined;
    let error: ErrorFrame | undefined;
    for (;;) {
      const next = await frames.next();
      if (next.done) throw new ExchangeError('JPX_TRUNCATED', 'stream ended before the SIGNATURE frame');
      const frame = next.value;
      if (frame.type === FRAME.BODY) {
        bodyBytes += frame.payload.length;
        if (declared !== undefined && bodyBytes > declared) throw new ExchangeError('JPX_MALFORMED', `body is longer than the declared bodyLength ${declared}`);
        body.push(frame.payload);
        digester.update(frame.payload);
      } else if (frame.type === FRAME.SIGNATURE) {
        const checked = checkEnvelope(parseJsonObject(frame.payload, 'SIGNATURE frame'));
        if ('issue' in checked) throw new ExchangeError('JPX_MALFORMED', `SIGNATURE frame: ${checked.issue}`);
        signature = checked.envelope;
        if (declared !== undefined && bodyBytes !== declared) throw new ExchangeError('JPX_MALFORMED', `body has ${bodyBytes} bytes, header declares ${declared}`);
        break;
      } else if (frame.type === FRAME.ERROR) {
        error = parseFrameJson(frame, errorFrameSchema);
        break;
      } else {
        throw new ExchangeError('JPX_MALFORMED', 'a second HEADER frame');
      }
    }

    // The final frame must end the stream.
    let after: IteratorResult<Frame, void>;
    try {
      after = await frames.next();
    } catch (cause) {
      if (!(cause instanceof ExchangeError)) throw cause;
      throw new ExchangeError('JPX_MALFORMED', 'data after the final frame', { cause });
    }
    if (!after.done) throw new ExchangeError('JPX_MALFORMED', `${frameTypeName(after.value.type)} frame after the final ${signature ? 'SIGNATURE' : 'ERROR'} frame`);

    const result: ReadMessageResult = { headerBytes, header, body: body.length === 1 ? (body[0] as Buffer) : Buffer.concat(body, bodyBytes), digest: digester.digest(), bodySha256: digester.bodySha256(), headerSha256: digester.headerSha256 };
    if (signature) result.signature = signature;
    if (error) result.error = error;
    return result;
  } finally {
    await frames.return(undefined);
  }
}
