// The local configuration API (loopback; Authorization: Bearer <key from the data dir>): clients,
// services, local groups and access rights — enough for tests, devnet and scripted setups.
// Identifiers in paths use ':' as separator (JP-TEST:COM:123:shop), as X-Road's UI does.
import {
  accessRightBody,
  accessRightView,
  formatSubsystemId,
  localGroupBody,
  serviceCode,
  ssClientBody,
  ssClientView,
  ssServiceBody,
  ssServiceView,
  ssStatusView,
  subsystemIdString,
} from '@jplink/contracts';
import { AppError, requireApiKey, type App } from '@jplink/kit';
import { parseCertificate, pemToDer, derToPem } from '@jplink/pki';
import { z } from 'zod';
import type { SecurityServerDb } from '../db/database.ts';
import * as q from '../db/server-conf.ts';
import type { ServerConf } from '../serverconf/server-conf.ts';
import { endpointsFromOpenApi } from '../serverconf/openapi-endpoints.ts';
import type { SsAuditor } from '../audit.ts';
import { SS_ADMIN_ERRORS } from '../errors.ts';
import { isUniqueViolation } from '@jplink/db';

export interface AdminRouteDeps {
  db: SecurityServerDb;
  serverConf: ServerConf;
  audit: SsAuditor;
  apiKeySha256: string;
  serverId: string;
  defaultTimeoutSeconds: number;
  isRegistered: (subsystem: string) => boolean;
  status: () => z.infer<typeof ssStatusView>;
  /** Sends the registration request for a local client to the Center and waits for it. */
  register: (subsystem: string) => Promise<void>;
}

const security = [{ bearerAuth: [] }];
const clientParams = z.object({ subsystem: subsystemIdString });
const serviceParams = z.object({ subsystem: subsystemIdString, serviceCode });
const ACTOR = 'admin:api-key';

