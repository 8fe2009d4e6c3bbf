// A message the provider's Security Server accepted is refused as a replay after that server
// restarts: the replay guard is seeded from the message log, not only kept in memory.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestNetwork, type TestNetwork } from './helpers/network.ts';
import { authOf, buildRequest, sendRaw } from './helpers/raw-exchange.ts';

let net: TestNetwork;

beforeAll(async () => {
  net = await startTestNetwork();
}, 120_000);

afterAll(async () => {
  await net?.stop();
});

it('replayed message after a restart → server.serverproxy.replayed_message', async () => {
  const message = await buildRequest(net.consumer, net.provider, { path: '' });
  const first = await sendRaw(net.provider, message.frames, authOf(net.consumer));
  expect(first.status).toBe(200);
  await net.provider.restart();
  const again = await sendRaw(net.provider, message.frames, authOf(net.consumer));
  expect(again.status).toBe(500);
  expect(again.json().type).toBe('server.serverproxy.replayed_message');
  // A fresh message still goes through the restarted server.
  const fresh = await buildRequest(net.consumer, net.provider, { path: '' });
  expect((await sendRaw(net.provider, fresh.frames, authOf(net.consumer))).status).toBe(200);
}, 60_000);
