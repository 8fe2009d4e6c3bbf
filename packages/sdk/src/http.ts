// One HTTP exchange over node:http/https with a keep-alive agent, a per-attempt timeout and a
// response size limit. Network failures become NetworkError. Nothing is logged.
import http from 'node:http';
import https from 'node:https';
import { NetworkError } from './errors.ts';

export interface TlsOptions {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

export interface Transport {
  send(input: { url: URL; method: string; headers: Record<string, string>; body: Buffer | undefined; timeoutMs: number; signal: AbortSignal | undefined }): Promise<RawResponse>;
  close(): void;
}

export function createTransport(options: { tls?: TlsOptions | undefined; maxResponseBytes: number }): Transport {
  const httpAgent = new http.Agent({ keepAlive: true });
  const httpsAgent = new https.Agent({ keepAlive: true, ...(options.tls ?? {}) });
  return {
    send({ url, method, headers, body, timeoutMs, signal }) {
      return new Promise<RawResponse>((resolve, reject) => {
        if (signal?.aborted) return reject(new NetworkError('The request was aborted.', 'aborted'));
        const isHttps = url.protocol === 'https:';
        const req = (isHttps ? https : http).request(url, {
          method,
          headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) },
          agent: isHttps ? httpsAgent : httpAgent,
        });
        let settled = false;
        const fail = (error: NetworkError) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          req.destroy();
          reject(error);
        };
        const timer = setTimeout(() => fail(new NetworkError(`No answer within ${timeoutMs} ms.`, 'timeout')), timeoutMs);
        const onAbort = () => fail(new NetworkError('The request was aborted.', 'aborted'));
        signal?.addEventListener('abort', onAbort, { once: true });
        req.on('error', (error: NodeJS.ErrnoException) => {
          const reason = error.code === 'ECONNREFUSED' || error.code === 'ENOTFOUND' || error.code === 'EHOSTUNREACH' ? 'connect' : error.code === 'ECONNRESET' || error.code === 'EPIPE' ? 'reset' : 'other';
          fail(new NetworkError(`The request failed (${error.code ?? 'error'}).`, reason, { cause: error }));
        });
        req.on('response', (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > options.maxResponseBytes) {
              fail(new NetworkError(`The response is larger than ${options.maxResponseBytes} bytes.`, 'too-large'));
              return;
            }
            chunks.push(chunk);
          });
          res.on('error', (error) => fail(new NetworkError('The response was cut off.', 'reset', { cause: error })));
          res.on('end', () => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            signal?.removeEventListener('abort', onAbort);
            const out: Record<string, string | string[]> = {};
            for (const [name, value] of Object.entries(res.headers)) if (value !== undefined) out[name] = value;
            resolve({ status: res.statusCode ?? 0, headers: out, body: Buffer.concat(chunks) });
          });
        });
        req.end(body);
      });
    },
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

/** Waits ms, or rejects at once when the signal aborts. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new NetworkError('The request was aborted.', 'aborted'));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new NetworkError('The request was aborted.', 'aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export const header = (headers: Record<string, string | string[]>, name: string): string | undefined => {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
};
