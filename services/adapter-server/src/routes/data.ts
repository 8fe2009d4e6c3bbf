// The serving port (seed: 8085 HTTP, 8003 HTTPS), called by the member's Security Server:
//   {METHOD} /{subsystemCode}/{service}[/{key}][?query]   — a Data Service
//   PUT /_personal-link/consents/{consentId}              — consent reflection from Personal-Link
// The Security Server has already checked the caller's signature and access right; the X-Road
// headers it passes on (X-Road-Client, X-Road-Id, X-Road-Request-Id, X-Road-UserId) are recorded
// with each call. Only the Security Server should be able to reach this port (docs/operations).
import { z } from 'zod';
import { AppError, type App } from '@jplink/kit';
import { consentId, consentReflection, parseSubsystemId, formatSubsystemId } from '@jplink/contracts';
import type { Catalog } from '../catalog.ts';
import type { CallLog } from '../call-log.ts';
import type { AdapterDb } from '../db/schema.ts';
import type { AdapterAuditor } from '../audit.ts';
import { ADAPTER_ERRORS as E } from '../errors.ts';
import { executeCall } from '../operations/execute.ts';
import { decidePersonalAccess, storeConsent } from '../personal/access.ts';

export interface DataRouteDeps {
  catalog: Catalog;
  calls: CallLog;
  db: AdapterDb;
  audit: AdapterAuditor;
  now: () => Date;
  /** Personal-Link's subsystem (X-Road id text), the only accepted author of consents. */
  personalLinkClient: string | undefined;
}

const headerText = (value: string | string[] | undefined, max = 256): string | undefined => (typeof value === 'string' && value.length > 0 && value.length <= max ? value : undefined);

/** The X-Road-Client header in canonical form, or undefined. */
function clientOf(value: string | string[] | undefined): string | undefined {
  const text = headerText(value, 1100);
  if (!text) return undefined;
  try {
    return formatSubsystemId(parseSubsystemId(text));
  } catch {
    return undefined;
  }
}

const params = z.object({ subsystem: z.string().max(255), service: z.string().max(63), key: z.string().max(1000).optional() });

export function registerDataRoutes(app: App, deps: DataRouteDeps) {
  const { catalog, calls } = deps;

  // Bodies of data services are JSON; anything else is refused by the kit (415). Fastify also
  // parses text/plain by default, which would reach the operations as a string: not here.
  app.removeContentTypeParser('text/plain');

  const handler = async (request: { method: string; url: string; params: unknown; headers: Record<string, string | string[] | undefined>; body: unknown }, reply: import('fastify').FastifyReply) => {
    const started = performance.now();
    const { subsystem, service, key } = request.params as z.infer<typeof params>;
    const client = clientOf(request.headers['x-road-client']);
    let status = 500;
    let errorCode: string | null = null;
    let rows: number | null = null;
    try {
      const plan = catalog.plan(subsystem, service);
      if (!plan || !plan.def.enabled || plan.hasKey !== (key !== undefined)) throw new AppError(E.ADAPTER_SERVICE_NOT_FOUND);
      if (plan.method !== request.method) throw new AppError(E.ADAPTER_SERVICE_NOT_FOUND, { message: `This data service answers ${plan.method} only.` });
      if (!client) throw new AppError(E.ADAPTER_CLIENT_MISSING);
      const q = request.url.indexOf('?');
      const query = new URLSearchParams(q === -1 ? '' : request.url.slice(q + 1));
      const personal = plan.def.personal
        ? await decidePersonalAccess(deps, {
            plan,
            client,
            baseId: headerText(request.headers['x-jplink-base-id']),
            purpose: headerText(request.headers['x-jplink-purpose']),
            xRoadId: headerText(request.headers['x-road-id']),
          })
        : undefined;
      const answer = await executeCall(plan, catalog.target(plan.def.connection), { key, query, body: request.body, ...(personal ? { personal } : {}) });
      status = answer.status;
      rows = answer.rows;
      reply.code(answer.status).header('x-jplink-truncated', String(answer.truncated));
      if (answer.json === null) return reply.send();
      return reply.type('application/json; charset=utf-8').send(answer.json);
    } catch (error) {
      status = error instanceof AppError ? error.statusCode : 500;
      errorCode = error instanceof AppError ? error.code : 'KIT_INTERNAL';
      throw error;
    } finally {
      calls.record({
        at: deps.now(),
        subsystem_code: subsystem.slice(0, 255),
        service: service.slice(0, 63),
        method: request.method,
        x_road_client: client ?? null,
        x_road_id: headerText(request.headers['x-road-id']) ?? null,
        x_road_request_id: headerText(request.headers['x-road-request-id']) ?? null,
        x_road_user_id: headerText(request.headers['x-road-userid']) ?? null,
        status,
        error_code: errorCode,
        rows,
        duration_ms: performance.now() - started,
      });
    }
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
