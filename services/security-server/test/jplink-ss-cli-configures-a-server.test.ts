// The `jplink ss` command sets up a service and an access right through the configuration API,
// and the exchange then works; errors from the API reach the user as a readable line.
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { derToPem } from '@jplink/pki';
import { http, tempDir } from '@jplink/testing';
import { CONSUMER_SUBSYSTEM, PROVIDER_SUBSYSTEM, startTestNetwork, type TestNetwork } from './helpers/network.ts';

const bin = new URL('../../../packages/cli/bin/jplink.mjs', import.meta.url).pathname;
let net: TestNetwork;

function jplink(args: string[], command = 'ss'): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, JPLINK_SS_API: `http://127.0.0.1:${net.provider.ports.admin}`, JPLINK_SS_KEY_FILE: net.provider.ss.files.adminApiKey };
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, command, ...args], { env, timeout: 60_000 }, (error, stdout, stderr) =>
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

  it('exports the evidence of an exchange, which jplink verify accepts; archives on request', async () => {
    const answer = await http(net.url('vitals', '/cli'), { headers: { 'x-road-client': CONSUMER_SUBSYSTEM } });
    expect(answer.status).toBe(200);
    await net.provider.ss.timestamper.stampNow();
    const files = await tempDir('jplink-cli-evidence-');
    const out = await files.file('evidence.zip');
    const exported = await jplink(['evidence', '--message-id', answer.headers['x-road-request-id'] as string, '--out', out]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toContain('jplink verify');
    const root = await files.file('root.pem', net.provider.ss.context.conf.current('client').approvedCaRoots().map((d) => derToPem(d, 'CERTIFICATE')).join(''));
    const verified = await jplink(['--root', root, out], 'verify');
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
    const archived = await jplink(['archive']);
    expect(archived.code, archived.stderr).toBe(0);
    expect(JSON.parse(archived.stdout).files.length).toBe(1);
    const unknown = await jplink(['evidence', '--message-id', '6f1c1c1e-0000-4000-8000-000000000000', '--out', out]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('SS_EVIDENCE_NOT_FOUND');
    const both = await jplink(['evidence', '--message-id', 'x', '--x-road-id', 'y', '--out', out]);
    expect(both.stderr).toContain('exactly one of --message-id and --x-road-id');
  });

  it('reports API errors as one readable line', async () => {
    const result = await jplink(['grant', PROVIDER_SUBSYSTEM, 'nosuch', CONSUMER_SUBSYSTEM]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^jplink ss: POST .* → HTTP 404: SS_SERVICE_UNKNOWN: No such service\.\n$/);
  });
});
