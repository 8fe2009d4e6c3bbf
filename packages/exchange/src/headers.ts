// Header frame schemas of jpx/1 (request and response).
import { securityServerIdText, serviceIdText, subsystemIdText } from '@jplink/contracts';
import { z } from 'zod';
import { PROTOCOL } from './constants.ts';
import { ExchangeError } from './errors.ts';
import { base64Sha256, httpHeaderField, isoMillis, plainText, uuidV4 } from './schema-fields.ts';

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
  return parseWith(requestHeaderSchema, value, 'request header');
}

/** Validates a response header; throws JPX_HEADER_INVALID. */
export function parseResponseHeader(value: unknown): ResponseHeader {
  return parseWith(responseHeaderSchema, value, 'response header');
}

/** Validates a header of either kind (by its `kind` field); throws JPX_HEADER_INVALID. */
export function parseMessageHeader(value: unknown): MessageHeader {
  const kind = (value as { kind?: unknown } | null)?.kind;
  if (kind === 'request') return parseRequestHeader(value);
  if (kind === 'response') return parseResponseHeader(value);
  throw new ExchangeError('JPX_HEADER_INVALID', 'header: kind must be "request" or "response"');
}
