// Admin API (loopback by default; Authorization: Bearer <api key>). Read routes need any role;
// changes need operator-admin. Every change is an audit event.
import {
  auditEventView,
  auditQuery,
  certificateIssueBody,
  certificateQuery,
  certificateView,
  globalConfStatusView,
  idParams,
  managementRequestQuery,
  managementRequestView,
  memberBody,
  memberClassBody,
  memberClassView,
  memberParams,
  memberView,
  parseMemberId,
  rejectBody,
  revokeBody,
  securityServerView,
  serialParams,
  subsystemBody,
} from '@jplink/contracts';
import { AppError, type App } from '@jplink/kit';
import { z } from 'zod';
import { isUniqueViolation, listAuditEvents } from '@jplink/db';
import { CENTER_ERRORS } from '../errors.ts';
import type { CenterDb } from '../db/database.ts';
import type { Auditor } from '../audit/events.ts';
import { authenticate, requireRole, type AdminPrincipal } from '../admin/api-keys.ts';
import type { Management } from '../registration/management.ts';
import type { GlobalConfPublisher } from '../globalconf/publisher.ts';
import type { CertificateStatusStore } from '../ocsp/status-store.ts';
import * as members from '../db/members.ts';
import * as servers from '../db/servers.ts';
import * as certificates from '../db/certificates.ts';
import * as requests from '../db/requests.ts';
import { toCertificateView, toRequestView } from './views.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: AdminPrincipal;
  }
}

export interface AdminRouteDeps {
  db: CenterDb;
  audit: Auditor;
  instance: string;
  management: Management;
  publisher: GlobalConfPublisher;
  statuses: CertificateStatusStore;
  downloadUrl: string;
}

const iso = (d: Date | string) => new Date(d).toISOString();
const security = [{ bearerAuth: [] }];

