// PR-REST 1.0.4 request parsing at the information-system edge of the client Security Server
// (X-Road: RestRequest + ClientRestMessageProcessor). Pure: input is what Node/Fastify hands over.
import type { SecurityServerId, ServiceId, SubsystemId } from '@jplink/contracts';
import { XRoadError } from '../errors.ts';
import { connectionTokens, headerEntries, HTTP_TOKEN, SKIPPED_HEADERS, UNSAFE_HEADER_VALUE, type HeaderList, type HeaderRecord } from './header-rules.ts';
import { lastIdentifierValue, parseClientHeader, parseRepresentedPartyHeader, parseSecurityServerHeader } from './identifiers-in-headers.ts';
import { parsePrRestTarget } from './parse-target.ts';

export interface PrRestRequest {
  method: string;
  client: SubsystemId;
  service: ServiceId;
  /** The part after the service code, still percent-encoded, '' or starting with '/'. */
  path: string;
  /** Decoded + normalised path for access checks ('/' when empty). */
  normalizedPath: string;
  /** Without '?'. */
  query: string;
  xRoadId?: string;
  userId?: string;
  issue?: string;
  securityServer?: SecurityServerId;
  representedParty?: { memberClass?: string; memberCode: string };
  /**
   * Headers to forward, names lower-cased, in arrival order. X-Road-Client, -Id, -UserId, -Issue,
   * -Security-Server and -Represented-Party are included once, with their effective (last) value.
   * Dropped: hop-by-hop headers and those named in Connection, Host, User-Agent, Server,
   * Content-Length, Expect, and X-Road-Request-Id / -Request-Hash / -Service (set by the Security Servers).
   */
  forwardHeaders: Array<[string, string]>;
}

export interface PrRestRequestInput {
  method: string;
  /** As on the wire: path + ?query, percent-encoded. */
  rawUrl: string;
  headers: HeaderRecord;
}

/** HTTP methods of PR-REST (X-Road `RestRequest.Verb`). */
export const PR_REST_METHODS: ReadonlySet<string> = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE']);

/**
 * Headers the Security Servers set; a client's values are discarded (X-Road drops the first two;
 * X-Road-Service is a response header, so a client-sent one could only mislead the provider).
 */
const SS_SET_HEADERS: ReadonlySet<string> = new Set(['x-road-request-id', 'x-road-request-hash', 'x-road-service']);

/** X-Road request headers parsed here: forwarded once, with the effective value. */
const XROAD_REQUEST_HEADERS = ['x-road-client', 'x-road-id', 'x-road-userid', 'x-road-issue', 'x-road-security-server', 'x-road-represented-party'] as const;
type XRoadRequestHeader = (typeof XROAD_REQUEST_HEADERS)[number];
const XROAD_REQUEST_HEADER_SET: ReadonlySet<string> = new Set(XROAD_REQUEST_HEADERS);
const IDENTIFIER_HEADERS: ReadonlySet<string> = new Set(['x-road-client', 'x-road-security-server', 'x-road-represented-party']);

/** `X-Road-Id`: at most 256 printable ASCII characters. */
const XROAD_ID = /^[\x20-\x7e]{1,256}$/;

function bad(message: string): never {
  throw new XRoadError('client.bad_request', message);
}

export function parsePrRestRequest(input: PrRestRequestInput): PrRestRequest {
  const method = input.method;
  if (typeof method !== 'string' || !PR_REST_METHODS.has(method)) bad('HTTP method is not supported by PR-REST');
  const target = parsePrRestTarget(input.rawUrl);

  const entries = headerEntries(input.headers);
  for (const [name, value] of entries) {
    if (!HTTP_TOKEN.test(name)) bad('a header name has characters outside the HTTP token set');
    if (UNSAFE_HEADER_VALUE.test(value)) bad(`header ${name} contains CR, LF or NUL`);
  }

  // Effective X-Road header values: the last occurrence wins (X-Road's decodeHeaders loop).
  const xroad = new Map<XRoadRequestHeader, string>();
  for (const [name, value] of entries) {
    if (!XROAD_REQUEST_HEADER_SET.has(name)) continue;
    const effective = IDENTIFIER_HEADERS.has(name) ? lastIdentifierValue(value) : value.trim();
    xroad.set(name as XRoadRequestHeader, effective);
  }

  const clientValue = xroad.get('x-road-client');
  if (clientValue === undefined || clientValue === '') bad('X-Road-Client header is missing');
  const request: PrRestRequest = {
    method,
    client: parseClientHeader(clientValue),
    service: target.service,
    path: target.path,
    normalizedPath: target.normalizedPath,
    query: target.query,
    forwardHeaders: forwardable(entries, xroad),
  };

  const xRoadId = xroad.get('x-road-id');
  if (xRoadId !== undefined) {
    if (!XROAD_ID.test(xRoadId)) bad('X-Road-Id must be 1–256 printable ASCII characters');
    request.xRoadId = xRoadId;
  }
  const userId = xroad.get('x-road-userid');
  if (userId) request.userId = userId;
  const issue = xroad.get('x-road-issue');
  if (issue) request.issue = issue;
  const server = xroad.get('x-road-security-server');
  if (server !== undefined) request.securityServer = parseSecurityServerHeader(server);
  const party = xroad.get('x-road-represented-party');
  if (party !== undefined) request.representedParty = parseRepresentedPartyHeader(party);
  return request;
}

/**
 * Forwardable headers in arrival order. X-Road headers parsed above appear once, at their first
 * position, with the effective value; `Connection` cannot strip them (they are end-to-end by protocol).
 */
function forwardable(entries: HeaderList, xroad: ReadonlyMap<XRoadRequestHeader, string>): HeaderList {
  const named = connectionTokens(entries);
  const emitted = new Set<string>();
  const out: HeaderList = [];
  for (const [name, value] of entries) {
    if (XROAD_REQUEST_HEADER_SET.has(name)) {
      if (emitted.has(name)) continue;
      emitted.add(name);
      out.push([name, xroad.get(name as XRoadRequestHeader) ?? value]);
      continue;
    }
    if (SKIPPED_HEADERS.has(name) || named.has(name) || SS_SET_HEADERS.has(name)) continue;
    out.push([name, value]);
  }
  return out;
}
