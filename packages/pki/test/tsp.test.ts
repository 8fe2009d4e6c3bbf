import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import {
  buildTimeStampRejection,
  buildTimeStampResponse,
  createTimeStampRequest,
  extractTimeStampToken,
  parseTimeStampRequest,
  parseTimeStampResponse,
  verifyTimeStampToken,
  type TimeStampFailure,
} from '../src/index.ts';
import { isTimeStampResponse } from '../src/tsp-parse.ts';
import { buildHierarchy, KEY_ALGORITHMS, type Hierarchy, type Issued } from './support/fixtures.ts';
import { openssl, TempDir } from './support/openssl.ts';

const POLICY = '1.3.6.1.4.1.99999.1.1';
const DATA = Buffer.from('JP-Link message log batch 2025-04-01T00:00:00Z\n');

describe.each(KEY_ALGORITHMS)('TSA (%s), verified by openssl ts', (alg) => {
  let dir: TempDir;
  let h: Hierarchy;
  let tsa: Issued;
  let respDer: Uint8Array;
  let nonce: bigint | undefined;
  let serial = 1000n;

  async function respond(reqDer: Uint8Array, genTime = new Date()): Promise<Uint8Array> {
    return buildTimeStampResponse({
      tsa: { certificate: tsa.der, privateKey: tsa.privateKey, chain: [h.issuing.der] },
      request: parseTimeStampRequest(reqDer),
      serialNumber: serial++,
      genTime,
      policy: POLICY,
      accuracySeconds: 1,
    });
  }

  beforeAll(async () => {
    dir = await TempDir.create();
    h = await buildHierarchy(alg);
    tsa = await h.issue('tsa', { subject: [['C', 'JP'], ['O', 'JP-TEST'], ['CN', `JP-Link TSA ${alg}`]] });
    await dir.write('f', DATA);
    await dir.write('root.pem', h.root.pem);
    await dir.write('tsa-chain.pem', tsa.pem + h.issuing.pem);
    const q = await openssl(['ts', '-query', '-data', 'f', '-sha256', '-cert', '-out', 'req.tsq'], { cwd: dir.path });
    expect(q.code).toBe(0);
    const reqDer = await dir.read('req.tsq');
    const parsed = parseTimeStampRequest(reqDer);
    expect(parsed.hashAlgorithm).toBe('2.16.840.1.101.3.4.2.1');
    expect(parsed.messageImprint).toEqual(createHash('sha256').update(DATA).digest());
    expect(parsed.certReq).toBe(true);
    expect(parsed.nonce).toBeTypeOf('bigint');
    nonce = parsed.nonce;
    respDer = await respond(reqDer);
    await dir.write('resp.tsr', respDer);
  });
  afterAll(() => dir.remove());

  it('openssl ts -verify -queryfile says Verification: OK', async () => {
    const r = await openssl(['ts', '-verify', '-queryfile', 'req.tsq', '-in', 'resp.tsr', '-CAfile', 'root.pem', '-untrusted', 'tsa-chain.pem'], { cwd: dir.path });
    expect(r.output).toContain('Verification: OK');
    expect(r.code).toBe(0);
  });

  it('openssl ts -verify -data says Verification: OK (also with the token alone)', async () => {
    const r = await openssl(['ts', '-verify', '-data', 'f', '-in', 'resp.tsr', '-CAfile', 'root.pem', '-untrusted', 'tsa-chain.pem'], { cwd: dir.path });
    expect(r.output).toContain('Verification: OK');
    await dir.write('token.der', extractTimeStampToken(respDer));
    const t = await openssl(['ts', '-verify', '-data', 'f', '-in', 'token.der', '-token_in', '-CAfile', 'root.pem', '-untrusted', 'tsa-chain.pem'], { cwd: dir.path });
    expect(t.output).toContain('Verification: OK');
  });

  it('openssl ts -verify fails for other data', async () => {
    await dir.write('g', Buffer.from('other data'));
    const r = await openssl(['ts', '-verify', '-data', 'g', '-in', 'resp.tsr', '-CAfile', 'root.pem', '-untrusted', 'tsa-chain.pem'], { cwd: dir.path });
    expect(r.output).toContain('Verification: FAILED');
    expect(r.output).toMatch(/message imprint mismatch/);
  });

  it('openssl ts -reply -text shows status, nonce, policy, accuracy and the TSA', async () => {
    const r = await openssl(['ts', '-reply', '-in', 'resp.tsr', '-text'], { cwd: dir.path });
    expect(r.stdout).toContain('Status: Granted.');
    expect(r.stdout).toContain(`Policy OID: ${POLICY}`);
    expect(r.stdout).toMatch(new RegExp(`Nonce: 0x0*${(nonce as bigint).toString(16).toUpperCase()}`));
    expect(r.stdout).toContain('Accuracy: 0x01 seconds');
    expect(r.stdout).toContain('Hash Algorithm: sha256');
    expect(r.stdout).toMatch(/Serial number: 0x03E8/);
  });

  it('the token carries the TSA certificate and ESS SigningCertificateV2', async () => {
    await dir.write('token.der', extractTimeStampToken(respDer));
    const r = await openssl(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', 'token.der'], { cwd: dir.path });
    expect(r.stdout).toContain('id-smime-ct-TSTInfo');
    expect(r.stdout).toContain('id-smime-aa-signingCertificateV2');
    expect(r.stdout).toContain('signingTime');
    expect(r.stdout).toContain('messageDigest');
    expect(r.stdout).toContain(`CN=JP-Link TSA ${alg}`);
  });

  it('verifyTimeStampToken accepts the response and the bare token', async () => {
    const v = await verifyTimeStampToken({ token: respDer, data: DATA, trustAnchors: [h.root.der], nonce: nonce as bigint });
    expect(v.policy).toBe(POLICY);
    expect(v.serialNumber).toBe(1000n);
    expect(v.signer.extendedKeyUsage).toEqual(['timeStamping']);
    expect(v.accuracy).toEqual({ seconds: 1 });
    const token = extractTimeStampToken(respDer);
    const v2 = await verifyTimeStampToken({ token, digest: createHash('sha256').update(DATA).digest(), trustAnchors: [h.root.der] });
    expect(v2.genTime).toEqual(v.genTime);
  });

  it('the token comes out byte for byte as in the response; responses and tokens are told apart; malformed input is refused', () => {
    const token = extractTimeStampToken(respDer);
    expect(Buffer.from(token).equals(Buffer.from(parseTimeStampResponse(respDer).token!))).toBe(true);
    expect(Buffer.from(respDer).includes(Buffer.from(token))).toBe(true);
    expect(isTimeStampResponse(respDer)).toBe(true);
    expect(isTimeStampResponse(token)).toBe(false);
    for (const bad of [respDer.subarray(0, respDer.length - 1), Buffer.concat([respDer, Buffer.from([0])]), Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff])]) {
      expect(() => extractTimeStampToken(bad)).toThrow(expect.objectContaining({ code: 'PKI_TSP_MALFORMED_RESPONSE' }));
    }
    expect(() => isTimeStampResponse(Buffer.from([0x30, 0x05, 0x30]))).toThrow(expect.objectContaining({ code: 'PKI_TSP_MALFORMED_RESPONSE' }));
  });

  it('verifyTimeStampToken rejects a changed imprint, wrong nonce, wrong anchor and tampering', async () => {
    await expect(verifyTimeStampToken({ token: respDer, data: Buffer.from('changed'), trustAnchors: [h.root.der] })).rejects.toMatchObject({ code: 'PKI_TSP_IMPRINT_MISMATCH' });
    await expect(verifyTimeStampToken({ token: respDer, data: DATA, trustAnchors: [h.root.der], nonce: 42n })).rejects.toMatchObject({ code: 'PKI_TSP_NONCE_MISMATCH' });
    const other = await buildHierarchy(alg);
    await expect(verifyTimeStampToken({ token: respDer, data: DATA, trustAnchors: [other.root.der] })).rejects.toMatchObject({ code: 'PKI_CHAIN_UNTRUSTED' });
    // Flip a byte inside the TSTInfo policy OID: the messageDigest no longer matches.
    const tampered = Buffer.from(respDer);
    const oid = Buffer.from([0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x86, 0x8d, 0x1f, 0x01, 0x01]);
    const at = tampered.indexOf(oid);
    expect(at).toBeGreaterThan(0);
    tampered[at + 11] = 0x02;
    await expect(verifyTimeStampToken({ token: tampered, data: DATA, trustAnchors: [h.root.der] })).rejects.toMatchObject({ code: 'PKI_TSP_SIGNATURE_INVALID' });
  });

  it('our own request: no certReq → no certificates in the token; signer found via intermediates', async () => {
    const req = createTimeStampRequest({ data: DATA, certReq: false, hashAlgorithm: 'sha512', policy: POLICY });
    const parsed = parseTimeStampRequest(req.der);
    expect(parsed).toMatchObject({ hashAlgorithm: '2.16.840.1.101.3.4.2.3', certReq: false, policy: POLICY, nonce: req.nonce });
    const resp = await respond(req.der);
    await expect(verifyTimeStampToken({ token: resp, data: DATA, trustAnchors: [h.root.der], nonce: req.nonce as bigint })).rejects.toMatchObject({ code: 'PKI_TSP_SIGNER_NOT_FOUND' });
    const v = await verifyTimeStampToken({ token: resp, data: DATA, trustAnchors: [h.root.der], intermediates: [tsa.der, h.issuing.der], nonce: req.nonce as bigint });
    expect(v.policy).toBe(POLICY);
    await dir.write('own.tsq', req.der);
    await dir.write('own.tsr', resp);
    const r = await openssl(['ts', '-verify', '-queryfile', 'own.tsq', '-in', 'own.tsr', '-CAfile', 'root.pem', '-untrusted', 'tsa-chain.pem'], { cwd: dir.path });
    expect(r.output).toContain('Verification: OK');
  });

  it('refuses a TSA certificate whose EKU is not sole and critical, and an unserved policy', async () => {
    const auth = await h.issue('auth');
    const req = parseTimeStampRequest(createTimeStampRequest({ data: DATA }).der);
    await expect(
      buildTimeStampResponse({ tsa: { certificate: auth.der, privateKey: auth.privateKey }, request: req, serialNumber: 1n, genTime: new Date(), policy: POLICY }),
    ).rejects.toMatchObject({ code: 'PKI_CERT_USAGE' });
    await expect(
      buildTimeStampResponse({ tsa: { certificate: tsa.der, privateKey: tsa.privateKey }, request: { ...req, policy: '1.2.3' }, serialNumber: 1n, genTime: new Date(), policy: POLICY }),
    ).rejects.toMatchObject({ code: 'PKI_TSP_UNACCEPTED_POLICY' });
    await expect(
      buildTimeStampResponse({ tsa: { certificate: tsa.der, privateKey: tsa.privateKey }, request: { ...req, hashAlgorithm: '1.3.14.3.2.26' }, serialNumber: 1n, genTime: new Date(), policy: POLICY }),
    ).rejects.toMatchObject({ code: 'PKI_TSP_UNSUPPORTED_ALGORITHM' });
  });
});

