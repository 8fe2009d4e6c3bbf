// Which HTTP headers a Security Server never passes on, and how header maps become ordered lists.
// Mirrors X-Road's `RestMessage.SKIPPED_HEADERS` (hop-by-hop headers of RFC 9110 §7.6.1 plus Host,
// User-Agent, Server, Content-Length, Expect), applied to requests and responses alike.

/** Hop-by-hop headers (RFC 9110 §7.6.1), plus the de-facto `proxy-connection`. Lower case. */
export const HOP_BY_HOP_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Dropped as well: they describe this hop's connection or are recomputed by the sender. */
export const SKIPPED_HEADERS: ReadonlySet<string> = new Set([...HOP_BY_HOP_HEADERS, 'host', 'user-agent', 'server', 'content-length', 'expect']);

/** An RFC 9110 token (header names, methods). */
export const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** CR, LF or NUL: never allowed in a header value (response splitting, header injection). */
export const UNSAFE_HEADER_VALUE = /[\r\n\0]/;

export type HeaderRecord = Record<string, string | string[] | undefined>;
export type HeaderList = Array<[string, string]>;

/**
 * Header map or list → ordered `[lower-case name, value]` pairs. Array values (Node's `headersDistinct`,
 * `set-cookie`) become one pair each, in order; `undefined` values are skipped.
 */
export function headerEntries(headers: HeaderRecord | readonly (readonly [string, string])[]): HeaderList {
  const out: HeaderList = [];
  const source: Iterable<readonly [string, string | string[] | undefined]> = Array.isArray(headers)
    ? (headers as readonly (readonly [string, string])[])
    : Object.entries(headers as HeaderRecord);
  for (const [name, value] of source) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (Array.isArray(value)) for (const item of value) out.push([lower, item]);
    else out.push([lower, value]);
  }
  return out;
}

/** Header names listed in `Connection` values (they are hop-by-hop too), lower case. */
export function connectionTokens(entries: readonly (readonly [string, string])[]): Set<string> {
  const tokens = new Set<string>();
  for (const [name, value] of entries) {
    if (name !== 'connection') continue;
    for (const token of value.split(',')) {
      const trimmed = token.trim().toLowerCase();
      if (trimmed) tokens.add(trimmed);
    }
  }
  return tokens;
}
