import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  buildOcspErrorResponse,
  buildOcspResponse,
  certIdMatchesIssuer,
  createOcspRequest,
  parseOcspRequest,
  parseCertificate,
  parseOcspResponse,
  verifyOcspResponse,
  type OcspCertStatus,
} from '../src/index.ts';
import { buildHierarchy, KEY_ALGORITHMS, type Hierarchy, type Issued } from './support/fixtures.ts';
import { openssl, TempDir } from './support/openssl.ts';

describe.each(KEY_ALGORITHMS)('OCSP (%s)', (alg) => {
  let dir: TempDir;
  let h: Hierarchy;
  let leaf: Issued;
  let responder: Issued;
  let server: Server;
  let url: string;
  const statuses = new Map<bigint, OcspCertStatus>();
  const seenNonces: Array<Uint8Array | undefined> = [];

  beforeAll(async () => {
    dir = await TempDir.create();
    h = await buildHierarchy(alg);
    leaf = await h.issue('auth');
    responder = await h.issue('ocsp-responder');
    await dir.write('issuing.pem', h.issuing.pem);
    await dir.write('leaf.pem', leaf.pem);
    await dir.write('chain.pem', h.root.pem + h.issuing.pem);

    // A tiny responder: the same calls the Center makes.
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        let body: Uint8Array;
        try {
          const parsed = parseOcspRequest(Buffer.concat(chunks));
          seenNonces.push(parsed.nonce);
          const now = new Date();
          body = await buildOcspResponse({
            responder: { certificate: responder.der, privateKey: responder.privateKey },
            responses: parsed.requests.map((certId) => ({
              certId,
              status: certIdMatchesIssuer(certId, h.issuing.der) ? statuses.get(certId.serialNumber) ?? { type: 'unknown' } : { type: 'unknown' },
              thisUpdate: now,
              nextUpdate: new Date(now.getTime() + 3600_000),
            })),
            ...(parsed.nonce ? { nonce: parsed.nonce } : {}),
            producedAt: now,
            includeCertificates: [responder.der],
          });
        } catch {
          body = buildOcspErrorResponse('malformedRequest');
        }
        res.writeHead(200, { 'content-type': 'application/ocsp-response', 'content-length': body.length });
        res.end(Buffer.from(body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await dir.remove();
  });

  const ocspCli = (extra: string[] = []) =>
    openssl(['ocsp', '-issuer', 'issuing.pem', '-cert', 'leaf.pem', '-url', url, '-CAfile', 'chain.pem', '-resp_text', ...extra], { cwd: dir.path });

  it('openssl ocsp: good, signature by the delegated responder verifies, nonce echoed', async () => {
    statuses.set(parseSerial(leaf), { type: 'good' });
    const r = await ocspCli();
    expect(r.output).toContain('Response verify OK');
    expect(r.output).toMatch(/leaf\.pem: good/);
    expect(r.output).toContain('OCSP Nonce');
    expect(r.output).not.toContain('WARNING: no nonce');
    expect(r.output).toMatch(/Responder Id: [0-9A-F]{40}/);
    const sent = seenNonces.at(-1);
    expect(sent?.length).toBeGreaterThan(0);
    expect(r.output.replace(/\s/g, '')).toContain(Buffer.from(sent as Uint8Array).toString('hex').toUpperCase());
  });

  it('openssl ocsp: revoked with reason and time', async () => {
    statuses.set(parseSerial(leaf), { type: 'revoked', revokedAt: new Date('2025-04-01T12:34:56Z'), reason: 'keyCompromise' });
    const r = await ocspCli();
    expect(r.output).toContain('Response verify OK');
    expect(r.output).toMatch(/leaf\.pem: revoked/);
    expect(r.output).toMatch(/Reason: keyCompromise/);
    expect(r.output).toMatch(/Revocation Time: Apr\s+1 12:34:56 2025 GMT/);
  });

  it('openssl ocsp: unknown serial and -no_nonce', async () => {
    statuses.delete(parseSerial(leaf));
    const r = await ocspCli(['-no_nonce']);
    expect(r.output).toContain('Response verify OK');
    expect(r.output).toMatch(/leaf\.pem: unknown/);
    expect(seenNonces.at(-1)).toBeUndefined();
  });

  describe('own request + verifyOcspResponse round trip', () => {
    async function answer(reqDer: Uint8Array, opts: { responderCert?: Issued; nonce?: Uint8Array | null; thisUpdate?: Date; nextUpdate?: Date; include?: Uint8Array[] } = {}) {
      const parsed = parseOcspRequest(reqDer);
      const r = opts.responderCert ?? responder;
      const thisUpdate = opts.thisUpdate ?? new Date();
      const nonce = opts.nonce === null ? undefined : opts.nonce ?? parsed.nonce;
      return buildOcspResponse({
        responder: { certificate: r.der, privateKey: r.privateKey },
        responses: parsed.requests.map((certId) => ({ certId, status: statuses.get(certId.serialNumber) ?? { type: 'unknown' }, thisUpdate, ...(opts.nextUpdate ? { nextUpdate: opts.nextUpdate } : {}) })),
        ...(nonce ? { nonce } : {}),
        includeCertificates: opts.include ?? [r.der],
      });
    }

    it('good and revoked statuses verify, with nonce; SHA-256 CertIDs work too', async () => {
      statuses.set(parseSerial(leaf), { type: 'good' });
      const req = await createOcspRequest({ certificate: leaf.der, issuer: h.issuing.der });
      expect(req.certId.hashAlgorithm).toBe('sha1');
      const res = await verifyOcspResponse({ response: await answer(req.der), issuer: h.issuing.der, certificate: leaf.der, nonce: req.nonce as Uint8Array, trustAnchors: [h.root.der], maxAgeSeconds: 3600 });
      expect(res.status).toBe('good');
      expect(res.delegated).toBe(true);

      statuses.set(parseSerial(leaf), { type: 'revoked', revokedAt: new Date('2025-01-02T03:04:05Z'), reason: 'superseded' });
      const req256 = await createOcspRequest({ certificate: leaf.der, issuer: h.issuing.der, hashAlgorithm: 'sha256' });
      const parsed = parseOcspRequest(req256.der);
      expect(parsed.requests[0]?.hashAlgorithm).toBe('sha256');
      expect(certIdMatchesIssuer(parsed.requests[0]!, h.issuing.der)).toBe(true);
      expect(certIdMatchesIssuer(parsed.requests[0]!, h.root.der)).toBe(false);
      const rev = await verifyOcspResponse({ response: await answer(req256.der), issuer: h.issuing.der, certificate: leaf.der, nonce: req256.nonce as Uint8Array });
      expect(rev).toMatchObject({ status: 'revoked', reason: 'superseded', revokedAt: new Date('2025-01-02T03:04:05Z') });
    });

    it('a response signed by the issuing CA itself is accepted', async () => {
      const issuerAsResponder = { ...h.issuing };
      const req = await createOcspRequest({ certificate: leaf.der, issuer: h.issuing.der, nonce: false });
      expect(req.nonce).toBeUndefined();
      const res = await verifyOcspResponse({ response: await answer(req.der, { responderCert: issuerAsResponder, include: [] }), issuer: h.issuing.der, certificate: leaf.der });
      expect(res.delegated).toBe(false);
    });

    it('rejects a wrong or missing nonce', async () => {
      const req = await createOcspRequest({ certificate: leaf.der, issuer: h.issuing.der });
      const wrong = await answer(req.der, { nonce: new Uint8Array(16).fill(7) });
      await expect(verifyOcspResponse({ response: wrong, issuer: h.issuing.der, certificate: leaf.der, nonce: req.nonce as Uint8Array })).rejects.toMatchObject({ code: 'PKI_OCSP_NONCE_MISMATCH' });
      const none = await answer(req.der, { nonce: null });
      await expect(verifyOcspResponse({ response: none, issuer: h.issuing.der, certificate: leaf.der, nonce: req.nonce as Uint8Array })).rejects.toMatchObject({ code: 'PKI_OCSP_NONCE_MISMATCH' });
    });

    it('rejects stale and expired responses', async () => {
      const req = await createOcspRequest({ certificate: leaf.der, issuer: h.issuing.der, nonce: false });
      const old = await answer(req.der, { thisUpdate: new Date(Date.now() - 2 * 3600_000) });
      await expect(verifyOcspResponse({ response: old, issuer: h.issuing.der, certificate: leaf.der, maxAgeSeconds: 3600 })).rejects.toMatchObject({ code: 'PKI_OCSP_STALE' });
      const expired = await answer(req.der, { thisUpdate: new Date(Date.now() - 2 * 3600_000), nextUpdate: new Date(Date.now() - 3600_000) });
      await expect(verifyOcspResponse({ response: expired, issuer: h.issuing.der, certificate: leaf.der })).rejects.toMatchObject({ code: 'PKI_OCSP_EXPIRED' });
      const future = await answer(req.der, { thisUpdate: new Date(Date.now() + 3600_000) });
      await expect(verifyOcspResponse({ response: future, issuer: h.issuing.der, certificate: leaf.der })).rejects.toMatchObject({ code: 'PKI_OCSP_NOT_YET_VALID' });
    });

    it('rejects a response signed by a key that is not a delegated responder', async () => {
      const req = await createOcspRequest({ certificate: leaf.der, issuer: h.issuing.der, nonce: false });
      // A certificate of the same CA without EKU OCSPSigning.
      const byLeaf = await answer(req.der, { responderCert: leaf });
      await expect(verifyOcspResponse({ response: byLeaf, issuer: h.issuing.der, certificate: leaf.der })).rejects.toMatchObject({ code: 'PKI_OCSP_RESPONDER_UNAUTHORIZED' });
      // An OCSPSigning certificate issued by another CA.
      const other = await buildHierarchy(alg);
      const foreign = await other.issue('ocsp-responder');
      const byForeign = await answer(req.der, { responderCert: foreign });
      await expect(verifyOcspResponse({ response: byForeign, issuer: h.issuing.der, certificate: leaf.der })).rejects.toMatchObject({ code: 'PKI_OCSP_RESPONDER_UNAUTHORIZED' });
      // The responder certificate left out of the response.
      const missing = await answer(req.der, { include: [] });
      await expect(verifyOcspResponse({ response: missing, issuer: h.issuing.der, certificate: leaf.der })).rejects.toMatchObject({ code: 'PKI_OCSP_RESPONDER_UNKNOWN' });
    });

    it('rejects a tampered signature and a response for another certificate', async () => {
      const req = await createOcspRequest({ certificate: leaf.der, issuer: h.issuing.der, nonce: false });
      const good = Buffer.from(await answer(req.der));
      const parsed = parseOcspResponse(good);
      const sig = Buffer.from(parsed.signature as Uint8Array);
      const at = good.indexOf(sig);
      good[at + 10] = (good[at + 10] as number) ^ 0xff;
      await expect(verifyOcspResponse({ response: good, issuer: h.issuing.der, certificate: leaf.der })).rejects.toMatchObject({ code: 'PKI_OCSP_SIGNATURE_INVALID' });
      const other = await h.issue('sign');
      await expect(verifyOcspResponse({ response: await answer(req.der), issuer: h.issuing.der, certificate: other.der })).rejects.toMatchObject({ code: 'PKI_OCSP_CERT_ID_MISMATCH' });
    });

    it('error responses are reported as unsuccessful', async () => {
      await expect(verifyOcspResponse({ response: buildOcspErrorResponse('tryLater'), issuer: h.issuing.der, certificate: leaf.der })).rejects.toMatchObject({ code: 'PKI_OCSP_UNSUCCESSFUL' });
      expect(parseOcspResponse(buildOcspErrorResponse('unauthorized')).responseStatus).toBe('unauthorized');
    });
  });

  function parseSerial(c: Issued): bigint {
    return parseCertificate(c.der).serialNumber;
  }
});

describe('malformed OCSP requests', () => {
  let dir: TempDir;
  beforeAll(async () => {
    dir = await TempDir.create();
  });
  afterAll(() => dir.remove());

  it.each([
    ['garbage', Buffer.from('not DER at all')],
    ['truncated', Buffer.from([0x30, 0x10, 0x30, 0x0e])],
    ['empty sequence', Buffer.from([0x30, 0x00])],
    ['wrong structure', Buffer.from([0x30, 0x03, 0x02, 0x01, 0x05])],
  ])('%s → PKI_OCSP_MALFORMED_REQUEST', (_name, der) => {
    expect(() => parseOcspRequest(der)).toThrow(expect.objectContaining({ code: 'PKI_OCSP_MALFORMED_REQUEST' }));
  });

  it('buildOcspErrorResponse(malformedRequest) is what openssl ocsp -respin reports', async () => {
    await dir.write('err.der', buildOcspErrorResponse('malformedRequest'));
    const r = await openssl(['ocsp', '-respin', 'err.der', '-resp_text', '-noverify'], { cwd: dir.path });
    expect(r.output).toContain('Responder Error: malformedrequest (1)');
    for (const [status, text] of [['internalError', 'internalerror (2)'], ['tryLater', 'trylater (3)'], ['sigRequired', 'sigrequired (5)'], ['unauthorized', 'unauthorized (6)']] as const) {
      await dir.write(`${status}.der`, buildOcspErrorResponse(status));
      expect((await openssl(['ocsp', '-respin', `${status}.der`, '-resp_text', '-noverify'], { cwd: dir.path })).output).toContain(`Responder Error: ${text}`);
    }
  });
});
