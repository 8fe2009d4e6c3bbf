/**
 * Error catalogues and the application error type.
 *
 * Every service defines ONE catalogue with `defineErrors`; codes follow
 * `<SVC>_<AREA>_<REASON>` and each code has a fixed HTTP status and a safe,
 * client-facing message. Handlers throw `new AppError(E.SOME_CODE, { cause })`;
 * the kit's error handler turns it into the envelope
 * `{ error: { code, message, requestId } }` and logs the cause.
 */

/** One catalogue entry, with its code filled in. */
export type ErrorDef = { code: string; status: number; message: string };

/** A catalogue as written by a service: code → status + safe message. */
export type ErrorCatalogueInput = Record<string, { status: number; message: string }>;

/** The result of `defineErrors`: same keys, each with `code` equal to its key. */
export type ErrorCatalogue<T extends ErrorCatalogueInput> = {
  readonly [K in keyof T & string]: Readonly<{ code: K; status: T[K]['status']; message: string }>;
};

export type AppErrorOptions = {
  /** Client-facing message overriding the catalogue message. Only sent to clients for 4xx (see `expose`). */
  message?: string;
  /** The underlying error; logged, never sent to clients. */
  cause?: unknown;
  /** Structured, client-safe detail; sent to clients only when `expose` is true (4xx). */
  detail?: unknown;
};

const CODE_RE = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$/;

/**
 * Build a catalogue whose entries carry their own code:
 * `defineErrors({ CENTER_CSR_INVALID: { status: 400, message: '…' } }).CENTER_CSR_INVALID.code === 'CENTER_CSR_INVALID'`.
 * Throws at definition time on a malformed code or a status outside 400–599.
 */
export function defineErrors<const T extends ErrorCatalogueInput>(catalogue: T): ErrorCatalogue<T> {
  const out: Record<string, Readonly<ErrorDef>> = {};
  for (const [code, def] of Object.entries(catalogue)) {
    if (!CODE_RE.test(code)) {
      throw new Error(`defineErrors: code ${JSON.stringify(code)} must look like <SVC>_<AREA>_<REASON> (upper snake case)`);
    }
    if (!Number.isInteger(def.status) || def.status < 400 || def.status > 599) {
      throw new Error(`defineErrors: ${code} has status ${def.status}; expected an HTTP error status 400–599`);
    }
    if (typeof def.message !== 'string' || def.message.length === 0) {
      throw new Error(`defineErrors: ${code} needs a non-empty client-safe message`);
    }
    out[code] = Object.freeze({ code, status: def.status, message: def.message });
  }
  return Object.freeze(out) as ErrorCatalogue<T>;
}

/**
 * An error from a catalogue. `expose` is true for 4xx: the client then sees
 * `opts.message` (if given) and `detail`. For 5xx the client only ever sees the
 * catalogue message; the custom message, detail and cause go to the logs.
 */
export class AppError extends Error {
  code: string;
  statusCode: number;
  expose: boolean;
  detail?: unknown;
  /** The catalogue message (always client-safe). */
  publicMessage: string;

  constructor(def: ErrorDef, opts: AppErrorOptions = {}) {
    super(opts.message ?? def.message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'AppError';
    this.code = def.code;
    this.statusCode = def.status;
    this.expose = def.status < 500;
    this.publicMessage = def.message;
    if (opts.detail !== undefined) this.detail = opts.detail;
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}

/** The kit's own catalogue (document changes in docs/errors.md under `## KIT`). */
export const KIT_ERRORS = defineErrors({
  KIT_INTERNAL: { status: 500, message: 'Internal server error' },
  KIT_VALIDATION_FAILED: { status: 400, message: 'Request validation failed' },
  KIT_MALFORMED_BODY: { status: 400, message: 'Request body is malformed' },
  KIT_BAD_REQUEST: { status: 400, message: 'Bad request' },
  KIT_UNAUTHENTICATED: { status: 401, message: 'Authentication required' },
  KIT_FORBIDDEN: { status: 403, message: 'Forbidden' },
  KIT_NOT_FOUND: { status: 404, message: 'Not found' },
  KIT_BODY_TOO_LARGE: { status: 413, message: 'Request body is too large' },
  KIT_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Unsupported media type' },
  KIT_RATE_LIMITED: { status: 429, message: 'Too many requests' },
  KIT_NOT_READY: { status: 503, message: 'Service not ready' },
});

export type KitErrorCode = keyof typeof KIT_ERRORS;
