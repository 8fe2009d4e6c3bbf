// Bad input never crashes the Center, never yields a 500 or a stack trace: each gets its documented answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { derToPem } from '@jplink/pki';
import { http, openssl, tempDir } from '@jplink/testing';
import { startTestCenter, type TestCenter } from '../src/testing.ts';

let t: TestCenter;
let ca: string[];

beforeAll(async () => {
  t = await startTestCenter({ CENTER_BODY_LIMIT_BYTES: '65536' });
  ca = [derToPem(t.center.ca.root.certificate, 'CERTIFICATE')];
});

afterAll(async () => {
  await t?.stop();
});

function expectCatalogueError(response: { status: number; body: Buffer }, status: number, code: string) {
  expect(response.status, response.body.toString()).toBe(status);
  const body = JSON.parse(response.body.toString());
  expect(body.error.code).toBe(code);
  expect(response.body.toString()).not.toMatch(/at .*\.ts:\d+|node:internal|stack/);
}

describe('OCSP responder', () => {
  it('answers malformed DER with malformedRequest', async () => {
    const files = await tempDir();
    for (const body of [Buffer.from('not DER at all'), Buffer.from([0x30, 0x82, 0xff, 0xff, 0x01]), Buffer.alloc(0)]) {
      const response = await http(`${t.urls.public}/ocsp`, { headers: { 'content-type': 'application/ocsp-request' }, body });
      expect(response.status).toBe(200);
      const path = await files.file('malformed.der', response.body);
      const text = await openssl(['ocsp', '-respin', path, '-resp_text', '-noverify']);
      expect(text.stdout).toMatch(/Responder Error: malformedrequest/i);
    }
    expectCatalogueError(await http(`${t.urls.public}/ocsp/%E0%A4%A`), 400, 'KIT_BAD_REQUEST');
    for (const suffix of [encodeURIComponent(Buffer.from('junk').toString('base64')), '..%2F..%2Fetc%2Fpasswd']) {
      const viaGet = await http(`${t.urls.public}/ocsp/${suffix}`);
      expect(viaGet.status).toBe(200);
      const path = await files.file('malformed-get.der', viaGet.body);
      expect((await openssl(['ocsp', '-respin', path, '-resp_text', '-noverify'])).stdout).toMatch(/malformedrequest/i);
    }
  });

  it('refuses oversized requests', async () => {
    const response = await http(`${t.urls.public}/ocsp`, { headers: { 'content-type': 'application/ocsp-request' }, body: Buffer.alloc(64 * 1024) });
    expectCatalogueError(response, 413, 'KIT_BODY_TOO_LARGE');
  });
});

describe('TSA', () => {
  it('rejects malformed DER with PKIStatus rejection and a failInfo', async () => {
    const files = await tempDir();
    const response = await http(`${t.urls.public}/tsa`, { headers: { 'content-type': 'application/timestamp-query' }, body: Buffer.from('garbage') });
    expect(response.status).toBe(200);
    const path = await files.file('rejection.tsr', response.body);
    const text = await openssl(['ts', '-reply', '-in', path, '-text']);
    expect(text.stdout).toContain('Status: Rejected');
    expect(text.stdout).toContain('the data submitted has the wrong format');
  });

  it('rejects an unsupported hash algorithm with badAlg', async () => {
    const files = await tempDir();
    const data = await files.file('d.bin', 'data');
    const query = await files.file('md5.tsq');
    await openssl(['ts', '-query', '-data', data, '-sha1', '-out', query]);
    const { readFile } = await import('node:fs/promises');
    const response = await http(`${t.urls.public}/tsa`, { headers: { 'content-type': 'application/timestamp-query' }, body: await readFile(query) });
    const path = await files.file('badalg.tsr', response.body);
    const text = await openssl(['ts', '-reply', '-in', path, '-text']);
    expect(text.stdout).toContain('Status: Rejected');
    expect(text.stdout).toMatch(/unrecognized or unsupported algorithm/i);
  });
});

