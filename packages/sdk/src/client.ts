// PR-REST client for an information system: calls go to the member's own Security Server
// (`/r1/{service}{path}`), X-Road errors become typed errors, idempotent requests are retried
// with exponential backoff and full jitter only when the provider's backend cannot have acted.
import { randomUUID } from 'node:crypto';
import { CONSENT_CODES, ConsentRequiredError, JpLinkError, NetworkError, ProviderError, RETRYABLE_XROAD_TYPES, xroadErrorFor } from './errors.ts';
import { createTransport, header, sleep, type RawResponse, type TlsOptions } from './http.ts';

export interface JpLinkClientOptions {
  /** The member's own Security Server, information-system URL (http:// or https://). */
  securityServerUrl: string;
  /** X-Road-Client: 'INSTANCE/CLASS/CODE/SUBSYSTEM'. */
  client: string;
  tls?: TlsOptions;
  /** Per attempt (default 30 000). */
  timeoutMs?: number;
  /** attempts: total tries (default 3); baseDelayMs: first backoff (default 200; doubled each try, full jitter, capped at 5 s). */
  retry?: { attempts?: number; baseDelayMs?: number };
  /** Largest response body read (default 16 MiB). */
  maxResponseBytes?: number;
}

export interface CallOptions {
  method?: string;
  /** After the service code, e.g. '/residents/42'; as string[] each segment is percent-encoded. */
  path?: string | string[];
  query?: Record<string, string | string[]> | URLSearchParams;
  headers?: Record<string, string>;
  body?: Buffer | string;
  json?: unknown;
  xRoadId?: string;
  userId?: string;
  issue?: string;
  securityServer?: string;
  representedParty?: string;
  /** Allow retries for a non-idempotent method. */
  idempotent?: boolean;
  signal?: AbortSignal;
}

export interface JpLinkResponse {
  status: number;
  headers: Record<string, string | string[]>;
  xRoad: { id: string; requestId: string; requestHash: string; service: string };
  body: Buffer;
  text(): string;
  json<T = unknown>(): T;
}

