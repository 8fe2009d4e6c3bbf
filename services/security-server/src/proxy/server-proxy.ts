// The provider side of the exchange (port 5500): verifies the calling Security Server, the signed
// request, replay, the service and the access right; calls the backend; signs and logs the
// response. Refusals before a response exists are HTTP 4xx/5xx with `{type, message, detail}`;
// see docs/protocols/exchange.md.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { formatSubsystemId, parseServiceId, parseSubsystemId } from '@jplink/contracts';
import {
  AUTH_OCSP_HEADER,
  EXCHANGE_CONTENT_TYPE,
  EXCHANGE_PATH,
  ExchangeError,
  parseRequestHeader,
  verifyEnvelope,
  writeMessage,
  type RequestHeader,
  type ResponseHeader,
} from '@jplink/exchange';
import { XRoadError, xroadErrorStatus } from '../errors.ts';
import { parsePrRestTarget } from '../rest/parse-target.ts';
import { computeRequestHash, requestHashHeaders } from '../rest/request-hash.ts';
import { filterBackendResponseHeaders } from '../rest/response-headers.ts';
import { prRestUrl } from '../rest/pr-rest-url.ts';
import type { ProxyContext } from './context.ts';
import { answerMetaservice, isMetaservice } from './metaservices.ts';
import { readExchangeMessage } from './read-body.ts';
import type { LogAdmission } from '../messagelog/writer.ts';
import { backendTarget } from './backend-client.ts';
import { derOfBase64, knownDerOfBase64 } from '../trust/der-memo.ts';

/** The JPX-Auth-OCSP header's DER (decoded once per distinct text), or undefined when absent or not base64. */
function decodeOcsp(value: string | string[] | undefined): Buffer | undefined {
  if (typeof value !== 'string' || value.length > 16_384) return undefined;
  return knownDerOfBase64(value) ?? (/^[A-Za-z0-9+/]+={0,2}$/.test(value) ? derOfBase64(value) : undefined);
}