describe('admin API', () => {
  it('refuses unauthenticated and wrongly authenticated calls', async () => {
    expectCatalogueError(await http(`${t.urls.admin}/api/v1/members`), 401, 'CENTER_API_KEY_INVALID');
    expectCatalogueError(await http(`${t.urls.admin}/api/v1/members`, { headers: { authorization: 'Bearer jpl_wrongwrongwrongwrong' } }), 401, 'CENTER_API_KEY_INVALID');
    expectCatalogueError(
      await http(`${t.urls.admin}/api/v1/members`, { headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } }),
      401,
      'CENTER_API_KEY_INVALID',
    );
  });

  it('lets the read-only role read but not change', async () => {
    const readOnly = { authorization: `Bearer ${t.readOnlyKey}` };
    expect((await http(`${t.urls.admin}/api/v1/members`, { headers: readOnly })).status).toBe(200);
    expectCatalogueError(await http(`${t.urls.admin}/api/v1/members`, { headers: readOnly, json: { memberClass: 'COM', memberCode: '1', name: 'x' } }), 403, 'CENTER_ROLE_FORBIDDEN');
  });

  it('answers invalid bodies, unknown ids and conflicts with catalogue codes', async () => {
    const admin = { authorization: `Bearer ${t.adminKey}` };
    expectCatalogueError(await http(`${t.urls.admin}/api/v1/members`, { headers: admin, json: { memberClass: 'COM', memberCode: 'bad code!', name: '' } }), 400, 'KIT_VALIDATION_FAILED');
    expectCatalogueError(await http(`${t.urls.admin}/api/v1/members`, { headers: { ...admin, 'content-type': 'application/json' }, body: '{"memberClass":' }), 400, 'KIT_MALFORMED_BODY');
    expectCatalogueError(await http(`${t.urls.admin}/api/v1/members`, { headers: admin, json: { memberClass: 'XYZ', memberCode: '1', name: 'x' } }), 400, 'CENTER_MEMBER_CLASS_UNKNOWN');
    expect((await http(`${t.urls.admin}/api/v1/members`, { headers: admin, json: { memberClass: 'ORG', memberCode: 'dup', name: 'x' } })).status).toBe(201);
    expectCatalogueError(await http(`${t.urls.admin}/api/v1/members`, { headers: admin, json: { memberClass: 'ORG', memberCode: 'dup', name: 'x' } }), 409, 'CENTER_MEMBER_EXISTS');
    expectCatalogueError(await http(`${t.urls.admin}/api/v1/management-requests/6f1c1c7e-9a43-4b8e-8d2a-1f0f0e0d0c0b`, { headers: admin }), 404, 'CENTER_REQUEST_UNKNOWN');
    expectCatalogueError(await http(`${t.urls.admin}/api/v1/certificates/abc123/revoke`, { headers: admin, json: { reason: 'superseded' } }), 404, 'CENTER_CERTIFICATE_UNKNOWN');
    expectCatalogueError(
      await http(`${t.urls.admin}/api/v1/certificates`, { headers: admin, json: { csr: '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n', profile: 'sign', member: 'JP-TEST/ORG/dup' } }),
      400,
      'CENTER_CSR_INVALID',
    );
    expectCatalogueError(await http(`${t.urls.admin}/api/v1/members`, { headers: admin, json: { memberClass: 'COM', memberCode: 'big', name: 'x'.repeat(70_000) } }), 413, 'KIT_BODY_TOO_LARGE');
  });

  it('serves OpenAPI for every listener', async () => {
    const adminDoc = (await http(`${t.urls.admin}/openapi.json`)).json();
    expect(Object.keys(adminDoc.paths)).toContain('/api/v1/management-requests/{id}/approve');
    const registrationDoc = (await http(`${t.urls.registration}/openapi.json`, { tls: { ca } })).json();
    expect(Object.keys(registrationDoc.paths)).toContain('/v1/management-requests');
    const publicDoc = (await http(`${t.urls.public}/openapi.json`)).json();
    expect(Object.keys(publicDoc.paths)).toContain('/tsa');
  });
});

describe('rate limiting', () => {
  it('answers 429 KIT_RATE_LIMITED once a client exceeds the per-minute limit, and still serves health probes', async () => {
    const limited = await startTestCenter({ CENTER_RATE_LIMIT_PER_MINUTE: '5' });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) statuses.push((await http(`${limited.urls.admin}/api/v1/members`)).status);
      expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
      expectCatalogueError(await http(`${limited.urls.admin}/api/v1/members`), 429, 'KIT_RATE_LIMITED');
      expect((await http(`${limited.urls.admin}/readyz`)).status).toBe(200);
    } finally {
      await limited.stop();
    }
  });
});

describe('registration service', () => {
  it('answers invalid requests with catalogue codes', async () => {
    const tls = { ca };
    expectCatalogueError(await http(`${t.urls.registration}/v1/certificate-applications`, { json: { csr: 'nope', profile: 'auth', member: 'JP-TEST/COM/1' }, tls }), 400, 'KIT_VALIDATION_FAILED');
    expectCatalogueError(
      await http(`${t.urls.registration}/v1/certificate-applications`, {
        json: { csr: '-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n', profile: 'sign', member: 'JP-TEST/COM/nobody' },
        tls,
      }),
      404,
      'CENTER_MEMBER_UNKNOWN',
    );
    expectCatalogueError(
      await http(`${t.urls.registration}/v1/certificate-applications/6f1c1c7e-9a43-4b8e-8d2a-1f0f0e0d0c0b`, { headers: { authorization: 'Bearer nothing' }, tls }),
      401,
      'CENTER_POLL_TOKEN_INVALID',
    );
    expectCatalogueError(await http(`${t.urls.registration}/v1/management-requests`, { json: { type: 'unknownType' }, tls }), 400, 'KIT_VALIDATION_FAILED');
    expectCatalogueError(await http(`${t.urls.registration}/v1/certificate-applications`, { json: { csr: 'x'.repeat(70_000) }, tls }), 413, 'KIT_BODY_TOO_LARGE');
  });
});