export function registerSsAdminRoutes(app: App, deps: AdminRouteDeps) {
  const { db, serverConf, audit } = deps;

  requireApiKey(app, {
    apiKeySha256: deps.apiKeySha256,
    onFailure: (request) => audit({ actor: 'anonymous', action: 'admin.authentication-failed', outcome: 'failure', details: { ip: request.ip } }),
  });

  const clientView = (subsystem: string) => {
    const c = serverConf.client(subsystem)!;
    return {
      subsystem,
      connectionType: c.connectionType,
      logBodies: c.logBodies,
      timestampImmediately: c.timestampImmediately,
      status: c.status,
      registered: deps.isRegistered(subsystem),
      informationSystemCertificates: [...c.isCertificates.values()].map((der) => derToPem(der, 'CERTIFICATE')),
    };
  };

  app.get('/api/v1/status', { schema: { security, response: { 200: ssStatusView } } }, async () => deps.status());

  app.get('/api/v1/clients', { schema: { security, response: { 200: z.array(ssClientView) } } }, async () =>
    [...serverConf.snapshot.clients.keys()].map(clientView),
  );

  app.post('/api/v1/clients', { schema: { security, body: ssClientBody, response: { 200: ssClientView } } }, async (request) => {
    const body = request.body;
    const [instance] = body.subsystem.split('/');
    if (instance !== deps.serverId.split('/')[0]) throw new AppError(SS_ADMIN_ERRORS.SS_INSTANCE_MISMATCH);
    await q.upsertClient(db, { subsystem: body.subsystem, connectionType: body.connectionType, logBodies: body.logBodies, timestampImmediately: body.timestampImmediately });
    for (const pem of body.informationSystemCertificates) {
      const der = Buffer.from(pemToDer(pem));
      await q.addClientIsCertificate(db, { subsystem: body.subsystem, sha256: parseCertificate(der).sha256, certificate: der });
    }
    await audit({ actor: ACTOR, action: 'client.saved', target: body.subsystem, details: { connectionType: body.connectionType, logBodies: body.logBodies, timestampImmediately: body.timestampImmediately } });
    await serverConf.reload();
    return clientView(body.subsystem);
  });

  app.post('/api/v1/clients/:subsystem/register', { schema: { security, params: clientParams, response: { 200: ssClientView } } }, async (request) => {
    const subsystem = formatSubsystemId(request.params.subsystem);
    requireClient(subsystem);
    await deps.register(subsystem);
    await q.setClientStatus(db, subsystem, 'registered');
    await serverConf.reload();
    return clientView(subsystem);
  });

  const requireClient = (subsystem: string) => {
    if (!serverConf.client(subsystem)) throw new AppError(SS_ADMIN_ERRORS.SS_CLIENT_UNKNOWN);
  };

  const serviceView = (subsystem: string, code: string) => {
    const s = serverConf.service(subsystem, code)!;
    return { subsystem, serviceCode: code, url: s.url, timeoutSeconds: s.timeoutSeconds, tlsVerify: s.tlsVerify, hasOpenApi: s.openapi !== null, endpoints: s.endpoints };
  };

  app.get('/api/v1/clients/:subsystem/services', { schema: { security, params: clientParams, response: { 200: z.array(ssServiceView) } } }, async (request) => {
    const subsystem = formatSubsystemId(request.params.subsystem);
    requireClient(subsystem);
    return serverConf.servicesOf(subsystem).map((s) => serviceView(subsystem, s.serviceCode));
  });

  app.post('/api/v1/clients/:subsystem/services', { schema: { security, params: clientParams, body: ssServiceBody, response: { 200: ssServiceView } } }, async (request) => {
    const subsystem = formatSubsystemId(request.params.subsystem);
    requireClient(subsystem);
    const body = request.body;
    const endpoints = body.openapi ? endpointsFromOpenApi(body.openapi) : (body.endpoints ?? []);
    await q.upsertService(db, {
      subsystem,
      serviceCode: body.serviceCode,
      url: body.url,
      timeoutSeconds: body.timeoutSeconds ?? deps.defaultTimeoutSeconds,
      tlsVerify: body.tlsVerify,
      openapi: body.openapi ?? null,
      endpoints,
    });
    await audit({ actor: ACTOR, action: 'service.saved', target: `${subsystem}/${body.serviceCode}`, details: { url: body.url, endpoints: endpoints.length } });
    await serverConf.reload();
    return serviceView(subsystem, body.serviceCode);
  });

  app.delete('/api/v1/clients/:subsystem/services/:serviceCode', { schema: { security, params: serviceParams } }, async (request, reply) => {
    const subsystem = formatSubsystemId(request.params.subsystem);
    if (!(await q.deleteService(db, subsystem, request.params.serviceCode))) throw new AppError(SS_ADMIN_ERRORS.SS_SERVICE_UNKNOWN);
    await audit({ actor: ACTOR, action: 'service.deleted', target: `${subsystem}/${request.params.serviceCode}` });
    await serverConf.reload();
    return reply.code(204).send();
  });

  const rightsOf = (subsystem: string, code: string) =>
    serverConf.snapshot.rawGrants
      .filter((g) => g.subsystem === subsystem && g.serviceCode === code)
      .map(({ grant }) => ({
        subsystem,
        serviceCode: code,
        subject: grant.subject.kind === 'subsystem' ? { kind: 'subsystem' as const, id: formatSubsystemId(grant.subject.id) } : { kind: 'local-group' as const, code: grant.subject.code },
        endpoint: grant.endpoint ?? null,
      }));

  app.get('/api/v1/clients/:subsystem/services/:serviceCode/access-rights', { schema: { security, params: serviceParams, response: { 200: z.array(accessRightView) } } }, async (request) => {
    const subsystem = formatSubsystemId(request.params.subsystem);
    return rightsOf(subsystem, request.params.serviceCode);
  });

  for (const action of ['grant', 'revoke'] as const) {
    app.post(
      `/api/v1/clients/:subsystem/services/:serviceCode/access-rights/${action}`,
      { schema: { security, params: serviceParams, body: accessRightBody, response: { 200: z.array(accessRightView) } } },
      async (request) => {
        const subsystem = formatSubsystemId(request.params.subsystem);
        const code = request.params.serviceCode;
        if (!serverConf.service(subsystem, code)) throw new AppError(SS_ADMIN_ERRORS.SS_SERVICE_UNKNOWN);
        const subject = request.body.subject;
        const row: q.AccessRightRow = {
          subsystem,
          serviceCode: code,
          endpoint: request.body.endpoint ?? null,
          subjectKind: subject.kind,
          subject: subject.kind === 'subsystem' ? subject.id : subject.code,
        };
        if (action === 'grant') {
          await q.insertAccessRight(db, row).catch((error: unknown) => {
            if (!isUniqueViolation(error)) throw error; // already granted: idempotent
          });
        } else if (!(await q.deleteAccessRight(db, row))) {
          throw new AppError(SS_ADMIN_ERRORS.SS_ACCESS_RIGHT_UNKNOWN);
        }
        await audit({ actor: ACTOR, action: action === 'grant' ? 'access-right.granted' : 'access-right.revoked', target: `${subsystem}/${code}`, details: { subject, endpoint: row.endpoint } });
        await serverConf.reload();
        return rightsOf(subsystem, code);
      },
    );
  }

  app.put('/api/v1/local-groups/:code', { schema: { security, params: z.object({ code: localGroupBody.shape.code }), body: localGroupBody.omit({ code: true }) } }, async (request, reply) => {
    await q.upsertLocalGroup(db, { code: request.params.code, description: request.body.description, members: request.body.members });
    await audit({ actor: ACTOR, action: 'local-group.saved', target: request.params.code, details: { members: request.body.members.length } });
    await serverConf.reload();
    return reply.code(204).send();
  });
}
