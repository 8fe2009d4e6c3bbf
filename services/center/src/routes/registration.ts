// Registration service routes (port 4001, TLS; client certificates requested and checked per route).
import { timingSafeEqual } from 'node:crypto';
import {
  certificateApplicationBody,
  certificateApplicationCreated,
  certificateApplicationResult,
  idParams,
  managementRequestBody,
  managementRequestView,
  parseSecurityServerId,
  formatSecurityServerId,
} from '@jplink/contracts';
import { AppError, type App } from '@jplink/kit';
import { derToPem, pemToDer, verify } from '@jplink/pki';
import { z } from 'zod';
import { CENTER_ERRORS } from '../errors.ts';
import type { CaKeys } from '../ca/authority.ts';
import type { CenterDb } from '../db/database.ts';
import { findRequest } from '../db/requests.ts';
import { findAuthCertRegistration } from '../db/servers.ts';
import type { CertificateStatusStore } from '../ocsp/status-store.ts';
import { authCertRegProofText, type Management } from '../registration/management.ts';
import { requireClientCertificate } from '../registration/client-certificate.ts';
import { toRequestView } from './views.ts';

export interface RegistrationRouteDeps {
  db: CenterDb;
  ca: CaKeys;
  statuses: CertificateStatusStore;
  management: Management;
}

export function registerRegistrationRoutes(app: App, deps: RegistrationRouteDeps) {
  const chainPem = () => [derToPem(deps.ca.issuing.certificate, 'CERTIFICATE')];

  app.post(
    '/v1/certificate-applications',
    {
      schema: {
        summary: 'Submit a certificate application (CSR) for a member auth or sign key',
        body: certificateApplicationBody,
        response: { 202: certificateApplicationCreated },
      },
    },
    async (request, reply) => {
      const { id, pollToken } = await deps.management.submitCertificateApplication(request.body, 'anonymous:registration', true);
      const row = await findRequest(deps.db, id);
      return reply.code(202).send({ id, status: row!.status, pollToken: pollToken! });
    },
  );

  app.get(
    '/v1/certificate-applications/:id',
    {
      schema: {
        summary: 'Fetch the state of a certificate application (Authorization: Bearer <pollToken>)',
        params: idParams,
        headers: z.object({ authorization: z.string().max(200).optional() }),
        response: { 200: certificateApplicationResult },
      },
    },
    async (request) => {
      const row = await findRequest(deps.db, request.params.id);
      const token = request.headers.authorization?.replace(/^Bearer\s+/i, '');
      if (!row || row.type !== 'certificateIssue' || !deps.management.pollTokenMatches(row.poll_token_sha256, token)) {
        // Same answer for unknown ids and wrong tokens: ids are not an oracle.
        throw new AppError(CENTER_ERRORS.CENTER_POLL_TOKEN_INVALID);
      }
      const result = (row.result ?? {}) as { certificate?: string };
      return {
        id: row.id,
        status: row.status,
        ...(result.certificate ? { certificate: result.certificate } : {}),
        chain: chainPem(),
        ...(row.rejection_reason ? { rejectionReason: row.rejection_reason } : {}),
      };
    },
  );

  app.post(
    '/v1/management-requests',
    {
      schema: {
        summary: 'Submit a management request (mutual TLS with the Security Server auth certificate)',
        body: managementRequestBody,
        response: { 202: managementRequestView },
      },
    },
    async (request, reply) => {
      const caller = await requireClientCertificate(request, deps.ca, deps.statuses);
      const body = request.body;
      const server = parseSecurityServerId(body.server);
      const callerServer = formatSecurityServerId({ instance: caller.member.instance, memberClass: caller.member.memberClass, memberCode: caller.member.memberCode, serverCode: caller.member.serverCode! });
      if (callerServer !== formatSecurityServerId(server)) throw new AppError(CENTER_ERRORS.CENTER_CERTIFICATE_MEMBER_MISMATCH);

      if (body.type === 'authCertReg') {
        // The TLS handshake proved possession of the key of the client certificate; the request must
        // register that same certificate, and carry an explicit signature for the record.
        const offered = Buffer.from(pemToDer(body.authCertificate));
        if (offered.length !== caller.der.length || !timingSafeEqual(offered, caller.der)) {
          throw new AppError(CENTER_ERRORS.CENTER_TLS_CLIENT_CERT_MISMATCH);
        }
        const proof = Buffer.from(body.proofOfPossession, 'base64');
        if (!verify(authCertRegProofText(body.server, body.address, caller.parsed.sha256), proof, caller.parsed.publicKey)) {
          throw new AppError(CENTER_ERRORS.CENTER_PROOF_OF_POSSESSION_FAILED);
        }
      } else {
        // Other requests come from an already registered server, authenticated by a registered auth certificate.
        const registration = await findAuthCertRegistration(deps.db, caller.parsed.sha256);
        if (!registration) throw new AppError(CENTER_ERRORS.CENTER_TLS_CLIENT_CERT_MISMATCH, { message: 'The TLS client certificate is not a registered authentication certificate.' });
      }
      const { id } = await deps.management.submitManagementRequest(body, callerServer);
      return reply.code(202).send(toRequestView((await findRequest(deps.db, id))!));
    },
  );

  app.get(
    '/v1/management-requests/:id',
    { schema: { summary: 'State of a management request this server submitted', params: idParams, response: { 200: managementRequestView } } },
    async (request) => {
      const caller = await requireClientCertificate(request, deps.ca, deps.statuses);
      const row = await findRequest(deps.db, request.params.id);
      const callerServer = `${caller.member.instance}/${caller.member.memberClass}/${caller.member.memberCode}/${caller.member.serverCode}`;
      if (!row || row.submitted_by !== callerServer) throw new AppError(CENTER_ERRORS.CENTER_REQUEST_UNKNOWN);
      return toRequestView(row);
    },
  );

  // Read access to the caller's own certificate status, handy for a Security Server's setup screen.
  app.get(
    '/v1/whoami',
    {
      schema: {
        summary: 'The identity this CA sees in your TLS client certificate',
        response: { 200: z.object({ server: z.string(), sha256: z.string(), registered: z.boolean(), notAfter: z.string() }) },
      },
    },
    async (request) => {
      const caller = await requireClientCertificate(request, deps.ca, deps.statuses);
      const parsed = caller.parsed;
      return {
        server: `${caller.member.instance}/${caller.member.memberClass}/${caller.member.memberCode}/${caller.member.serverCode}`,
        sha256: parsed.sha256,
        registered: (await findAuthCertRegistration(deps.db, parsed.sha256)) !== undefined,
        notAfter: parsed.notAfter.toISOString(),
      };
    },
  );
}
