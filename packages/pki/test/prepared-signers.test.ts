// The prepared hot path (prepareIssuer, prepareOcspSigner, prepareTimeStampSigner and the DER
// request parsers), checked by OpenSSL as the independent verifier, for both key types.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as asn1js from 'asn1js';
import {
  buildOcspResponse,
  buildPreparedOcspResponse,
  buildPreparedTimeStampResponse,
  certIdFor,
  certIdMatchesIssuer,
  createOcspRequest,
  createTimeStampRequest,
  extractTimeStampToken,
  parseOcspRequest,
  parseOcspResponse,
  parseTimeStampRequest,
  prepareIssuer,
  prepareOcspSigner,
  prepareTimeStampSigner,
  verifyOcspResponse,
  verifyTimeStampToken,
  type PreparedTimeStampSigner,
} from '../src/index.ts';
import { buildHierarchy, KEY_ALGORITHMS, type Hierarchy, type Issued } from './support/fixtures.ts';
import { openssl, TempDir } from './support/openssl.ts';

const POLICY = '1.3.6.1.4.1.99999.1.7';
const DATA = Buffer.from('JP-Link prepared signer test data\n');

describe.each(KEY_ALGORITHMS)('prepared OCSP issuer and signer (%s), verified by openssl ocsp', (alg) => {
  let dir: TempDir;
  let h: Hierarchy;
  let leaf: Issued;
  let responder: Issued;

  beforeAll(async () => {
    dir = await TempDir.create();
    h = await buildHierarchy(alg);
    leaf = await h.issue('auth');
    responder = await h.issue('ocsp-responder');
    await dir.write('issuing.pem', h.issuing.pem);
    await dir.write('leaf.pem', leaf.pem);
    await dir.write('chain.pem', h.root.pem + h.issuing.pem);
  });
  afterAll(() => dir.remove());

  /** OpenSSL checks a response against its own request file: signature, chain and nonce. */
  async function opensslCheck(request: string, response: Uint8Array, extra: string[] = []) {
    await dir.write('resp.der', response);
    return openssl(['ocsp', '-reqin', request, '-respin', 'resp.der', '-CAfile', 'chain.pem', '-resp_text', ...extra], { cwd: dir.path });
  }

  it('prepareIssuer holds the CertID hashes of certIdFor and matches only its own CertIDs', () => {
    const issuing = prepareIssuer(h.issuing.der);
    const root = prepareIssuer(h.root.pem);
    expect(prepareIssuer(h.issuing.pem)).toEqual(issuing);
    for (const hashAlgorithm of ['sha1', 'sha256'] as const) {
      const certId = certIdFor({ issuer: h.issuing.der, certificate: leaf.der, hashAlgorithm });
      expect(issuing.nameHash[hashAlgorithm]).toEqual(certId.issuerNameHash);
      expect(issuing.keyHash[hashAlgorithm]).toEqual(certId.issuerKeyHash);
      expect(certIdMatchesIssuer(certId, issuing)).toBe(true);
      expect(certIdMatchesIssuer(certId, root)).toBe(false);
      expect(certIdMatchesIssuer({ ...certId, issuerKeyHash: root.keyHash[hashAlgorithm] }, issuing)).toBe(false);
    }
  });

  it.each([['sha1', []], ['sha256', ['-sha256']]] as const)('delegated responder, %s CertID from openssl: Response verify OK, good, nonce checked', async (hashAlgorithm, digestArgs) => {
    const made = await openssl(['ocsp', ...digestArgs, '-issuer', 'issuing.pem', '-cert', 'leaf.pem', '-reqout', `req-${hashAlgorithm}.der`], { cwd: dir.path });
    expect(made.code, made.output).toBe(0);
    const request = parseOcspRequest(await dir.read(`req-${hashAlgorithm}.der`));
    expect(request.requests[0]?.hashAlgorithm).toBe(hashAlgorithm);
    expect(request.nonce?.length).toBeGreaterThan(0);
    const issuer = prepareIssuer(h.issuing.der);
    expect(certIdMatchesIssuer(request.requests[0]!, issuer)).toBe(true);

    const signer = prepareOcspSigner({ certificate: responder.der, privateKey: responder.privateKey, includeCertificates: [responder.der] });
    const thisUpdate = new Date();
    const responses = request.requests.map((certId) => ({ certId, status: { type: 'good' as const }, thisUpdate, nextUpdate: new Date(thisUpdate.getTime() + 3600_000) }));
    const ok = await opensslCheck(`req-${hashAlgorithm}.der`, buildPreparedOcspResponse(signer, { responses, nonce: request.nonce!, producedAt: thisUpdate }));
    expect(ok.output).toContain('Response verify OK');
    expect(ok.output).toContain('Cert Status: good');
    expect(ok.output).not.toContain('Nonce Verify error');

    // The nonce check above is real: another nonce is refused.
    const wrong = await opensslCheck(`req-${hashAlgorithm}.der`, buildPreparedOcspResponse(signer, { responses, nonce: new Uint8Array(16).fill(1) }));
    expect(wrong.output).toContain('Nonce Verify error');
  });

  it('the CA as its own responder (no certificates), revoked with reason: OpenSSL and verifyOcspResponse agree', async () => {
    const req = await createOcspRequest({ certificate: leaf.der, issuer: h.issuing.der });
    await dir.write('own-req.der', req.der);
    const request = parseOcspRequest(req.der);
    const signer = prepareOcspSigner({ certificate: h.issuing.pem, privateKey: h.issuing.privateKey });
    expect(signer.includeCertificates).toEqual([]);
    const thisUpdate = new Date();
    const response = buildPreparedOcspResponse(signer, {
      responses: request.requests.map((certId) => ({ certId, status: { type: 'revoked', revokedAt: new Date('2025-04-01T12:34:56Z'), reason: 'keyCompromise' }, thisUpdate })),
      nonce: request.nonce!,
    });
    // No certificates in the response: OpenSSL is given the CA certificate to find the signer.
    const r = await opensslCheck('own-req.der', response, ['-verify_other', 'issuing.pem']);
    expect(r.output).toContain('Response verify OK');
    expect(r.output).toContain('Cert Status: revoked');
    expect(r.output).toContain('Revocation Reason: keyCompromise');
    const verified = await verifyOcspResponse({ response, issuer: h.issuing.der, certificate: leaf.der, nonce: req.nonce!, trustAnchors: [h.root.der] });
    expect(verified).toMatchObject({ status: 'revoked', reason: 'keyCompromise', revokedAt: new Date('2025-04-01T12:34:56Z'), delegated: false });
    expect(parseOcspResponse(response).certificates).toEqual([]);
  });

  it('refuses a key that does not match the certificate and an empty response list', () => {
    expect(() => prepareOcspSigner({ certificate: responder.der, privateKey: leaf.privateKey })).toThrow(expect.objectContaining({ code: 'PKI_KEY_MISMATCH' }));
    expect(() => prepareOcspSigner({ certificate: new Uint8Array([0x30, 0x00]), privateKey: leaf.privateKey })).toThrow(expect.objectContaining({ code: 'PKI_CERT_MALFORMED' }));
    const signer = prepareOcspSigner({ certificate: responder.der, privateKey: responder.privateKey });
    expect(() => buildPreparedOcspResponse(signer, { responses: [] })).toThrow(expect.objectContaining({ code: 'PKI_INVALID_ARGUMENT' }));
  });

  it('buildOcspResponse reuses a prepared signer only while the certificate bytes are unchanged', async () => {
    const request = parseOcspRequest((await createOcspRequest({ certificate: leaf.der, issuer: h.issuing.der, nonce: false })).der);
    const include = Uint8Array.from(responder.der);
    const answer = () =>
      buildOcspResponse({
        responder: { certificate: responder.der, privateKey: responder.privateKey },
        responses: request.requests.map((certId) => ({ certId, status: { type: 'good' as const }, thisUpdate: new Date() })),
        includeCertificates: [include],
      });
    expect(parseOcspResponse(await answer()).certificates).toEqual([responder.der]);
    include[include.length - 1] = (include[include.length - 1] as number) ^ 0xff; // inside the signature: still parses
    expect(parseOcspResponse(await answer()).certificates).toEqual([include]);
  });
});

