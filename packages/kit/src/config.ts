/**
 * Configuration: one zod schema per service whose keys are environment
 * variable names, parsed ONCE at start. Every problem is reported at once;
 * there are no silent fallbacks; the result is deep-frozen.
 *
 *   const ConfigSchema = z.object({
 *     CENTER_PORT: envPort().default(8080),
 *     CENTER_DATABASE_URL: envUrl({ protocols: ['postgres:', 'postgresql:'] }),
 *     CENTER_DEV_SEED: envBool().default(false),
 *   });
 *   const config = loadConfigOrExit(ConfigSchema);
 */
import { z } from 'zod';

/** Where configuration is read from: `process.env` or a plain object (tests). */
export type EnvSource = Readonly<Record<string, string | undefined>>;

export type ConfigIssue = {
  /** The environment variable (first path segment), with `[i]`/`.key` for nested parts. */
  variable: string;
  message: string;
};

export class ConfigError extends Error {
  issues: ConfigIssue[];
  constructor(issues: ConfigIssue[]) {
    const n = issues.length;
    super(
      `Invalid configuration (${n} problem${n === 1 ? '' : 's'}):\n` +
        issues.map((i) => `  - ${i.variable}: ${i.message}`).join('\n'),
    );
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

function variableOf(path: ReadonlyArray<PropertyKey>): string {
  if (path.length === 0) return '(config)';
  let out = String(path[0]);
  for (const seg of path.slice(1)) out += typeof seg === 'number' ? `[${seg}]` : `.${String(seg)}`;
  return out;
}

/** Recursively `Object.freeze` plain objects and arrays (typed arrays/Buffers are left alone). */
export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  if (ArrayBuffer.isView(value)) return value; // freezing a non-empty typed array throws
  for (const key of Reflect.ownKeys(value)) {
    deepFreeze((value as Record<PropertyKey, unknown>)[key]);
  }
  return Object.freeze(value);
}

/**
 * Parse configuration with `schema` (keys = env var names). Throws `ConfigError`
 * listing EVERY problem. The returned value is deep-frozen.
 */
export function loadConfig<S extends z.ZodType>(schema: S, source: EnvSource = process.env): z.output<S> {
  // Copy: process.env is an exotic object, and we never want zod to see a live view.
  const input: Record<string, string | undefined> = { ...source };
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => ({ variable: variableOf(i.path), message: i.message })));
  }
  return deepFreeze(result.data);
}

export type ExitIo = {
  /** Where problems are printed (default: process.stderr.write). */
  write?: (line: string) => void;
  /** Default: process.exit. */
  exit?: (code: number) => never | void;
};

/** EX_CONFIG from sysexits.h. */
export const CONFIG_EXIT_CODE = 78;

/**
 * Like `loadConfig`, but on a `ConfigError` prints every problem to stderr
 * (one line each, env var name first) and exits with code 78.
 */
export function loadConfigOrExit<S extends z.ZodType>(schema: S, source: EnvSource = process.env, io: ExitIo = {}): z.output<S> {
  try {
    return loadConfig(schema, source);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const write = io.write ?? ((line: string) => void process.stderr.write(line));
    write(`configuration invalid: ${err.issues.length} problem(s)\n`);
    for (const issue of err.issues) write(`config error: ${issue.variable}: ${issue.message}\n`);
    (io.exit ?? process.exit)(CONFIG_EXIT_CODE);
    // Only reached when an injected exit returns (tests).
    throw err;
  }
}

// ---------------------------------------------------------------------------
// Env parsing helpers: each takes the raw string (or undefined when unset).
// A missing variable is "is required" unless the schema has .default()/.optional().

const requiredString = () =>
  z.string({ error: (iss) => (iss.input === undefined ? 'is required' : 'must be a string') });

/** A non-empty string (surrounding whitespace is an error, not trimmed silently). */
export function envString(opts: { min?: number; max?: number } = {}) {
  let s = requiredString()
    .min(opts.min ?? 1, { error: opts.min === undefined ? 'must not be empty' : `must be at least ${opts.min} characters` })
    .refine((v) => v.trim() === v, { error: 'must not have leading or trailing whitespace' });
  if (opts.max !== undefined) s = s.refine((v) => v.length <= opts.max!, { error: `must be at most ${opts.max} characters` });
  return s;
}

