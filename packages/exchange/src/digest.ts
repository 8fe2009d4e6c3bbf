// Message digest of jpx/1 — the leaf value of the batch hash tree:
// SHA-256( "jpx/1 message\n" ‖ kind ‖ "\n" ‖ SHA-256(header frame payload) ‖ SHA-256(body) )
import { createHash, type Hash } from 'node:crypto';
import { MESSAGE_DIGEST_PREFIX } from './constants.ts';
import { ExchangeError } from './errors.ts';
import type { MessageKind } from './headers.ts';

export interface Digester {
  /** Adds body bytes (in order, as they arrive). */
  update(chunk: Uint8Array): void;
  /** The message digest (32 bytes). Later calls return the same value; update() after it throws. */
  digest(): Buffer;
  /** SHA-256 of the body bytes (32 bytes), the value the message digest covers. Ends the body like digest(). */
  bodySha256(): Buffer;
  /** SHA-256 of the header bytes (32 bytes), computed when the digester was created. */
  readonly headerSha256: Buffer;
}

const PREFIXES: Record<MessageKind, Buffer> = {
  request: Buffer.from(`${MESSAGE_DIGEST_PREFIX}request\n`, 'utf8'),
  response: Buffer.from(`${MESSAGE_DIGEST_PREFIX}response\n`, 'utf8'),
};

function prefixOf(kind: MessageKind): Buffer {
  const prefix = kind === 'request' || kind === 'response' ? PREFIXES[kind] : undefined;
  if (!prefix) throw new ExchangeError('JPX_INVALID_ARGUMENT', `kind must be "request" or "response", got ${String(kind)}`);
  return prefix;
}

/** Incremental message digest: the header is hashed now, the body as it streams. */
export function createDigester(kind: MessageKind, headerBytes: Uint8Array): Digester {
  const prefix = prefixOf(kind);
  const headerHash = createHash('sha256').update(headerBytes).digest();
  const body: Hash = createHash('sha256');
  let bodyHash: Buffer | undefined;
  let result: Buffer | undefined;
  const finishBody = (): Buffer => (bodyHash ??= body.digest());
  return {
    update(chunk) {
      if (bodyHash) throw new ExchangeError('JPX_INVALID_ARGUMENT', 'digester already finished');
      body.update(chunk);
    },
    digest() {
      result ??= createHash('sha256').update(prefix).update(headerHash).update(finishBody()).digest();
      return result;
    },
    bodySha256: finishBody,
    headerSha256: headerHash,
  };
}

/** The message digest of a complete message; `body` may be given in parts. */
export function messageDigest(kind: MessageKind, headerBytes: Uint8Array, body: Uint8Array | readonly Uint8Array[]): Buffer {
  const digester = createDigester(kind, headerBytes);
  if (body instanceof Uint8Array) digester.update(body);
  else for (const part of body) digester.update(part);
  return digester.digest();
}

/**
 * The message digest from the SHA-256 of the header bytes and of the body: what an evidence
 * checker uses when only the body's digest was kept (body logging off, or bodies over the limit).
 */
export function messageDigestFromHashes(kind: MessageKind, headerSha256: Uint8Array, bodySha256: Uint8Array): Buffer {
  const prefix = prefixOf(kind);
  if (!(headerSha256 instanceof Uint8Array) || headerSha256.length !== 32 || !(bodySha256 instanceof Uint8Array) || bodySha256.length !== 32) {
    throw new ExchangeError('JPX_INVALID_ARGUMENT', 'header and body hashes must be 32 bytes (SHA-256)');
  }
  return createHash('sha256').update(prefix).update(headerSha256).update(bodySha256).digest();
}
