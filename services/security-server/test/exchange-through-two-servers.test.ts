// Two Security Servers of two members on loopback, with certificates and global configuration
// from a real Center: a PR-REST call with only the standard headers reaches the provider's
// backend through both, and both message logs hold the signed exchange.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { CONSUMER_SUBSYSTEM, PROVIDER_SUBSYSTEM, startTestNetwork, type TestNetwork } from './helpers/network.ts';

let net: TestNetwork;

beforeAll(async () => {
  net = await startTestNetwork();
}, 120_000);

afterAll(async () => {
  await net?.stop();
});

function curl(args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile('curl', ['-sS', '-i', ...args], { timeout: 30_000 }, (error, stdout) => resolve({ code: error ? 1 : 0, stdout: String(stdout) }));
  });
}

describe('exchange through two Security Servers', () => {
  it('answers a curl PR-REST call with the backend’s answer and X-Road headers', async () => {
    const result = await curl(['-X', 'POST', '-H', `X-Road-Client: ${CONSUMER_SUBSYSTEM}`, '-H', 'Content-Type: application/json', '--data-binary', '{"bloodPressure":"120/80"}', `${net.url('vitals', '/residents/42?days=7')}`]);
    expect(result.code).toBe(0);
    const [head, body] = result.stdout.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 200/);
    expect(head).toMatch(/x-road-request-id: [0-9a-f-]{36}/i);
    expect(head).toMatch(/x-road-request-hash: [A-Za-z0-9+/=]{88}/i);
    expect(head).toMatch(new RegExp(`x-road-service: ${PROVIDER_SUBSYSTEM}/vitals`, 'i'));
    expect(head).toMatch(new RegExp(`x-road-client: ${CONSUMER_SUBSYSTEM}`, 'i'));
    expect(head).toMatch(/x-road-id: /i);
    expect(head).toMatch(/x-backend: echo/i);
    expect(JSON.parse(body!)).toMatchObject({ method: 'POST', url: '/residents/42?days=7', body: '{"bloodPressure":"120/80"}' });

    const seen = net.backend.requests.at(-1)!;
    expect(seen.headers['x-road-client']).toBe(CONSUMER_SUBSYSTEM);
    expect(seen.headers['x-road-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen.headers['x-road-id']).toBeDefined();
    expect(seen.headers['content-type']).toBe('application/json');
  });
});
