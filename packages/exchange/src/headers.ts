// Header frame schemas of jpx/1 (request and response).
import { securityServerIdText, serviceIdText, subsystemIdText } from '@jplink/contracts';
import { z } from 'zod';
import { PROTOCOL } from './constants.ts';
import { ExchangeError } from './errors.ts';
import { CANONICAL_SHA256_BASE64, base64Sha256, httpHeaderField, isoMillis, isoMillisOk, plainText, uuidV4 } from './schema-fields.ts';

/** HTTP method: an RFC 9110 token (case-sensitive; backends expect upper case). */
const method = z.string().regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,32}$/, 'method must be an HTTP token');
/** "" or "/…": visible ASCII except '?' and '#', percent-encoding kept as received. */
const path = z.string().regex(/^(?:\/[\x21\x22\x24-\x3e\x40-\x7e]*)?$/, 'path must be empty or start with "/", visible ASCII without "?" and "#"');
/** Query without the "?": visible ASCII except '#'. */
const query = z.string().regex(/^[\x21\x22\x24-\x7e]*$/, 'query must be visible ASCII without "#"');
const bodyLength = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const headers = z.array(httpHeaderField).max(1024);

export const requestHeaderSchema = z.strictObject({
  protocol: z.literal(PROTOCOL),
  kind: z.literal('request'),
  messageId: uuidV4,
  xRoadId: z.string().regex(/^[\x21-\x7e]{1,256}$/, 'xRoadId must be 1..256 visible ASCII characters'),
  createdAt: isoMillis,
  senderServer: securityServerIdText,
  targetServer: securityServerIdText,
  client: subsystemIdText,
  service: serviceIdText,
  method,
  path,
  query,
  headers,
  userId: plainText(1, 1024).optional(),
  issue: plainText(1, 1024).optional(),
  representedParty: plainText(1, 1024).optional(),
  bodyLength,
});

export const responseHeaderSchema = z.strictObject({
  protocol: z.literal(PROTOCOL),
  kind: z.literal('response'),
  messageId: uuidV4,
  requestDigest: base64Sha256('requestDigest'),
  createdAt: isoMillis,
  senderServer: securityServerIdText,
  status: z.number().int().min(100).max(599),
  headers,
  requestHash: z.string().regex(/^[\x21-\x7e]{1,1024}$/, 'requestHash must be 1..1024 visible ASCII characters'),
  bodyLength,
});

export type RequestHeader = z.infer<typeof requestHeaderSchema>;
export type ResponseHeader = z.infer<typeof responseHeaderSchema>;
export type MessageHeader = RequestHeader | ResponseHeader;
export type MessageKind = MessageHeader['kind'];

function describe(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(header)'}: ${issue.message}`)
    .join('; ');
}

function parseWith<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new ExchangeError('JPX_HEADER_INVALID', `${what}: ${describe(result.error)}`, { cause: result.error });
  return result.data;
}

/** Validates a request header (e.g. `readMessage(...).header`); throws JPX_HEADER_INVALID. */
export function parseRequestHeader(value: unknown): RequestHeader {
  // The hand-written checks accept the valid ones; the schema decides (and words) the rest.
  const fast = fastMessageHeader(value);
  return fast?.kind === 'request' ? fast : parseWith(requestHeaderSchema, value, 'request header');
}

/** Validates a response header; throws JPX_HEADER_INVALID. */
export function parseResponseHeader(value: unknown): ResponseHeader {
  const fast = fastMessageHeader(value);
  return fast?.kind === 'response' ? fast : parseWith(responseHeaderSchema, value, 'response header');
}

/** Validates a header of either kind (by its `kind` field); throws JPX_HEADER_INVALID. */
export function parseMessageHeader(value: unknown): MessageHeader {
  const kind = (value as { kind?: unknown } | null)?.kind;
  if (kind === 'request') return parseRequestHeader(value);
  if (kind === 'response') return parseResponseHeader(value);
  throw new ExchangeError('JPX_HEADER_INVALID', 'header: kind must be "request" or "response"');
}

// ---------------------------------------------------------------------------------------------
// Fast path for headers a Security Server builds itself (MessageWriter). A hand-written check that
// accepts only what the zod schemas accept; whenever it is unsure it returns undefined and the caller
// falls back to the schema (so refusals and their messages are exactly the schema's).

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const VISIBLE_256 = /^[\x21-\x7e]{1,256}$/;
const VISIBLE_1024 = /^[\x21-\x7e]{1,1024}$/;
const METHOD = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,32}$/;
const PATH = /^(?:\/[\x21\x22\x24-\x3e\x40-\x7e]*)?$/;
const QUERY = /^[\x21\x22\x24-\x7e]*$/;
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]{1,256}$/;
const NO_CONTROLS = /^[^\x00-\x08\x0a-\x1f\x7f]*$/;

