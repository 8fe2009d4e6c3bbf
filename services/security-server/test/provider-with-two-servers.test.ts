// A provider subsystem hosted on two Security Servers: the client side uses the one named by
// X-Road-Security-Server, and otherwise any reachable one — also when the other is down.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http } from '@jplink/testing';
import { CONSUMER_SUBSYSTEM, PROVIDER, PROVIDER_SUBSYSTEM, adminClient, startSecurityServer, startTestNetwork, type RunningSs, type TestNetwork } from './helpers/network.ts';

let net: TestNetwork;
let second: RunningSs;
const headers = { 'x-road-client': CONSUMER_SUBSYSTEM };

beforeAll(async () => {
  net = await startTestNetwork();
  second = await startSecurityServer(net.center, { ...PROVIDER, server: 'ss-b2' });
  const admin = await adminClient(second);
  const services = `/api/v1/clients/${PROVIDER_SUBSYSTEM.replaceAll('/', ':')}/services`;
  expect((await admin('POST', services, { serviceCode: 'vitals', url: net.backend.url })).status).toBe(200);
  expect((await admin('POST', `${services}/vitals/access-rights/grant`, { subject: { kind: 'subsystem', id: CONSUMER_SUBSYSTEM } })).status).toBe(200);
  await net.consumer.ss.context.conf.refresh();
  await second.ss.context.conf.refresh();
  expect(net.consumer.ss.context.conf.current('client').serversHosting(PROVIDER_SUBSYSTEM).map((s) => s.id).sort()).toEqual([
    'JP-TEST/COM/2222222222222/ss-b',
    'JP-TEST/COM/2222222222222/ss-b2',
  ]);
}, 180_000);

afterAll(async () => {
  await second?.drop();
  await net?.stop();
});

const providerLogCount = async (running: RunningSs) => Number((await running.ss.database.db.selectFrom('log_records').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);

describe('choosing the provider’s Security Server', () => {
  it('uses the server named by X-Road-Security-Server', async () => {
    for (const server of ['ss-b', 'ss-b2']) {
      const target = server === 'ss-b' ? net.provider : second;
      const before = await providerLogCount(target);
      const response = await http(net.url(), { headers: { ...headers, 'x-road-security-server': `JP-TEST/COM/2222222222222/${server}` } });
      expect(response.status, response.body.toString()).toBe(200);
      expect(await providerLogCount(target)).toBe(before + 1);
    }
    const unknown = await http(net.url(), { headers: { ...headers, 'x-road-security-server': 'JP-TEST/COM/2222222222222/ss-zz' } });
    expect(unknown.json().type).toBe('client.unknown_service_provider');
  });

  it('falls back to a reachable server when one is down', async () => {
    await net.provider.ss.close();
    for (let i = 0; i < 3; i++) {
      const response = await http(net.url('vitals', `/r/${i}`), { headers });
      expect(response.status, response.body.toString()).toBe(200);
    }
  });
});
