// Builds the frame stream of one message: HEADER, BODY*, SIGNATURE (or ERROR if the sender fails).
import { MAX_FRAME_BYTES } from './constants.ts';
import { createDigester, type Digester } from './digest.ts';
import { checkEnvelope, errorFrameSchema, type ErrorFrame, type SignatureEnvelope } from './envelope.ts';
import { ExchangeError } from './errors.ts';
import { FRAME, FRAME_PREFIX_BYTES, encodeBodyFrames, encodeFrame } from './frames.ts';
import { parseMessageHeader, type MessageHeader } from './headers.ts';

export type SignFunction = (digest: Buffer) => Promise<SignatureEnvelope>;

export interface WriteMessageInput {
  /** Request or response header; `bodyLength` is filled in when absent. */
  header: object;
  body: Uint8Array | readonly Uint8Array[];
  /** Usually `batchSigner.sign`. */
  sign: SignFunction;
}

export interface WrittenMessage {
  /** Write these in order: HEADER, BODY…, SIGNATURE. */
  frames: Buffer[];
  headerBytes: Buffer;
  digest: Buffer;
  /** SHA-256 of the body (computed once, for the digest). */
  bodySha256: Buffer;
  /** SHA-256 of headerBytes (computed once, for the digest). */
  headerSha256: Buffer;
  envelope: SignatureEnvelope;
  /** The SIGNATURE frame payload: the envelope as UTF-8 JSON. */
  envelopeBytes: Buffer;
}

/**
 * Streaming writer: `headerFrame()` first, then `bodyFrames(chunk)` as the body arrives
 * (exactly header.bodyLength bytes in total), then `signatureFrame(sign)` — or `errorFrame()`
 * at any point after the header if the body cannot be completed.
 */
export class MessageWriter {
  readonly header: MessageHeader;
  /** The HEADER payload: the header serialised once, as UTF-8 JSON (fields in schema order). */
  readonly headerBytes: Buffer;
  #digester: Digester;
  /** SHA-256 of headerBytes (part of the message digest). */
  get headerSha256(): Buffer {
    return this.#digester.headerSha256;
  }
  #written = 0;
  #finished = false;

  constructor(header: object) {
    // Headers built by the Security Server pass the hand-written checks; anything else gets the schema.
    this.header = parseMessageHeader(header);
    this.headerBytes = Buffer.from(JSON.stringify(this.header), 'utf8');
    if (this.headerBytes.length > MAX_FRAME_BYTES) {
      throw new ExchangeError('JPX_INVALID_ARGUMENT', `serialised header has ${this.headerBytes.length} bytes, more than ${MAX_FRAME_BYTES}`);
    }
    this.#digester = createDigester(this.header.kind, this.headerBytes);
  }

  headerFrame(): Buffer {
    return encodeFrame(FRAME.HEADER, this.headerBytes);
  }

