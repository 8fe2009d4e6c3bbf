// HTTP contracts of the JP-Link Center: the registration service (mutual TLS, port 4001) and the
// admin API. OpenAPI for both is generated from these schemas (GET /openapi.json on each listener).
import { z } from 'zod';
import {
  memberClassCode,
  memberCode,
  memberIdText,
  securityServerIdText,
  serverCode,
  subsystemCode,
  subsystemIdText,
} from './identifiers.ts';

const pemCertificate = z.string().max(20_000).startsWith('-----BEGIN CERTIFICATE-----');
const pemCsr = z.string().max(20_000).regex(/^-----BEGIN (NEW )?CERTIFICATE REQUEST-----/, 'PEM certificate request');
const isoTime = z.iso.datetime({ offset: true });
const hostAddress = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9.\-:\[\]]+$/, 'host name or IP address');
const port = z.int().min(1).max(65_535);
const base64 = z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/).max(2_000);

export const certificateProfileName = z.enum(['auth', 'sign']);
export type CertificateProfileName = z.infer<typeof certificateProfileName>;

export const revocationReason = z.enum([
  'unspecified',
  'keyCompromise',
  'cACompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'certificateHold',
  'privilegeWithdrawn',
]);

export const managementRequestStatus = z.enum(['pending', 'approved', 'rejected']);
export const managementRequestType = z.enum(['certificateIssue', 'authCertReg', 'clientReg', 'clientDeletion', 'addressChange']);
export type ManagementRequestType = z.infer<typeof managementRequestType>;

// ---------------------------------------------------------------- registration service (port 4001)

/** A certificate application: a CSR for a member's auth (Security Server TLS) or sign key. */
export const certificateApplicationBody = z
  .object({
    csr: pemCsr,
    profile: certificateProfileName,
    member: memberIdText,
    /** Required for `auth`: the Security Server's code. */
    serverCode: serverCode.optional(),
  })
  .refine((b) => b.profile !== 'auth' || b.serverCode !== undefined, {
    path: ['serverCode'],
    message: 'serverCode is required for an auth certificate',
  });

export const certificateApplicationCreated = z.object({
  id: z.uuid(),
  status: managementRequestStatus,
  /** Bearer token to fetch the result with; shown once. */
  pollToken: z.string(),
});

export const certificateApplicationResult = z.object({
  id: z.uuid(),
  status: managementRequestStatus,
  certificate: pemCertificate.optional(),
  /** Issuing CA certificates up to (not including) the root. */
  chain: z.array(pemCertificate),
  rejectionReason: z.string().optional(),
});

export const authCertRegBody = z.object({
  type: z.literal('authCertReg'),
  server: securityServerIdText,
  address: hostAddress,
  port: port.optional(),
  ocspPort: port.optional(),
  authCertificate: pemCertificate,
  /**
   * Proof of possession: base64 signature by the auth key over the UTF-8 bytes of
   * `jplink-authcertreg-v1\n{server}\n{address}\n{sha256 hex of the certificate DER}`.
   */
  proofOfPossession: base64,
});

export const clientRegBody = z.object({ type: z.literal('clientReg'), server: securityServerIdText, client: subsystemIdText });
export const clientDeletionBody = z.object({ type: z.literal('clientDeletion'), server: securityServerIdText, client: subsystemIdText });
export const addressChangeBody = z.object({
  type: z.literal('addressChange'),
  server: securityServerIdText,
  address: hostAddress,
  port: port.optional(),
  ocspPort: port.optional(),
});

export const managementRequestBody = z.discriminatedUnion('type', [authCertRegBody, clientRegBody, clientDeletionBody, addressChangeBody]);
export type ManagementRequestBody = z.infer<typeof managementRequestBody>;

export const managementRequestView = z.object({
  id: z.uuid(),
  type: managementRequestType,
  status: managementRequestStatus,
  /** Who submitted it: a security server id, or `admin:<key name>`. */
  submittedBy: z.string(),
  createdAt: isoTime,
  decidedAt: isoTime.nullable(),
  decidedBy: z.string().nullable(),
  rejectionReason: z.string().nullable(),
  /** The request as submitted (certificates and CSRs included as PEM). */
  payload: z.record(z.string(), z.unknown()),
});
export type ManagementRequestView = z.infer<typeof managementRequestView>;

export const idParams = z.object({ id: z.uuid() });

// ---------------------------------------------------------------- admin API

export const adminRole = z.enum(['operator-admin', 'read-only']);
export type AdminRole = z.infer<typeof adminRole>;

export const memberClassBody = z.object({ code: memberClassCode, description: z.string().min(1).max(200) });
export const memberClassView = memberClassBody;

export const memberBody = z.object({ memberClass: memberClassCode, memberCode, name: z.string().min(1).max(300) });
export const memberView = memberBody.extend({
  id: memberIdText,
  createdAt: isoTime,
  subsystems: z.array(z.object({ subsystemCode, id: subsystemIdText, createdAt: isoTime })),
});
export const memberParams = z.object({ memberClass: memberClassCode, memberCode });
export const subsystemBody = z.object({ subsystemCode });

export const securityServerView = z.object({
  id: securityServerIdText,
  owner: memberIdText,
  serverCode,
  address: z.string(),
  port: port.nullable(),
  ocspPort: port.nullable(),
  authCertHashes: z.array(z.string()),
  clients: z.array(subsystemIdText),
  createdAt: isoTime,
});

export const managementRequestQuery = z.object({
  status: managementRequestStatus.optional(),
  type: managementRequestType.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export const rejectBody = z.object({ reason: z.string().min(1).max(500) });

export const certificateView = z.object({
  serialNumber: z.string().regex(/^[0-9a-f]+$/),
  profile: z.enum(['auth', 'sign', 'ocsp-responder', 'tsa', 'config-signing', 'tls-server', 'issuing-ca', 'root-ca']),
  member: memberIdText.nullable(),
  serverCode: z.string().nullable(),
  subject: z.string(),
  notBefore: isoTime,
  notAfter: isoTime,
  status: z.enum(['good', 'revoked']),
  revokedAt: isoTime.nullable(),
  revocationReason: revocationReason.nullable(),
  sha256: z.string(),
  certificate: pemCertificate,
});
export const certificateIssueBody = certificateApplicationBody;
export const certificateQuery = z.object({
  member: memberIdText.optional(),
  status: z.enum(['good', 'revoked']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export const serialParams = z.object({ serialNumber: z.string().regex(/^[0-9a-fA-F]{1,40}$/) });
export const revokeBody = z.object({ reason: revocationReason, revokedAt: isoTime.optional() });

export const globalConfStatusView = z.object({
  instance: z.string(),
  version: z.int(),
  generatedAt: isoTime,
  expiresAt: isoTime,
  members: z.int(),
  securityServers: z.int(),
  documentSha256: z.string(),
  downloadUrl: z.string(),
});

export const auditEventView = z.object({
  id: z.string(),
  at: isoTime,
  actor: z.string(),
  action: z.string(),
  target: z.string().nullable(),
  outcome: z.enum(['success', 'failure']),
  details: z.record(z.string(), z.unknown()),
});
export const auditQuery = z.object({
  action: z.string().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
