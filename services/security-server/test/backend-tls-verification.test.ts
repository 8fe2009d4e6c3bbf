// A service's backend over HTTPS: its certificate is verified unless the service says otherwise.
import { createServer } from 'node:https';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, openssl, tempDir } from '@jplink/testing';
import { CONSUMER_SUBSYSTEM, PROVIDER_SUBSYSTEM, adminClient, startTestNetwork, type TestNetwork } from './helpers/network.ts';

let net: TestNetwork;
let close: () => void;
let backendUrl: string;

beforeAll(async () => {
  const files = await tempDir();
  const key = await files.file('backend.key');
  const cert = await files.file('backend.pem');
  await openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '1', '-out', cert]);
  const server = createServer({ key: await readFile(key), cert: await readFile(cert) }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"secure":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  backendUrl = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
  close = () => server.close();
  net = await startTestNetwork();
  const admin = await adminClient(net.provider);
  const services = `/api/v1/clients/${PROVIDER_SUBSYSTEM.replaceAll('/', ':')}/services`;
  for (const [code, tlsVerify] of [['verified', true], ['unverified', false]] as const) {
    await admin('POST', services, { serviceCode: code, url: backendUrl, tlsVerify });
    await admin('POST', `${services}/${code}/access-rights/grant`, { subject: { kind: 'subsystem', id: CONSUMER_SUBSYSTEM } });
  }
}, 120_000);

afterAll(async () => {
  close?.();
  await net?.stop();
});

describe('backend TLS', () => {
  it('refuses a backend whose certificate is not trusted, unless verification is off for the service', async () => {
    const headers = { 'x-road-client': CONSUMER_SUBSYSTEM };
    expect((await http(net.url('verified'), { headers })).json().type).toBe('server.serverproxy.service_failed');
    const unverified = await http(net.url('unverified'), { headers });
    expect(unverified.status).toBe(200);
    expect(unverified.json()).toEqual({ secure: true });
  });
});
