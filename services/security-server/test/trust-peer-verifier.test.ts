// PeerVerifier against a real Center: registered auth certificates with fresh good OCSP pass;
// unregistered, foreign-CA, OCSP-less and stale ones are refused with the right X-Road type;
// signing certificates must belong to the expected member; repeated checks are cache hits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '@jplink/testing';
import { GlobalConfClient } from '../src/conf/global-conf-client.ts';
import { OwnOcspManager } from '../src/ocsp/own-ocsp.ts';
import { PeerVerifier } from '../src/trust/peer-verifier.ts';
import { foreignAuthCertificate, silentLogger, startTestNetwork, testClock, type IssuedCertificate, type TestNetwork } from './trust-fixture.ts';

const FRESHNESS = 300;
const provider = { memberClass: 'COM', memberCode: '1111111111111' };
const consumer = { memberClass: 'GOV', memberCode: '2222222222222' };
const clock = testClock();

let net: TestNetwork;
let conf: GlobalConfClient;
let auth: IssuedCertificate;
let unregistered: IssuedCertificate;
let signing: IssuedCertificate;
let serverId: string;
const ocsp = new Map<string, Buffer>();

beforeAll(async () => {
  net = await startTestNetwork({ CENTER_OCSP_FRESHNESS_SECONDS: String(FRESHNESS) });
  await net.addMember(provider, 'Provider KK', ['api']);
  await net.addMember(consumer, 'Example City', ['portal']);
  auth = await net.issue('auth', provider, 'ssA');
  unregistered = await net.issue('auth', provider, 'ssX');
  signing = await net.issue('sign', consumer);
  serverId = await net.registerServer({ member: provider, serverCode: 'ssA', address: 'ssa.provider.example.jp', auth });
  await net.registerClient(serverId, 'JP-TEST/COM/1111111111111/api', auth);
  conf = await GlobalConfClient.open({ anchorPath: net.anchorPath, dataDir: (await tempDir('jplink-ss-trust-')).dir, logger: silentLogger, now: clock.now });
  await conf.refresh();
  // Fresh OCSP responses from the Center, fetched the way a Security Server fetches its own.
  const certs = [auth, unregistered, signing];
  const manager = new OwnOcspManager({ certificates: () => certs.map((c) => ({ der: c.der })), conf, logger: silentLogger, now: clock.now });
  for (const result of await manager.refresh()) expect(result.status).toBe('good');
  for (const c of certs) ocsp.set(c.sha256, manager.responseFor(c.sha256)!);
});

afterAll(async () => {
  await net?.stop();
});

describe('ConfView indexes', () => {
  it('finds the registered server by id, auth certificate hash and hosted client', () => {
    const view = conf.current('server');
    const server = view.server(serverId)!;
    expect(server).toMatchObject({ id: serverId, address: 'ssa.provider.example.jp', authCertHashes: [auth.sha256] });
    expect(view.serverByAuthCertHash(auth.sha256)).toBe(server);
    expect(view.serverByAuthCertHash(unregistered.sha256)).toBeUndefined();
    expect(view.serversHosting('JP-TEST/COM/1111111111111/api')).toEqual([server]);
    expect(view.isClientOf(serverId, 'JP-TEST/COM/1111111111111/api')).toBe(true);
    expect(view.isClientOf(serverId, 'JP-TEST/GOV/2222222222222/portal')).toBe(false);
    expect(view.exchangeAddress(server)).toEqual({ host: 'ssa.provider.example.jp', port: 5500, ocspPort: 5577 });
    const responder = view.ocspResponderFor(auth.der)!;
    expect(responder.urls).toEqual([`${net.t.urls.public}/ocsp`]);
    expect(Buffer.from(responder.issuer).equals(Buffer.from(net.t.center.ca.issuing.certificate))).toBe(true);
    expect(responder.responderCertificates).toHaveLength(1);
  });
});

