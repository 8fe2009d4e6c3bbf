// Calls a provider's backend service (the service URL registered on this Security Server), with
// keep-alive connections per origin, the service's timeout and TLS verification setting, and a
// limit on the response size.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { urlToHttpOptions } from 'node:url';
import { XRoadError } from '../errors.ts';

/** Where a backend request goes, as node:http request options. */
export interface BackendTarget {
  protocol: string;
  hostname: string;
  port?: number;
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

function baseOf(serviceUrl: string) {
  let base = bases.get(serviceUrl);
  if (base === undefined) {
    const url = new URL(serviceUrl);
    const options = urlToHttpOptions(url);
    const path = url.pathname === '/' ? '' : url.pathname;
    // Usable when appending a plain path to the text gives the same URL as appending it to the parsed path.
    const simple = url.search === '' && url.hash === '' && new URL(`${serviceUrl}/x`).pathname === `${path}/x`;
    base = simple
      ? { options: { protocol: url.protocol, hostname: options.hostname ?? '', ...(options.port !== undefined ? { port: Number(options.port) } : {}), ...(options.auth ? { auth: options.auth } : {}) }, path }
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
export function backendTarget(serviceUrl: string, path: string, query: string): URL | BackendTarget {
  const trimmed = serviceUrl.replace(/\/+$/, '');
  const base = baseOf(trimmed);
  if (!base || !PLAIN_PATH.test(path) || DOT_SEGMENT.test(path) || !PLAIN_QUERY.test(query)) {
    return new URL(trimmed + path + (query ? `?${query}` : ''));
  }
  return { ...base.options, path: (base.path + path || '/') + (query ? `?${query}` : '') };
}

export interface BackendRequest {
  url: URL | BackendTarget;
  method: string;
  headers: Array<[string, string]>;
  body: Buffer;
  timeoutMs: number;
  tlsVerify: boolean;
  maxBodyBytes: number;
}

export interface BackendResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export class BackendClient {
  #http = new HttpAgent({ keepAlive: true, maxSockets: 256 });
  #https = new HttpsAgent({ keepAlive: true, maxSockets: 256 });
  #httpsNoVerify = new HttpsAgent({ keepAlive: true, maxSockets: 256, rejectUnauthorized: false });

  close(): void {
    this.#http.destroy();
    this.#https.destroy();
    this.#httpsNoVerify.destroy();
  }

  call(input: BackendRequest): Promise<BackendResponse> {
    const secure = input.url.protocol === 'https:';
    const send = secure ? httpsRequest : httpRequest;
    const agent = secure ? (input.tlsVerify ? this.#https : this.#httpsNoVerify) : this.#http;
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of input.headers) {
      const existing = headers[name];
      headers[name] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
    }
    headers['content-length'] = String(input.body.length);
    return new Promise<BackendResponse>((resolve, reject) => {
      let done = false;
      const fail = (error: XRoadError) => {
        if (done) return;
        done = true;
        req.destroy();
        reject(error);
      };
      const timer = setTimeout(() => fail(new XRoadError('server.serverproxy.service_timeout', `the backend did not answer within ${input.timeoutMs / 1000} s`)), input.timeoutMs);
      const options = { method: input.method, headers, agent };
      const onResponse = (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > input.maxBodyBytes) {
            clearTimeout(timer);
            return fail(new XRoadError('server.serverproxy.body_too_large', `the backend's response is larger than ${input.maxBodyBytes} bytes`));
          }
          chunks.push(chunk);
        });
        res.on('end', () => {
          clearTimeout(timer);
          if (done) return;
          done = true;
          resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks, size) });
        });
        res.on('error', (error) => {
          clearTimeout(timer);
          fail(new XRoadError('server.serverproxy.service_failed', `the backend connection failed: ${error.message}`, { cause: error }));
        });
      };
      const req = input.url instanceof URL ? send(input.url, options, onResponse) : send({ ...input.url, ...options }, onResponse);
      req.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        fail(new XRoadError('server.serverproxy.service_failed', `the backend cannot be reached (${error.code ?? error.message})`, { cause: error }));
      });
      req.end(input.body);
    });
  }
}