describe('TSA rejections and malformed requests', () => {
  let dir: TempDir;
  beforeAll(async () => {
    dir = await TempDir.create();
  });
  afterAll(() => dir.remove());

  it.each([
    ['badAlg', 'unrecognized or unsupported algorithm identifier'],
    ['badRequest', 'transaction not permitted or supported'],
    ['badDataFormat', 'the data submitted has the wrong format'],
    ['timeNotAvailable', "the TSA's time source is not available"],
    ['unacceptedPolicy', 'the requested TSA policy is not supported by the TSA'],
    ['unacceptedExtension', 'the requested extension is not supported by the TSA'],
    ['addInfoNotAvailable', 'the additional information requested could not be understood or is not available'],
    ['systemFailure', 'the request cannot be handled due to system failure'],
  ] as Array<[TimeStampFailure, string]>)('rejection %s is shown by openssl ts -reply -text', async (failure, text) => {
    const der = buildTimeStampRejection(failure, 'sorry');
    await dir.write(`${failure}.tsr`, der);
    const r = await openssl(['ts', '-reply', '-in', `${failure}.tsr`, '-text'], { cwd: dir.path });
    expect(r.stdout).toContain('Status: Rejected.');
    expect(r.stdout).toContain('sorry');
    expect(r.stdout).toContain(`Failure info: ${text}`);
    expect(parseTimeStampResponse(der)).toMatchObject({ status: 'rejection', failInfo: [failure], statusText: ['sorry'] });
    expect(() => extractTimeStampToken(der)).toThrow(expect.objectContaining({ code: 'PKI_TSP_REJECTED' }));
  });

  it('malformed requests → PKI_TSP_MALFORMED_REQUEST', () => {
    for (const der of [Buffer.from('xx'), Buffer.from([0x30, 0x00]), Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01])]) {
      expect(() => parseTimeStampRequest(der)).toThrow(expect.objectContaining({ code: 'PKI_TSP_MALFORMED_REQUEST' }));
    }
  });
});
