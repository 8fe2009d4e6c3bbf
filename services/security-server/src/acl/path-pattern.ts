// REST endpoint patterns (X-Road "endpoints": method + path, ug-ss §6–7), compiled once and matched
// against `PrRestRequest.normalizedPath` (decoded, free of dot segments and encoded slashes — the parser
// rejects those). Syntax:
//   method  '*' (any) or an HTTP method token, compared case-insensitively (as X-Road's BaseEndpoint)
//   path    '/'-separated segments starting with '/':
//             literal   matched exactly (case-sensitive); may be percent-encoded, it is decoded once
//             '*'       exactly one non-empty segment; '{name}' (OpenAPI template) means the same
//             '**'      any number of segments, including none; only as the last segment
//           '/' alone matches the root only; '**' alone (X-Road's "any path") equals '/**';
//           one trailing '/' is literal ("/items/" matches "/items/" but not "/items").
// Invalid patterns throw AclPatternError at configuration time.

export type AclPatternErrorCode =
  | 'EMPTY_METHOD'
  | 'BAD_METHOD'
  | 'NOT_ABSOLUTE'
  | 'EMPTY_SEGMENT'
  | 'DOT_SEGMENT'
  | 'BAD_CHARACTER'
  | 'BAD_PERCENT_ENCODING'
  | 'PARTIAL_WILDCARD'
  | 'DOUBLE_WILDCARD_NOT_LAST';