export function createExchangeHandler(ctx: ProxyContext) {
  /** The peer certificate of each TLS connection, read once (the handshake does not change). */
  const peerCertificates = new WeakMap<TLSSocket, Buffer | undefined>();
  const peerCertificateOf = (socket: TLSSocket) => {
    if (!peerCertificates.has(socket)) peerCertificates.set(socket, socket.getPeerCertificate(false)?.raw);
    return peerCertificates.get(socket);
  };
  return async function handleExchange(req: IncomingMessage, res: ServerResponse): Promise<void> {
    /** Set when a malformed stream is refused before it has fully arrived: no use reading on. */
    let closeAfterRefusal = false;
    let admission: LogAdmission | undefined;
    try {
      if (req.method !== 'POST' || req.url !== EXCHANGE_PATH) throw new XRoadError('server.serverproxy.invalid_message', `only POST ${EXCHANGE_PATH} is served here`);
      const view = ctx.conf.current('server');

      // 1. Who is calling: the TLS client certificate must be a registered auth certificate with fresh OCSP.
      const peerCert = peerCertificateOf(req.socket as TLSSocket);
      if (!peerCert) throw new XRoadError('server.serverproxy.ssl_authentication_failed', 'no TLS client certificate');
      const peer = await ctx.verifier.verifyAuthCertificate('server', peerCert, decodeOcsp(req.headers[AUTH_OCSP_HEADER]));

      // 2. The message itself.
      let message;
      try {
        message = await readExchangeMessage(req, { maxBodyBytes: ctx.limits.maxBodyBytes, expectKind: 'request' });
      } catch (cause) {
        closeAfterRefusal = !req.complete;
        if (cause instanceof ExchangeError && cause.code === 'JPX_BODY_TOO_LARGE') throw new XRoadError('server.serverproxy.body_too_large', undefined, { cause });
        throw new XRoadError('server.serverproxy.invalid_message', 'the message stream is malformed', { cause });
      }
      if (!message.signature) throw new XRoadError('server.serverproxy.invalid_message', 'the message has no signature');
      let header: RequestHeader;
      try {
        header = parseRequestHeader(message.header);
      } catch (cause) {
        throw new XRoadError('server.serverproxy.invalid_message', 'the message header is invalid', { cause });
      }
      if (header.bodyLength !== message.body.length) throw new XRoadError('server.serverproxy.invalid_message', 'the body length differs from the header');

      // 3. Addressed to us, from the server that hosts the client.
      if (header.targetServer !== ctx.serverIdText) throw new XRoadError('server.serverproxy.wrong_target', 'the message is addressed to another Security Server');
      if (header.senderServer !== peer.server.id) throw new XRoadError('server.serverproxy.ssl_authentication_failed', 'the message’s sender is not the Security Server on this connection');
      const service = parseServiceId(header.service);
      const provider = formatSubsystemId(service);
      if (!view.isClientOf(ctx.serverIdText, provider)) throw new XRoadError('server.serverproxy.wrong_target', `${provider} is not hosted on this Security Server`);
      if (!view.isClientOf(header.senderServer, header.client)) {
        throw new XRoadError('server.serverproxy.ssl_authentication_failed', `${header.client} is not a registered client of the sending Security Server`);
      }

      // 4. Fresh and signed by the client member. The id is taken at once (two copies arriving
      // together cannot both pass) and given back when the signature does not hold (a forged
      // message must not use up the genuine one's id).
      ctx.replay.check(header.messageId, header.createdAt);
      const client = parseSubsystemId(header.client);
      try {
        let signer;
        try {
          signer = verifyEnvelope({ digest: message.digest, envelope: message.signature }).signer;
        } catch (cause) {
          throw new XRoadError('server.serverproxy.invalid_signature', undefined, { cause });
        }
        await ctx.verifier.verifySignerCertificate('server', signer.der, derOfBase64(message.signature.signerOcsp), client);
      } catch (error) {
        ctx.replay.forget(header.messageId);
        throw error;
      }

      // The log must be able to take the exchange (timestamping within its tolerance) before the backend is called.
      admission = ctx.log.admit('server');

      // 5. Service and access right.
      const prUrl = prRestUrl(service, header.path, header.query);
      const target = parsePrRestTarget(prUrl);
      const logBody = ctx.limits.logBodies && (ctx.serverConf.client(provider)?.logBodies ?? true);
      const hashHeaders = requestHashHeaders(header.headers, { requestId: header.messageId, xRoadId: header.xRoadId });
      const requestHash = computeRequestHash({ method: header.method, url: prUrl, headers: hashHeaders, body: message.body });

      let answer: { status: number; headers: Array<[string, string]>; body: Buffer };
      if (isMetaservice(service.serviceCode) && !ctx.serverConf.service(provider, service.serviceCode)) {
        answer = answerMetaservice(ctx, { provider, serviceCode: service.serviceCode, client, method: header.method, query: header.query });
      } else {
        const local = ctx.serverConf.service(provider, service.serviceCode);
        if (!local) throw new XRoadError('server.serverproxy.unknown_service', `${header.service} is not a service of ${provider}`);
        const decision = ctx.serverConf.grantsOf(provider)?.decide({ client, service, method: header.method, normalizedPath: target.normalizedPath });
        if (!decision?.allowed) throw new XRoadError('server.serverproxy.access_denied', `${header.client} may not call ${header.method} ${target.normalizedPath} of ${header.service}`);
        const url = backendTarget(local.url, header.path, header.query);
        const backend = await ctx.backend.call({
          url,
          method: header.method,
          headers: hashHeaders,
          body: message.body,
          timeoutMs: local.timeoutSeconds * 1000,
          tlsVerify: local.tlsVerify,
          maxBodyBytes: ctx.limits.maxBodyBytes,
        });
        answer = { status: backend.status, headers: filterBackendResponseHeaders(backend.headers), body: backend.body };
      }
      // 6. Sign, log and send the response: request and response are one log record, committed
      // before the response leaves.
      const responseHeader: Omit<ResponseHeader, 'bodyLength'> = {
        protocol: 'jpx/1',
        kind: 'response',
        messageId: header.messageId,
        requestDigest: message.digest.toString('base64'),
        createdAt: ctx.now().toISOString(),
        senderServer: ctx.serverIdText,
        status: answer.status,
        headers: answer.headers,
        requestHash,
      };
      const written = await writeMessage({
        header: responseHeader,
        body: answer.body,
        sign: (digest) => ctx.signers.sign(service.memberClass, service.memberCode, digest, 'server'),
      });
      await ctx.log.append({
        side: 'server',
        messageId: header.messageId,
        xRoadId: header.xRoadId,
        client: header.client,
        service: header.service,
        peerServer: header.senderServer,
        logBodies: logBody,
        request: { header: message.headerBytes, headerSha256: message.headerSha256, body: message.body, bodySha256: message.bodySha256, envelope: message.signature },
        response: { header: written.headerBytes, headerSha256: written.headerSha256, body: answer.body, bodySha256: written.bodySha256, envelope: written.envelope },
      }, admission);
      const payload = Buffer.concat(written.frames);
      res.writeHead(200, { 'content-type': EXCHANGE_CONTENT_TYPE, 'content-length': String(payload.length) });
      res.end(payload);
    } catch (error) {
      const detail = randomUUID();
      const known = error instanceof XRoadError ? error : new XRoadError('server.serverproxy.internal_error', undefined, { cause: error });
      if (known.type === 'server.serverproxy.internal_error') ctx.logger.error({ err: error, detail }, 'exchange failed');
      else ctx.logger.info({ type: known.type, detail, cause: (known.cause as Error | undefined)?.message }, 'exchange refused');
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const body = JSON.stringify({ type: known.type, message: known.message, detail });
      res.writeHead(xroadErrorStatus(known.type), { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(body)), 'x-road-error': known.type, ...(closeAfterRefusal ? { connection: 'close' } : {}) });
      res.end(body);
      if (!req.complete) req.resume();
    } finally {
      admission?.release();
    }
  };
}
