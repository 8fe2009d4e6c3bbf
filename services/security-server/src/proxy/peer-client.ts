// The client side of the exchange: keep-alive mutual-TLS connections to other Security Servers.
// A new connection is verified once, right after its handshake (the peer's auth certificate must
// be the one registered for the target server, chain to an approved CA and have a fresh, good
// OCSP response); a reused connection is re-checked against the (cached) verification per request.
import { Agent, request, type RequestOptions } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { AUTH_OCSP_HEADER, EXCHANGE_CONTENT_TYPE, EXCHANGE_PATH, type ReadMessageResult } from '@jplink/exchange';
import type { GlobalConfSecurityServer } from '@jplink/contracts';
import { derToPem, certificateHash } from '@jplink/pki';
import type { Logger } from '@jplink/kit';
import { XRoadError, XROAD_ERRORS, type XRoadErrorType } from '../errors.ts';
import type { PeerVerifier } from '../trust/peer-verifier.ts';
import type { ConfView } from '../conf/conf-view.ts';
import type { StoredKey } from '../keys/key-store.ts';
import { readExchangeMessage } from './read-body.ts';

export interface PeerClientOptions {
  authKey: () => StoredKey;
  authOcsp: () => Buffer | undefined;
  verifier: PeerVerifier;
  connectTimeoutMs: number;
  exchangeTimeoutMs: number;
  maxBodyBytes: number;
  logger: Logger;
}

export class PeerClient {
  #options: PeerClientOptions;
  #agent: Agent | undefined;
  #agentFor: string | undefined;
  #verified = new WeakMap<TLSSocket, string>();
  /** The JPX-Auth-OCSP value of the last OCSP response sent (it changes about hourly). */
  #ocspHeader: { der: Buffer; text: string } | undefined;

  constructor(options: PeerClientOptions) {
    this.#options = options;
  }

  #agentNow(): Agent {
    const key = this.#options.authKey();
    const sha = key.certificate!.parsed.sha256;
    if (!this.#agent || this.#agentFor !== sha) {
      this.#agent?.destroy();
      this.#agent = new Agent({
        keepAlive: true,
        maxSockets: 256,
        key: key.privateKey.export({ type: 'pkcs8', format: 'pem' }),
        cert: derToPem(key.certificate!.der, 'CERTIFICATE'),
        rejectUnauthorized: false, // verified against the global configuration below, per connection
        minVersion: 'TLSv1.2',
        // No session resumption: a resumed TLS session shows no peer certificate, and every new
        // connection must prove the peer's identity again. Connections are long-lived anyway.
        maxCachedSessions: 0,
      });
      this.#agentFor = sha;
    }
    return this.#agent;
  }

  close(): void {
    this.#agent?.destroy();
  }

  async #verifySocket(socket: TLSSocket, target: GlobalConfSecurityServer): Promise<void> {
    if (this.#verified.get(socket) === target.id) return;
    const peer = socket.getPeerCertificate(false);
    if (!peer?.raw) throw new XRoadError('server.clientproxy.ssl_authentication_failed', 'the provider’s Security Server presented no certificate');
    const sha = certificateHash(peer.raw, 'sha256');
    if (!target.authCertHashes.includes(sha)) {
      throw new XRoadError('server.clientproxy.ssl_authentication_failed', `the server at this address is not ${target.id}`);
    }
    const ocsp = await this.#options.verifier.fetchPeerOcsp(target, sha);
    const verified = await this.#options.verifier.verifyAuthCertificate('client', peer.raw, ocsp);
    if (verified.server.id !== target.id) throw new XRoadError('server.clientproxy.ssl_authentication_failed', `the server at this address is not ${target.id}`);
    this.#verified.set(socket, target.id);
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
    const length = frames.reduce((n, f) => n + f.length, 0);
    const options: RequestOptions = {
      host: address.host,
      port: address.port,
      method: 'POST',
      path: EXCHANGE_PATH,
      agent: this.#agentNow(),
      headers: { 'content-type': EXCHANGE_CONTENT_TYPE, 'content-length': String(length), [AUTH_OCSP_HEADER]: this.#ocspText(ocsp) },
      timeout: this.#options.connectTimeoutMs,
    };
    return new Promise<ReadMessageResult>((resolve, reject) => {
      let settled = false;
      const fail = (error: unknown) => {
        if (settled) return;
        settled = true;
        req.destroy();
        reject(error);
      };
      const req = request(options, (res) => {
        req.setTimeout(0);
        this.#readResponse(res).then(
          (result) => {
            settled = true;
            resolve(result);
          },
          fail,
        );
      });
      const overall = setTimeout(() => fail(new XRoadError('server.clientproxy.timeout', `no answer from ${target.id} within ${this.#options.exchangeTimeoutMs / 1000} s`)), this.#options.exchangeTimeoutMs);
      overall.unref();
      req.once('close', () => clearTimeout(overall));
      req.on('timeout', () => fail(new XRoadError('server.clientproxy.network_error', `cannot connect to ${target.id} (${address.host}:${address.port}): timeout`)));
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (error instanceof XRoadError) return fail(error);
        fail(new XRoadError('server.clientproxy.network_error', `cannot reach ${target.id} (${address.host}:${address.port}): ${error.code ?? error.message}`, { cause: error }));
      });
      req.on('socket', (raw) => {
        const socket = raw as TLSSocket;
        const go = () =>
          this.#verifySocket(socket, target).then(() => {
            req.end(frames.length === 1 ? frames[0] : Buffer.concat(frames));
          }, fail);
        // A new connection is verified once its handshake is done (the peer certificate is known
        // only then); a reused one at once (cached).
        if (this.#verified.has(socket) || socket.getPeerCertificate?.(false)?.raw) go();
        else socket.once('secureConnect', go);
      });
    });
  }

  async #readResponse(res: IncomingMessage): Promise<ReadMessageResult> {
    if (res.statusCode !== 200) {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > 64 * 1024) break;
        chunks.push(chunk);
      }
      let parsed: { type?: unknown; message?: unknown } = {};
      try {
        parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        // not a JSON error
      }
      const type = typeof parsed.type === 'string' && parsed.type in XROAD_ERRORS ? (parsed.type as XRoadErrorType) : undefined;
      if (type) throw new XRoadError(type, typeof parsed.message === 'string' ? parsed.message.slice(0, 500) : undefined);
      throw new XRoadError('server.clientproxy.invalid_response', `the provider’s Security Server answered HTTP ${res.statusCode}`);
    }
    try {
      return await readExchangeMessage(res, { maxBodyBytes: this.#options.maxBodyBytes, expectKind: 'response' });
    } catch (cause) {
      const code = (cause as { code?: string }).code;
      if (code === 'JPX_BODY_TOO_LARGE') throw new XRoadError('server.clientproxy.invalid_response', 'the response body is larger than this Security Server accepts', { cause });
      throw new XRoadError('server.clientproxy.invalid_response', 'the response from the provider’s Security Server is malformed', { cause });
    }
  }
}
