// The admin API (Bearer API key; OpenAPI at /openapi.json): the RP registry, signing and cookie
// keys, audit events. Operators only; residents never reach it (it listens on loopback by default).
import { z } from 'zod';
import { requireApiKey, type App } from '@jplink/kit';
import { listAuditEvents } from '@jplink/db';
import type { PlDb } from '../db/schema.ts';
import type { PlAuditor } from '../audit.ts';
import { clientRegistration, clientView, type RpRegistry } from '../oidc/clients.ts';
import type { KeyManager } from '../oidc/keys.ts';
import type { OpenIdProvider } from '../oidc/provider.ts';

const security = [{ bearerAuth: [] }];
const ACTOR = 'admin:api-key';

const clientIdParams = z.object({ clientId: z.string().regex(/^[A-Za-z0-9._-]{3,64}$/) });
const registered = z.object({ client: clientView, clientSecret: z.string().optional() });
const keyView = z.object({ kid: z.string(), alg: z.string(), state: z.string(), createdAt: z.string(), activatedAt: z.string().nullable(), retiredAt: z.string().nullable() });
const auditView = z.object({ id: z.string(), at: z.string(), actor: z.string(), action: z.string(), target: z.string().nullable(), outcome: z.string(), details: z.record(z.string(), z.unknown()) });

export function registerAdminApi(app: App, deps: { db: PlDb; registry: RpRegistry; keys: KeyManager; op: OpenIdProvider; audit: PlAuditor; apiKeySha256: string }) {
  const { registry, keys, op } = deps;

  requireApiKey(app, {
    apiKeySha256: deps.apiKeySha256,
    onFailure: (request) => deps.audit({ actor: 'anonymous', action: 'admin.authentication-failed', outcome: 'failure', details: { ip: request.ip } }),
  });

  // ---------------------------------------------------------------------------- RP registry
  app.get('/api/v1/clients', { schema: { security, response: { 200: z.array(clientView) } } }, async () => registry.list());
  app.post('/api/v1/clients', { schema: { security, body: clientRegistration, response: { 201: registered } } }, async (request, reply) => {
    return reply.code(201).send(await registry.register(request.body, ACTOR));
  });
  app.get('/api/v1/clients/:clientId', { schema: { security, params: clientIdParams, response: { 200: clientView } } }, async (request) => registry.get(request.params.clientId));
  app.put('/api/v1/clients/:clientId', { schema: { security, params: clientIdParams, body: clientRegistration.omit({ clientId: true }), response: { 200: clientView } } }, async (request) =>
    registry.update(request.params.clientId, request.body, ACTOR),
  );
  app.delete('/api/v1/clients/:clientId', { schema: { security, params: clientIdParams } }, async (request, reply) => {
    await registry.remove(request.params.clientId, ACTOR);
    return reply.code(204).send();
  });
  app.post('/api/v1/clients/:clientId/secret', { schema: { security, params: clientIdParams, response: { 200: registered } } }, async (request) => registry.rotateSecret(request.params.clientId, ACTOR));

  // ---------------------------------------------------------------------------------- keys
  app.get('/api/v1/signing-keys', { schema: { security, response: { 200: z.array(keyView) } } }, async () => keys.list());
  app.post('/api/v1/signing-keys/rotate', { schema: { security, body: z.object({ alg: z.enum(['ES256', 'RS256']) }).optional(), response: { 200: z.object({ kid: z.string() }) } } }, async (request) => {
    const kid = await keys.rotate(request.body?.alg ?? 'ES256', ACTOR);
    await op.reloadIfChanged();
    return { kid };
  });
  app.post('/api/v1/signing-keys/:kid/retire', { schema: { security, params: z.object({ kid: z.string().min(1).max(100) }) } }, async (request, reply) => {
    await keys.retire(request.params.kid, ACTOR);
    await op.reloadIfChanged();
    return reply.code(204).send();
  });
  app.post('/api/v1/cookie-keys/rotate', { schema: { security } }, async (_request, reply) => {
    await keys.rotateCookieKey(ACTOR);
    await op.reloadIfChanged();
    return reply.code(204).send();
  });

  // ---------------------------------------------------------------------------- audit events
  app.get('/api/v1/audit-events', { schema: { security, querystring: z.object({ action: z.string().max(100).optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) }), response: { 200: z.array(auditView) } } }, async (request) =>
    (await listAuditEvents(deps.db, { ...(request.query.action ? { action: request.query.action } : {}), limit: request.query.limit })).map((e) => ({
      id: String(e.id),
      at: new Date(e.at).toISOString(),
      actor: e.actor,
      action: e.action,
      target: e.target,
      outcome: e.outcome,
      details: e.details,
    })),
  );
}