describe('verification caches and republication', () => {
  it('keep their entries when the Center republishes the same content, and drop them when it changes', async () => {
    const verifier = new PeerVerifier({ conf, logger: silentLogger, now: clock.now });
    await verifier.verifyAuthCertificate('server', auth.der, ocsp.get(auth.sha256));
    const before = conf.current('server');
    await net.t.center.publisher.publish('test');
    await conf.refresh();
    expect(conf.current('server').version).toBeGreaterThan(before.version);
    expect(conf.current('server').contentHash).toBe(before.contentHash);
    await verifier.verifyAuthCertificate('server', auth.der, ocsp.get(auth.sha256));
    expect(verifier.stats().auth).toMatchObject({ hits: 1, misses: 1 });
    await net.addMember({ memberClass: 'ORG', memberCode: 'cache-test' }, 'Cache Test', []);
    await conf.refresh();
    expect(conf.current('server').contentHash).not.toBe(before.contentHash);
    await verifier.verifyAuthCertificate('server', auth.der, ocsp.get(auth.sha256));
    expect(verifier.stats().auth).toMatchObject({ hits: 1, misses: 2 });
  });
});

describe('PeerVerifier.verifyAuthCertificate', () => {
  it('accepts a registered auth certificate with a fresh good OCSP response; the second check is a cache hit', async () => {
    const verifier = new PeerVerifier({ conf, logger: silentLogger, now: clock.now });
    const first = await verifier.verifyAuthCertificate('server', auth.der, ocsp.get(auth.sha256));
    expect(first.sha256).toBe(auth.sha256);
    expect(first.server.id).toBe(serverId);
    expect(verifier.stats().auth).toMatchObject({ hits: 0, misses: 1, entries: 1 });
    const second = await verifier.verifyAuthCertificate('server', auth.der, ocsp.get(auth.sha256));
    expect(second).toBe(first);
    expect(verifier.stats().auth).toMatchObject({ hits: 1, misses: 1, entries: 1 });
    // The client side requires serverAuth; the auth profile has both.
    expect((await verifier.verifyAuthCertificate('client', auth.der, ocsp.get(auth.sha256))).server.id).toBe(serverId);
  });

  it('refuses a certificate issued by the Center but not registered', async () => {
    const verifier = new PeerVerifier({ conf, logger: silentLogger, now: clock.now });
    await expect(verifier.verifyAuthCertificate('server', unregistered.der, ocsp.get(unregistered.sha256))).rejects.toMatchObject({
      type: 'server.serverproxy.ssl_authentication_failed',
      message: expect.stringMatching(/not registered/),
    });
    await expect(verifier.verifyAuthCertificate('client', unregistered.der, ocsp.get(unregistered.sha256))).rejects.toMatchObject({
      type: 'server.clientproxy.ssl_authentication_failed',
    });
  });

  it('refuses a certificate from a CA that is not approved', async () => {
    const verifier = new PeerVerifier({ conf, logger: silentLogger, now: clock.now });
    const foreign = await foreignAuthCertificate({ ...provider, serverCode: 'ssA' });
    await expect(verifier.verifyAuthCertificate('server', foreign, ocsp.get(auth.sha256))).rejects.toMatchObject({
      type: 'server.serverproxy.ssl_authentication_failed',
      message: expect.stringMatching(/approved certification authority/),
    });
  });

  it('refuses a signing certificate as an auth certificate (no TLS key usage)', async () => {
    const verifier = new PeerVerifier({ conf, logger: silentLogger, now: clock.now });
    await expect(verifier.verifyAuthCertificate('server', signing.der, ocsp.get(signing.sha256))).rejects.toMatchObject({
      type: 'server.serverproxy.ssl_authentication_failed',
    });
  });

  it('refuses a missing OCSP response, and one for another certificate', async () => {
    const verifier = new PeerVerifier({ conf, logger: silentLogger, now: clock.now });
    await expect(verifier.verifyAuthCertificate('server', auth.der, undefined)).rejects.toMatchObject({
      type: 'server.serverproxy.cert_validation',
      message: expect.stringMatching(/No OCSP response/),
    });
    await expect(verifier.verifyAuthCertificate('client', auth.der, ocsp.get(signing.sha256))).rejects.toMatchObject({
      type: 'server.clientproxy.cert_validation',
    });
    await expect(verifier.verifyAuthCertificate('server', auth.der, Buffer.from('not ocsp'))).rejects.toMatchObject({
      type: 'server.serverproxy.cert_validation',
    });
  });

  it('refuses a stale OCSP response (injected clock), even after a cached success', async () => {
    const verifier = new PeerVerifier({ conf, logger: silentLogger, now: clock.now });
    await verifier.verifyAuthCertificate('server', auth.der, ocsp.get(auth.sha256));
    clock.advance(FRESHNESS + 5);
    try {
      await expect(verifier.verifyAuthCertificate('server', auth.der, ocsp.get(auth.sha256))).rejects.toMatchObject({
        type: 'server.serverproxy.cert_validation',
        message: expect.stringMatching(/not fresh/),
      });
    } finally {
      clock.reset();
    }
  });

  it('refuses everything while there is no valid global configuration', async () => {
    const empty = await GlobalConfClient.open({ anchorPath: net.anchorPath, dataDir: (await tempDir('jplink-ss-trust-')).dir, logger: silentLogger });
    const verifier = new PeerVerifier({ conf: empty, logger: silentLogger });
    await expect(verifier.verifyAuthCertificate('client', auth.der, ocsp.get(auth.sha256))).rejects.toMatchObject({ type: 'server.clientproxy.outdated_globalconf' });
    await expect(verifier.verifySignerCertificate('server', signing.der, ocsp.get(signing.sha256), consumer)).rejects.toMatchObject({
      type: 'server.serverproxy.outdated_globalconf',
    });
  });
});

