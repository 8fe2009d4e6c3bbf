// Port 5577: serves the cached OCSP responses of this Security Server's own certificates, so that a
// client-side Security Server can check our auth certificate before it sends a message to us.
//   GET /ocsp?cert=<sha256 hex of the DER certificate>  → 200 application/ocsp-response | 404
// Anything else is 404 (unknown path) or 405 (other method). Plain HTTP: the response is signed.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@jplink/kit';
import { OCSP_RESPONSE_TYPE } from './ocsp-http.ts';

export interface OcspResponseSource {
  responseFor(certSha256: string): Buffer | undefined;
}

export interface OcspServerOptions {
  manager: OcspResponseSource;
  host: string;
  port: number;
  logger: Logger;
}

export interface OcspServer {
  port: number;
  close(): Promise<void>;
}

const MAX_URL_LENGTH = 256;
const SHA256_HEX = /^[0-9a-fA-F]{64}$/;

function send(res: ServerResponse, status: number, headers: Record<string, string> = {}, body?: Buffer): void {
  res.writeHead(status, {
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...(body ? {} : { 'content-type': 'text/plain; charset=utf-8' }),
    ...headers,
    'content-length': String(body ? body.length : 0),
  });
  res.end(body);
}

export function handleOcspRequest(manager: OcspResponseSource, req: IncomingMessage, res: ServerResponse): void {
  const rawUrl = req.url ?? '/';
  if (rawUrl.length > MAX_URL_LENGTH) return send(res, 414);
  let url: URL;
  try {
    url = new URL(rawUrl, 'http://localhost');
  } catch {
    return send(res, 400);
  }
  if (url.pathname !== '/ocsp') return send(res, 404);
  if (req.method !== 'GET') return send(res, 405, { allow: 'GET' });
  // A GET has no body; refuse one rather than read it.
  if (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') return send(res, 400, { connection: 'close' });
  if (req.headers['transfer-encoding'] !== undefined) return send(res, 400, { connection: 'close' });
  const certs = url.searchParams.getAll('cert');
  const cert = certs[0];
  if (certs.length !== 1 || cert === undefined || !SHA256_HEX.test(cert)) return send(res, 400);
  const response = manager.responseFor(cert.toLowerCase());
  if (!response) return send(res, 404);
  send(res, 200, { 'content-type': OCSP_RESPONSE_TYPE }, response);
}

export function createOcspServer(options: OcspServerOptions): Promise<OcspServer> {
  const { manager, logger } = options;
  const server = createServer(
    { maxHeaderSize: 8 * 1024, requestTimeout: 10_000, headersTimeout: 5_000, keepAliveTimeout: 5_000 },
    (req, res) => {
      try {
        handleOcspRequest(manager, req, res);
      } catch (error) {
        logger.error({ err: error }, 'OCSP server failed to answer');
        if (!res.headersSent) send(res, 500);
        else res.destroy();
      }
    },
  );
  server.maxRequestsPerSocket = 100;
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      server.on('error', (error) => logger.error({ err: error }, 'OCSP server error'));
      const { port } = server.address() as AddressInfo;
      logger.info({ host: options.host, port }, 'OCSP responses of own certificates served');
      resolve({
        port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
