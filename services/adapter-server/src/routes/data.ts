// The serving port (seed: 8085 HTTP, 8003 HTTPS), called by the member's Security Server:
//   {METHOD} /{subsystemCode}/{service}[/{key}][?query]   — a Data Service
//   PUT /_personal-link/consents/{consentId}              — consent reflection from Personal-Link
// The Security Server has already checked the caller's signature and access right; the X-Road
// headers it passes on (X-Road-Client, X-Road-Id, X-Road-Request-Id, X-Road-UserId) are recorded
// with each call. Only the Security Server should be able to reach this port (docs/operations).
import { z } from 'zod';
import { AppError, type App } from '@jplink/kit';
import { consentId, consentReflection } from '@jplink/contracts';
import { ADAPTER_ERRORS as E } from '../errors.ts';
import { storeConsent } from '../personal/access.ts';
import { clientOf, PARAM_MAX, type DataCall, type DataRouteDeps } from '../serving/data-call.ts';
import type { CallAnswer } from '../operations/execute.ts';

export type { DataRouteDeps } from '../serving/data-call.ts';

const params = z.object({ subsystem: z.string().max(PARAM_MAX.subsystem), service: z.string().max(PARAM_MAX.service), key: z.string().max(PARAM_MAX.key).optional() });

/**
 * `call` answers the data services (serving/data-call.ts); GET and DELETE calls without a body
 * usually reach it through the data port's fast path instead (serving/data-fast-path.ts), which
 * must answer exactly as these routes do.
 */
export function registerDataRoutes(app: App, deps: DataRouteDeps, call: (call: DataCall) => Promise<CallAnswer>) {
  const { catalog } = deps;

  // Bodies of data services are JSON; anything else is refused by the kit (415). Fastify also
  // parses text/plain by default, which would reach the operations as a string: not here.
  app.removeContentTypeParser('text/plain');

  const handler = async (request: { method: string; url: string; params: unknown; headers: Record<string, string | string[] | undefined>; body: unknown }, reply: import('fastify').FastifyReply) => {
    const { subsystem, service, key } = request.params as z.infer<typeof params>;
    const answer = await call({ method: request.method, url: request.url, subsystem, service, key, headers: request.headers, body: request.body });
    reply.code(answer.status).header('x-jplink-truncated', String(answer.truncated));
    if (answer.json === null) return reply.send();
    return reply.type('application/json; charset=utf-8').send(answer.json);
  };

  for (const url of ['/:subsystem/:service', '/:subsystem/:service/:key']) {
    app.route({ method: ['GET', 'POST', 'PATCH', 'DELETE'], url, schema: { hide: true, params }, handler });
  }

  // Only Personal-Link writes consents. Checked before the body is read, so any other caller gets
  // 403 and an audit event whatever it sent (a malformed or oversized body included).
  const onlyPersonalLink = async (request: { headers: Record<string, string | string[] | undefined>; params: unknown }) => {
    const client = clientOf(request.headers['x-road-client']);
    if (!deps.personalLinkClient || client !== deps.personalLinkClient) {
      const target = String((request.params as { consentId?: unknown }).consentId ?? '').slice(0, 128);
      await deps.audit({ actor: client ?? 'anonymous', action: 'consent.refused', target, outcome: 'failure', details: { reason: 'not-personal-link' } });
      throw new AppError(E.ADAPTER_CONSENT_FORBIDDEN);
    }
  };

  app.put(
    '/_personal-link/consents/:consentId',
    {
      onRequest: onlyPersonalLink,
      schema: { summary: 'Consent reflection from Personal-Link (through the Security Servers)', params: z.object({ consentId }), body: consentReflection, response: { 200: z.object({ consentId: z.string(), result: z.enum(['created', 'updated']) }) } },
    },
    async (request) => {
      const client = deps.personalLinkClient!;
      const body = request.body;
      if (!catalog.subsystems().some((s) => s.code === body.subsystemCode)) {
        await deps.audit({ actor: client, action: 'consent.refused', target: request.params.consentId, outcome: 'failure', details: { reason: 'unknown-subsystem', subsystemCode: body.subsystemCode } });
        throw new AppError(E.ADAPTER_SUBSYSTEM_NOT_FOUND);
      }
      let result: 'created' | 'updated';
      try {
        result = await storeConsent(deps.db, request.params.consentId, body);
      } catch (error) {
        if (error instanceof AppError) await deps.audit({ actor: client, action: 'consent.refused', target: request.params.consentId, outcome: 'failure', details: { reason: 'stale-version', version: body.version } });
        throw error;
      }
      await deps.audit({
        actor: client,
        action: 'consent.reflected',
        target: request.params.consentId,
        details: { result, baseId: body.baseId, client: body.client, subsystemCode: body.subsystemCode, dataItems: body.dataItems, purpose: body.purpose, status: body.status, validUntil: body.validUntil, version: body.version },
      });
      return { consentId: request.params.consentId, result };
    },
  );
}
