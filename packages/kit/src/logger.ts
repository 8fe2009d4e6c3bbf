/**
 * Diagnostic logging: pino only, with redaction of credentials and the
 * personal-data fields we name, and request serializers that never log
 * headers, bodies, query strings or client addresses.
 *
 * Audit events are NOT diagnostics: services store them in their own DB (see audit.ts).
 */
import { randomUUID } from 'node:crypto';
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/** Keys that are redacted at the top level and up to two levels down (`*.key`, `*.*.key`). Deeper is NOT covered. */
export const REDACTED_KEYS: readonly string[] = [
  // credentials
  'authorization',
  'cookie',
  'password',
  'passphrase',
  'token',
  'accessToken',
  'refreshToken',
  'idToken',
  'apiKey',
  'secret',
  'clientSecret',
  'privateKey',
  'pin',
  // personal data
  'email',
  'name',
  'phone',
  'address',
  'birthDate',
  'myNumber',
];

/** Header names redacted under `headers`/`req.headers`/`res.headers` (lower-case, as Node gives them). */
export const REDACTED_HEADERS: readonly string[] = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
];

/** Top-level keys that pino itself uses and that must stay readable (`name` = logger name). */
const TOP_LEVEL_EXEMPT = new Set(['name']);

function prop(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

/** The full list of pino redact paths the kit uses (plus `extra`). */
export function redactPaths(extra: readonly string[] = []): string[] {
  const paths = new Set<string>();
  for (const key of REDACTED_KEYS) {
    if (!TOP_LEVEL_EXEMPT.has(key)) paths.add(prop(key).replace(/^\./, ''));
    paths.add(`*${prop(key)}`);
    paths.add(`*.*${prop(key)}`);
  }
  for (const h of REDACTED_HEADERS) {
    for (const base of ['headers', 'req.headers', 'res.headers', 'request.headers', 'response.headers']) {
      paths.add(`${base}${prop(h)}`);
    }
  }
  for (const p of extra) paths.add(p);
  return [...paths];
}

type ReqLike = {
  id?: unknown;
  method?: unknown;
  url?: unknown;
  routeOptions?: { url?: unknown };
};

/** Method, path WITHOUT query string, and route pattern. Never headers, body, query or IP. */
function serializeReq(req: ReqLike): Record<string, unknown> {
  const url = typeof req.url === 'string' ? req.url : undefined;
  const out: Record<string, unknown> = { method: req.method, path: url?.split('?')[0] };
  const route = req.routeOptions?.url;
  if (typeof route === 'string') out.route = route;
  return out;
}

function serializeRes(res: { statusCode?: unknown }): Record<string, unknown> {
  return { statusCode: res.statusCode };
}

export type LoggerConfig = {
  /** Service name; appears as `name` on every line. */
  name: string;
  /** pino level; default 'info'. */
  level?: string;
  /** Where lines go; default stdout. Tests pass a stream to capture output. */
  destination?: DestinationStream | NodeJS.WritableStream;
  /** Additional redact paths (pino path syntax), e.g. ['*.memberCode']. */
  redact?: readonly string[];
};

/** pino options with the kit's redaction and serializers (for `pino(loggerOptions(…))`). */
export function loggerOptions(cfg: Omit<LoggerConfig, 'destination'>): LoggerOptions {
  return {
    name: cfg.name,
    level: cfg.level ?? 'info',
    redact: { paths: redactPaths(cfg.redact), censor: '[Redacted]' },
    serializers: {
      req: serializeReq,
      res: serializeRes,
      err: pino.stdSerializers.errWithCause,
    },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
}

/** A pino logger with the kit's redaction; pass it to `createHttpApp({ logger })`. */
export function createLogger(cfg: LoggerConfig): Logger {
  const opts = loggerOptions(cfg);
  return cfg.destination ? pino(opts, cfg.destination as DestinationStream) : pino(opts);
}

/** Accepted shape of an incoming X-Request-Id. */
export const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Request id for a raw request: the incoming `X-Request-Id` if it is a sane
 * token (1–128 of `A-Za-z0-9._:-`), otherwise a new UUID.
 */
export function genReqId(req: { headers: Record<string, string | string[] | undefined> }): string {
  const incoming = req.headers['x-request-id'];
  if (typeof incoming === 'string' && REQUEST_ID_RE.test(incoming)) return incoming;
  return randomUUID();
}
