/**
 * One error envelope for every service:
 *   { error: { code, message, requestId, issues?, detail? } }
 *
 * Mapping (see docs/errors.md `## KIT`):
 *   AppError                                 → its catalogue code/status
 *   schema validation (zod type provider)    → 400 KIT_VALIDATION_FAILED + issues[{ path, message }]
 *   FST_ERR_CTP_BODY_TOO_LARGE               → 413 KIT_BODY_TOO_LARGE
 *   FST_ERR_CTP_INVALID_MEDIA_TYPE           → 415 KIT_UNSUPPORTED_MEDIA_TYPE
 *   FST_ERR_CTP_EMPTY/INVALID_JSON_BODY,
 *   FST_ERR_CTP_INVALID_CONTENT_LENGTH       → 400 KIT_MALFORMED_BODY
 *   not found                                → 404 KIT_NOT_FOUND
 *   anything with statusCode 429 (rate limit)→ 429 KIT_RATE_LIMITED
 *   other Fastify (FST_*) 4xx                → by status (401/403/404/413/415) else 400 KIT_BAD_REQUEST
 *   response serialization failure, anything else → 500 KIT_INTERNAL (no internal text to the client)
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError, KIT_ERRORS, type ErrorDef } from './errors.ts';

export const validationIssueSchema = z.object({
  path: z.string().describe('Where the problem is, e.g. "body.members.0.name" or "querystring.limit"'),
  message: z.string(),
});
export type ValidationIssue = z.infer<typeof validationIssueSchema>;

/** The error envelope every JP-Link service returns; use it in route `response` schemas / OpenAPI. */
export const errorResponseSchema = z
  .object({
    error: z.object({
      code: z.string().describe('Stable error code, <SVC>_<AREA>_<REASON>; see docs/errors.md'),
      message: z.string().describe('Client-safe message'),
      requestId: z.string().describe('Same value as the X-Request-Id response header'),
      issues: z.array(validationIssueSchema).optional().describe('Present for KIT_VALIDATION_FAILED'),
      detail: z.unknown().optional().describe('Client-safe structured detail of a 4xx AppError'),
    }),
  })
  .describe('Error envelope');
export type ErrorResponse = z.infer<typeof errorResponseSchema>;

/** At most this many validation issues are returned to the client. */
const MAX_ISSUES = 50;

type Classified = {
  def: ErrorDef;
  /** Client-facing message. */
  message: string;
  issues?: ValidationIssue[];
  detail?: unknown;
};

type ErrorLike = {
  code?: unknown;
  statusCode?: unknown;
  status?: unknown;
  validation?: unknown;
  validationContext?: unknown;
  message?: unknown;
  cause?: unknown;
};

function asErrorLike(err: unknown): ErrorLike {
  return typeof err === 'object' && err !== null ? (err as ErrorLike) : {};
}

function pathFromValidation(context: unknown, item: { instancePath?: unknown; params?: unknown }): string {
  const parts: string[] = [];
  if (typeof context === 'string' && context.length > 0) parts.push(context);
  if (typeof item.instancePath === 'string') {
    for (const seg of item.instancePath.split('/')) {
      if (seg.length > 0) parts.push(seg.replace(/~1/g, '/').replace(/~0/g, '~'));
    }
  }
  // ajv reports a missing property via params.missingProperty; zod puts it in the path already.
  const params = item.params as { missingProperty?: unknown } | undefined;
  if (params && typeof params.missingProperty === 'string') parts.push(params.missingProperty);
  return parts.length > 0 ? parts.join('.') : '(root)';
}

function validationIssues(e: ErrorLike): ValidationIssue[] {
  const list = Array.isArray(e.validation) ? (e.validation as Array<Record<string, unknown>>) : [];
  return list.slice(0, MAX_ISSUES).map((item) => ({
    path: pathFromValidation(e.validationContext, item),
    message: typeof item.message === 'string' && item.message.length > 0 ? item.message : 'is invalid',
  }));
}

const FASTIFY_CODE_MAP: Record<string, ErrorDef> = {
  FST_ERR_CTP_BODY_TOO_LARGE: KIT_ERRORS.KIT_BODY_TOO_LARGE,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: KIT_ERRORS.KIT_UNSUPPORTED_MEDIA_TYPE,
  FST_ERR_CTP_EMPTY_JSON_BODY: KIT_ERRORS.KIT_MALFORMED_BODY,
  FST_ERR_CTP_INVALID_JSON_BODY: KIT_ERRORS.KIT_MALFORMED_BODY,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: KIT_ERRORS.KIT_MALFORMED_BODY,
  FST_ERR_NOT_FOUND: KIT_ERRORS.KIT_NOT_FOUND,
  FST_ERR_BAD_URL: KIT_ERRORS.KIT_BAD_REQUEST,
  FST_ERR_INVALID_URL: KIT_ERRORS.KIT_BAD_REQUEST,
  FST_ERR_MAX_PARAM_LENGTH: KIT_ERRORS.KIT_BAD_REQUEST,
};

