// OCSP for this Security Server's own certificates against a real Center: fetch + verify + store,
// freshness by the injected clock, revocation, and the port-5577 server checked by openssl.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseOcspResponse } from '@jplink/pki';
import { freePort, http, openssl, tempDir } from '@jplink/testing';
import { GlobalConfClient } from '../src/conf/global-conf-client.ts';
import { OwnOcspManager } from '../src/ocsp/own-ocsp.ts';
import { createOcspServer, type OcspServer } from '../src/ocsp/ocsp-server.ts';
import { PeerVerifier } from '../src/trust/peer-verifier.ts';
import { silentLogger, startTestNetwork, testClock, type IssuedCertificate, type TestNetwork } from './trust-fixture.ts';

const FRESHNESS = 300;
const member = { memberClass: 'COM', memberCode: '1234567890123' };

let net: TestNetwork;
let conf: GlobalConfClient;
let auth: IssuedCertificate;
let signing: IssuedCertificate;
let serverId: string;
let ocspPort: number;
let dataDir: string;
let ocspServer: OcspServer | undefined;
const clock = testClock();

beforeAll(async () => {
  net = await startTestNetwork({ CENTER_OCSP_FRESHNESS_SECONDS: String(FRESHNESS) });
  await net.addMember(member, 'Health Care KK');
  auth = await net.issue('auth', member, 'ss1');
  signing = await net.issue('sign', member);
  ocspPort = await freePort();
  serverId = await net.registerServer({ member, serverCode: 'ss1', address: '127.0.0.1', ocspPort, auth });
  dataDir = (await tempDir('jplink-ss-ocsp-')).dir;
  conf = await GlobalConfClient.open({ anchorPath: net.anchorPath, dataDir, logger: silentLogger, now: clock.now });
  await conf.refresh();
});

afterAll(async () => {
  await ocspServer?.close();
  await net?.stop();
});

const newManager = () => new OwnOcspManager({ certificates: () => [{ der: auth.der }, { der: signing.der }], conf, logger: silentLogger, now: clock.now });

