// Enrolment: everything a new Security Server needs from the Center, in order — keys, an auth and
// a sign certificate (applications approved by the operator, or automatically), registration of
// the auth certificate, and registration of each local client subsystem. Each step is skipped when
// already done, so running it again continues where it stopped.
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { formatSecurityServerId, type SecurityServerId } from '@jplink/contracts';
import type { Logger } from '@jplink/kit';
import { createCsr, derToPem, pemToDer, sign, type KeyAlgorithm } from '@jplink/pki';
import type { KeyStore, StoredKey } from '../keys/key-store.ts';
import { signKeyId } from '../keys/key-store.ts';
import type { GlobalConfClient } from '../conf/global-conf-client.ts';
import { registrationCall, RegistrationError, type RegistrationTls } from './registration-client.ts';

export interface EnrolOptions {
  server: SecurityServerId;
  /** Address and ports other servers reach this one at. */
  address: string;
  exchangePort: number;
  ocspPort: number;
  algorithm: KeyAlgorithm;
  /** Local client subsystems (`inst/class/code/sub`) to register on this server. */
  clients: string[];
  dataDir: string;
  /** How long to wait for the operator's approvals before giving up this run. */
  waitSeconds?: number;
  pollIntervalMs?: number;
  onProgress?: (step: string) => void;
}

interface PendingState {
  applications: Record<string, { id: string; pollToken: string }>;
  requests: Record<string, string>;
}

export interface EnrolResult {
  authCertificateSha256: string;
  registeredClients: string[];
}

function proofText(server: string, address: string, certSha256: string) {
  return Buffer.from(`jplink-authcertreg-v1\n${server}\n${address}\n${certSha256}`, 'utf8');
}

export async function enrol(deps: { keys: KeyStore; conf: GlobalConfClient; logger: Logger }, options: EnrolOptions): Promise<EnrolResult> {
  const progress = options.onProgress ?? ((step: string) => deps.logger.info(step));
  const serverId = formatSecurityServerId(options.server);
  const member = { memberClass: options.server.memberClass, memberCode: options.server.memberCode };
  const statePath = join(options.dataDir, 'enrolment.json');
  const state: PendingState = await readFile(statePath, 'utf8').then(
    (text) => JSON.parse(text) as PendingState,
    () => ({ applications: {}, requests: {} }),
  );
  const save = async () => {
    await writeFile(`${statePath}.tmp`, JSON.stringify(state, null, 2));
    await rename(`${statePath}.tmp`, statePath);
  };
  const deadline = Date.now() + (options.waitSeconds ?? 120) * 1000;
  const pollMs = options.pollIntervalMs ?? 500;

  const conf = () => deps.conf.current('client');
  const tls = (client?: StoredKey): RegistrationTls => ({
    ca: conf().approvedCaRoots().map((der) => derToPem(der, 'CERTIFICATE')),
    ...(client?.certificate ? { client: { key: client.privateKey, certificate: client.certificate.der } } : {}),
  });
  const registrationUrl = () => conf().managementService.registrationUrl;

  async function certify(key: StoredKey, profile: 'auth' | 'sign'): Promise<void> {
    if (key.certificate) return;
    let pending = state.applications[key.id];
    if (!pending) {
      progress(`applying for the ${profile} certificate`);
      const csr = derToPem(await createCsr({ subject: [['CN', options.server.memberCode]], privateKey: key.privateKey, publicKey: key.publicKey }), 'CERTIFICATE REQUEST');
      const created = await registrationCall<{ id: string; pollToken: string }>(registrationUrl(), tls(), '/v1/certificate-applications', {
        json: { csr, profile, member: `${options.server.instance}/${member.memberClass}/${member.memberCode}`, ...(profile === 'auth' ? { serverCode: options.server.serverCode } : {}) },
      });
      pending = { id: created.id, pollToken: created.pollToken };
      state.applications[key.id] = pending;
      await save();
    }
    for (;;) {
      const result = await registrationCall<{ status: string; certificate?: string; rejectionReason?: string }>(registrationUrl(), tls(), `/v1/certificate-applications/${pending.id}`, {
        bearer: pending.pollToken,
      });
      if (result.status === 'approved' && result.certificate) {
        await deps.keys.setCertificate(key.id, Buffer.from(pemToDer(result.certificate)));
        delete state.applications[key.id];
        await save();
        progress(`${profile} certificate installed`);
        return;
      }
      if (result.status === 'rejected') {
        delete state.applications[key.id];
        await save();
        throw new RegistrationError(409, 'REJECTED', `the ${profile} certificate application was rejected: ${result.rejectionReason ?? 'no reason given'}`);
      }
      if (Date.now() > deadline) throw new RegistrationError(0, 'PENDING', `the ${profile} certificate application ${pending.id} is still pending approval at the Center`);
      await sleep(pollMs);
    }
  }

  async function waitForConf(check: () => boolean, what: string) {
    for (;;) {
      await deps.conf.refresh().catch((error: unknown) => deps.logger.warn({ err: error }, 'global configuration refresh failed'));
      try {
        if (check()) return;
      } catch {
        // no valid configuration yet
      }
      if (Date.now() > deadline) throw new RegistrationError(0, 'PENDING', `${what} is not in the global configuration yet (pending approval?)`);
      await sleep(pollMs);
    }
  }

  async function request(key: string, authKey: StoredKey, json: Record<string, unknown>) {
    if (!state.requests[key]) {
      const created = await registrationCall<{ id: string }>(registrationUrl(), tls(authKey), '/v1/management-requests', { json });
      state.requests[key] = created.id;
      await save();
    }
  }

  const auth = await deps.keys.ensure('auth', 'auth', member, options.algorithm);
  const signing = await deps.keys.ensure(signKeyId(member.memberClass, member.memberCode), 'sign', member, options.algorithm);
  await certify(auth, 'auth');
  await certify(signing, 'sign');

  const sha = auth.certificate!.parsed.sha256;
  const registered = () => conf().server(serverId)?.authCertHashes.includes(sha) ?? false;
  if (!registered()) {
    progress('registering the auth certificate at the Center');
    await request(`authCertReg:${sha}`, auth, {
      type: 'authCertReg',
      server: serverId,
      address: options.address,
      port: options.exchangePort,
      ocspPort: options.ocspPort,
      authCertificate: derToPem(auth.certificate!.der, 'CERTIFICATE'),
      proofOfPossession: sign(proofText(serverId, options.address, sha), auth.privateKey).toString('base64'),
    });
    await waitForConf(registered, `the auth certificate of ${serverId}`);
    progress('auth certificate registered');
  }

  const registeredClients: string[] = [];
  for (const client of options.clients) {
    const hosted = () => conf().isClientOf(serverId, client);
    if (!hosted()) {
      progress(`registering client ${client}`);
      await request(`clientReg:${client}`, auth, { type: 'clientReg', server: serverId, client });
      await waitForConf(hosted, `client ${client}`);
    }
    registeredClients.push(client);
  }
  state.requests = {};
  await save();
  return { authCertificateSha256: sha, registeredClients };
}
