// Management requests: certificate applications and Security Server registration requests.
// A request is stored as pending and applied only when approved (by an operator through the admin
// API, or automatically for the types listed in CENTER_AUTO_APPROVE). Approval re-checks everything,
// because the world may have changed since submission.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  parseMemberId,
  parseSecurityServerId,
  parseSubsystemId,
  type ManagementRequestBody,
  type ManagementRequestType,
  type CertificateProfileName,
} from '@jplink/contracts';
import { AppError } from '@jplink/kit';
import { derToPem, parseCertificate, pemToDer } from '@jplink/pki';
import type { CenterDb } from '../db/database.ts';
import { findMember, findSubsystem } from '../db/members.ts';
import { decideRequest, findPendingDuplicate, findRequestForUpdate, insertRequest } from '../db/requests.ts';
import {
  deleteServerClient,
  findAuthCertRegistration,
  findSecurityServer,
  findServerClient,
  insertAuthCert,
  insertServerClient,
  updateServerAddress,
  upsertSecurityServer,
} from '../db/servers.ts';
import { CENTER_ERRORS } from '../errors.ts';
import type { Auditor } from '../audit/events.ts';
import type { CaKeys } from '../ca/authority.ts';
import { checkCsr, issueMemberCertificate } from '../ca/issue-member-certificate.ts';
import type { CertificateStatusStore } from '../ocsp/status-store.ts';

export interface ManagementDeps {
  db: CenterDb;
  ca: CaKeys;
  audit: Auditor;
  statuses: CertificateStatusStore;
  instance: string;
  ocspUrl: string;
  certValidityDays: number;
  autoApprove: ReadonlySet<ManagementRequestType>;
  /** Called after an approval that changes the global configuration. */
  onConfigurationChanged: (actor: string) => Promise<unknown>;
}

export interface CertificateApplication {
  csr: string;
  profile: CertificateProfileName;
  member: string;
  serverCode?: string;
}

type StoredPayload = Record<string, unknown> & { type?: string };

const sha256Hex = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

function sameInstance(deps: ManagementDeps, instance: string) {
  if (instance !== deps.instance) throw new AppError(CENTER_ERRORS.CENTER_INSTANCE_MISMATCH);
}

async function requireMember(db: CenterDb, memberClass: string, memberCode: string) {
  const member = await findMember(db, memberClass, memberCode);
  if (!member) throw new AppError(CENTER_ERRORS.CENTER_MEMBER_UNKNOWN);
  return member;
}

/** Proof-of-possession text signed by the auth key in an authCertReg request. */
export function authCertRegProofText(server: string, address: string, certSha256: string): Buffer {
  return Buffer.from(`jplink-authcertreg-v1\n${server}\n${address}\n${certSha256}`, 'utf8');
}

