// The registration flow end to end over mutual TLS on loopback:
// key → CSR → certificate → auth-certificate registration → approval → in the next global configuration.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCsr, derToPem, generateKeyPair, sign } from '@jplink/pki';
import { downloadGlobalConf, parseAnchor } from '@jplink/globalconf';
import { readFile } from 'node:fs/promises';
import { http } from '@jplink/testing';
import { startTestCenter, type TestCenter } from '../src/testing.ts';
import { authCertRegProofText } from '../src/registration/management.ts';

let t: TestCenter;
let ca: string[];
const admin = () => ({ authorization: `Bearer ${t.adminKey}` });

beforeAll(async () => {
  t = await startTestCenter();
  ca = [derToPem(t.center.ca.root.certificate, 'CERTIFICATE')];
  expect((await http(`${t.urls.admin}/api/v1/members`, { headers: admin(), json: { memberClass: 'COM', memberCode: '9876543210987', name: 'Shopping Support KK' } })).status).toBe(201);
  expect((await http(`${t.urls.admin}/api/v1/members/COM/9876543210987/subsystems`, { headers: admin(), json: { subsystemCode: 'shopping' } })).status).toBe(201);
});

afterAll(async () => {
  await t?.stop();
});

async function applyForCertificate(profile: 'auth' | 'sign', algorithm: 'EC-P256' | 'RSA-2048' = 'EC-P256') {
  const keys = await generateKeyPair(algorithm);
  const csr = derToPem(await createCsr({ subject: [['CN', 'ss1']], ...keys }), 'CERTIFICATE REQUEST');
  const applied = await http(`${t.urls.registration}/v1/certificate-applications`, {
    json: { csr, profile, member: 'JP-TEST/COM/9876543210987', ...(profile === 'auth' ? { serverCode: 'ss1' } : {}) },
    tls: { ca },
  });
  expect(applied.status, applied.body.toString()).toBe(202);
  const { id, pollToken, status } = applied.json();
  expect(status).toBe('pending');
  const poll = () => http(`${t.urls.registration}/v1/certificate-applications/${id}`, { headers: { authorization: `Bearer ${pollToken}` }, tls: { ca } });
  expect((await poll()).json().status).toBe('pending');
  const approved = await http(`${t.urls.admin}/api/v1/management-requests/${id}/approve`, { method: 'POST', headers: admin() });
  expect(approved.status, approved.body.toString()).toBe(200);
  const result = (await poll()).json();
  expect(result.status).toBe('approved');
  expect(result.certificate).toMatch(/^-----BEGIN CERTIFICATE-----/);
  return { keys, certificate: result.certificate as string, keyPem: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
}

describe('registration service', () => {
  it('registers a security server with its auth certificate, which then appears in the next global configuration', async () => {
    const auth = await applyForCertificate('auth');
    const tls = { ca, key: auth.keyPem, cert: auth.certificate };
    const { parseCertificate } = await import('@jplink/pki');
    const sha256 = parseCertificate(auth.certificate).sha256;
    const server = 'JP-TEST/COM/9876543210987/ss1';
    const proof = sign(authCertRegProofText(server, 'ss1.shop.example.jp', sha256), auth.keys.privateKey).toString('base64');

    const submitted = await http(`${t.urls.registration}/v1/management-requests`, {
      json: { type: 'authCertReg', server, address: 'ss1.shop.example.jp', port: 5500, authCertificate: auth.certificate, proofOfPossession: proof },
      tls,
    });
    expect(submitted.status, submitted.body.toString()).toBe(202);
    const request = submitted.json();
    expect(request.status).toBe('pending');

    const anchor = parseAnchor(await readFile(t.center.files.anchor, 'utf8'));
    const before = await downloadGlobalConf(anchor);
    expect(before.conf.securityServers.find((s) => s.id === server)).toBeUndefined();

    const approved = await http(`${t.urls.admin}/api/v1/management-requests/${request.id}/approve`, { method: 'POST', headers: admin() });
    expect(approved.json().status).toBe('approved');

    const after = await downloadGlobalConf(anchor, { minVersion: before.conf.version });
    expect(after.conf.version).toBeGreaterThan(before.conf.version);
    const entry = after.conf.securityServers.find((s) => s.id === server);
    expect(entry).toMatchObject({ address: 'ss1.shop.example.jp', port: 5500, authCertHashes: [sha256], clients: [] });

    // The now-registered server registers a client subsystem, authenticated by its auth certificate alone.
    const clientReg = await http(`${t.urls.registration}/v1/management-requests`, { json: { type: 'clientReg', server, client: 'JP-TEST/COM/9876543210987/shopping' }, tls });
    expect(clientReg.status, clientReg.body.toString()).toBe(202);
    await http(`${t.urls.admin}/api/v1/management-requests/${clientReg.json().id}/approve`, { method: 'POST', headers: admin() });
    const withClient = await downloadGlobalConf(anchor);
    expect(withClient.conf.securityServers.find((s) => s.id === server)?.clients).toEqual(['JP-TEST/COM/9876543210987/shopping']);

    const whoami = await http(`${t.urls.registration}/v1/whoami`, { tls });
    expect(whoami.json()).toMatchObject({ server, sha256, registered: true });

    const audit = (await http(`${t.urls.admin}/api/v1/audit-events?limit=100`, { headers: admin() })).json() as Array<{ action: string }>;
    const actions = new Set(audit.map((e) => e.action));
    for (const action of ['certificate.issued', 'management-request.submitted', 'management-request.approved', 'security-server.auth-cert-registered', 'security-server.client-registered', 'global-conf.changed']) {
      expect(actions).toContain(action);
    }
  });

  it('removes a client, changes the address, and records rejected requests without applying them', async () => {
    const auth = await applyForCertificate('auth');
    const tls = { ca, key: auth.keyPem, cert: auth.certificate };
    const { parseCertificate } = await import('@jplink/pki');
    const sha256 = parseCertificate(auth.certificate).sha256;
    const server = 'JP-TEST/COM/9876543210987/ss1';
    // ss1 already exists (first test); this second auth certificate is registered for it too.
    const proof = sign(authCertRegProofText(server, 'ss1.shop.example.jp', sha256), auth.keys.privateKey).toString('base64');
    const registration = await http(`${t.urls.registration}/v1/management-requests`, {
      json: { type: 'authCertReg', server, address: 'ss1.shop.example.jp', authCertificate: auth.certificate, proofOfPossession: proof },
      tls,
    });
    expect(registration.status, registration.body.toString()).toBe(202);
    await http(`${t.urls.admin}/api/v1/management-requests/${registration.json().id}/approve`, { method: 'POST', headers: admin() });
    const anchor = parseAnchor(await readFile(t.center.files.anchor, 'utf8'));
    expect((await downloadGlobalConf(anchor)).conf.securityServers.find((s) => s.id === server)?.authCertHashes).toContain(sha256);

    const submit = async (json: Record<string, unknown>) => {
      const response = await http(`${t.urls.registration}/v1/management-requests`, { json: { server, ...json }, tls });
      expect(response.status, response.body.toString()).toBe(202);
      return response.json().id as string;
    };
    const moveId = await submit({ type: 'addressChange', address: '192.0.2.10', port: 15500 });
    const rejectedId = await submit({ type: 'clientDeletion', client: 'JP-TEST/COM/9876543210987/shopping' });
    const rejected = await http(`${t.urls.admin}/api/v1/management-requests/${rejectedId}/reject`, { headers: admin(), json: { reason: '確認が取れないため' } });
    expect(rejected.json()).toMatchObject({ status: 'rejected', rejectionReason: '確認が取れないため' });
    const again = await http(`${t.urls.admin}/api/v1/management-requests/${rejectedId}/approve`, { method: 'POST', headers: admin() });
    expect(again.status).toBe(409);
    expect(again.json().error.code).toBe('CENTER_REQUEST_NOT_PENDING');
    expect((await downloadGlobalConf(anchor)).conf.securityServers.find((s) => s.id === server)?.clients).toEqual(['JP-TEST/COM/9876543210987/shopping']);

    await http(`${t.urls.admin}/api/v1/management-requests/${moveId}/approve`, { method: 'POST', headers: admin() });
    const deleteId = await submit({ type: 'clientDeletion', client: 'JP-TEST/COM/9876543210987/shopping' });
    await http(`${t.urls.admin}/api/v1/management-requests/${deleteId}/approve`, { method: 'POST', headers: admin() });
    const entry = (await downloadGlobalConf(anchor)).conf.securityServers.find((s) => s.id === server);
    expect(entry).toMatchObject({ address: '192.0.2.10', port: 15500, clients: [] });

    // Revoking an auth certificate takes it out of the next global configuration.
    const serial = parseCertificate(auth.certificate).serialNumber.toString(16);
    expect((await http(`${t.urls.admin}/api/v1/certificates/${serial}/revoke`, { headers: admin(), json: { reason: 'superseded' } })).status).toBe(200);
    expect((await downloadGlobalConf(anchor)).conf.securityServers.find((s) => s.id === server)?.authCertHashes).not.toContain(sha256);
    const refused = await http(`${t.urls.registration}/v1/whoami`, { tls });
    expect(refused.json().error.code).toBe('CENTER_CERTIFICATE_NOT_VALID');
  });

  it('refuses registration without a client certificate, with someone else’s certificate, or with a bad proof of possession', async () => {
    const server = 'JP-TEST/COM/9876543210987/ss2';
    const auth = await applyForCertificate('auth', 'RSA-2048');
    const { parseCertificate } = await import('@jplink/pki');
    const sha256 = parseCertificate(auth.certificate).sha256;
    const body = { type: 'authCertReg', server: 'JP-TEST/COM/9876543210987/ss1', address: 'ss2.example.jp', authCertificate: auth.certificate, proofOfPossession: '' };

    const noCert = await http(`${t.urls.registration}/v1/management-requests`, { json: { ...body, proofOfPossession: 'AAAA' }, tls: { ca } });
    expect(noCert.status).toBe(401);
    expect(noCert.json().error.code).toBe('CENTER_TLS_CLIENT_CERT_REQUIRED');

    // Certificate for ss1, request names ss2: mismatch.
    const tls = { ca, key: auth.keyPem, cert: auth.certificate };
    const wrongServer = await http(`${t.urls.registration}/v1/management-requests`, { json: { ...body, server, proofOfPossession: 'AAAA' }, tls });
    expect(wrongServer.status).toBe(403);
    expect(wrongServer.json().error.code).toBe('CENTER_CERTIFICATE_MEMBER_MISMATCH');

    const badProof = sign(authCertRegProofText(body.server, 'other.example.jp', sha256), auth.keys.privateKey).toString('base64');
    const rejected = await http(`${t.urls.registration}/v1/management-requests`, { json: { ...body, proofOfPossession: badProof }, tls });
    expect(rejected.status).toBe(400);
    expect(rejected.json().error.code).toBe('CENTER_PROOF_OF_POSSESSION_FAILED');

    // A sign certificate is not an auth certificate, so it cannot authenticate to the registration service.
    const signing = await applyForCertificate('sign');
    const asSign = await http(`${t.urls.registration}/v1/management-requests`, {
      json: { type: 'clientReg', server: body.server, client: 'JP-TEST/COM/9876543210987/shopping' },
      tls: { ca, key: signing.keyPem, cert: signing.certificate },
    });
    expect(asSign.status).toBe(400);
    expect(asSign.json().error.code).toBe('CENTER_CERTIFICATE_NOT_AUTH');
  });

  it('auto-approves the configured request types', async () => {
    const auto = await startTestCenter({ CENTER_AUTO_APPROVE: 'certificateIssue' });
    try {
      await http(`${auto.urls.admin}/api/v1/members`, { headers: { authorization: `Bearer ${auto.adminKey}` }, json: { memberClass: 'GOV', memberCode: '0000000000001', name: '○○市' } });
      const keys = await generateKeyPair();
      const csr = derToPem(await createCsr({ subject: [['CN', 'x']], ...keys }), 'CERTIFICATE REQUEST');
      const applied = await http(`${auto.urls.registration}/v1/certificate-applications`, {
        json: { csr, profile: 'sign', member: 'JP-TEST/GOV/0000000000001' },
        tls: { ca: [derToPem(auto.center.ca.root.certificate, 'CERTIFICATE')] },
      });
      expect(applied.status).toBe(202);
      expect(applied.json().status).toBe('approved');
    } finally {
      await auto.stop();
    }
  });
});