describe.each(KEY_ALGORITHMS)('prepared TSA signer (%s), verified by openssl ts', (alg) => {
  let dir: TempDir;
  let h: Hierarchy;
  let tsa: Issued;
  let signer: PreparedTimeStampSigner;
  let serial = 5000n;

  beforeAll(async () => {
    dir = await TempDir.create();
    h = await buildHierarchy(alg);
    tsa = await h.issue('tsa', { subject: [['C', 'JP'], ['O', 'JP-TEST'], ['CN', `Prepared TSA ${alg}`]] });
    signer = prepareTimeStampSigner({ certificate: tsa.der, privateKey: tsa.privateKey, chain: [h.issuing.der, tsa.der], policy: POLICY, accuracySeconds: 0.5 });
    await dir.write('f', DATA);
    await dir.write('root.pem', h.root.pem);
    await dir.write('chain.pem', tsa.pem + h.issuing.pem);
  });
  afterAll(() => dir.remove());

  it('keeps the chain without the TSA certificate and the fixed DER pieces', () => {
    expect(signer.chain).toEqual([h.issuing.der]);
    expect(signer.keyAlgorithm).toBe(alg);
    expect(signer.policy).toBe(POLICY);
    expect(signer.accuracySeconds).toBe(0.5);
  });

  it.each([
    ['sha256', ['-sha256', '-cert']],
    ['sha384', ['-sha384', '-cert', '-no_nonce']],
    ['sha512', ['-sha512', '-tspolicy', POLICY]],
  ] as const)('%s query from openssl: openssl ts -verify says Verification: OK, with the query and with the data', async (name, args) => {
    const made = await openssl(['ts', '-query', '-data', 'f', ...args, '-out', `${name}.tsq`], { cwd: dir.path });
    expect(made.code, made.output).toBe(0);
    const request = parseTimeStampRequest(await dir.read(`${name}.tsq`));
    const response = buildPreparedTimeStampResponse(signer, { request, serialNumber: serial++, genTime: new Date() });
    await dir.write(`${name}.tsr`, response);
    const byQuery = await openssl(['ts', '-verify', '-queryfile', `${name}.tsq`, '-in', `${name}.tsr`, '-CAfile', 'root.pem', '-untrusted', 'chain.pem'], { cwd: dir.path });
    expect(byQuery.output).toContain('Verification: OK');
    const byData = await openssl(['ts', '-verify', '-data', 'f', '-in', `${name}.tsr`, '-CAfile', 'root.pem', '-untrusted', 'chain.pem'], { cwd: dir.path });
    expect(byData.output).toContain('Verification: OK');
    const other = await dir.write(`${name}.other`, Buffer.from('other data'));
    const wrong = await openssl(['ts', '-verify', '-data', other, '-in', `${name}.tsr`, '-CAfile', 'root.pem', '-untrusted', 'chain.pem'], { cwd: dir.path });
    expect(wrong.output).toContain('Verification: FAILED');
  });

  it('openssl shows status, policy, accuracy, serial and nonce; the token carries ESS SigningCertificateV2 and both certificates', async () => {
    const req = createTimeStampRequest({ data: DATA, certReq: true });
    const response = buildPreparedTimeStampResponse(signer, { request: parseTimeStampRequest(req.der), serialNumber: 0xabcdefn, genTime: new Date() });
    await dir.write('shown.tsr', response);
    const text = await openssl(['ts', '-reply', '-in', 'shown.tsr', '-text'], { cwd: dir.path });
    expect(text.stdout).toContain('Status: Granted.');
    expect(text.stdout).toContain(`Policy OID: ${POLICY}`);
    expect(text.stdout).toContain('Accuracy: unspecified seconds, 0x01F4 millis');
    expect(text.stdout).toMatch(/Serial number: 0xABCDEF/);
    expect(text.stdout).toMatch(new RegExp(`Nonce: 0x0*${(req.nonce as bigint).toString(16).toUpperCase()}`));
    await dir.write('shown.token', extractTimeStampToken(response));
    const cms = await openssl(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', 'shown.token'], { cwd: dir.path });
    expect(cms.stdout).toContain('id-smime-ct-TSTInfo');
    expect(cms.stdout).toContain('id-smime-aa-signingCertificateV2');
    expect(cms.stdout).toContain(`CN=Prepared TSA ${alg}`);
    expect(cms.stdout).toContain(`CN=JP-Link Issuing CA ${alg}`);
    const v = await verifyTimeStampToken({ token: response, data: DATA, trustAnchors: [h.root.der], nonce: req.nonce as bigint });
    expect(v).toMatchObject({ policy: POLICY, serialNumber: 0xabcdefn, accuracy: { millis: 500 } });
  });

  it('without certReq the token has no certificates; OpenSSL verifies it with the TSA certificate given', async () => {
    const req = createTimeStampRequest({ data: DATA, certReq: false, nonce: false });
    await dir.write('nocert.tsq', req.der);
    const response = buildPreparedTimeStampResponse(signer, { request: parseTimeStampRequest(req.der), serialNumber: serial++, genTime: new Date() });
    await dir.write('nocert.tsr', response);
    await expect(verifyTimeStampToken({ token: response, data: DATA, trustAnchors: [h.root.der] })).rejects.toMatchObject({ code: 'PKI_TSP_SIGNER_NOT_FOUND' });
    const r = await openssl(['ts', '-verify', '-queryfile', 'nocert.tsq', '-in', 'nocert.tsr', '-CAfile', 'root.pem', '-untrusted', 'chain.pem'], { cwd: dir.path });
    expect(r.output).toContain('Verification: OK');
  });

  it('refuses what the one-shot API refuses, with the same codes', async () => {
    const auth = await h.issue('auth');
    expect(() => prepareTimeStampSigner({ certificate: auth.der, privateKey: auth.privateKey, policy: POLICY })).toThrow(expect.objectContaining({ code: 'PKI_CERT_USAGE' }));
    expect(() => prepareTimeStampSigner({ certificate: tsa.der, privateKey: auth.privateKey, policy: POLICY })).toThrow(expect.objectContaining({ code: 'PKI_KEY_MISMATCH' }));
    expect(() => prepareTimeStampSigner({ certificate: tsa.der, privateKey: tsa.privateKey, policy: 'not an oid' })).toThrow(expect.objectContaining({ code: 'PKI_INVALID_ARGUMENT' }));
    expect(() => prepareTimeStampSigner({ certificate: tsa.der, privateKey: tsa.privateKey, policy: POLICY, accuracySeconds: 0 })).toThrow(expect.objectContaining({ code: 'PKI_INVALID_ARGUMENT' }));
    const request = parseTimeStampRequest(createTimeStampRequest({ data: DATA }).der);
    const build = (changes: Partial<typeof request>, serialNumber = 1n) => () => buildPreparedTimeStampResponse(signer, { request: { ...request, ...changes }, serialNumber, genTime: new Date() });
    expect(build({ policy: '1.2.3' })).toThrow(expect.objectContaining({ code: 'PKI_TSP_UNACCEPTED_POLICY' }));
    expect(build({ hashAlgorithm: '1.3.14.3.2.26' })).toThrow(expect.objectContaining({ code: 'PKI_TSP_UNSUPPORTED_ALGORITHM' }));
    expect(build({ messageImprint: Buffer.alloc(20) })).toThrow(expect.objectContaining({ code: 'PKI_TSP_UNSUPPORTED_ALGORITHM' }));
    expect(build({}, 0n)).toThrow(expect.objectContaining({ code: 'PKI_INVALID_ARGUMENT' }));
    expect(build({}, 1n << 160n)).toThrow(expect.objectContaining({ code: 'PKI_INVALID_ARGUMENT' }));
  });
});

/** The same content with the outer SEQUENCE in BER indefinite-length form. */
function indefinite(der: Uint8Array): Buffer {
  const headerLength = (der[1] as number) & 0x80 ? 2 + ((der[1] as number) & 0x7f) : 2;
  return Buffer.concat([Buffer.from([0x30, 0x80]), der.subarray(headerLength), Buffer.from([0, 0])]);
}

function encode(block: asn1js.BaseBlock): Buffer {
  return Buffer.from(block.toBER());
}

const oid = (value: string) => new asn1js.ObjectIdentifier({ value });
const seq = (...value: asn1js.BaseBlock[]) => new asn1js.Sequence({ value });
const octets = (bytes: Uint8Array) => new asn1js.OctetString({ valueHex: Uint8Array.from(bytes).buffer });

describe('DER request parsers', () => {
  let issuer: Issued;
  let leaf: Issued;

  beforeAll(async () => {
    const h = await buildHierarchy('EC-P256');
    issuer = h.issuing;
    leaf = await h.issue('auth');
  });

  function ocspRequest(certId: asn1js.Sequence, extensions?: asn1js.Sequence): Buffer {
    const tbs = [seq(seq(certId))] as asn1js.BaseBlock[];
    if (extensions) tbs.push(new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 2 }, value: [extensions] }));
    return encode(seq(seq(...tbs)));
  }

  function certId(hashOid: string, nameHash: Uint8Array, keyHash: Uint8Array): asn1js.Sequence {
    return seq(seq(oid(hashOid), new asn1js.Null()), octets(nameHash), octets(keyHash), new asn1js.Integer({ value: 7 }));
  }

  it('OCSP: refuses BER indefinite lengths, trailing data, other hashes and wrong hash lengths', async () => {
    const req = await createOcspRequest({ certificate: leaf.der, issuer: issuer.der });
    expect(parseOcspRequest(req.der).nonce).toEqual(req.nonce);
    const bad = [
      indefinite(req.der),
      Buffer.concat([req.der, Buffer.from([0])]),
      req.der.subarray(0, req.der.length - 1),
      ocspRequest(certId('1.2.840.113549.2.5', new Uint8Array(16), new Uint8Array(16))), // MD5
      ocspRequest(certId('1.3.14.3.2.26', new Uint8Array(20), new Uint8Array(32))),
      ocspRequest(seq(seq(oid('1.3.14.3.2.26')), octets(new Uint8Array(20)), octets(new Uint8Array(20)))), // no serial
      encode(seq(seq(seq()))), // empty requestList
    ];
    for (const der of bad) expect(() => parseOcspRequest(der), der.toString('hex')).toThrow(expect.objectContaining({ code: 'PKI_OCSP_MALFORMED_REQUEST' }));
  });

  it('OCSP: the nonce is the inner OCTET STRING, or the raw extnValue when it is not one', () => {
    const id = certId('1.3.14.3.2.26', new Uint8Array(20).fill(1), new Uint8Array(20).fill(2));
    const ext = (value: Uint8Array) => seq(seq(oid('1.3.6.1.5.5.7.48.1.2'), octets(value)));
    const wrapped = parseOcspRequest(ocspRequest(id, ext(encode(octets(Buffer.from('nonce-value'))))));
    expect(Buffer.from(wrapped.nonce!).toString()).toBe('nonce-value');
    expect(wrapped.requests[0]).toMatchObject({ hashAlgorithm: 'sha1', serialNumber: 7n, issuerNameHash: Buffer.alloc(20, 1) });
    expect(parseOcspRequest(ocspRequest(id, ext(Buffer.from('raw'))))).toMatchObject({ nonce: new Uint8Array(Buffer.from('raw')) });
    expect(parseOcspRequest(ocspRequest(id)).nonce).toBeUndefined();
  });

  it('TSP: reads policy, nonce, certReq, extensions and how the hash parameters were given', () => {
    const imprint = (params?: asn1js.BaseBlock) => seq(params ? seq(oid('2.16.840.1.101.3.4.2.1'), params) : seq(oid('2.16.840.1.101.3.4.2.1')), octets(new Uint8Array(32).fill(9)));
    const extensions = new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [seq(oid('1.2.3.4'), octets(new Uint8Array([5])))] });
    const full = encode(seq(new asn1js.Integer({ value: 1 }), imprint(), oid('1.2.3'), new asn1js.Integer({ value: -5 }), new asn1js.Boolean({ value: true }), extensions));
    expect(parseTimeStampRequest(full)).toEqual({
      hashAlgorithm: '2.16.840.1.101.3.4.2.1',
      messageImprint: Buffer.alloc(32, 9),
      certReq: true,
      hashAlgorithmParameters: 'absent',
      policy: '1.2.3',
      nonce: -5n,
      extensions: ['1.2.3.4'],
    });
    expect(parseTimeStampRequest(encode(seq(new asn1js.Integer({ value: 1 }), imprint(new asn1js.Null()))))).toEqual({
      hashAlgorithm: '2.16.840.1.101.3.4.2.1',
      messageImprint: Buffer.alloc(32, 9),
      certReq: false,
      hashAlgorithmParameters: 'null',
    });
    const bad = [
      encode(seq(new asn1js.Integer({ value: 2 }), imprint())), // version 2
      encode(seq(new asn1js.Integer({ value: 1 }), imprint(octets(new Uint8Array(1))))), // parameters neither absent nor NULL
      encode(seq(new asn1js.Integer({ value: 1 }), imprint(), new asn1js.Boolean({ value: true }), oid('1.2.3'))), // out of order
      indefinite(createTimeStampRequest({ data: DATA }).der),
    ];
    for (const der of bad) expect(() => parseTimeStampRequest(der), der.toString('hex')).toThrow(expect.objectContaining({ code: 'PKI_TSP_MALFORMED_REQUEST' }));
  });
});
