// The `jplink ss` command sets up a service and an access right through the configuration API,
// and the exchange then works; errors from the API reach the user as a readable line.
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http } from '@jplink/testing';
import { CONSUMER_SUBSYSTEM, PROVIDER_SUBSYSTEM, startTestNetwork, type TestNetwork } from './helpers/network.ts';

const bin = new URL('../../../packages/cli/bin/jplink.mjs', import.meta.url).pathname;
let net: TestNetwork;

function jplink(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, JPLINK_SS_API: `http://127.0.0.1:${net.provider.ports.admin}`, JPLINK_SS_KEY_FILE: net.provider.ss.files.adminApiKey };
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, 'ss', ...args], { env, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) }),
    );
  });
}

beforeAll(async () => {
  net = await startTestNetwork();
}, 120_000);

afterAll(async () => {
  await net?.stop();
});

describe('jplink ss', () => {
  it('adds a service and an endpoint access right that the exchange then honours', async () => {
    const added = await jplink(['service-add', PROVIDER_SUBSYSTEM, 'records', net.backend.url, '--timeout', '5']);
    expect(added.code, added.stderr).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ serviceCode: 'records', timeoutSeconds: 5 });
    expect((await http(net.url('records', '/a/1'), { headers: { 'x-road-client': CONSUMER_SUBSYSTEM } })).json().type).toBe('server.serverproxy.access_denied');
    const granted = await jplink(['grant', PROVIDER_SUBSYSTEM, 'records', CONSUMER_SUBSYSTEM, '--method', 'GET', '--path', '/a/*']);
    expect(granted.code, granted.stderr).toBe(0);
    expect((await http(net.url('records', '/a/1'), { headers: { 'x-road-client': CONSUMER_SUBSYSTEM } })).status).toBe(200);
    const listed = JSON.parse((await jplink(['services', PROVIDER_SUBSYSTEM])).stdout) as Array<{ serviceCode: string }>;
    expect(listed.map((s) => s.serviceCode).sort()).toEqual(['records', 'vitals']);
  });

  it('reports API errors as one readable line', async () => {
    const result = await jplink(['grant', PROVIDER_SUBSYSTEM, 'nosuch', CONSUMER_SUBSYSTEM]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^jplink ss: POST .* → HTTP 404: SS_SERVICE_UNKNOWN: No such service\.\n$/);
  });
});