/** Identifier texts (servers, clients, services) already accepted by their schemas: few distinct values. */
const knownIds = new Map<z.ZodType, Set<string>>();
function idOk(schema: z.ZodType, value: unknown): boolean {
  if (typeof value !== 'string') return false;
  let known = knownIds.get(schema);
  if (!known) knownIds.set(schema, (known = new Set()));
  if (known.has(value)) return true;
  if (!schema.safeParse(value).success) return false;
  if (known.size >= 4096) known.clear();
  known.add(value);
  return true;
}

const textOk = (value: unknown, min: number, max: number): boolean =>
  typeof value === 'string' && value.length >= min && value.length <= max && NO_CONTROLS.test(value);

function headersOk(value: unknown): boolean {
  if (!Array.isArray(value) || value.length > 1024) return false;
  for (const field of value) {
    if (!Array.isArray(field) || field.length !== 2) return false;
    const [name, text] = field as unknown[];
    if (typeof name !== 'string' || !HEADER_NAME.test(name) || !textOk(text, 0, 16_384)) return false;
  }
  return true;
}

const bodyLengthOk = (value: unknown): boolean => Number.isSafeInteger(value) && (value as number) >= 0;

type Check = (value: unknown) => boolean;
const REQUEST_FIELDS: ReadonlyArray<readonly [string, Check, boolean]> = [
  ['protocol', (v) => v === PROTOCOL, true],
  ['kind', (v) => v === 'request', true],
  ['messageId', (v) => typeof v === 'string' && UUID_V4.test(v), true],
  ['xRoadId', (v) => typeof v === 'string' && VISIBLE_256.test(v), true],
  ['createdAt', isoMillisOk, true],
  ['senderServer', (v) => idOk(securityServerIdText, v), true],
  ['targetServer', (v) => idOk(securityServerIdText, v), true],
  ['client', (v) => idOk(subsystemIdText, v), true],
  ['service', (v) => idOk(serviceIdText, v), true],
  ['method', (v) => typeof v === 'string' && METHOD.test(v), true],
  ['path', (v) => typeof v === 'string' && PATH.test(v), true],
  ['query', (v) => typeof v === 'string' && QUERY.test(v), true],
  ['headers', headersOk, true],
  ['userId', (v) => textOk(v, 1, 1024), false],
  ['issue', (v) => textOk(v, 1, 1024), false],
  ['representedParty', (v) => textOk(v, 1, 1024), false],
  ['bodyLength', bodyLengthOk, true],
];
const RESPONSE_FIELDS: ReadonlyArray<readonly [string, Check, boolean]> = [
  ['protocol', (v) => v === PROTOCOL, true],
  ['kind', (v) => v === 'response', true],
  ['messageId', (v) => typeof v === 'string' && UUID_V4.test(v), true],
  ['requestDigest', (v) => typeof v === 'string' && CANONICAL_SHA256_BASE64.test(v), true],
  ['createdAt', isoMillisOk, true],
  ['senderServer', (v) => idOk(securityServerIdText, v), true],
  ['status', (v) => Number.isInteger(v) && (v as number) >= 100 && (v as number) <= 599, true],
  ['headers', headersOk, true],
  ['requestHash', (v) => typeof v === 'string' && VISIBLE_1024.test(v), true],
  ['bodyLength', bodyLengthOk, true],
];

/**
 * The header the schema would return (same fields, schema order) when the fast checks show it is
 * valid; undefined when unsure (then use parseMessageHeader). Copies the top-level object only.
 */
export function fastMessageHeader(value: unknown): MessageHeader | undefined {
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) return undefined;
  const input = value as Record<string, unknown>;
  const fields = input.kind === 'request' ? REQUEST_FIELDS : input.kind === 'response' ? RESPONSE_FIELDS : undefined;
  if (!fields) return undefined;
  const out: Record<string, unknown> = {};
  let seen = 0;
  for (const [name, check, required] of fields) {
    if (!Object.hasOwn(input, name)) {
      if (required) return undefined;
      continue;
    }
    const field = input[name];
    if (!check(field)) return undefined;
    out[name] = field;
    seen += 1;
  }
  // strict: no unknown keys (and no symbol or non-enumerable surprises)
  if (Reflect.ownKeys(input).length !== seen) return undefined;
  return out as unknown as MessageHeader;
}