export class AclPatternError extends Error {
  override name = 'AclPatternError';
  readonly code: AclPatternErrorCode;
  constructor(code: AclPatternErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

export type PatternSegment = { kind: 'literal'; value: string } | { kind: 'any' };

export interface CompiledEndpoint {
  /** '*' or an upper-case method. */
  readonly method: string;
  /** The pattern as configured. */
  readonly path: string;
  /** Segments before a trailing '**'. The root pattern '/' has none. */
  readonly segments: readonly PatternSegment[];
  /** Ends with '**'. */
  readonly tail: boolean;
  readonly literalCount: number;
}

const METHOD = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const CONTROL = /[\x00-\x1f\x7f]/;

export function compileEndpoint(endpoint: { method: string; path: string }): CompiledEndpoint {
  const method = compileMethod(endpoint.method);
  const path = endpoint.path;
  if (typeof path !== 'string') throw new AclPatternError('NOT_ABSOLUTE', 'endpoint path must be a string');
  const source = path === '**' ? '/**' : path;
  if (!source.startsWith('/')) throw new AclPatternError('NOT_ABSOLUTE', `endpoint path must start with '/': ${JSON.stringify(path)}`);
  if (CONTROL.test(source) || /[\\?#]/.test(source)) {
    throw new AclPatternError('BAD_CHARACTER', `endpoint path may not contain control characters, '\\', '?' or '#': ${JSON.stringify(path)}`);
  }
  const raw = source === '/' ? [] : source.slice(1).split('/');
  const segments: PatternSegment[] = [];
  let tail = false;
  raw.forEach((segment, index) => {
    const last = index === raw.length - 1;
    if (segment === '**') {
      if (!last) throw new AclPatternError('DOUBLE_WILDCARD_NOT_LAST', `'**' is allowed only as the last segment: ${JSON.stringify(path)}`);
      tail = true;
      return;
    }
    if (segment === '*' || /^\{[^{}/]+\}$/.test(segment)) {
      segments.push({ kind: 'any' });
      return;
    }
    if (segment === '') {
      if (!last) throw new AclPatternError('EMPTY_SEGMENT', `endpoint path has an empty segment (//): ${JSON.stringify(path)}`);
      segments.push({ kind: 'literal', value: '' });
      return;
    }
    if (/[*{}]/.test(segment)) {
      throw new AclPatternError('PARTIAL_WILDCARD', `'*' and '**' must be whole segments: ${JSON.stringify(path)}`);
    }
    segments.push({ kind: 'literal', value: decodeLiteral(segment, path) });
  });
  const literalCount = segments.filter((s) => s.kind === 'literal').length;
  return Object.freeze({ method, path, segments: Object.freeze(segments), tail, literalCount });
}

function compileMethod(method: string): string {
  if (typeof method !== 'string' || method.trim() === '') throw new AclPatternError('EMPTY_METHOD', 'endpoint method is empty');
  const trimmed = method.trim();
  if (trimmed === '*') return '*';
  if (!METHOD.test(trimmed) || trimmed.includes('*')) throw new AclPatternError('BAD_METHOD', `endpoint method must be '*' or an HTTP method: ${JSON.stringify(method)}`);
  return trimmed.toUpperCase();
}

function decodeLiteral(segment: string, path: string): string {
  let decoded = segment;
  if (segment.includes('%')) {
    if (/%(?![0-9A-Fa-f]{2})/.test(segment)) throw new AclPatternError('BAD_PERCENT_ENCODING', `bad percent-encoding in endpoint path: ${JSON.stringify(path)}`);
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      throw new AclPatternError('BAD_PERCENT_ENCODING', `percent-encoding in endpoint path is not UTF-8: ${JSON.stringify(path)}`);
    }
    if (/[/\\]/.test(decoded) || CONTROL.test(decoded)) {
      throw new AclPatternError('BAD_CHARACTER', `endpoint path encodes '/', '\\' or a control character: ${JSON.stringify(path)}`);
    }
  }
  if (/^\.+$/.test(decoded)) throw new AclPatternError('DOT_SEGMENT', `endpoint path may not contain dot segments: ${JSON.stringify(path)}`);
  return decoded;
}

/** Splits a normalised path ('/' or '/a/b', optionally one trailing '/') into segments; '/' → []. */
export function pathSegments(normalizedPath: string): string[] {
  return normalizedPath === '/' || normalizedPath === '' ? [] : normalizedPath.slice(1).split('/');
}

export function methodMatches(endpoint: CompiledEndpoint, method: string): boolean {
  return endpoint.method === '*' || endpoint.method === method.toUpperCase();
}

function segmentsMatch(endpoint: CompiledEndpoint, segments: readonly string[]): boolean {
  const fixed = endpoint.segments.length;
  if (endpoint.tail ? segments.length < fixed : segments.length !== fixed) return false;
  for (let i = 0; i < fixed; i += 1) {
    const pattern = endpoint.segments[i]!;
    const actual = segments[i]!;
    if (pattern.kind === 'any' ? actual === '' : pattern.value !== actual) return false;
  }
  return true;
}

export function endpointMatches(endpoint: CompiledEndpoint, method: string, normalizedPath: string): boolean {
  return methodMatches(endpoint, method) && segmentsMatch(endpoint, pathSegments(normalizedPath));
}

/**
 * Orders endpoints by specificity, most specific first (negative: `a` is more specific):
 * more literal segments; then a specific method over '*'; then no '**' over '**'; then more
 * segments (a '*' is more specific than what '**' would cover); ties keep configuration order.
 */
export function compareSpecificity(a: CompiledEndpoint, b: CompiledEndpoint): number {
  return (
    b.literalCount - a.literalCount ||
    Number(a.method === '*') - Number(b.method === '*') ||
    Number(a.tail) - Number(b.tail) ||
    b.segments.length - a.segments.length
  );
}

/** The most specific endpoint matching the request, or undefined; first wins among equals. */
export function mostSpecificEndpoint<T extends CompiledEndpoint>(endpoints: readonly T[], method: string, normalizedPath: string): T | undefined {
  const segments = pathSegments(normalizedPath);
  let best: T | undefined;
  for (const endpoint of endpoints) {
    if (!methodMatches(endpoint, method) || !segmentsMatch(endpoint, segments)) continue;
    if (best === undefined || compareSpecificity(endpoint, best) < 0) best = endpoint;
  }
  return best;
}
