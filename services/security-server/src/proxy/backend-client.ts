// Calls a provider's backend service (the service URL registered on this Security Server), with
// keep-alive connections per origin, the service's timeout and TLS verification setting, and a
// limit on the response size.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { XRoadError } from '../errors.ts';

export interface BackendRequest {
  url: URL;
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
      const req = send(input.url, { method: input.method, headers, agent }, (res: IncomingMessage) => {
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
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        fail(new XRoadError('server.serverproxy.service_failed', `the backend cannot be reached (${error.code ?? error.message})`, { cause: error }));
      });
      req.end(input.body);
    });
  }
}