export interface JpLinkClient {
  call(service: string, options?: CallOptions): Promise<JpLinkResponse>;
  listClients(): Promise<unknown>;
  listMethods(provider: string): Promise<unknown>;
  allowedMethods(provider: string): Promise<unknown>;
  getOpenAPI(provider: string, serviceCode: string): Promise<unknown>;
  /** Closes the keep-alive connections. */
  close(): void;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
const ID_PARTS = /^[^/\s]+(\/[^/\s]+){3}$/;
const MAX_BACKOFF_MS = 5000;

export function createJpLinkClient(options: JpLinkClientOptions): JpLinkClient {
  const base = new URL(options.securityServerUrl);
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new TypeError('securityServerUrl must be http:// or https://');
  if (!ID_PARTS.test(options.client)) throw new TypeError("client must be 'INSTANCE/CLASS/CODE/SUBSYSTEM'");
  const root = base.href.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 30_000;
  const attempts = Math.max(1, options.retry?.attempts ?? 3);
  const baseDelayMs = options.retry?.baseDelayMs ?? 200;
  const transport = createTransport({ tls: options.tls, maxResponseBytes: options.maxResponseBytes ?? 16 * 1024 * 1024 });

  async function exchange(target: string, o: CallOptions): Promise<RawResponse & { xRoadId: string }> {
    const method = (o.method ?? 'GET').toUpperCase();
    const url = new URL(root + target);
    if (o.query) {
      const q = o.query instanceof URLSearchParams ? o.query : toParams(o.query);
      for (const [k, v] of q) url.searchParams.append(k, v);
    }
    const xRoadId = o.xRoadId ?? randomUUID();
    const headers: Record<string, string> = { accept: 'application/json', ...lowerKeys(o.headers ?? {}) };
    for (const name of Object.keys(headers)) if (name.startsWith('x-road-')) delete headers[name];
    headers['x-road-client'] = options.client;
    headers['x-road-id'] = xRoadId;
    if (o.userId !== undefined) headers['x-road-userid'] = o.userId;
    if (o.issue !== undefined) headers['x-road-issue'] = o.issue;
    if (o.securityServer !== undefined) headers['x-road-security-server'] = o.securityServer;
    if (o.representedParty !== undefined) headers['x-road-represented-party'] = o.representedParty;
    let body: Buffer | undefined;
    if (o.json !== undefined) {
      body = Buffer.from(JSON.stringify(o.json));
      headers['content-type'] = 'application/json';
    } else if (o.body !== undefined) {
      body = typeof o.body === 'string' ? Buffer.from(o.body) : o.body;
    }
    const retryable = IDEMPOTENT.has(method) || o.idempotent === true;
    for (let attempt = 1; ; attempt++) {
      let outcome: RawResponse | NetworkError;
      try {
        outcome = await transport.send({ url, method, headers, body, timeoutMs, signal: o.signal });
      } catch (error) {
        if (!(error instanceof NetworkError)) throw error;
        outcome = error;
      }
      const again = retryable && attempt < attempts && shouldRetry(outcome);
      if (!again) {
        if (outcome instanceof NetworkError) throw outcome;
        return { ...outcome, xRoadId };
      }
      await sleep(Math.random() * Math.min(MAX_BACKOFF_MS, baseDelayMs * 2 ** (attempt - 1)), o.signal);
    }
  }

  async function call(service: string, o: CallOptions = {}): Promise<JpLinkResponse> {
    if (!/^[^/\s]+(\/[^/\s]+){4}$/.test(service)) throw new TypeError("service must be 'INSTANCE/CLASS/CODE/SUBSYSTEM/SERVICECODE'");
    const raw = await exchange(`/r1/${service}${pathOf(o.path)}`, o);
    const response = toResponse(raw, service);
    if (raw.status >= 200 && raw.status < 300) return response;
    throw providerError(raw);
  }

  async function meta(target: string, query?: Record<string, string>): Promise<unknown> {
    const raw = await exchange(target, { method: 'GET', ...(query ? { query } : {}) });
    if (raw.status >= 200 && raw.status < 300) return parseJson(raw.body);
    throw providerError(raw);
  }

  const providerPath = (provider: string) => {
    if (!ID_PARTS.test(provider)) throw new TypeError("provider must be 'INSTANCE/CLASS/CODE/SUBSYSTEM'");
    return `/r1/${provider}`;
  };

  return {
    call,
    listClients: () => meta('/listClients'),
    listMethods: (provider) => meta(`${providerPath(provider)}/listMethods`),
    allowedMethods: (provider) => meta(`${providerPath(provider)}/allowedMethods`),
    getOpenAPI: (provider, serviceCode) => meta(`${providerPath(provider)}/getOpenAPI`, { serviceCode }),
    close: () => transport.close(),
  };
}

/** Network errors, 502/503 from a proxy in front, and the X-Road types meaning "the backend was not reached". */
function shouldRetry(outcome: RawResponse | NetworkError): boolean {
  if (outcome instanceof NetworkError) return outcome.reason !== 'aborted' && outcome.reason !== 'too-large';
  const type = header(outcome.headers, 'x-road-error');
  if (type) return RETRYABLE_XROAD_TYPES.has(type.toLowerCase());
  return outcome.status === 502 || outcome.status === 503;
}

function toResponse(raw: RawResponse & { xRoadId: string }, service: string): JpLinkResponse {
  return {
    status: raw.status,
    headers: raw.headers,
    xRoad: {
      id: header(raw.headers, 'x-road-id') ?? raw.xRoadId,
      requestId: header(raw.headers, 'x-road-request-id') ?? '',
      requestHash: header(raw.headers, 'x-road-request-hash') ?? '',
      service: header(raw.headers, 'x-road-service') ?? service,
    },
    body: raw.body,
    text: () => raw.body.toString('utf8'),
    json: <T>() => JSON.parse(raw.body.toString('utf8')) as T,
  };
}

/** The typed error of a non-2xx answer: X-Road error when X-Road-Error is set, else the provider's. */
export function providerError(raw: RawResponse): JpLinkError {
  const type = header(raw.headers, 'x-road-error');
  if (type) {
    const parsed = parseXRoadBody(raw);
    return xroadErrorFor({ type, message: parsed.message ?? type, detail: parsed.detail, status: raw.status });
  }
  const body = parseJson(raw.body);
  const envelope = body && typeof body === 'object' && 'error' in body ? (body as { error: unknown }).error : undefined;
  const code = envelope && typeof envelope === 'object' && typeof (envelope as { code?: unknown }).code === 'string' ? (envelope as { code: string }).code : undefined;
  const message = envelope && typeof envelope === 'object' && typeof (envelope as { message?: unknown }).message === 'string' ? (envelope as { message: string }).message : undefined;
  const input = { status: raw.status, code, message, body };
  return code && CONSENT_CODES.has(code) ? new ConsentRequiredError(input) : new ProviderError(input);
}

function parseXRoadBody(raw: RawResponse): { message: string | undefined; detail: string | undefined } {
  const text = raw.body.toString('utf8');
  const contentType = header(raw.headers, 'content-type') ?? '';
  if (contentType.includes('xml') || text.trimStart().startsWith('<')) {
    const pick = (tag: string) => {
      const m = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(text);
      return m?.[1] === undefined ? undefined : unescapeXml(m[1]);
    };
    return { message: pick('message'), detail: pick('detail') || undefined };
  }
  const json = parseJson(raw.body);
  if (json && typeof json === 'object') {
    const j = json as { message?: unknown; detail?: unknown };
    return { message: typeof j.message === 'string' ? j.message : undefined, detail: typeof j.detail === 'string' && j.detail ? j.detail : undefined };
  }
  return { message: undefined, detail: undefined };
}

const unescapeXml = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');

function parseJson(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return body.toString('utf8');
  }
}

function pathOf(path: string | string[] | undefined): string {
  if (path === undefined) return '';
  if (Array.isArray(path)) return path.map((s) => `/${encodeURIComponent(s)}`).join('');
  if (path === '' ) return '';
  if (!path.startsWith('/') && !path.startsWith('?')) return `/${path}`;
  return path;
}

function toParams(query: Record<string, string | string[]>): URLSearchParams {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) for (const item of Array.isArray(v) ? v : [v]) q.append(k, item);
  return q;
}

function lowerKeys(h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = v;
  return out;
}


