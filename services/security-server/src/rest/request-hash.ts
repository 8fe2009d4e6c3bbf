// PR-REST `X-Road-Request-Hash`, byte for byte as X-Road 7 computes it:
//
//   headerPart = VERB "\r\n" url "\r\n" { name ":" value "\r\n" }      (RestRequest.toByteArray, UTF-8)
//   hash       = SHA-512(headerPart)                                     no body (empty body = no body)
//              = SHA-512(SHA-512(headerPart) ‖ SHA-512(body))             with a body
//   header     = base64(hash)                                            (ClientRestMessageProcessor.checkConsistency)
//
// `url` is the request target as received (`/r1/…path`, raw percent-encoding, then `?query` when the
// target had a '?'). Note: no space after ':' (RestMessage.serializeHeaders writes name, ":", value).
//
// Which headers, in which order: X-Road hashes its RestRequest header list, which is the client's
// headers in arrival order minus SKIPPED_HEADERS and minus any client X-Road-Request-Id /
// X-Road-Request-Hash, then `X-Road-Request-Id: <uuid>` appended, then `X-Road-Id: <generated>`
// appended if the client sent none (RestRequest constructor + setQueryId). That list is also exactly
// what the provider's backend receives. `requestHashHeaders()` builds it from `PrRestRequest.forwardHeaders`
// (names lower-cased, as Node delivers them — X-Road keeps the case Jetty delivers, so our bytes equal
// X-Road's only when names arrive lower-case; the hash is computed and verified by JP-Link servers only).
import { createHash, hash, type Hash } from 'node:crypto';

export interface RequestHashHead {
  /** HTTP method, e.g. "GET". */
  method: string;
  /** `/r1/…` as received: raw path, plus `?query` if the target had one. */
  url: string;
  /** Header list in order, names as they should appear (see `requestHashHeaders`). */
  headers: ReadonlyArray<readonly [string, string]>;
}

const CRLF = '\r\n';

/** The serialised request header part (X-Road `application/x-road-rest-request`). */
export function serializeRequestHeaderPart(head: RequestHashHead): Buffer {
  let text = `${head.method}${CRLF}${head.url}${CRLF}`;
  for (const [name, value] of head.headers) text += `${name}:${value}${CRLF}`;
  return Buffer.from(text, 'utf8');
}

/**
 * The hashed (and forwarded) header list: `forwardHeaders` without X-Road-Request-Id / -Hash, then
 * `x-road-request-id`, then `x-road-id` when the client did not send one.
 */
export function requestHashHeaders(
  forwardHeaders: ReadonlyArray<readonly [string, string]>,
  ids: { requestId: string; xRoadId: string },
): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  let hasXRoadId = false;
  for (const [name, value] of forwardHeaders) {
    const lower = name.toLowerCase();
    if (lower === 'x-road-request-id' || lower === 'x-road-request-hash') continue;
    if (lower === 'x-road-id') hasXRoadId = true;
    out.push([name, value]);
  }
  out.push(['x-road-request-id', ids.requestId]);
  if (!hasXRoadId) out.push(['x-road-id', ids.xRoadId]);
  return out;
}

export interface RequestHasher {
  /** Feeds the next body chunk. */
  update(chunk: Uint8Array): void;
  /** Body bytes seen so far. */
  readonly bodyLength: number;
  /** base64 request hash; the hasher cannot be used afterwards. */
  digest(): string;
}

/** Incremental variant for streamed bodies: create with the head, `update` per chunk, then `digest`. */
export function createRequestHasher(head: RequestHashHead): RequestHasher {
  const headerDigest = createHash('sha512').update(serializeRequestHeaderPart(head)).digest();
  let body: Hash | undefined;
  let length = 0;
  let done = false;
  return {
    update(chunk) {
      if (done) throw new Error('request hasher already finished');
      if (chunk.byteLength === 0) return;
      body ??= createHash('sha512');
      body.update(chunk);
      length += chunk.byteLength;
    },
    get bodyLength() {
      return length;
    },
    digest() {
      if (done) throw new Error('request hasher already finished');
      done = true;
      if (!body) return headerDigest.toString('base64');
      return createHash('sha512').update(headerDigest).update(body.digest()).digest('base64');
    },
  };
}

/** One-shot request hash; `body` absent or empty means "no body". */
export function computeRequestHash(input: RequestHashHead & { body?: Uint8Array | readonly Uint8Array[] }): string {
  if (input.body instanceof Uint8Array) {
    // The common case, with one-shot hashes (no Hash objects).
    const headerDigest = hash('sha512', serializeRequestHeaderPart(input), 'buffer');
    if (input.body.byteLength === 0) return headerDigest.toString('base64');
    return createHash('sha512').update(headerDigest).update(hash('sha512', input.body, 'buffer')).digest('base64');
  }
  const hasher = createRequestHasher(input);
  const chunks = input.body === undefined ? [] : input.body instanceof Uint8Array ? [input.body] : input.body;
  for (const chunk of chunks) hasher.update(chunk);
  return hasher.digest();
}
