// Each way an exchange can be refused answers with its documented X-Road error type and status,
// and never with a stack trace. One network for all cases; the cases that break it come last.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair, createCsr, derToPem, pemToDer } from '@jplink/pki';
import { http } from '@jplink/testing';
import { CONSUMER_SUBSYSTEM, PROVIDER_SUBSYSTEM, adminClient, startTestNetwork, type TestNetwork } from './helpers/network.ts';
import { authOf, buildRequest, sendRaw } from './helpers/raw-exchange.ts';
import { encodeFrame, FRAME } from '@jplink/exchange';
import { execFile } from 'node:child_process';

function curl(args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile('curl', ['-sS', '-i', ...args], { timeout: 30_000 }, (error, stdout) => resolve({ code: error ? 1 : 0, stdout: String(stdout) }));
  });
}

let net: TestNetwork;
const client = () => ({ 'x-road-client': CONSUMER_SUBSYSTEM });

beforeAll(async () => {
  net = await startTestNetwork({ centerEnv: { CENTER_OCSP_FRESHNESS_SECONDS: '300' }, consumerEnv: { SS_MAX_BODY_BYTES: '65536' } });
  const provider = await adminClient(net.provider);
  const services = `/api/v1/clients/${PROVIDER_SUBSYSTEM.replaceAll('/', ':')}/services`;
  await provider('POST', services, { serviceCode: 'down', url: 'http://127.0.0.1:9', timeoutSeconds: 2 });
  await provider('POST', `${services}/down/access-rights/grant`, { subject: { kind: 'subsystem', id: CONSUMER_SUBSYSTEM } });
  await provider('POST', services, { serviceCode: 'secret', url: net.backend.url });
}, 120_000);

afterAll(async () => {
  await net?.stop();
});

async function expectXRoadError(response: { status: number; headers: Record<string, unknown>; body: Buffer }, status: number, type: string) {
  const text = response.body.toString('utf8');
  expect(response.status, text).toBe(status);
  const body = JSON.parse(text);
  expect(body.type).toBe(type);
  expect(body.detail).toMatch(/^[0-9a-f-]{36}$/);
  expect(response.headers['x-road-error']).toBe(type);
  expect(text).not.toMatch(/at .*\.ts:\d+|node:internal/);
}

describe('refusals at the client-side Security Server', () => {
  it('unknown client subsystem → client.unknown_client', async () => {
    await expectXRoadError(await http(net.url(), { headers: { 'x-road-client': 'JP-TEST/COM/1111111111111/nosuch' } }), 400, 'client.unknown_client');
  });

  it('malformed path → client.bad_request', async () => {
    await expectXRoadError(await http(`http://127.0.0.1:${net.consumer.ports.isHttp}/r1/JP-TEST/COM/2222222222222`, { headers: client() }), 400, 'client.bad_request');
  });

  it('encoded path traversal → client.bad_request', async () => {
    // Sent byte for byte (curl --path-as-is), as an attacker would: no client-side normalisation.
    for (const path of ['/public/%2e%2e/admin', '/public/..%2fadmin', '/public/%252e%252e/admin', '/public/../admin', '/public/.%2E/admin']) {
      const result = await curl(['--path-as-is', '-H', `X-Road-Client: ${CONSUMER_SUBSYSTEM}`, net.url('vitals', path)]);
      expect(result.stdout, path).toMatch(/^HTTP\/1\.1 400/);
      expect(result.stdout).toMatch(/x-road-error: client\.bad_request/i);
    }
    expect(net.backend.requests.some((r) => r.url.includes('admin'))).toBe(false);
  });

  it('oversized body → client.body_too_large', async () => {
    await expectXRoadError(await http(net.url(), { method: 'POST', headers: client(), body: Buffer.alloc(70_000, 0x61) }), 400, 'client.body_too_large');
  });

  it('an XML error when the client asks for XML', async () => {
    const response = await http(net.url(), { headers: { 'x-road-client': 'JP-TEST/COM/1111111111111/nosuch', accept: 'application/xml' } });
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toMatch(/xml/);
    expect(response.body.toString()).toMatch(/<error><type>client\.unknown_client<\/type><message>.+<\/message><detail>[0-9a-f-]{36}<\/detail><\/error>$/);
  });
});