export function registerAdminRoutes(app: App, deps: AdminRouteDeps) {
  const { db, audit, instance } = deps;

  // preValidation: after the per-route rate limit (onRequest), before any body is validated.
  app.addHook('preValidation', async (request) => {
    if (!request.url.startsWith('/api/')) return;
    request.principal = await authenticate(db, audit, request);
    if (request.method !== 'GET' && request.method !== 'HEAD') requireRole(request.principal, 'operator-admin');
  });
  const actor = (request: { principal?: AdminPrincipal }) => request.principal!.actor;
  const ownInstance = (id: { instance: string }) => {
    if (id.instance !== instance) throw new AppError(CENTER_ERRORS.CENTER_INSTANCE_MISMATCH);
  };

  // ------------------------------------------------------------ member classes
  app.get('/api/v1/member-classes', { schema: { tags: ['members'], security, response: { 200: z.array(memberClassView) } } }, async () =>
    members.listMemberClasses(db),
  );
  app.post(
    '/api/v1/member-classes',
    { schema: { tags: ['members'], security, body: memberClassBody, response: { 201: memberClassView } } },
    async (request, reply) => {
      try {
        await db.transaction().execute(async (tx) => {
          await members.insertMemberClass(tx, request.body);
          await audit({ actor: actor(request), action: 'member-class.created', target: request.body.code }, tx);
        });
      } catch (cause) {
        if (isUniqueViolation(cause)) throw new AppError(CENTER_ERRORS.CENTER_MEMBER_CLASS_EXISTS, { cause });
        throw cause;
      }
      await deps.publisher.publish(actor(request));
      return reply.code(201).send(request.body);
    },
  );

  // ------------------------------------------------------------ members and subsystems
  const memberViews = async () => {
    const [rows, subsystems] = await Promise.all([members.listMembers(db), members.listSubsystems(db)]);
    return rows.map((m) => ({
      id: `${instance}/${m.member_class}/${m.member_code}`,
      memberClass: m.member_class,
      memberCode: m.member_code,
      name: m.name,
      createdAt: iso(m.created_at),
      subsystems: subsystems
        .filter((s) => s.member_class === m.member_class && s.member_code === m.member_code)
        .map((s) => ({ subsystemCode: s.subsystem_code, id: `${instance}/${m.member_class}/${m.member_code}/${s.subsystem_code}`, createdAt: iso(s.created_at) })),
    }));
  };
  app.get('/api/v1/members', { schema: { tags: ['members'], security, response: { 200: z.array(memberView) } } }, async () => memberViews());
  app.get(
    '/api/v1/members/:memberClass/:memberCode',
    { schema: { tags: ['members'], security, params: memberParams, response: { 200: memberView } } },
    async (request) => {
      const found = (await memberViews()).find((m) => m.memberClass === request.params.memberClass && m.memberCode === request.params.memberCode);
      if (!found) throw new AppError(CENTER_ERRORS.CENTER_MEMBER_UNKNOWN);
      return found;
    },
  );
  app.post(
    '/api/v1/members',
    { schema: { tags: ['members'], security, body: memberBody, response: { 201: memberView } } },
    async (request, reply) => {
      const body = request.body;
      if (!(await members.memberClassExists(db, body.memberClass))) throw new AppError(CENTER_ERRORS.CENTER_MEMBER_CLASS_UNKNOWN);
      try {
        await db.transaction().execute(async (tx) => {
          await members.insertMember(tx, body);
          await audit({ actor: actor(request), action: 'member.created', target: `${instance}/${body.memberClass}/${body.memberCode}`, details: { name: body.name } }, tx);
        });
      } catch (cause) {
        if (isUniqueViolation(cause)) throw new AppError(CENTER_ERRORS.CENTER_MEMBER_EXISTS, { cause });
        throw cause;
      }
      await deps.publisher.publish(actor(request));
      const view = (await memberViews()).find((m) => m.memberClass === body.memberClass && m.memberCode === body.memberCode)!;
      return reply.code(201).send(view);
    },
  );
  app.post(
    '/api/v1/members/:memberClass/:memberCode/subsystems',
    { schema: { tags: ['members'], security, params: memberParams, body: subsystemBody, response: { 201: memberView } } },
    async (request, reply) => {
      const { memberClass, memberCode } = request.params;
      if (!(await members.findMember(db, memberClass, memberCode))) throw new AppError(CENTER_ERRORS.CENTER_MEMBER_UNKNOWN);
      const target = `${instance}/${memberClass}/${memberCode}/${request.body.subsystemCode}`;
      try {
        await db.transaction().execute(async (tx) => {
          await members.insertSubsystem(tx, { memberClass, memberCode, subsystemCode: request.body.subsystemCode });
          await audit({ actor: actor(request), action: 'subsystem.created', target }, tx);
        });
      } catch (cause) {
        if (isUniqueViolation(cause)) throw new AppError(CENTER_ERRORS.CENTER_SUBSYSTEM_EXISTS, { cause });
        throw cause;
      }
      await deps.publisher.publish(actor(request));
      return reply.code(201).send((await memberViews()).find((m) => m.memberClass === memberClass && m.memberCode === memberCode)!);
    },
  );

  // ------------------------------------------------------------ security servers
  app.get('/api/v1/security-servers', { schema: { tags: ['security servers'], security, response: { 200: z.array(securityServerView) } } }, async () => {
    const conf = deps.publisher.current?.conf;
    const rows = await servers.listSecurityServers(db);
    return rows.map((s) => {
      const id = `${instance}/${s.member_class}/${s.member_code}/${s.server_code}`;
      const published = conf?.securityServers.find((p) => p.id === id);
      return {
        id,
        owner: `${instance}/${s.member_class}/${s.member_code}`,
        serverCode: s.server_code,
        address: s.address,
        port: s.port,
        ocspPort: s.ocsp_port,
        authCertHashes: published?.authCertHashes ?? [],
        clients: published?.clients ?? [],
        createdAt: iso(s.created_at),
      };
    });
  });

  // ------------------------------------------------------------ management requests
  app.get(
    '/api/v1/management-requests',
    { schema: { tags: ['management requests'], security, querystring: managementRequestQuery, response: { 200: z.array(managementRequestView) } } },
    async (request) => (await requests.listRequests(db, request.query)).map(toRequestView),
  );
  app.get(
    '/api/v1/management-requests/:id',
    { schema: { tags: ['management requests'], security, params: idParams, response: { 200: managementRequestView } } },
    async (request) => {
      const row = await requests.findRequest(db, request.params.id);
      if (!row) throw new AppError(CENTER_ERRORS.CENTER_REQUEST_UNKNOWN);
      return toRequestView(row);
    },
  );
  app.post(
    '/api/v1/management-requests/:id/approve',
    { schema: { tags: ['management requests'], security, params: idParams, response: { 200: managementRequestView } } },
    async (request) => {
      await deps.management.decide(request.params.id, actor(request), { approve: true });
      return toRequestView((await requests.findRequest(db, request.params.id))!);
    },
  );
  app.post(
    '/api/v1/management-requests/:id/reject',
    { schema: { tags: ['management requests'], security, params: idParams, body: rejectBody, response: { 200: managementRequestView } } },
    async (request) => {
      await deps.management.decide(request.params.id, actor(request), { approve: false, reason: request.body.reason });
      return toRequestView((await requests.findRequest(db, request.params.id))!);
    },
  );

  // ------------------------------------------------------------ certificates
  app.get(
    '/api/v1/certificates',
    { schema: { tags: ['certificates'], security, querystring: certificateQuery, response: { 200: z.array(certificateView) } } },
    async (request) => {
      const member = request.query.member ? parseMemberId(request.query.member) : undefined;
      const rows = await certificates.listCertificates(db, {
        ...(member ? { memberClass: member.memberClass, memberCode: member.memberCode } : {}),
        ...(request.query.status ? { status: request.query.status } : {}),
        limit: request.query.limit,
      });
      return rows.map((row) => toCertificateView(row, instance));
    },
  );
  app.post(
    '/api/v1/certificates',
    {
      schema: {
        tags: ['certificates'],
        summary: 'Issue a certificate from a CSR (the operator’s call is the approval)',
        security,
        body: certificateIssueBody,
        response: { 201: certificateView },
      },
    },
    async (request, reply) => {
      const member = parseMemberId(request.body.member);
      ownInstance(member);
      const { id } = await deps.management.submitCertificateApplication(request.body, actor(request), false);
      const row = await requests.findRequest(db, id);
      if (row?.status === 'pending') await deps.management.decide(id, actor(request), { approve: true });
      const result = (await requests.findRequest(db, id))!.result as { serialNumber: string };
      const cert = await certificates.findCertificateBySerial(db, result.serialNumber);
      return reply.code(201).send(toCertificateView(cert!, instance));
    },
  );
  app.get(
    '/api/v1/certificates/:serialNumber',
    { schema: { tags: ['certificates'], security, params: serialParams, response: { 200: certificateView } } },
    async (request) => {
      const row = await certificates.findCertificateBySerial(db, request.params.serialNumber.toLowerCase().replace(/^0+(?=.)/, ''));
      if (!row) throw new AppError(CENTER_ERRORS.CENTER_CERTIFICATE_UNKNOWN);
      return toCertificateView(row, instance);
    },
  );
  app.post(
    '/api/v1/certificates/:serialNumber/revoke',
    { schema: { tags: ['certificates'], security, params: serialParams, body: revokeBody, response: { 200: certificateView } } },
    async (request) => {
      const serial = request.params.serialNumber.toLowerCase().replace(/^0+(?=.)/, '');
      const row = await certificates.findCertificateBySerial(db, serial);
      if (!row) throw new AppError(CENTER_ERRORS.CENTER_CERTIFICATE_UNKNOWN);
      const revokedAt = request.body.revokedAt ? new Date(request.body.revokedAt) : new Date();
      const revoked = await db.transaction().execute(async (tx) => {
        const done = await certificates.markRevoked(tx, serial, revokedAt, request.body.reason);
        if (done) {
          await audit({ actor: actor(request), action: 'certificate.revoked', target: serial, details: { reason: request.body.reason, revokedAt: revokedAt.toISOString() } }, tx);
        }
        return done;
      });
      if (!revoked) throw new AppError(CENTER_ERRORS.CENTER_CERTIFICATE_REVOKED);
      deps.statuses.set(serial, { type: 'revoked', revokedAt, reason: request.body.reason });
      // A revoked auth certificate leaves the global configuration.
      if (row.profile === 'auth') await deps.publisher.publish(actor(request));
      return toCertificateView((await certificates.findCertificateBySerial(db, serial))!, instance);
    },
  );

  // ------------------------------------------------------------ global configuration, audit
  app.get(
    '/api/v1/global-configuration',
    { schema: { tags: ['global configuration'], security, response: { 200: globalConfStatusView } } },
    async () => {
      const published = deps.publisher.current;
      if (!published) throw new AppError(CENTER_ERRORS.CENTER_GLOBAL_CONF_UNAVAILABLE);
      return {
        instance,
        version: published.version,
        generatedAt: published.generatedAt.toISOString(),
        expiresAt: published.expiresAt.toISOString(),
        members: published.conf.members.length,
        securityServers: published.conf.securityServers.length,
        documentSha256: published.documentSha256,
        downloadUrl: deps.downloadUrl,
      };
    },
  );
  app.get(
    '/api/v1/audit-events',
    { schema: { tags: ['audit'], security, querystring: auditQuery, response: { 200: z.array(auditEventView) } } },
    async (request) =>
      (await listAuditEvents(db, request.query)).map((e) => ({
        id: String(e.id),
        at: iso(e.at),
        actor: e.actor,
        action: e.action,
        target: e.target,
        outcome: e.outcome,
        details: e.details as Record<string, unknown>,
      })),
  );
}