export function createManagement(deps: ManagementDeps) {
  const { db } = deps;

  /** Checks a request's preconditions; the same checks run at submission and at approval. */
  async function validate(tx: CenterDb, type: ManagementRequestType, payload: StoredPayload) {
    if (type === 'certificateIssue') {
      const member = parseMemberId(String(payload.member));
      sameInstance(deps, member.instance);
      await requireMember(tx, member.memberClass, member.memberCode);
      await checkCsr(String(payload.csr));
      return;
    }
    const server = parseSecurityServerId(String(payload.server));
    sameInstance(deps, server.instance);
    await requireMember(tx, server.memberClass, server.memberCode);
    const serverKey = { memberClass: server.memberClass, memberCode: server.memberCode, serverCode: server.serverCode };
    if (type === 'authCertReg') {
      const sha = parseCertificate(pemToDer(String(payload.authCertificate))).sha256;
      if (await findAuthCertRegistration(tx, sha)) throw new AppError(CENTER_ERRORS.CENTER_AUTH_CERT_ALREADY_REGISTERED);
      return;
    }
    if (!(await findSecurityServer(tx, serverKey))) throw new AppError(CENTER_ERRORS.CENTER_SERVER_UNKNOWN);
    if (type === 'clientReg' || type === 'clientDeletion') {
      const client = parseSubsystemId(String(payload.client));
      sameInstance(deps, client.instance);
      if (!(await findSubsystem(tx, client.memberClass, client.memberCode, client.subsystemCode))) {
        throw new AppError(CENTER_ERRORS.CENTER_SUBSYSTEM_UNKNOWN);
      }
      const clientKey = { clientClass: client.memberClass, clientCode: client.memberCode, clientSubsystem: client.subsystemCode };
      const registered = await findServerClient(tx, serverKey, clientKey);
      if (type === 'clientReg' && registered) throw new AppError(CENTER_ERRORS.CENTER_CLIENT_ALREADY_REGISTERED);
      if (type === 'clientDeletion' && !registered) throw new AppError(CENTER_ERRORS.CENTER_CLIENT_NOT_REGISTERED);
    }
  }

  /** Applies an approved request; returns what the submitter may see as the result. */
  async function apply(tx: CenterDb, type: ManagementRequestType, payload: StoredPayload, actor: string): Promise<Record<string, unknown>> {
    if (type === 'certificateIssue') {
      const member = parseMemberId(String(payload.member));
      const issued = await issueMemberCertificate(tx, deps.ca, {
        csrPem: String(payload.csr),
        profile: payload.profile as CertificateProfileName,
        instance: deps.instance,
        memberClass: member.memberClass,
        memberCode: member.memberCode,
        ...(typeof payload.serverCode === 'string' ? { serverCode: payload.serverCode } : {}),
        validityDays: deps.certValidityDays,
        ocspUrl: deps.ocspUrl,
      });
      deps.statuses.set(issued.serialNumber, { type: 'good' });
      await deps.audit(
        { actor, action: 'certificate.issued', target: issued.serialNumber, details: { profile: payload.profile, member: payload.member, sha256: issued.parsed.sha256 } },
        tx,
      );
      return { certificate: derToPem(issued.der, 'CERTIFICATE'), serialNumber: issued.serialNumber, sha256: issued.parsed.sha256 };
    }
    const server = parseSecurityServerId(String(payload.server));
    const serverKey = { memberClass: server.memberClass, memberCode: server.memberCode, serverCode: server.serverCode };
    const port = typeof payload.port === 'number' ? payload.port : null;
    const ocspPort = typeof payload.ocspPort === 'number' ? payload.ocspPort : null;
    switch (type) {
      case 'authCertReg': {
        const sha = parseCertificate(pemToDer(String(payload.authCertificate))).sha256;
        if (!(await findSecurityServer(tx, serverKey))) {
          await upsertSecurityServer(tx, { ...serverKey, address: String(payload.address), port, ocspPort });
        }
        await insertAuthCert(tx, { ...serverKey, certSha256: sha });
        await deps.audit({ actor, action: 'security-server.auth-cert-registered', target: String(payload.server), details: { sha256: sha } }, tx);
        return { sha256: sha };
      }
      case 'clientReg':
      case 'clientDeletion': {
        const client = parseSubsystemId(String(payload.client));
        const clientKey = { clientClass: client.memberClass, clientCode: client.memberCode, clientSubsystem: client.subsystemCode };
        if (type === 'clientReg') await insertServerClient(tx, serverKey, clientKey);
        else await deleteServerClient(tx, serverKey, clientKey);
        await deps.audit(
          {
            actor,
            action: type === 'clientReg' ? 'security-server.client-registered' : 'security-server.client-deleted',
            target: String(payload.server),
            details: { client: payload.client },
          },
          tx,
        );
        return {};
      }
      case 'addressChange': {
        await updateServerAddress(tx, { ...serverKey, address: String(payload.address), port, ocspPort });
        await deps.audit({ actor, action: 'security-server.address-changed', target: String(payload.server), details: { address: payload.address, port } }, tx);
        return {};
      }
    }
  }

  async function decide(id: string, actor: string, decision: { approve: true } | { approve: false; reason: string }) {
    const outcome = await db.transaction().execute(async (tx) => {
      const row = await findRequestForUpdate(tx, id);
      if (!row) throw new AppError(CENTER_ERRORS.CENTER_REQUEST_UNKNOWN);
      if (row.status !== 'pending') throw new AppError(CENTER_ERRORS.CENTER_REQUEST_NOT_PENDING);
      const type = row.type as ManagementRequestType;
      const payload = row.payload as StoredPayload;
      if (!decision.approve) {
        await decideRequest(tx, id, { status: 'rejected', decidedBy: actor, rejectionReason: decision.reason });
        await deps.audit({ actor, action: 'management-request.rejected', target: id, details: { type, reason: decision.reason } }, tx);
        return { type, changed: false };
      }
      await validate(tx, type, payload);
      const result = await apply(tx, type, payload, actor);
      await decideRequest(tx, id, { status: 'approved', decidedBy: actor, result });
      await deps.audit({ actor, action: 'management-request.approved', target: id, details: { type } }, tx);
      return { type, changed: type !== 'certificateIssue' };
    });
    if (outcome.changed) await deps.onConfigurationChanged(actor);
  }

  async function submit(type: ManagementRequestType, payload: StoredPayload, submittedBy: string, withPollToken: boolean) {
    await validate(db, type, payload);
    const duplicateKey: Record<string, unknown> =
      type === 'certificateIssue' ? { csr: payload.csr } : type === 'authCertReg' ? { authCertificate: payload.authCertificate } : { ...payload };
    if (await findPendingDuplicate(db, type, duplicateKey)) throw new AppError(CENTER_ERRORS.CENTER_REQUEST_DUPLICATE);
    const id = randomUUID();
    const pollToken = withPollToken ? randomBytes(24).toString('base64url') : undefined;
    await db.transaction().execute(async (tx) => {
      await insertRequest(tx, { id, type, submittedBy, payload: { ...payload, type }, pollTokenSha256: pollToken ? sha256Hex(pollToken) : null });
      await deps.audit({ actor: submittedBy, action: 'management-request.submitted', target: id, details: { type } }, tx);
    });
    if (deps.autoApprove.has(type)) await decide(id, 'system:auto-approve', { approve: true });
    return { id, pollToken };
  }

  return {
    decide,
    /** A certificate application (CSR) from a Security Server or an operator. */
    submitCertificateApplication(application: CertificateApplication, submittedBy: string, withPollToken: boolean) {
      const payload: StoredPayload = { csr: application.csr, profile: application.profile, member: application.member };
      if (application.serverCode !== undefined) payload.serverCode = application.serverCode;
      return submit('certificateIssue', payload, submittedBy, withPollToken);
    },
    /** A registration request from a Security Server; the caller has already authenticated it. */
    submitManagementRequest(body: ManagementRequestBody, submittedBy: string) {
      const { type, ...rest } = body;
      return submit(type, rest, submittedBy, false);
    },
    pollTokenMatches(storedSha256: string | null, token: string | undefined) {
      return storedSha256 !== null && token !== undefined && sha256Hex(token) === storedSha256;
    },
  };
}

export type Management = ReturnType<typeof createManagement>;