function defForClientStatus(status: number): ErrorDef {
  switch (status) {
    case 401:
      return KIT_ERRORS.KIT_UNAUTHENTICATED;
    case 403:
      return KIT_ERRORS.KIT_FORBIDDEN;
    case 404:
      return KIT_ERRORS.KIT_NOT_FOUND;
    case 413:
      return KIT_ERRORS.KIT_BODY_TOO_LARGE;
    case 415:
      return KIT_ERRORS.KIT_UNSUPPORTED_MEDIA_TYPE;
    case 429:
      return KIT_ERRORS.KIT_RATE_LIMITED;
    default:
      return KIT_ERRORS.KIT_BAD_REQUEST;
  }
}

function statusOf(e: ErrorLike): number | undefined {
  const s = typeof e.statusCode === 'number' ? e.statusCode : typeof e.status === 'number' ? e.status : undefined;
  return s !== undefined && Number.isInteger(s) ? s : undefined;
}

/** Decide what the client sees for a thrown value. Pure; exported for tests and custom handlers. */
export function classifyError(err: unknown): Classified {
  if (err instanceof AppError) {
    const out: Classified = {
      def: { code: err.code, status: err.statusCode, message: err.publicMessage },
      message: err.expose ? err.message : err.publicMessage,
    };
    if (err.expose && err.detail !== undefined) out.detail = err.detail;
    return out;
  }
  const e = asErrorLike(err);
  const code = typeof e.code === 'string' ? e.code : undefined;

  if (Array.isArray(e.validation) || code === 'FST_ERR_VALIDATION') {
    const def = KIT_ERRORS.KIT_VALIDATION_FAILED;
    return { def, message: def.message, issues: validationIssues(e) };
  }
  if (code !== undefined && code in FASTIFY_CODE_MAP) {
    const def = FASTIFY_CODE_MAP[code]!;
    return { def, message: def.message };
  }
  const status = statusOf(e);
  if (status === 429) {
    return { def: KIT_ERRORS.KIT_RATE_LIMITED, message: KIT_ERRORS.KIT_RATE_LIMITED.message };
  }
  if (code?.startsWith('FST_') && status !== undefined && status >= 400 && status < 500) {
    const def = defForClientStatus(status);
    return { def, message: def.message };
  }
  // FST_ERR_RESPONSE_SERIALIZATION (a handler returned data not matching its response schema),
  // plain Errors, thrown strings, errors of other libraries carrying a statusCode: all internal.
  return { def: KIT_ERRORS.KIT_INTERNAL, message: KIT_ERRORS.KIT_INTERNAL.message };
}

/** Build the envelope for a classified error. */
export function buildErrorBody(c: Classified, requestId: string): ErrorResponse {
  const error: ErrorResponse['error'] = { code: c.def.code, message: c.message, requestId };
  if (c.issues !== undefined) error.issues = c.issues;
  if (c.detail !== undefined) error.detail = c.detail;
  return { error };
}

function logFields(err: unknown, c: Classified): Record<string, unknown> {
  const e = asErrorLike(err);
  const fields: Record<string, unknown> = { code: c.def.code, statusCode: c.def.status };
  if (c.def.status >= 500) {
    fields.err = err instanceof Error ? err : { message: String(err) };
    // zod issues of a response-serialization failure say which field of OUR output was wrong.
    const cause = asErrorLike(e.cause) as { issues?: unknown };
    if (e.code === 'FST_ERR_RESPONSE_SERIALIZATION' && Array.isArray(cause.issues)) {
      fields.serializationIssues = (cause.issues as Array<{ path?: unknown; message?: unknown }>).map((i) => ({
        path: Array.isArray(i.path) ? i.path.join('.') : '',
        message: i.message,
      }));
    }
  } else {
    // 4xx: no stack, no body; the reason and (for AppError) the cause's message help debugging.
    if (typeof e.message === 'string') fields.reason = e.message;
    if (typeof e.code === 'string' && e.code !== c.def.code) fields.errCode = e.code;
    if (c.issues) fields.issues = c.issues;
    if (e.cause instanceof Error) fields.cause = `${e.cause.name}: ${e.cause.message}`;
  }
  return fields;
}

/** Send an error envelope for `err` (classifying it), log it, and echo the request id. */
export function sendError(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const c = classifyError(err);
  const fields = logFields(err, c);
  if (c.def.status >= 500) request.log.error(fields, 'request failed');
  else request.log.info(fields, 'request rejected');

  if (reply.sent) return reply;
  reply.header('x-request-id', request.id);
  reply.header('cache-control', 'no-store');
  return reply.code(c.def.status).type('application/json; charset=utf-8').send(buildErrorBody(c, request.id));
}

/** Fastify error handler: `app.setErrorHandler(errorHandler)`. */
export function errorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  sendError(error, request, reply);
}

/** Fastify not-found handler: `app.setNotFoundHandler(notFoundHandler)`. */
export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): void {
  sendError(new AppError(KIT_ERRORS.KIT_NOT_FOUND), request, reply);
}
