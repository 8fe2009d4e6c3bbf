// The client side of the exchange: keep-alive mutual-TLS connections to other Security Servers.
// A new connection is verified once, right after its handshake and before any request goes over it
// (the peer's auth certificate must be the one registered for the target server, chain to an
// approved CA and have a fresh, good OCSP response); connections are pooled per target server and
// address, so a reused connection is one verified for that very server. The HTTP/1.1 client is
// undici's pool with our own TLS connector (a third of node:http's per-request CPU; see
// docs/performance.md); the wire is unchanged (docs/protocols/exchange.md).
import { isIP, isIPv6 } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { Pool, type Dispatcher, type buildConnector } from './undici.ts';
import { AUTH_OCSP_HEADER, EXCHANGE_CONTENT_TYPE, EXCHANGE_PATH, MessageParser, type ReadMessageResult } from '@jplink/exchange';
import type { GlobalConfSecurityServer } from '@jplink/contracts';
import { derToPem, certificateHash } from '@jplink/pki';
import type { Logger } from '@jplink/kit';
import { XRoadError, XROAD_ERRORS, type XRoadErrorType } from '../errors.ts';
import type { PeerVerifier } from '../trust/peer-verifier.ts';
import type { ConfView } from '../conf/conf-view.ts';
import type { StoredKey } from '../keys/key-store.ts';

export interface PeerClientOptions {
  authKey: () => StoredKey;
  authOcsp: () => Buffer | undefined;
  verifier: PeerVerifier;
  connectTimeoutMs: number;
  exchangeTimeoutMs: number;
  maxBodyBytes: number;
  logger: Logger;
}

/** Error bodies of a refusing provider are read up to this size. */
const MAX_ERROR_BODY = 64 * 1024;

export class PeerClient {
  #options: PeerClientOptions;
  /** TLS client credentials of the current auth certificate, and the pools that use them. */
  #credentials: { sha: string; key: string; cert: string } | undefined;
  #pools = new Map<string, Pool>();
  /** The JPX-Auth-OCSP value of the last OCSP response sent (it changes about hourly). */
  #ocspHeader: { der: Buffer; text: string } | undefined;

  constructor(options: PeerClientOptions) {
    this.#options = options;
  }

  #credentialsNow() {
    const key = this.#options.authKey();
    const sha = key.certificate!.parsed.sha256;
    if (this.#credentials?.sha !== sha) {
      // A new auth certificate: connections made with the old one finish their requests and close.
      for (const pool of this.#pools.values()) void pool.close().catch(() => undefined);
      this.#pools.clear();
      this.#credentials = { sha, key: key.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, cert: derToPem(key.certificate!.der, 'CERTIFICATE') };
    }
    return this.#credentials;
  }

