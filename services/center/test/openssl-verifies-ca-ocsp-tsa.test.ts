// OpenSSL, not our code, checks what the Center issues: certificate chains, OCSP answers
// (good, then revoked) and RFC 3161 timestamps.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { derToPem } from '@jplink/pki';
import { testDatabaseKind } from '@jplink/db/testing';
import { http, openssl, tempDir } from '@jplink/testing';
import { startTestCenter, type TestCenter } from '../src/testing.ts';

let t: TestCenter;
let files: Awaited<ReturnType<typeof tempDir>>;
let rootPem: string;
let chainPem: string;
let issuingPem: string;

beforeAll(async () => {
  t = await startTestCenter();
  console.info(`[center test] database: ${testDatabaseKind()}`);
  files = await tempDir();
  rootPem = await files.file('root.pem', derToPem(t.center.ca.root.certificate, 'CERTIFICATE'));
  issuingPem = await files.file('issuing.pem', derToPem(t.center.ca.issuing.certificate, 'CERTIFICATE'));
  chainPem = await files.file('chain.pem', derToPem(t.center.ca.root.certificate, 'CERTIFICATE') + derToPem(t.center.ca.issuing.certificate, 'CERTIFICATE'));
  const admin = { authorization: `Bearer ${t.adminKey}` };
  const member = await http(`${t.urls.admin}/api/v1/members`, { headers: admin, json: { memberClass: 'COM', memberCode: '1234567890123', name: '株式会社ヘルスケア' } });
  expect(member.status).toBe(201);
});

afterAll(async () => {
  await t?.stop();
});

async function issueFromOpensslCsr(profile: 'auth' | 'sign', keyArgs: string[], name: string) {
  const key = await files.file(`${name}.key`);
  const csr = await files.file(`${name}.csr`);
  const made = await openssl(['req', '-new', ...keyArgs, '-nodes', '-keyout', key, '-subj', '/CN=ignored-by-the-ca', '-out', csr]);
  expect(made.code, made.stderr).toBe(0);
  const { readFile } = await import('node:fs/promises');
  const response = await http(`${t.urls.admin}/api/v1/certificates`, {
    headers: { authorization: `Bearer ${t.adminKey}` },
    json: { csr: await readFile(csr, 'utf8'), profile, member: 'JP-TEST/COM/1234567890123', ...(profile === 'auth' ? { serverCode: 'ss1' } : {}) },
  });
  expect(response.status, response.body.toString()).toBe(201);
  const view = response.json();
  const certPath = await files.file(`${name}.pem`, view.certificate);
  return { view, certPath, keyPath: key };
}

describe('certificates issued from a CSR', () => {
  it('chain to the root according to openssl verify, for ECDSA and RSA keys and both profiles', async () => {
    const cases: Array<['auth' | 'sign', string[], string]> = [
      ['auth', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], 'auth-ec'],
      ['sign', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], 'sign-ec'],
      ['sign', ['-newkey', 'rsa:2048'], 'sign-rsa'],
    ];
    for (const [profile, keyArgs, name] of cases) {
      const { certPath, view } = await issueFromOpensslCsr(profile, keyArgs, name);
      const verified = await openssl(['verify', '-CAfile', rootPem, '-untrusted', issuingPem, certPath]);
      expect(verified.stdout, verified.stderr).toContain(`${certPath}: OK`);
      const text = await openssl(['x509', '-in', certPath, '-noout', '-text']);
      expect(text.stdout).toContain('OCSP - URI:http://127.0.0.1');
      // Subject mapped to the member identifier (profile jp-link-v1), whatever the CSR asked for.
      expect(text.stdout).toMatch(/Subject: C ?= ?JP, O ?= ?JP-TEST, OU ?= ?COM, CN ?= ?1234567890123/);
      expect(text.stdout).not.toContain('ignored-by-the-ca');
      if (profile === 'auth') expect(text.stdout).toContain('TLS Web Client Authentication');
      else expect(text.stdout).toContain('Non Repudiation');
      expect(view.status).toBe('good');
    }
  });
});

