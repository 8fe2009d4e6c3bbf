// The ESS SigningCertificateV2 attribute is where TSA implementations go wrong
// (e.g. the IssuerSerial GeneralNames encoding). These tests re-sign a valid
// TSTInfo with a missing or wrong attribute and check that OpenSSL and our
// verifier both refuse it, so the passing case really proves the encoding.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as asn1js from 'asn1js';
import { buildTimeStampResponse, createTimeStampRequest, extractTimeStampToken, parseTimeStampRequest, verifyTimeStampToken } from '../src/index.ts';
import { buildSignedData, openSignedData } from '../src/cms-core.ts';
import { encode } from '../src/der.ts';
import { signingCertificateV2Attribute } from '../src/ess.ts';
import { OID } from '../src/oids.ts';
import { buildHierarchy, type Hierarchy, type Issued } from './support/fixtures.ts';
import { openssl, TempDir } from './support/openssl.ts';

const DATA = Buffer.from('ess test data');

describe('ESS SigningCertificateV2', () => {
  let dir: TempDir;
  let h: Hierarchy;
  let tsa: Issued;
  let tstInfo: Uint8Array;

  beforeAll(async () => {
    dir = await TempDir.create();
    h = await buildHierarchy('EC-P256');
    tsa = await h.issue('tsa');
    const req = createTimeStampRequest({ data: DATA, nonce: false });
    const resp = await buildTimeStampResponse({
      tsa: { certificate: tsa.der, privateKey: tsa.privateKey },
      request: parseTimeStampRequest(req.der),
      serialNumber: 9n,
      genTime: new Date(),
      policy: '1.2.3.4',
    });
    tstInfo = openSignedData(extractTimeStampToken(resp), 'PKI_TSP_MALFORMED_RESPONSE').eContent as Uint8Array;
    await dir.write('f', DATA);
    await dir.write('root.pem', h.root.pem);
    await dir.write('chain.pem', tsa.pem + h.issuing.pem);
  });
  afterAll(() => dir.remove());

  function respWith(extra: ReturnType<typeof signingCertificateV2Attribute>[]): Uint8Array {
    const token = buildSignedData({
      eContentType: OID.tstInfo,
      eContent: tstInfo,
      content: tstInfo,
      signer: { certificate: tsa.der, privateKey: tsa.privateKey },
      certificates: [tsa.der, h.issuing.der],
      extraSignedAttributes: extra,
    });
    const status = new asn1js.Sequence({ value: [new asn1js.Integer({ value: 0 })] });
    return encode(new asn1js.Sequence({ value: [status, asn1js.fromBER(token).result] }));
  }

  async function opensslVerify(resp: Uint8Array, name: string) {
    await dir.write(name, resp);
    return openssl(['ts', '-verify', '-data', 'f', '-in', name, '-CAfile', 'root.pem', '-untrusted', 'chain.pem'], { cwd: dir.path });
  }

  it('control: re-signed with the right attribute verifies everywhere', async () => {
    const resp = respWith([signingCertificateV2Attribute(tsa.der)]);
    expect((await opensslVerify(resp, 'ok.tsr')).output).toContain('Verification: OK');
    await verifyTimeStampToken({ token: resp, data: DATA, trustAnchors: [h.root.der] });
  });

  it('missing attribute: OpenSSL and verifyTimeStampToken refuse', async () => {
    const resp = respWith([]);
    expect((await opensslVerify(resp, 'none.tsr')).output).toContain('Verification: FAILED');
    await expect(verifyTimeStampToken({ token: resp, data: DATA, trustAnchors: [h.root.der] })).rejects.toMatchObject({ code: 'PKI_TSP_ESS_MISMATCH' });
  });

  it('attribute naming another certificate: OpenSSL and verifyTimeStampToken refuse', async () => {
    const resp = respWith([signingCertificateV2Attribute(h.issuing.der)]);
    expect((await opensslVerify(resp, 'wrong.tsr')).output).toContain('Verification: FAILED');
    await expect(verifyTimeStampToken({ token: resp, data: DATA, trustAnchors: [h.root.der] })).rejects.toMatchObject({ code: 'PKI_TSP_ESS_MISMATCH' });
  });
});
