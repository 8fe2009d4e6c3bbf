// The client side's own checks of the provider's Security Server (PeerClient, undici underneath):
// a connection is handed over for requests only after the peer proved to be the target server, an
// unreachable address is a network error (what provider fallback keys on), and reused connections
// keep working. Real Center, two real Security Servers.
import { readFile } from 'node:fs/promises';
import { createServer as createTlsServer } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, http, openssl, tempDir } from '@jplink/testing';
import { CONSUMER_SUBSYSTEM, startTestNetwork, type TestNetwork } from './helpers/network.ts';
import { buildRequest } from './helpers/raw-exchange.ts';
import { refusal } from './helpers/refusal.ts';

let net: TestNetwork;

beforeAll(async () => {
  net = await startTestNetwork();
}, 120_000);

afterAll(async () => {
  await net?.stop();
});

function providerEntry() {
  const view = net.consumer.ss.context.conf.current('client');
  const target = view.server(net.provider.ss.context.serverIdText);
  if (!target) throw new Error('the provider is not in the global configuration');
  return { view, target };
}

describe('peer client', () => {
  it('sends over verified, reused connections', async () => {
    for (let i = 0; i < 3; i += 1) {
      const response = await http(net.url(), { method: 'POST', headers: { 'x-road-client': CONSUMER_SUBSYSTEM, 'content-type': 'text/plain' }, body: `hello ${i}` });
      expect(response.status).toBe(200);
      expect(response.json()).toMatchObject({ method: 'POST', body: `hello ${i}` });
    }
  });

  it('refuses a server at the target’s address that is not the target → ssl_authentication_failed, nothing sent', async () => {
    const { view, target } = providerEntry();
    // The consumer's own exchange port: a real Security Server with a registered auth certificate, but not the provider.
    const impostor = { ...target, address: '127.0.0.1', port: net.consumer.ports.exchange };
    const message = await buildRequest(net.consumer, net.provider);
    const error = await refusal(net.consumer.ss.context.peers.send(view, impostor, message.frames));
    expect(error.type).toBe('server.clientproxy.ssl_authentication_failed');
    expect(error.message).toContain(target.id);
  });

  it('refuses a TLS server with an unregistered certificate → ssl_authentication_failed', async () => {
    const { view, target } = providerEntry();
    const { key, cert } = await selfSigned();
    let requests = 0;
    const server = createTlsServer({ key, cert }, (socket) => {
      socket.on('data', () => (requests += 1));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const rogue = { ...target, address: '127.0.0.1', port: (server.address() as { port: number }).port };
      const message = await buildRequest(net.consumer, net.provider);
      expect((await refusal(net.consumer.ss.context.peers.send(view, rogue, message.frames))).type).toBe('server.clientproxy.ssl_authentication_failed');
      expect(requests).toBe(0);
    } finally {
      server.close();
    }
  });

  it('an address where nobody listens → network_error', async () => {
    const { view, target } = providerEntry();
    const nobody = { ...target, address: '127.0.0.1', port: await freePort() };
    const message = await buildRequest(net.consumer, net.provider);
    const error = await refusal(net.consumer.ss.context.peers.send(view, nobody, message.frames));
    expect(error.type).toBe('server.clientproxy.network_error');
    expect(error.message).toContain('ECONNREFUSED');
  });
});

async function selfSigned(): Promise<{ key: Buffer; cert: Buffer }> {
  const files = await tempDir();
  const key = await files.file('rogue.key');
  const cert = await files.file('rogue.pem');
  await openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-subj', '/CN=rogue', '-days', '1', '-out', cert]);
  return { key: await readFile(key), cert: await readFile(cert) };
}
