// The admin API (Bearer API key; OpenAPI at /openapi.json): connections, tables and columns, Sub
// System Codes, Data Services, preview, the generated OpenAPI, publishing to the Security Server,
// the ID conversion table, consents, the call log and audit events.
import { z } from 'zod';
import { AppError, KIT_ERRORS, requireApiKey, type App } from '@jplink/kit';
import { listAuditEvents } from '@jplink/db';
import {
  adapterName,
  baseId,
  connectionBody,
  connectionTestResult,
  connectionView,
  consentView,
  idConversionBody,
  idConversionView,
  previewBody,
  publishBody,
  publishResult,
  dataServiceBody,
  serviceCode,
  dataServiceView,
  adapterSubsystemBody,
  adapterSubsystemView,
  tableDetail,
  tableSummary,
} from '@jplink/contracts';
import type { AdapterServerCore } from '../core.ts';

const security = [{ bearerAuth: [] }];
const ACTOR = 'admin:api-key';
const iso = (d: Date | string) => new Date(d).toISOString();

export function registerAdminApi(app: App, core: AdapterServerCore, apiKeySha256: string) {
  const { catalog, audit } = core;

  requireApiKey(app, {
    apiKeySha256: apiKeySha256,
    onFailure: (request) => audit({ actor: 'anonymous', action: 'admin.authentication-failed', outcome: 'failure', details: { ip: request.ip } }),
  });

  const connectionParams = z.object({ name: adapterName });
  const subsystemParams = z.object({ code: serviceCode });
  const serviceParams = z.object({ code: serviceCode, name: adapterName });

  // ------------------------------------------------------------------------------ connections
  app.get('/api/v1/connections', { schema: { security, response: { 200: z.array(connectionView) } } }, async () => catalog.connections().map(core.connectionView));
  app.post('/api/v1/connections', { schema: { security, body: connectionBody, response: { 201: connectionView } } }, async (request, reply) => {
    const row = await core.saveConnection(request.body, 'create', ACTOR);
    return reply.code(201).send(core.connectionView(row));
  });
  app.get('/api/v1/connections/:name', { schema: { security, params: connectionParams, response: { 200: connectionView } } }, async (request) => core.connectionView(catalog.connection(request.params.name)));
  app.put('/api/v1/connections/:name', { schema: { security, params: connectionParams, body: connectionBody.omit({ name: true }), response: { 200: connectionView } } }, async (request) =>
    core.connectionView(await core.saveConnection({ ...request.body, name: request.params.name }, 'update', ACTOR)),
  );
  app.delete('/api/v1/connections/:name', { schema: { security, params: connectionParams } }, async (request, reply) => {
    await core.deleteConnection(request.params.name, ACTOR);
    return reply.code(204).send();
  });
  app.post('/api/v1/connections/:name/test', { schema: { security, params: connectionParams, response: { 200: connectionTestResult } } }, async (request) => core.testConnection(catalog.target(request.params.name)));
  app.post('/api/v1/connection-tests', { schema: { security, body: connectionBody, response: { 200: connectionTestResult } } }, async (request) => core.testDraftConnection(request.body));
  app.get('/api/v1/connections/:name/tables', { schema: { security, params: connectionParams, response: { 200: z.array(tableSummary) } } }, async (request) => core.tables(request.params.name));
  app.get(
    '/api/v1/connections/:name/tables/:schema/:table',
    { schema: { security, params: connectionParams.extend({ schema: z.string().min(1).max(63), table: z.string().min(1).max(63) }), response: { 200: tableDetail } } },
    async (request) => core.table(request.params.name, request.params.schema, request.params.table),
  );

  // ------------------------------------------------------------------------------- subsystems
  const subsystemOut = (s: { code: string; title: string; description: string; services: number; createdAt: Date }) => ({ ...s, createdAt: iso(s.createdAt) });
  app.get('/api/v1/subsystems', { schema: { security, response: { 200: z.array(adapterSubsystemView) } } }, async () => catalog.subsystems().map(subsystemOut));
  app.post('/api/v1/subsystems', { schema: { security, body: adapterSubsystemBody, response: { 201: adapterSubsystemView } } }, async (request, reply) => {
    const saved = await core.saveSubsystem(request.body, 'create', ACTOR);
    return reply.code(201).send(subsystemOut(saved));
  });
  app.get('/api/v1/subsystems/:code', { schema: { security, params: subsystemParams, response: { 200: adapterSubsystemView } } }, async (request) => subsystemOut(catalog.subsystem(request.params.code)));
  app.put('/api/v1/subsystems/:code', { schema: { security, params: subsystemParams, body: adapterSubsystemBody.omit({ code: true }), response: { 200: adapterSubsystemView } } }, async (request) => {
    const saved = await core.saveSubsystem({ ...request.body, code: request.params.code }, 'update', ACTOR);
    return subsystemOut(saved);
  });
  app.delete('/api/v1/subsystems/:code', { schema: { security, params: subsystemParams } }, async (request, reply) => {
    await core.deleteSubsystem(request.params.code, ACTOR);
    return reply.code(204).send();
  });
  app.get('/api/v1/subsystems/:code/openapi.json', { schema: { security, params: subsystemParams } }, async (request) => core.openapi(request.params.code));
  app.post('/api/v1/subsystems/:code/publish', { schema: { security, params: subsystemParams, body: publishBody, response: { 200: publishResult } } }, async (request) =>
    core.publish(request.params.code, request.body, ACTOR),
  );

  // ---------------------------------------------------------------------------- data services
  app.get('/api/v1/subsystems/:code/services', { schema: { security, params: subsystemParams, response: { 200: z.array(dataServiceView) } } }, async (request) => {
    catalog.subsystem(request.params.code);
    return catalog.plans(request.params.code).map(core.serviceView);
  });
  app.post('/api/v1/subsystems/:code/services', { schema: { security, params: subsystemParams, body: dataServiceBody, response: { 201: dataServiceView } } }, async (request, reply) => {
    const plan = await core.saveService(request.params.code, request.body, 'create', ACTOR);
    return reply.code(201).send(core.serviceView(plan));
  });
  app.get('/api/v1/subsystems/:code/services/:name', { schema: { security, params: serviceParams, response: { 200: dataServiceView } } }, async (request) => core.serviceView(catalog.service(request.params.code, request.params.name)));
  app.put('/api/v1/subsystems/:code/services/:name', { schema: { security, params: serviceParams, body: dataServiceBody, response: { 200: dataServiceView } } }, async (request) => {
    if (request.body.name !== request.params.name) throw new AppError(KIT_ERRORS.KIT_BAD_REQUEST, { message: 'The name in the body differs from the path.' });
    return core.serviceView(await core.saveService(request.params.code, request.body, 'update', ACTOR));
  });
  app.delete('/api/v1/subsystems/:code/services/:name', { schema: { security, params: serviceParams } }, async (request, reply) => {
    await core.deleteService(request.params.code, request.params.name, ACTOR);
    return reply.code(204).send();
  });
  app.post('/api/v1/subsystems/:code/services/:name/preview', { schema: { security, params: serviceParams, body: previewBody } }, async (request) =>
    core.preview(request.params.code, request.params.name, request.body),
  );

  // -------------------------------------------------------------------- Personal-Link (own part)
  const baseParams = z.object({ baseId });
  app.get('/api/v1/id-conversions/:baseId', { schema: { security, params: baseParams, response: { 200: idConversionView } } }, async (request) => core.idConversion(request.params.baseId));
  app.put('/api/v1/id-conversions/:baseId', { schema: { security, params: baseParams, body: idConversionBody, response: { 200: idConversionView } } }, async (request) =>
    core.saveIdConversion(request.params.baseId, request.body.localUserId, ACTOR),
  );
  app.delete('/api/v1/id-conversions/:baseId', { schema: { security, params: baseParams } }, async (request, reply) => {
    await core.deleteIdConversion(request.params.baseId, ACTOR);
    return reply.code(204).send();
  });
  app.get('/api/v1/consents', { schema: { security, querystring: z.object({ baseId: baseId.optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) }), response: { 200: z.array(consentView) } } }, async (request) =>
    core.consents(request.query),
  );

  // ---------------------------------------------------------------------------- call log, audit
  app.get(
    '/api/v1/calls',
    {
      schema: {
        security,
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }),
        response: {
          200: z.array(
            z.object({ at: z.string(), subsystemCode: z.string(), service: z.string(), method: z.string(), xRoadClient: z.string().nullable(), xRoadId: z.string().nullable(), xRoadRequestId: z.string().nullable(), xRoadUserId: z.string().nullable(), status: z.int(), errorCode: z.string().nullable(), rows: z.int().nullable(), durationMs: z.number() }),
          ),
        },
      },
    },
    async (request) => core.recentCalls(request.query.limit),
  );
  app.get('/api/v1/audit-events', { schema: { security, querystring: z.object({ action: z.string().max(100).optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) }) } }, async (request) =>
    (await listAuditEvents(core.db, { limit: request.query.limit, ...(request.query.action ? { action: request.query.action } : {}) })).map((e) => ({ ...e, at: iso(e.at) })),
  );
}