describe('refusals at the provider-side Security Server', () => {
  it('unknown service → server.serverproxy.unknown_service', async () => {
    await expectXRoadError(await http(net.url('nosuch'), { headers: client() }), 500, 'server.serverproxy.unknown_service');
  });

  it('no access right → server.serverproxy.access_denied', async () => {
    await expectXRoadError(await http(net.url('secret'), { headers: client() }), 500, 'server.serverproxy.access_denied');
  });

  it('backend down → server.serverproxy.service_failed', async () => {
    await expectXRoadError(await http(net.url('down'), { headers: client() }), 500, 'server.serverproxy.service_failed');
  });

  it('backend timeout → server.serverproxy.service_timeout', async () => {
    net.backend.delayMs = 3000;
    try {
      await expectXRoadError(await http(net.url('vitals'), { headers: client() }), 500, 'server.serverproxy.service_timeout');
    } finally {
      net.backend.delayMs = 0;
    }
  });

  it('tampered signature → server.serverproxy.invalid_signature', async () => {
    const message = await buildRequest(net.consumer, net.provider, { body: Buffer.from('{"amount":100}') });
    const frames = message.frames.map((f) => Buffer.from(f));
    const bodyFrame = frames[1]!;
    bodyFrame[bodyFrame.length - 3] = 0x39; // "100" → "190": the body no longer matches the signed digest
    await expectXRoadError(await sendRaw(net.provider, frames, authOf(net.consumer)), 500, 'server.serverproxy.invalid_signature');
    // The forged copy did not use up the message id: the genuine message still goes through, once.
    expect((await sendRaw(net.provider, message.frames, authOf(net.consumer))).status).toBe(200);
    expect((await sendRaw(net.provider, message.frames, authOf(net.consumer))).json().type).toBe('server.serverproxy.replayed_message');
  });

  it('replayed message → server.serverproxy.replayed_message', async () => {
    const message = await buildRequest(net.consumer, net.provider, { path: '' });
    const first = await sendRaw(net.provider, message.frames, authOf(net.consumer));
    expect(first.status).toBe(200);
    const again = await sendRaw(net.provider, message.frames, authOf(net.consumer));
    expect(again.status).toBe(500);
    expect(again.json().type).toBe('server.serverproxy.replayed_message');
    const old = await buildRequest(net.consumer, net.provider, { createdAt: new Date(Date.now() - 3_600_000).toISOString() });
    expect((await sendRaw(net.provider, old.frames, authOf(net.consumer))).json().type).toBe('server.serverproxy.replayed_message');
  });

  it('re-targeted message → server.serverproxy.wrong_target', async () => {
    const message = await buildRequest(net.consumer, net.provider, { targetServer: 'JP-TEST/COM/2222222222222/other' });
    expect((await sendRaw(net.provider, message.frames, authOf(net.consumer))).json().type).toBe('server.serverproxy.wrong_target');
  });

  it('malformed frames → server.serverproxy.invalid_message', async () => {
    const response = await sendRaw(net.provider, [encodeFrame(FRAME.BODY, Buffer.from('no header'))], authOf(net.consumer));
    expect(response.status).toBe(500);
    expect(response.json().type).toBe('server.serverproxy.invalid_message');
  });

  it('wrong peer certificate: an auth certificate the Center issued but nobody registered → ssl_authentication_failed', async () => {
    const keys = await generateKeyPair();
    const csr = derToPem(await createCsr({ subject: [['CN', 'x']], ...keys }), 'CERTIFICATE REQUEST');
    const issued = await http(`${net.center.urls.admin}/api/v1/certificates`, {
      headers: { authorization: `Bearer ${net.center.adminKey}` },
      json: { csr, profile: 'auth', member: 'JP-TEST/COM/1111111111111', serverCode: 'rogue' },
    });
    const certificate = pemToDer(issued.json().certificate);
    const message = await buildRequest(net.consumer, net.provider);
    const response = await sendRaw(net.provider, message.frames, { key: keys.privateKey, certificate, ocsp: authOf(net.consumer).ocsp });
    expect(response.status).toBe(500);
    expect(response.json().type).toBe('server.serverproxy.ssl_authentication_failed');
  });
});

describe('refusals that depend on time and revocation', () => {
  it('OCSP older than the freshness limit → cert_validation', async () => {
    // The provider's clock runs 400 s ahead: the consumer's OCSP responses (300 s freshness) are stale
    // for it, while the global configuration (600 s) is still valid.
    net.provider.clock.offsetMs = 400_000;
    try {
      await expectXRoadError(await http(net.url(), { headers: client() }), 500, 'server.serverproxy.cert_validation');
    } finally {
      net.provider.clock.offsetMs = 0;
    }
  });

  it('expired global configuration → server.clientproxy.outdated_globalconf', async () => {
    net.consumer.clock.offsetMs = 700_000;
    try {
      await expectXRoadError(await http(net.url(), { headers: client() }), 500, 'server.clientproxy.outdated_globalconf');
    } finally {
      net.consumer.clock.offsetMs = 0;
    }
  });

  it('revoked auth certificate (after the OCSP refresh) → cert_validation', async () => {
    expect((await http(net.url(), { headers: client() })).status).toBe(200);
    const serial = net.consumer.ss.context.keys.get('auth')!.certificate!.parsed.serialNumber.toString(16);
    const revoked = await http(`${net.center.urls.admin}/api/v1/certificates/${serial}/revoke`, { headers: { authorization: `Bearer ${net.center.adminKey}` }, json: { reason: 'keyCompromise' } });
    expect(revoked.status).toBe(200);
    await net.consumer.ss.context.ownOcsp.refresh();
    await expectXRoadError(await http(net.url(), { headers: client() }), 500, 'server.serverproxy.cert_validation');
  });
});

it('leaves no refused exchange counted as in progress by the message log (its commit delay would wait for it)', () => {
  for (const side of ['consumer', 'provider'] as const) expect(net[side].ss.context.log.stats().inProgress, side).toBe(0);
});