  #poolFor(target: GlobalConfSecurityServer, address: { host: string; port: number }): Pool {
    const credentials = this.#credentialsNow();
    const id = `${target.id} ${address.host} ${address.port}`;
    let pool = this.#pools.get(id);
    if (!pool) {
      const connect: buildConnector.connector = (_options, callback) => this.#connect(target, address, credentials, callback);
      pool = new Pool(`https://${isIPv6(address.host) ? `[${address.host}]` : address.host}:${address.port}`, { connections: 256, pipelining: 1, connect });
      this.#pools.set(id, pool);
    }
    return pool;
  }

  /** Opens a mutual-TLS connection and hands it over only once the peer is verified as `target`. */
  #connect(target: GlobalConfSecurityServer, address: { host: string; port: number }, credentials: { key: string; cert: string }, callback: buildConnector.Callback): void {
    let settled = false;
    const done = (error: Error | null) => {
      if (settled) return;
      settled = true;
      socket.setTimeout(0);
      if (error) {
        socket.destroy();
        callback(error, null);
      } else callback(null, socket);
    };
    const socket = tlsConnect({
      host: address.host,
      port: address.port,
      ...(isIP(address.host) ? {} : { servername: address.host }),
      key: credentials.key,
      cert: credentials.cert,
      rejectUnauthorized: false, // verified against the global configuration below, per connection
      minVersion: 'TLSv1.2',
      // No session resumption (no `session` given): a resumed TLS session shows no peer
      // certificate, and every new connection must prove the peer's identity again.
    });
    socket.setNoDelay(true);
    socket.setTimeout(this.#options.connectTimeoutMs, () =>
      done(new XRoadError('server.clientproxy.network_error', `cannot connect to ${target.id} (${address.host}:${address.port}): timeout`)),
    );
    socket.once('error', (error: NodeJS.ErrnoException) =>
      done(new XRoadError('server.clientproxy.network_error', `cannot reach ${target.id} (${address.host}:${address.port}): ${error.code ?? error.message}`, { cause: error })),
    );
    socket.once('secureConnect', () => {
      this.#verifyPeer(socket, target).then(() => done(null), (error: unknown) => done(error instanceof Error ? error : new Error(String(error))));
    });
  }

  close(): void {
    for (const pool of this.#pools.values()) void pool.destroy().catch(() => undefined);
    this.#pools.clear();
  }

  async #verifyPeer(socket: TLSSocket, target: GlobalConfSecurityServer): Promise<void> {
    const peer = socket.getPeerCertificate(false);
    if (!peer?.raw) throw new XRoadError('server.clientproxy.ssl_authentication_failed', 'the provider’s Security Server presented no certificate');
    const sha = certificateHash(peer.raw, 'sha256');
    if (!target.authCertHashes.includes(sha)) {
      throw new XRoadError('server.clientproxy.ssl_authentication_failed', `the server at this address is not ${target.id}`);
    }
    const ocsp = await this.#options.verifier.fetchPeerOcsp(target, sha);
    const verified = await this.#options.verifier.verifyAuthCertificate('client', peer.raw, ocsp);
    if (verified.server.id !== target.id) throw new XRoadError('server.clientproxy.ssl_authentication_failed', `the server at this address is not ${target.id}`);
  }

  #ocspText(der: Buffer): string {
    if (this.#ocspHeader?.der !== der) this.#ocspHeader = { der, text: der.toString('base64') };
    return this.#ocspHeader.text;
  }

  /** Sends one message's frames to `target` and reads the response message. */
  send(view: ConfView, target: GlobalConfSecurityServer, frames: Buffer[]): Promise<ReadMessageResult> {
    const address = view.exchangeAddress(target);
    const ocsp = this.#options.authOcsp();
    if (!ocsp) return Promise.reject(new XRoadError('server.clientproxy.cert_validation', 'no fresh OCSP response for this Security Server’s auth certificate'));
    const body = frames.length === 1 ? frames[0]! : Buffer.concat(frames);
    const pool = this.#poolFor(target, address);
    const maxBodyBytes = this.#options.maxBodyBytes;
    return new Promise<ReadMessageResult>((resolve, reject) => {
      let settled = false;
      let controller: Dispatcher.DispatchController | undefined;
      let status = 0;
      let parser: MessageParser | undefined;
      const errorChunks: Buffer[] = [];
      let errorSize = 0;
      const fail = (error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(overall);
        if (controller && !controller.aborted) controller.abort(error instanceof Error ? error : new Error(String(error)));
        reject(error);
      };
      const malformed = (cause: unknown) => {
        const code = (cause as { code?: string }).code;
        if (code === 'JPX_BODY_TOO_LARGE') return new XRoadError('server.clientproxy.invalid_response', 'the response body is larger than this Security Server accepts', { cause });
        return new XRoadError('server.clientproxy.invalid_response', 'the response from the provider’s Security Server is malformed', { cause });
      };
      const overall = setTimeout(() => fail(new XRoadError('server.clientproxy.timeout', `no answer from ${target.id} within ${this.#options.exchangeTimeoutMs / 1000} s`)), this.#options.exchangeTimeoutMs);
      overall.unref();
      const handler: Dispatcher.DispatchHandler = {
        onRequestStart(c) {
          controller = c;
          if (settled) c.abort(new Error('the exchange was given up'));
        },
        onResponseStart(_c, statusCode) {
          status = statusCode;
          if (status === 200) parser = new MessageParser({ maxBodyBytes, expectKind: 'response' });
        },
        onResponseData(_c, chunk) {
          if (settled) return;
          if (parser) {
            try {
              parser.push(chunk);
            } catch (cause) {
              fail(malformed(cause));
            }
            return;
          }
          errorSize += chunk.length;
          if (errorSize <= MAX_ERROR_BODY) errorChunks.push(chunk);
        },
        onResponseEnd() {
          if (settled) return;
          // The response is complete: settled without aborting anything.
          settled = true;
          clearTimeout(overall);
          if (!parser) return reject(refusalOf(status, Buffer.concat(errorChunks)));
          try {
            resolve(parser.end());
          } catch (cause) {
            reject(malformed(cause));
          }
        },
        onResponseError(_c, error: Error & { code?: string }) {
          if (settled) return;
          if (error instanceof XRoadError) return fail(error);
          if (status !== 0) return fail(malformed(error));
          fail(new XRoadError('server.clientproxy.network_error', `cannot reach ${target.id} (${address.host}:${address.port}): ${error.code ?? error.message}`, { cause: error }));
        },
      };
      try {
        pool.dispatch(
          {
            path: EXCHANGE_PATH,
            method: 'POST',
            headers: ['content-type', EXCHANGE_CONTENT_TYPE, 'content-length', String(body.length), AUTH_OCSP_HEADER, this.#ocspText(ocsp)],
            body,
            // The overall timer above bounds the exchange; undici's own must not cut it shorter.
            headersTimeout: this.#options.exchangeTimeoutMs + 1000,
            bodyTimeout: this.#options.exchangeTimeoutMs + 1000,
          },
          handler,
        );
      } catch (error) {
        fail(new XRoadError('server.clientproxy.network_error', `cannot send to ${target.id}: ${(error as Error).message}`, { cause: error }));
      }
    });
  }
}

/** The refusal a provider's Security Server answered with (its `{type, message}` when it is one of ours). */
function refusalOf(status: number, body: Buffer): XRoadError {
  let parsed: { type?: unknown; message?: unknown } = {};
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    // not a JSON error
  }
  const type = typeof parsed?.type === 'string' && parsed.type in XROAD_ERRORS ? (parsed.type as XRoadErrorType) : undefined;
  if (type) return new XRoadError(type, typeof parsed.message === 'string' ? parsed.message.slice(0, 500) : undefined);
  return new XRoadError('server.clientproxy.invalid_response', `the provider’s Security Server answered HTTP ${status}`);
}
