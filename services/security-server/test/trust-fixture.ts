// Test helper for the conf/ocsp/trust tests: a real Center on loopback plus helpers to create
// members, issue certificates from CSRs, register a Security Server over mutual TLS (as
// services/center/test/registration-flow-over-mutual-tls.test.ts does) and revoke certificates.
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { startTestCenter, type TestCenter } from '@jplink/center/testing';
import { createLogger, type Logger } from '@jplink/kit';
import { createCsr, derToPem, generateKeyPair, issueCertificate, parseCertificate, pemToDer, sign, type KeyPair } from '@jplink/pki';
import { http, tempDir, type TempDir } from '@jplink/testing';

export const silentLogger: Logger = createLogger({ name: 'ss-test', level: 'silent' });

export interface IssuedCertificate {
  keys: KeyPair;
  keyPem: string;
  pem: string;
  der: Uint8Array;
  sha256: string;
  serial: string;
}

export interface MemberRef {
  memberClass: string;
  memberCode: string;
}

/** A clock the tests move instead of sleeping. */
export function testClock() {
  let offsetMs = 0;
  return {
    now: () => new Date(Date.now() + offsetMs),
    advance(seconds: number) {
      offsetMs += seconds * 1000;
    },
    reset() {
      offsetMs = 0;
    },
  };
}

export interface TestNetwork {
  t: TestCenter;
  files: TempDir;
  /** A copy of the Center's anchor that outlives the Center. */
  anchorPath: string;
  rootPem: string;
  /** Paths of PEM files for openssl. */
  paths: { root: string; issuing: string; chain: string };
  addMember(member: MemberRef, name: string, subsystems?: string[]): Promise<void>;
  issue(profile: 'auth' | 'sign', member: MemberRef, serverCode?: string): Promise<IssuedCertificate>;
  registerServer(options: { member: MemberRef; serverCode: string; address: string; port?: number; ocspPort?: number; auth: IssuedCertificate }): Promise<string>;
  registerClient(server: string, client: string, auth: IssuedCertificate): Promise<void>;
  revoke(cert: IssuedCertificate): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestNetwork(env: Record<string, string> = {}): Promise<TestNetwork> {
  const t = await startTestCenter(env);
  const files = await tempDir('jplink-ss-trust-');
  const anchorPath = join(files.dir, 'anchor.json');
  await copyFile(t.center.files.anchor, anchorPath);
  const rootPem = derToPem(t.center.ca.root.certificate, 'CERTIFICATE');
  const issuingPem = derToPem(t.center.ca.issuing.certificate, 'CERTIFICATE');
  const paths = {
    root: await files.file('root.pem', rootPem),
    issuing: await files.file('issuing.pem', issuingPem),
    chain: await files.file('chain.pem', rootPem + issuingPem),
  };
  const headers = { authorization: `Bearer ${t.adminKey}` };
  const admin = async (path: string, json?: unknown, expected = json === undefined ? 200 : 201) => {
    const response = await http(`${t.urls.admin}${path}`, json === undefined ? { method: 'POST', headers } : { headers, json });
    expect(response.status, response.body.toString()).toBe(expected);
    return response.json();
  };
  let stopped = false;

  return {
    t,
    files,
    anchorPath,
    rootPem,
    paths,
    async addMember(member, name, subsystems = []) {
      await admin('/api/v1/members', { ...member, name });
      for (const subsystemCode of subsystems) await admin(`/api/v1/members/${member.memberClass}/${member.memberCode}/subsystems`, { subsystemCode });
    },
    async issue(profile, member, serverCode) {
      const keys = await generateKeyPair();
      const csr = derToPem(await createCsr({ subject: [['CN', 'ignored']], ...keys }), 'CERTIFICATE REQUEST');
      const view = await admin('/api/v1/certificates', {
        csr,
        profile,
        member: `JP-TEST/${member.memberClass}/${member.memberCode}`,
        ...(serverCode ? { serverCode } : {}),
      });
      const der = pemToDer(view.certificate);
      return {
        keys,
        keyPem: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
        pem: view.certificate,
        der,
        sha256: parseCertificate(der).sha256,
        serial: view.serialNumber,
      };
    },
    async registerServer({ member, serverCode, address, port, ocspPort, auth }) {
      const server = `JP-TEST/${member.memberClass}/${member.memberCode}/${serverCode}`;
      const proof = sign(Buffer.from(`jplink-authcertreg-v1\n${server}\n${address}\n${auth.sha256}`, 'utf8'), auth.keys.privateKey).toString('base64');
      const submitted = await http(`${t.urls.registration}/v1/management-requests`, {
        json: { type: 'authCertReg', server, address, ...(port ? { port } : {}), ...(ocspPort ? { ocspPort } : {}), authCertificate: auth.pem, proofOfPossession: proof },
        tls: { ca: rootPem, key: auth.keyPem, cert: auth.pem },
      });
      expect(submitted.status, submitted.body.toString()).toBe(202);
      await admin(`/api/v1/management-requests/${submitted.json().id}/approve`);
      return server;
    },
    async registerClient(server, client, auth) {
      const submitted = await http(`${t.urls.registration}/v1/management-requests`, {
        json: { type: 'clientReg', server, client },
        tls: { ca: rootPem, key: auth.keyPem, cert: auth.pem },
      });
      expect(submitted.status, submitted.body.toString()).toBe(202);
      await admin(`/api/v1/management-requests/${submitted.json().id}/approve`);
    },
    async revoke(cert) {
      const response = await http(`${t.urls.admin}/api/v1/certificates/${cert.serial}/revoke`, { headers, json: { reason: 'keyCompromise' } });
      expect(response.status, response.body.toString()).toBe(200);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await t.stop();
    },
  };
}

/** An auth certificate with a jp-link-v1 subject from a CA that is not in the global configuration. */
export async function foreignAuthCertificate(subject: { memberClass: string; memberCode: string; serverCode: string }): Promise<Uint8Array> {
  const caKeys = await generateKeyPair();
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(Date.now() + 86_400_000);
  const root = await issueCertificate({
    subject: [['C', 'JP'], ['O', 'Rogue'], ['CN', 'Rogue Root CA']],
    publicKey: caKeys.publicKey,
    selfSignedPrivateKey: caKeys.privateKey,
    serialNumber: 1n,
    notBefore,
    notAfter,
    profile: 'root-ca',
  });
  const keys = await generateKeyPair();
  return issueCertificate({
    subject: [['C', 'JP'], ['O', 'JP-TEST'], ['OU', subject.memberClass], ['CN', subject.memberCode], ['serialNumber', subject.serverCode]],
    publicKey: keys.publicKey,
    issuer: { certificate: root, privateKey: caKeys.privateKey },
    serialNumber: 2n,
    notBefore,
    notAfter,
    profile: 'auth',
  });
}
