// The information-system interface (PR-REST 1.0): takes a member's own request, checks the client
// subsystem and its connection type, signs and logs the message, sends it to a Security Server of
// the provider, verifies and logs the signed response, and answers with X-Road's headers.
import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { formatSecurityServerId, formatServiceId, formatSubsystemId, type GlobalConfSecurityServer } from '@jplink/contracts';
import { parseResponseHeader, verifyEnvelope, writeMessage, type ReadMessageResult, type RequestHeader, type ResponseHeader } from '@jplink/exchange';
import { XRoadError } from '../errors.ts';
import { parsePrRestRequest } from '../rest/parse-request.ts';
import { computeRequestHash, requestHashHeaders } from '../rest/request-hash.ts';
import { renderXRoadError } from '../rest/error-response.ts';
import { filterBackendResponseHeaders, xroadResponseHeaders } from '../rest/response-headers.ts';
import { prRestUrl } from '../rest/pr-rest-url.ts';
import type { ConfView } from '../conf/conf-view.ts';
import type { ProxyContext } from './context.ts';
import { readBody } from './read-body.ts';
import { answerListClients } from './list-clients.ts';
import { derOfBase64 } from '../trust/der-memo.ts';

/** Providers in the order to try: the one named by X-Road-Security-Server only, else every host of the subsystem. */
function candidates(view: ConfView, provider: string, wanted: string | undefined): GlobalConfSecurityServer[] {
  const hosts = view.serversHosting(provider);
  if (wanted === undefined) return hosts;
  return hosts.filter((s) => s.id === wanted);
}