describe('OwnOcspManager', () => {
  let manager: OwnOcspManager;

  it('fetches, verifies and stores a good response for each own certificate', async () => {
    manager = newManager();
    expect(manager.responseFor(auth.sha256)).toBeUndefined();
    const results = await manager.refresh();
    expect(results).toEqual(
      expect.arrayContaining([
        { sha256: auth.sha256, status: 'good' },
        { sha256: signing.sha256, status: 'good' },
      ]),
    );
    const response = manager.responseFor(auth.sha256);
    expect(response).toBeInstanceOf(Buffer);
    expect(parseOcspResponse(response!).responses[0]?.status).toBe('good');
    expect(manager.responseFor(signing.sha256)).toBeInstanceOf(Buffer);
    expect(await readFile(join(dataDir, 'ocsp', `${auth.sha256}.der`))).toEqual(response);
    expect(manager.status().certificates).toEqual(
      expect.arrayContaining([expect.objectContaining({ sha256: auth.sha256, status: 'good', fresh: true, lastError: null })]),
    );
  });

  it('start() fetches at once and stop() ends the schedule', async () => {
    const scheduled = newManager();
    scheduled.start();
    await vi.waitFor(() => expect(scheduled.responseFor(signing.sha256)).toBeInstanceOf(Buffer), { timeout: 10_000 });
    await scheduled.stop();
    expect(scheduled.status().lastRefreshAt).not.toBeNull();
  });

  it('gives the response only while it is fresh (ocspFreshnessSeconds)', async () => {
    clock.advance(FRESHNESS - 10);
    expect(manager.responseFor(auth.sha256)).toBeInstanceOf(Buffer);
    clock.advance(20);
    expect(manager.responseFor(auth.sha256)).toBeUndefined();
    expect(manager.status().certificates.find((c) => c.sha256 === auth.sha256)?.fresh).toBe(false);
    clock.reset();
    expect(manager.responseFor(auth.sha256)).toBeInstanceOf(Buffer);
  });

  it('a new manager on the same data folder starts from the stored responses', async () => {
    const restarted = newManager();
    expect(await restarted.loadStored()).toBe(2);
    expect(restarted.responseFor(auth.sha256)).toEqual(await readFile(join(dataDir, 'ocsp', `${auth.sha256}.der`)));
  });

  it('serves the response on the OCSP port, and openssl verifies it', async () => {
    ocspServer = await createOcspServer({ manager, host: '127.0.0.1', port: ocspPort, logger: silentLogger });
    expect(ocspServer.port).toBe(ocspPort);
    const base = `http://127.0.0.1:${ocspPort}`;
    const served = await http(`${base}/ocsp?cert=${auth.sha256}`);
    expect(served.status).toBe(200);
    expect(served.headers['content-type']).toBe('application/ocsp-response');
    expect(served.body).toEqual(manager.responseFor(auth.sha256));

    const responsePath = await net.files.file('served.ocsp', served.body);
    const certPath = await net.files.file('auth.pem', auth.pem);
    const checked = await openssl(['ocsp', '-no_nonce', '-respin', responsePath, '-issuer', net.paths.issuing, '-cert', certPath, '-CAfile', net.paths.chain]);
    expect(checked.output).toContain('Response verify OK');
    expect(checked.output).toMatch(/auth\.pem: good/);

    expect((await http(`${base}/ocsp?cert=${'0'.repeat(64)}`)).status).toBe(404);
    expect((await http(`${base}/ocsp?cert=nothex`)).status).toBe(400);
    expect((await http(`${base}/ocsp`)).status).toBe(400);
    expect((await http(`${base}/ocsp?cert=${auth.sha256}`, { method: 'POST', body: 'x' })).status).toBe(405);
    expect((await http(`${base}/other`)).status).toBe(404);
    expect((await http(`${base}/ocsp?cert=${'a'.repeat(300)}`)).status).toBe(414);
  });

  it('a client-side verifier fetches the peer’s response from port 5577 and accepts the certificate', async () => {
    const verifier = new PeerVerifier({ conf, logger: silentLogger, now: clock.now });
    const server = conf.current('client').server(serverId)!;
    expect(conf.current('client').exchangeAddress(server)).toEqual({ host: '127.0.0.1', port: 5500, ocspPort });
    const fetched = await verifier.fetchPeerOcsp(server, auth.sha256);
    expect(fetched).toEqual(manager.responseFor(auth.sha256));
    await verifier.fetchPeerOcsp(server, auth.sha256);
    expect(verifier.stats().peerOcsp.hits).toBe(1);
    const verified = await verifier.verifyAuthCertificate('client', auth.der, fetched);
    expect(verified).toMatchObject({ sha256: auth.sha256, server: { id: serverId } });
    // A hash the peer serves no response for (the first digit changed; 'f' alone is a no-op when it already is one).
    const unknown = `${signing.sha256.startsWith('f') ? '0' : 'f'}${signing.sha256.slice(1)}`;
    await expect(verifier.fetchPeerOcsp(server, unknown)).rejects.toMatchObject({ type: 'server.clientproxy.cert_validation' });
  });

  it('after revocation at the Center the fetched response says revoked, and the verifier refuses it', async () => {
    await net.revoke(auth);
    const results = await manager.refresh();
    expect(results).toEqual(expect.arrayContaining([{ sha256: auth.sha256, status: 'revoked' }]));
    const revoked = manager.responseFor(auth.sha256)!;
    expect(parseOcspResponse(revoked).responses[0]).toMatchObject({ status: 'revoked', reason: 'keyCompromise' });

    // The verifier's configuration still lists the certificate (not refreshed yet): the OCSP answer decides.
    const verifier = new PeerVerifier({ conf, logger: silentLogger, now: clock.now });
    await expect(verifier.verifyAuthCertificate('server', auth.der, revoked)).rejects.toMatchObject({
      type: 'server.serverproxy.cert_validation',
      message: expect.stringMatching(/revoked/),
    });
    // The served response is the revoked one too.
    const served = await http(`http://127.0.0.1:${ocspPort}/ocsp?cert=${auth.sha256}`);
    const responsePath = await net.files.file('revoked.ocsp', served.body);
    const checked = await openssl(['ocsp', '-no_nonce', '-respin', responsePath, '-issuer', net.paths.issuing, '-cert', await net.files.file('auth.pem'), '-CAfile', net.paths.chain]);
    expect(checked.output).toContain('Response verify OK');
    expect(checked.output).toMatch(/auth\.pem: revoked/);

    // Once the configuration without the revoked certificate arrives, it is not registered any more.
    await conf.refresh();
    await expect(verifier.verifyAuthCertificate('server', auth.der, revoked)).rejects.toMatchObject({ type: 'server.serverproxy.ssl_authentication_failed' });
  });
});