describe('PeerVerifier.verifySignerCertificate', () => {
  it('accepts the member’s signing certificate (cached), and refuses it for another member', async () => {
    const verifier = new PeerVerifier({ conf, logger: silentLogger, now: clock.now });
    const parsed = await verifier.verifySignerCertificate('server', signing.der, ocsp.get(signing.sha256), consumer);
    expect(parsed.sha256).toBe(signing.sha256);
    expect(parsed.keyUsage).toContain('nonRepudiation');
    expect(await verifier.verifySignerCertificate('server', signing.der, ocsp.get(signing.sha256), consumer)).toBe(parsed);
    expect(verifier.stats().signer).toMatchObject({ hits: 1, misses: 1 });

    await expect(verifier.verifySignerCertificate('server', signing.der, ocsp.get(signing.sha256), provider)).rejects.toMatchObject({
      type: 'server.serverproxy.invalid_signature',
      message: expect.stringMatching(/does not belong to member JP-TEST\/COM\/1111111111111/),
    });
    await expect(verifier.verifySignerCertificate('client', signing.der, ocsp.get(signing.sha256), { ...consumer, memberCode: '2222222222223' })).rejects.toMatchObject({
      type: 'server.clientproxy.invalid_signature',
    });
  });

  it('refuses an auth certificate as a signing certificate, and a signing certificate without OCSP', async () => {
    const verifier = new PeerVerifier({ conf, logger: silentLogger, now: clock.now });
    await expect(verifier.verifySignerCertificate('server', auth.der, ocsp.get(auth.sha256), provider)).rejects.toMatchObject({
      type: 'server.serverproxy.invalid_signature',
    });
    await expect(verifier.verifySignerCertificate('server', signing.der, undefined, consumer)).rejects.toMatchObject({
      type: 'server.serverproxy.cert_validation',
    });
  });

  it('drops cached results when the configuration version changes', async () => {
    const verifier = new PeerVerifier({ conf, logger: silentLogger, now: clock.now });
    await verifier.verifySignerCertificate('server', signing.der, ocsp.get(signing.sha256), consumer);
    await verifier.verifySignerCertificate('server', signing.der, ocsp.get(signing.sha256), consumer);
    expect(verifier.stats().signer).toMatchObject({ hits: 1, entries: 1 });
    await net.addMember({ memberClass: 'ORG', memberCode: '3333333333333' }, 'Example NPO');
    expect((await conf.refresh()).changed).toBe(true);
    await verifier.verifySignerCertificate('server', signing.der, ocsp.get(signing.sha256), consumer);
    expect(verifier.stats().signer).toMatchObject({ hits: 1, misses: 2, entries: 1 });
  });
});