/** A decimal integer, optionally bounded. */
export function envInt(opts: { min?: number; max?: number } = {}) {
  const min = opts.min ?? Number.MIN_SAFE_INTEGER;
  const max = opts.max ?? Number.MAX_SAFE_INTEGER;
  return requiredString()
    .regex(/^-?\d+$/, { error: 'must be an integer' })
    .transform((v) => Number(v))
    .pipe(
      z
        .number()
        .int()
        .min(min, { error: `must be >= ${min}` })
        .max(max, { error: `must be <= ${max}` }),
    );
}

/** A TCP port 0–65535 (0 = pick a free port). */
export function envPort() {
  return requiredString()
    .regex(/^\d{1,5}$/, { error: 'must be a port number 0-65535' })
    .transform((v) => Number(v))
    .pipe(z.number().int().min(0).max(65535, { error: 'must be a port number 0-65535' }));
}

/** Exactly 'true' | 'false' | '1' | '0'. Anything else (e.g. 'yes', '') is an error. */
export function envBool() {
  return requiredString()
    .refine((v) => v === 'true' || v === 'false' || v === '1' || v === '0', {
      error: "must be one of 'true', 'false', '1', '0'",
    })
    .transform((v) => v === 'true' || v === '1');
}

/** A duration in whole seconds (non-negative integer, no unit suffix). Output: number of seconds. */
export function envDuration(opts: { min?: number; max?: number } = {}) {
  const min = opts.min ?? 0;
  const max = opts.max ?? Number.MAX_SAFE_INTEGER;
  return requiredString()
    .regex(/^\d+$/, { error: 'must be a whole number of seconds' })
    .transform((v) => Number(v))
    .pipe(
      z
        .number()
        .int()
        .min(min, { error: `must be at least ${min} seconds` })
        .max(max, { error: `must be at most ${max} seconds` }),
    );
}

/** An absolute URL; `protocols` like ['https:'] restricts the scheme. Output: the URL string as given. */
export function envUrl(opts: { protocols?: readonly string[] } = {}) {
  return requiredString().superRefine((v, ctx) => {
    let url: URL;
    try {
      url = new URL(v);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be an absolute URL' });
      return;
    }
    if (opts.protocols && !opts.protocols.includes(url.protocol)) {
      ctx.addIssue({ code: 'custom', message: `must use ${opts.protocols.join(' or ')} (got ${url.protocol})` });
    }
  });
}

/**
 * A comma-separated list; items are trimmed and empty items dropped ('' → []).
 * Pass an item schema (taking a string) to validate/transform each item.
 */
export function envList(): z.ZodPipe<z.ZodString, z.ZodTransform<string[], string>>;
export function envList<T extends z.ZodType<unknown, string>>(
  item: T,
): z.ZodPipe<z.ZodPipe<z.ZodString, z.ZodTransform<string[], string>>, z.ZodArray<T>>;
export function envList(item?: z.ZodType<unknown, string>) {
  const split = requiredString().transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
  );
  return item ? split.pipe(z.array(item)) : split;
}

// ---------------------------------------------------------------------------
// Production mode and development-only conveniences.

/** True when NODE_ENV=production or JPLINK_MODE=production. */
export function isProductionMode(env: EnvSource = process.env): boolean {
  return env.NODE_ENV === 'production' || env.JPLINK_MODE === 'production';
}

type Warner = { warn: (obj: object, msg: string) => void };

/**
 * Guard for a development-only convenience (dev seeds, insecure TLS, fake auth…).
 * In production mode (`mode` true, or an env with NODE_ENV/JPLINK_MODE=production)
 * throws `ConfigError`. Otherwise announces the feature loudly: a warn log when
 * a logger is given, else a line on stderr.
 */
export function refuseInProduction(feature: string, mode: boolean | EnvSource, logger?: Warner): void {
  const production = typeof mode === 'boolean' ? mode : isProductionMode(mode);
  if (production) {
    throw new ConfigError([
      { variable: feature, message: 'is a development-only feature and is refused in production mode (NODE_ENV/JPLINK_MODE=production)' },
    ]);
  }
  const msg = `DEVELOPMENT-ONLY FEATURE ENABLED: ${feature} — never use this in production`;
  if (logger) logger.warn({ devOnlyFeature: feature }, msg);
  else process.stderr.write(`WARNING: ${msg}\n`);
}
