// Calls a provider's backend service (the service URL registered on this Security Server), with
// keep-alive connections per origin, the service's timeout and TLS verification setting, and a
// limit on the response size. The HTTP/1.1 client is undici's dispatcher (its own connection pools
// and llhttp parser): per call it costs about a third of the CPU of node:http's ClientRequest /
// IncomingMessage / Agent machinery (docs/performance.md), with the same trust store for https.
import { Agent, type Dispatcher } from './undici.ts';
import type { IncomingHttpHeaders } from 'node:http';
import { XRoadError } from '../errors.ts';

/** Where a backend request goes: the origin (scheme, host, port), the path with query, and userinfo of the service URL. */
export interface BackendTarget {
  protocol: string;
  origin: string;
  /** `user:password` of the service URL, percent-decoded (sent as HTTP Basic, as node:http does). */
  auth?: string;
  path: string;
}

/** Path and query characters WHATWG URL parsing leaves unchanged (no percent-encoding, no '\\'). */
const PLAIN_PATH = /^[A-Za-z0-9\-._~!$&()*+,;=:@%/]*$/;
const PLAIN_QUERY = /^[A-Za-z0-9\-._~!$&()*+,;=:@%/?]*$/;
/** A segment that may be a dot segment (URL parsing would resolve it). */
const DOT_SEGMENT = /(?:^|\/)(?:\.|%2e)/i;

/** Parsed service URLs (without trailing slashes) whose path can simply be extended; null when not. */
const bases = new Map<string, { options: Omit<BackendTarget, 'path'>; path: string } | null>();

function originOf(url: URL): Omit<BackendTarget, 'path'> {
  const auth = url.username || url.password ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` : undefined;
  return { protocol: url.protocol, origin: url.origin, ...(auth ? { auth } : {}) };
}

function baseOf(serviceUrl: string) {
  let base = bases.get(serviceUrl);
  if (base === undefined) {
    const url = new URL(serviceUrl);
    const path = url.pathname === '/' ? '' : url.pathname;
    // Usable when appending a plain path to the text gives the same URL as appending it to the parsed path.
    const simple = url.search === '' && url.hash === '' && new URL(`${serviceUrl}/x`).pathname === `${path}/x`;
    base = simple
      ? { options: originOf(url), path }
      : null;
    if (bases.size >= 1024) bases.clear();
    bases.set(serviceUrl, base);
  }
  return base;
}

/**
 * The backend URL of a request: the service URL (trailing slashes removed) + the request's path and
 * `?query` — what `new URL()` of that text gives, without parsing it per request when the path and
 * query are plain.
 */
export function backendTarget(serviceUrl: string, path: string, query: string): BackendTarget {
  const trimmed = serviceUrl.replace(/\/+$/, '');
  const base = baseOf(trimmed);
  if (!base || !PLAIN_PATH.test(path) || DOT_SEGMENT.test(path) || !PLAIN_QUERY.test(query)) {
    const url = new URL(trimmed + path + (query ? `?${query}` : ''));
    return { ...originOf(url), path: url.pathname + url.search };
  }
  return { ...base.options, path: (base.path + path || '/') + (query ? `?${query}` : '') };
}

export interface BackendRequest {
  url: BackendTarget;
  method: string;
  headers: Array<[string, string]>;
  body: Buffer;
  timeoutMs: number;
  tlsVerify: boolean;
  maxBodyBytes: number;
}

export interface BackendResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Request headers not passed to the backend: hop-by-hop, and the framing this client sets itself. */
const NOT_FORWARDED = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'expect', 'te', 'trailer', 'content-length']);

export class BackendClient {
  #verified = new Agent({ connections: 256 });
  #unverified = new Agent({ connections: 256, connect: { rejectUnauthorized: false } });

  close(): void {
    void this.#verified.destroy().catch(() => undefined);
    void this.#unverified.destroy().catch(() => undefined);
  }

  call(input: BackendRequest): Promise<BackendResponse> {
    const agent = input.url.protocol === 'https:' && !input.tlsVerify ? this.#unverified : this.#verified;
    const headers: string[] = [];
    for (const [name, value] of input.headers) {
      if (!NOT_FORWARDED.has(name)) headers.push(name, value);
    }
    if (input.url.auth !== undefined) headers.push('authorization', `Basic ${Buffer.from(input.url.auth).toString('base64')}`);
    if (input.body.length > 0 || (input.method !== 'GET' && input.method !== 'HEAD')) headers.push('content-length', String(input.body.length));
    return new Promise<BackendResponse>((resolve, reject) => {
      let done = false;
      let controller: Dispatcher.DispatchController | undefined;
      let status = 502;
      let responseHeaders: IncomingHttpHeaders = {};
      let started = false;
      const chunks: Buffer[] = [];
      let size = 0;
      const fail = (error: XRoadError) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (controller && !controller.aborted) controller.abort(error);
        reject(error);
      };
      const timer = setTimeout(() => fail(new XRoadError('server.serverproxy.service_timeout', `the backend did not answer within ${input.timeoutMs / 1000} s`)), input.timeoutMs);
      const handler: Dispatcher.DispatchHandler = {
        onRequestStart(c) {
          controller = c;
          if (done) c.abort(new Error('the exchange was given up'));
        },
        onResponseStart(_c, statusCode, received) {
          status = statusCode;
          responseHeaders = received;
          started = true;
        },
        onResponseData(_c, chunk) {
          size += chunk.length;
          if (size > input.maxBodyBytes) return fail(new XRoadError('server.serverproxy.body_too_large', `the backend's response is larger than ${input.maxBodyBytes} bytes`));
          chunks.push(chunk);
        },
        onResponseEnd() {
          if (done) return;
          done = true;
          clearTimeout(timer);
          resolve({ status, headers: responseHeaders, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) });
        },
        onResponseError(_c, error: Error & { code?: string }) {
          if (done) return;
          if (started) fail(new XRoadError('server.serverproxy.service_failed', `the backend connection failed: ${error.message}`, { cause: error }));
          else fail(new XRoadError('server.serverproxy.service_failed', `the backend cannot be reached (${error.code ?? error.message})`, { cause: error }));
        },
      };
      try {
        agent.dispatch(
          {
            origin: input.url.origin,
            path: input.url.path,
            method: input.method as Dispatcher.HttpMethod,
            headers,
            body: input.body,
            // Our own timer bounds the whole call; undici's must not cut it shorter.
            headersTimeout: input.timeoutMs + 1000,
            bodyTimeout: input.timeoutMs + 1000,
          },
          handler,
        );
      } catch (error) {
        fail(new XRoadError('server.serverproxy.service_failed', `the backend request cannot be sent (${(error as Error).message})`, { cause: error }));
      }
    });
  }
}