export function createClientProxyHandler(ctx: ProxyContext, options: { secure: boolean }) {
  /** Last provider server that answered, per provider subsystem: tried first next time. */
  const preferred = new Map<string, string>();

  async function exchange(req: IncomingMessage): Promise<{ status: number; headers: Array<[string, string]>; body: Buffer }> {
    const parsed = parsePrRestRequest({ method: req.method ?? 'GET', rawUrl: req.url ?? '/', headers: req.headers });
    const view = ctx.conf.current('client');
    const client = formatSubsystemId(parsed.client);
    const local = ctx.serverConf.client(client);
    if (!local || !view.isClientOf(ctx.serverIdText, client)) throw new XRoadError('client.unknown_client', `${client} is not a registered client of this Security Server`);
    if (local.connectionType !== 'http') {
      if (!options.secure) throw new XRoadError('client.connection_not_allowed', `${client} must connect over HTTPS`);
      if (local.connectionType === 'https-cert') {
        const cert = (req.socket as TLSSocket).getPeerCertificate?.(false);
        const sha = cert?.raw ? createHash('sha256').update(cert.raw).digest('hex') : undefined;
        if (!sha || !local.isCertificates.has(sha)) throw new XRoadError('client.connection_not_allowed', `${client} must present a trusted client certificate`);
      }
    }
    // In progress for the log's commit delay until its record is appended or it ends without one.
    const admission = ctx.log.admit('client');
    try {
      const body = await readBody(req, ctx.limits.maxBodyBytes, 'client.body_too_large');
      const provider = formatSubsystemId(parsed.service);
      const wanted = parsed.securityServer ? formatSecurityServerId(parsed.securityServer) : undefined;
      const servers = candidates(view, provider, wanted);
      if (servers.length === 0) {
        throw new XRoadError('client.unknown_service_provider', wanted ? `${wanted} does not host ${provider}` : `no Security Server hosts ${provider}`);
      }
      const last = preferred.get(provider);
      servers.sort((a, b) => (a.id === last ? -1 : b.id === last ? 1 : 0));

      const messageId = randomUUID();
      const xRoadId = parsed.xRoadId ?? randomUUID();
      const service = formatServiceId(parsed.service);
      const logBody = ctx.limits.logBodies && local.logBodies;
      let lastError: unknown;
      for (const target of servers) {
        const header: Omit<RequestHeader, 'bodyLength'> = {
          protocol: 'jpx/1',
          kind: 'request',
          messageId,
          xRoadId,
          createdAt: ctx.now().toISOString(),
          senderServer: ctx.serverIdText,
          targetServer: target.id,
          client,
          service,
          method: parsed.method,
          path: parsed.path,
          query: parsed.query,
          headers: parsed.forwardHeaders,
          ...(parsed.userId !== undefined ? { userId: parsed.userId } : {}),
          ...(parsed.issue !== undefined ? { issue: parsed.issue } : {}),
          ...(parsed.representedParty !== undefined
            ? { representedParty: parsed.representedParty.memberClass ? `${parsed.representedParty.memberClass}/${parsed.representedParty.memberCode}` : parsed.representedParty.memberCode }
            : {}),
        };
        const written = await writeMessage({
          header,
          body,
          sign: (digest) => ctx.signers.sign(parsed.client.memberClass, parsed.client.memberCode, digest, 'client'),
        });
        let response: ReadMessageResult;
        try {
          response = await ctx.peers.send(view, target, written.frames);
        } catch (error) {
          lastError = error;
          if (error instanceof XRoadError && error.type === 'server.clientproxy.network_error' && servers.length > 1) continue;
          throw error;
        }
        preferred.set(provider, target.id);
        const answer = await verifyResponse(response, { target, messageId, requestDigest: written.digest, provider: parsed.service });
        const expectedHash = computeRequestHash({
          method: parsed.method,
          url: prRestUrl(parsed.service, parsed.path, parsed.query),
          headers: requestHashHeaders(parsed.forwardHeaders, { requestId: messageId, xRoadId }),
          body,
        });
        if (answer.header.requestHash !== expectedHash) throw new XRoadError('server.clientproxy.invalid_response', 'the provider’s request hash does not match the request sent');
        // The client side logs each exchange a provider's server answered (a retry to another server
        // reuses the message id), request and response in one record, before answering.
        await ctx.log.append({
          side: 'client',
          messageId,
          xRoadId,
          client,
          service,
          peerServer: target.id,
          logBodies: logBody,
          request: { header: written.headerBytes, headerSha256: written.headerSha256, body, bodySha256: written.bodySha256, envelope: written.envelope },
          response: { header: response.headerBytes, headerSha256: response.headerSha256, body: response.body, bodySha256: response.bodySha256, envelope: response.signature! },
        }, admission);
        const headers = [
          ...filterBackendResponseHeaders(Object.fromEntries(groupHeaders(answer.header.headers))),
          ...xroadResponseHeaders({ client: parsed.client, service: parsed.service, xRoadId, requestId: messageId, requestHash: answer.header.requestHash }),
        ];
        return { status: answer.header.status, headers, body: response.body };
      }
      throw lastError;
    } finally {
      admission.release();
    }
  }

  async function verifyResponse(
    response: ReadMessageResult,
    expected: { target: GlobalConfSecurityServer; messageId: string; requestDigest: Buffer; provider: { memberClass: string; memberCode: string } },
  ): Promise<{ header: ResponseHeader }> {
    if (response.error) {
      throw new XRoadError('server.clientproxy.invalid_response', `the provider’s Security Server failed mid-response: ${response.error.type}`);
    }
    if (!response.signature) throw new XRoadError('server.clientproxy.invalid_response', 'the response has no signature');
    let header: ResponseHeader;
    try {
      header = parseResponseHeader(response.header);
    } catch (cause) {
      throw new XRoadError('server.clientproxy.invalid_response', 'the response header is invalid', { cause });
    }
    if (header.messageId !== expected.messageId || header.requestDigest !== expected.requestDigest.toString('base64') || header.senderServer !== expected.target.id) {
      throw new XRoadError('server.clientproxy.invalid_response', 'the response does not answer this request');
    }
    if (header.bodyLength !== response.body.length) throw new XRoadError('server.clientproxy.invalid_response', 'the response body length differs from its header');
    let signer;
    try {
      signer = verifyEnvelope({ digest: response.digest, envelope: response.signature }).signer;
    } catch (cause) {
      throw new XRoadError('server.clientproxy.invalid_signature', undefined, { cause });
    }
    await ctx.verifier.verifySignerCertificate('client', signer.der, derOfBase64(response.signature.signerOcsp), expected.provider);
    return { header };
  }

  return async function handleInformationSystem(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (req.method === 'GET' && (req.url === '/listClients' || req.url?.startsWith('/listClients?'))) {
        const answer = answerListClients(ctx.conf.current('client'), req.headers.accept);
        res.writeHead(200, { 'content-type': answer.contentType, 'content-length': String(answer.body.length) });
        res.end(answer.body);
        return;
      }
      const answer = await exchange(req);
      const headers: Record<string, string | string[]> = {};
      for (const [name, value] of answer.headers) {
        const existing = headers[name];
        headers[name] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
      }
      headers['content-length'] = String(answer.body.length);
      res.writeHead(answer.status, headers);
      res.end(answer.body);
    } catch (error) {
      const detail = randomUUID();
      const known = error instanceof XRoadError ? error : new XRoadError('server.clientproxy.internal_error', undefined, { cause: error });
      if (known.type.endsWith('internal_error')) ctx.logger.error({ err: error, detail }, 'request failed');
      else ctx.logger.info({ type: known.type, detail, cause: (known.cause as Error | undefined)?.message }, 'request refused');
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const rendered = renderXRoadError(known, req.headers.accept, detail);
      res.writeHead(rendered.status, { ...rendered.headers, 'content-length': String(Buffer.byteLength(rendered.body)) });
      res.end(rendered.body);
      if (!req.complete) req.resume();
    }
  };
}

function groupHeaders(pairs: Array<[string, string]>): Array<[string, string | string[]]> {
  const map = new Map<string, string | string[]>();
  for (const [name, value] of pairs) {
    const existing = map.get(name);
    map.set(name, existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value]);
  }
  return [...map.entries()];
}
