// Response headers of a PR-REST exchange. The provider's headers travel back except hop-by-hop ones,
// those named in Connection, Host/User-Agent/Server/Content-Length/Expect (X-Road SKIPPED_HEADERS;
// Content-Length is recomputed by our HTTP server), and the X-Road headers the Security Servers set,
// which are then (over)written (X-Road RestResponse): X-Road-Client, -Service, -Id, -Request-Id, -Request-Hash.
import type { ServiceId, SubsystemId } from '@jplink/contracts';
import { connectionTokens, headerEntries, SKIPPED_HEADERS, UNSAFE_HEADER_VALUE, type HeaderList, type HeaderRecord } from './header-rules.ts';
import { formatClientHeader, formatServiceHeader } from './identifiers-in-headers.ts';

/** Headers the Security Servers set on every PR-REST response, lower case. */
export const XROAD_RESPONSE_HEADERS: ReadonlySet<string> = new Set([
  'x-road-client',
  'x-road-service',
  'x-road-id',
  'x-road-request-id',
  'x-road-request-hash',
]);

/**
 * The backend's response headers to pass on: `[lower-case name, value]` in order, repeated headers
 * (e.g. set-cookie) kept as separate pairs; values with CR/LF/NUL are dropped.
 */
export function filterBackendResponseHeaders(headers: HeaderRecord | ReadonlyArray<readonly [string, string]>): Array<[string, string]> {
  const entries = headerEntries(headers);
  const named = connectionTokens(entries);
  const out: HeaderList = [];
  for (const [name, value] of entries) {
    if (SKIPPED_HEADERS.has(name) || named.has(name) || XROAD_RESPONSE_HEADERS.has(name)) continue;
    if (UNSAFE_HEADER_VALUE.test(value)) continue;
    out.push([name, value]);
  }
  return out;
}

/** The X-Road headers set on the response to the client IS, in this order. Append to the filtered backend headers. */
export function xroadResponseHeaders(input: {
  client: SubsystemId;
  service: ServiceId;
  xRoadId: string;
  requestId: string;
  requestHash: string;
}): Array<[string, string]> {
  return [
    ['x-road-client', formatClientHeader(input.client)],
    ['x-road-service', formatServiceHeader(input.service)],
    ['x-road-id', input.xRoadId],
    ['x-road-request-id', input.requestId],
    ['x-road-request-hash', input.requestHash],
  ];
}