describe('OCSP responder', () => {
  it('answers good, then revoked after revocation, verified by openssl ocsp with the nonce echoed', async () => {
    const { certPath, view } = await issueFromOpensslCsr('sign', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], 'ocsp-target');
    const ask = () => openssl(['ocsp', '-issuer', issuingPem, '-cert', certPath, '-url', `${t.urls.public}/ocsp`, '-CAfile', chainPem, '-resp_text']);
    const good = await ask();
    expect(good.stderr).toContain('Response verify OK');
    expect(good.stdout).toContain(`${certPath}: good`);
    expect(good.stdout).toMatch(/OCSP Nonce/);
    expect(good.stdout).toMatch(/This Update/);
    expect(good.stdout).toMatch(/Next Update/);

    const revoked = await http(`${t.urls.admin}/api/v1/certificates/${view.serialNumber}/revoke`, {
      headers: { authorization: `Bearer ${t.adminKey}` },
      json: { reason: 'keyCompromise' },
    });
    expect(revoked.status).toBe(200);
    const after = await ask();
    expect(after.stderr).toContain('Response verify OK');
    expect(after.stdout).toContain(`${certPath}: revoked`);
    expect(after.stdout).toContain('Reason: keyCompromise');
  });

  it('answers OCSP over GET with the request base64-encoded in the path', async () => {
    const { certPath } = await issueFromOpensslCsr('sign', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], 'ocsp-get');
    const requestPath = await files.file('get.ocspreq');
    const made = await openssl(['ocsp', '-issuer', issuingPem, '-cert', certPath, '-no_nonce', '-reqout', requestPath]);
    expect(made.code, made.stderr).toBe(0);
    const { readFile } = await import('node:fs/promises');
    const encoded = encodeURIComponent((await readFile(requestPath)).toString('base64'));
    const response = await http(`${t.urls.public}/ocsp/${encoded}`);
    expect(response.headers['content-type']).toBe('application/ocsp-response');
    const responsePath = await files.file('get.ocspresp', response.body);
    const checked = await openssl(['ocsp', '-respin', responsePath, '-issuer', issuingPem, '-cert', certPath, '-CAfile', chainPem]);
    expect(checked.stderr).toContain('Response verify OK');
    expect(checked.stdout).toContain(`${certPath}: good`);
  });

  it('answers unknown for a serial number it never issued', async () => {
    const result = await openssl(['ocsp', '-issuer', issuingPem, '-serial', '0x1234567890abcdef', '-url', `${t.urls.public}/ocsp`, '-CAfile', chainPem]);
    expect(result.stderr).toContain('Response verify OK');
    expect(result.stdout).toContain('0x1234567890abcdef: unknown');
  });

  it("answers for the issuing CA's own certificate, signed by the root", async () => {
    const result = await openssl(['ocsp', '-issuer', rootPem, '-cert', issuingPem, '-url', `${t.urls.public}/ocsp`, '-CAfile', rootPem]);
    expect(result.stderr).toContain('Response verify OK');
    expect(result.stdout).toContain(`${issuingPem}: good`);
  });
});

describe('TSA', () => {
  it('grants timestamps that openssl ts -verify accepts against both the query and the data', async () => {
    const data = await files.file('data.bin', Buffer.from('JP-Link message log batch 電子署名とタイムスタンプ'));
    const query = await files.file('req.tsq');
    const reply = await files.file('resp.tsr');
    expect((await openssl(['ts', '-query', '-data', data, '-sha256', '-cert', '-out', query])).code).toBe(0);
    const { readFile, writeFile } = await import('node:fs/promises');
    const response = await http(`${t.urls.public}/tsa`, {
      headers: { 'content-type': 'application/timestamp-query' },
      body: await readFile(query),
    });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/timestamp-reply');
    await writeFile(reply, response.body);
    const text = await openssl(['ts', '-reply', '-in', reply, '-text']);
    expect(text.stdout).toContain('Status: Granted');
    expect(text.stdout).toContain('Policy OID: 1.3.6.1.4.1.57264.1.1');
    expect(text.stdout).toMatch(/Nonce: 0x[0-9A-F]+/);
    const byQuery = await openssl(['ts', '-verify', '-queryfile', query, '-in', reply, '-CAfile', rootPem, '-untrusted', issuingPem]);
    expect(byQuery.stdout, byQuery.stderr).toContain('Verification: OK');
    const byData = await openssl(['ts', '-verify', '-data', data, '-in', reply, '-CAfile', rootPem, '-untrusted', issuingPem]);
    expect(byData.stdout, byData.stderr).toContain('Verification: OK');
  });

  it('gives every token a unique serial number', async () => {
    const { readFile } = await import('node:fs/promises');
    const data = await files.file('serial.bin', 'x');
    const serials = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const query = await files.file(`serial-${i}.tsq`);
      await openssl(['ts', '-query', '-data', data, '-sha256', '-out', query]);
      const response = await http(`${t.urls.public}/tsa`, { headers: { 'content-type': 'application/timestamp-query' }, body: await readFile(query) });
      const reply = await files.file(`serial-${i}.tsr`, response.body);
      const text = await openssl(['ts', '-reply', '-in', reply, '-text']);
      serials.add(/Serial number: (0x[0-9A-F]+)/.exec(text.stdout)![1]!);
    }
    expect(serials.size).toBe(5);
  });
});