  /** BODY frames for the next body bytes (none for an empty chunk). */
  bodyFrames(chunk: Uint8Array): Buffer[] {
    if (this.#finished) throw new ExchangeError('JPX_INVALID_ARGUMENT', 'message already finished');
    if (this.#written + chunk.length > this.header.bodyLength) {
      throw new ExchangeError('JPX_INVALID_ARGUMENT', `body exceeds the declared bodyLength ${this.header.bodyLength}`);
    }
    this.#written += chunk.length;
    this.#digester.update(chunk);
    return encodeBodyFrames(chunk);
  }

  /** Signs the message digest and returns the final SIGNATURE frame. */
  async signatureFrame(sign: SignFunction): Promise<{ frame: Buffer; digest: Buffer; bodySha256: Buffer; envelope: SignatureEnvelope; envelopeBytes: Buffer }> {
    if (this.#finished) throw new ExchangeError('JPX_INVALID_ARGUMENT', 'message already finished');
    if (this.#written !== this.header.bodyLength) {
      throw new ExchangeError('JPX_INVALID_ARGUMENT', `body has ${this.#written} bytes, header declares ${this.header.bodyLength}`);
    }
    this.#finished = true;
    const digest = this.#digester.digest();
    const checked = checkEnvelope(await sign(digest));
    if ('issue' in checked) throw new ExchangeError('JPX_INVALID_ARGUMENT', `sign() returned an invalid signature envelope: ${checked.issue}`);
    const envelope = checked.envelope;
    const frame = signatureFrameOf(envelope);
    return { frame, digest, bodySha256: this.#digester.bodySha256(), envelope, envelopeBytes: frame.subarray(FRAME_PREFIX_BYTES) };
  }

  /** The final ERROR frame, when the sender cannot complete the message. */
  errorFrame(error: ErrorFrame): Buffer {
    this.#finished = true;
    return encodeErrorFrame(error);
  }
}

// The JSON of an envelope starts with its algorithm, signer certificate and OCSP response: the same
// few kilobytes for every message of a signer (until its OCSP response is renewed), so serialised once.
const envelopeHeads = new Map<string, { algorithm: string; certificate: string; json: Buffer }>();

/**
 * The SIGNATURE frame of an envelope (fields in schema order, as checkEnvelope returns them):
 * byte for byte `encodeFrame(FRAME.SIGNATURE, Buffer.from(JSON.stringify(envelope)))`.
 */
function signatureFrameOf(envelope: SignatureEnvelope): Buffer {
  const { algorithm, signerCertificate, signerOcsp, ...rest } = envelope;
  let head = envelopeHeads.get(signerOcsp);
  if (head?.algorithm !== algorithm || head.certificate !== signerCertificate) {
    const json = JSON.stringify({ algorithm, signerCertificate, signerOcsp });
    head = { algorithm, certificate: signerCertificate, json: Buffer.from(`${json.slice(0, -1)},`, 'utf8') };
    if (envelopeHeads.size >= 16) envelopeHeads.clear();
    envelopeHeads.set(signerOcsp, head);
  }
  const tail = JSON.stringify(rest).slice(1);
  const length = head.json.length + Buffer.byteLength(tail, 'utf8');
  if (length > MAX_FRAME_BYTES) throw new ExchangeError('JPX_INVALID_ARGUMENT', `frame payload of ${length} bytes exceeds ${MAX_FRAME_BYTES}`);
  const frame = Buffer.allocUnsafe(FRAME_PREFIX_BYTES + length);
  frame[0] = FRAME.SIGNATURE;
  frame.writeUInt32BE(length, 1);
  head.json.copy(frame, FRAME_PREFIX_BYTES);
  frame.write(tail, FRAME_PREFIX_BYTES + head.json.length, 'utf8');
  return frame;
}

/** An ERROR frame (`{ type, message, detail }`). */
export function encodeErrorFrame(error: ErrorFrame): Buffer {
  const checked = errorFrameSchema.safeParse(error);
  if (!checked.success) throw new ExchangeError('JPX_INVALID_ARGUMENT', 'invalid error frame payload', { cause: checked.error });
  return encodeFrame(FRAME.ERROR, Buffer.from(JSON.stringify(checked.data), 'utf8'));
}

/** Serialises the header once, digests, signs and returns all frames of the message. */
export async function writeMessage(input: WriteMessageInput): Promise<WrittenMessage> {
  const parts = input.body instanceof Uint8Array ? [input.body] : [...input.body];
  const length = parts.reduce((n, part) => n + part.length, 0);
  const header = { ...input.header } as Record<string, unknown>;
  if (header.bodyLength === undefined) header.bodyLength = length;
  else if (header.bodyLength !== length) throw new ExchangeError('JPX_INVALID_ARGUMENT', `header bodyLength ${String(header.bodyLength)} differs from the body (${length} bytes)`);
  const writer = new MessageWriter(header);
  const frames = [writer.headerFrame()];
  for (const part of parts) frames.push(...writer.bodyFrames(part));
  const { frame, digest, bodySha256, envelope, envelopeBytes } = await writer.signatureFrame(input.sign);
  frames.push(frame);
  return { frames, headerBytes: writer.headerBytes, digest, bodySha256, headerSha256: writer.headerSha256, envelope, envelopeBytes };
}
