// `jplink adapter` sets up an Adapter Server from the command line — a database connection, a Sub
// System Code, Data Services — and publishes it to a running Security Server, after which the
// consumer reads rows through both Security Servers. API errors reach the user as one readable line.
import { execFile } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresSample, startTestAdapter, type RunningAdapter, type SampleTarget } from '@jplink/adapter-server/testing';
import { CONSUMER_SUBSYSTEM, PROVIDER_SUBSYSTEM, startTestNetwork, type TestNetwork } from '@jplink/security-server/testing';
import { freePort, http, tempDir, type TempDir } from '@jplink/testing';

const bin = new URL('../bin/jplink.mjs', import.meta.url).pathname;
let net: TestNetwork;
let adapter: RunningAdapter;
let sample: SampleTarget;
let files: TempDir;
let keyFile: string;

function jplink(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const environment = { ...process.env, JPLINK_ADAPTER_API: adapter.adminUrl, JPLINK_ADAPTER_KEY_FILE: keyFile, ...env };
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, 'adapter', ...args], { env: environment, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) }),
    );
  });
}

beforeAll(async () => {
  net = await startTestNetwork();
  sample = await createPostgresSample();
  adapter = await startTestAdapter({
    ADAPTER_SS_ADMIN_URL: net.provider.adminUrl,
    ADAPTER_SS_ADMIN_KEY_FILE: net.provider.ss.files.adminApiKey,
    ADAPTER_PROVIDER_SUBSYSTEM: PROVIDER_SUBSYSTEM,
  });
  files = await tempDir('jplink-adapter-cli-');
  keyFile = adapter.adapter.files.adminApiKey;
}, 120_000);

afterAll(async () => {
  await adapter?.stop();
  await sample?.drop();
  await net?.stop();
  if (files) await rm(files.dir, { recursive: true, force: true });
});

describe('jplink adapter', () => {
  it('adds a connection, a Sub System Code and Data Services, and publishes them to the Security Server', async () => {
    const c = sample.connection;
    const passwordFile = await files.file('db-password', `${c.password ?? 'trust-auth-ignores-it'}\n`);
    const added = await jplink(['connection-add', c.name, '--dialect', 'postgres', '--host', c.host, '--port', String(c.port), '--database', c.database, '--user', c.username, '--password-file', passwordFile]);
    expect(added.code, added.stderr).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ name: c.name, dialect: 'postgres', port: c.port, hasPassword: true });
    expect(added.stdout).not.toContain('trust-auth-ignores-it');
    const tested = await jplink(['connection-test', c.name]);
    expect(tested.code, tested.stderr).toBe(0);
    expect(JSON.parse(tested.stdout)).toMatchObject({ ok: true, flavor: 'postgres' });
    const tables = JSON.parse((await jplink(['tables', c.name])).stdout) as Array<{ schema: string; name: string }>;
    expect(tables).toContainEqual({ schema: sample.schema, name: 'residents', kind: 'table' });
    expect(JSON.parse((await jplink(['connections'])).stdout).map((x: { name: string }) => x.name)).toEqual([c.name]);

    const subsystem = await jplink(['subsystem-add', 'residents', '--title', '住民情報']);
    expect(subsystem.code, subsystem.stderr).toBe(0);
    expect(JSON.parse(subsystem.stdout)).toMatchObject({ code: 'residents', title: '住民情報', services: 0 });
    const columns = [
      { name: 'id', type: 'integer', filterable: true, sortable: true },
      { name: 'user_id', type: 'string' },
      { name: 'city', type: 'string', filterable: true },
    ];
    const table = { schema: sample.schema, name: 'residents' };
    const list = await files.file('list.json', JSON.stringify({ name: 'list', title: '一覧', kind: 'list', connection: c.name, table, columns }));
    const get = await files.file('get.json', JSON.stringify({ name: 'get', title: '取得', kind: 'get', connection: c.name, table, key: 'id', columns }));
    for (const file of [list, get]) {
      const service = await jplink(['service-add', 'residents', '--file', file]);
      expect(service.code, service.stderr).toBe(0);
    }
    expect(JSON.parse((await jplink(['services', 'residents'])).stdout).map((s: { path: string }) => s.path)).toEqual(['/get/{key}', '/list']);
    expect(JSON.parse((await jplink(['subsystems'])).stdout)).toMatchObject([{ code: 'residents', services: 2 }]);
    const out = await files.file('openapi.json');
    const openapi = await jplink(['openapi', 'residents', '--out', out]);
    expect(openapi.code, openapi.stderr).toBe(0);
    expect(JSON.parse(await readFile(out, 'utf8'))).toMatchObject({ openapi: '3.0.3', info: { title: '住民情報' }, paths: { '/list': { get: {} }, '/get/{key}': { get: {} } } });

    const published = await jplink(['publish', 'residents', '--grant', CONSUMER_SUBSYSTEM]);
    expect(published.code, published.stderr).toBe(0);
    expect(JSON.parse(published.stdout)).toEqual({ provider: PROVIDER_SUBSYSTEM, serviceCode: 'residents', url: `${adapter.dataUrl}/residents`, endpoints: 2, granted: CONSUMER_SUBSYSTEM });
    // The consumer's information system now reads rows through both Security Servers.
    const rows = await http(net.url('residents', '/list?city=eq.osaka'), { headers: { 'x-road-client': CONSUMER_SUBSYSTEM } });
    expect(rows.status, rows.body.toString()).toBe(200);
    expect(rows.json()).toEqual({ rows: [{ id: 2, user_id: 'u-002', city: 'osaka' }], truncated: false, nextOffset: null });

    const linked = await jplink(['id-conversion', 'base-id-0001', 'u-001']);
    expect(linked.code, linked.stderr).toBe(0);
    expect(JSON.parse(linked.stdout)).toMatchObject({ baseId: 'base-id-0001', localUserId: 'u-001' });
    await adapter.adapter.calls.flush();
    expect(JSON.parse((await jplink(['calls', '--limit', '5'])).stdout)[0]).toMatchObject({ subsystemCode: 'residents', service: 'list', xRoadClient: CONSUMER_SUBSYSTEM, rows: 1 });
  }, 90_000);

  it('prints API errors as one line and exits 1', async () => {
    const unknown = await jplink(['services', 'nosuch']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('jplink adapter: GET /api/v1/subsystems/nosuch/services → HTTP 404: ADAPTER_SUBSYSTEM_NOT_FOUND: No such Sub System Code.\n');
    const invalid = await jplink(['subsystem-add', 'Not A Code!', '--title', 'x']);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/^jplink adapter: POST \/api\/v1\/subsystems → HTTP 400: KIT_VALIDATION_FAILED: .*\(body\.code: .*\)\n$/);
    const badDefinition = await jplink(['service-add', 'residents', '--file', await files.file('bad.json', '{ "name": ')]);
    expect(badDefinition.code).toBe(1);
    expect(badDefinition.stderr).toMatch(/^jplink adapter: .*bad\.json is not valid JSON/);
  });

  it('reports a publish the Security Server refuses, and a connection that fails its test', async () => {
    const ssKey = await files.file('wrong-ss-key', 'wrong\n');
    const other = await startTestAdapter({ ADAPTER_SS_ADMIN_URL: net.provider.adminUrl, ADAPTER_SS_ADMIN_KEY_FILE: ssKey, ADAPTER_PROVIDER_SUBSYSTEM: PROVIDER_SUBSYSTEM });
    try {
      const env = { JPLINK_ADAPTER_API: other.adminUrl, JPLINK_ADAPTER_KEY_FILE: other.adapter.files.adminApiKey };
      expect((await jplink(['subsystem-add', 'residents', '--title', 'x'], env)).code).toBe(0);
      const refused = await jplink(['publish', 'residents'], env);
      expect(refused.code).toBe(1);
      // The Security Server's reason reaches the admin.
      expect(refused.stderr).toMatch(/^jplink adapter: POST \/api\/v1\/subsystems\/residents\/publish → HTTP 422: ADAPTER_PUBLISH_REFUSED: The Security Server refused: KIT_UNAUTHENTICATED/);

      const port = String(await freePort()); // nothing listens there
      expect((await jplink(['connection-add', 'closed', '--dialect', 'postgres', '--host', '127.0.0.1', '--port', port, '--database', 'x', '--user', 'x'], env)).code).toBe(0);
      const failed = await jplink(['connection-test', 'closed'], env);
      expect(failed.code).toBe(1);
      expect(JSON.parse(failed.stdout)).toMatchObject({ ok: false });
      expect(failed.stderr).toMatch(/^jplink adapter: connection closed failed: .*ECONNREFUSED/);
    } finally {
      await other.stop();
    }
  });

  it('refuses missing arguments, options and settings before calling anything', async () => {
    expect(await jplink(['subsystem-add', 'residents'])).toMatchObject({ code: 1, stderr: 'jplink adapter: subsystem-add needs --title; see jplink adapter --help\n' });
    expect(await jplink(['connection-add', 'x', '--dialect', 'mysql'])).toMatchObject({ code: 1, stderr: 'jplink adapter: connection-add needs --host, --database, --user; see jplink adapter --help\n' });
    expect(await jplink(['id-conversion', 'base-id-0001'])).toMatchObject({ code: 1, stderr: 'jplink adapter: id-conversion needs <baseId> <localUserId>; see jplink adapter --help\n' });
    expect((await jplink(['nosuch'])).stderr).toBe('jplink adapter: unknown adapter command: nosuch; see jplink adapter --help\n');
    expect(await jplink(['subsystems'], { JPLINK_ADAPTER_API: '' })).toMatchObject({ code: 1, stderr: 'jplink adapter: --api and --key-file are required (or JPLINK_ADAPTER_API / JPLINK_ADAPTER_KEY_FILE)\n' });
    expect((await jplink(['subsystems'], { JPLINK_ADAPTER_KEY_FILE: '/nonexistent/key' })).stderr).toBe('jplink adapter: cannot read the API key file /nonexistent/key: ENOENT\n');
    const closed = `http://127.0.0.1:${await freePort()}`;
    const unreachable = await jplink(['subsystems'], { JPLINK_ADAPTER_API: closed });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toBe(`jplink adapter: GET /api/v1/subsystems: cannot reach ${closed} (ECONNREFUSED)\n`);
    const help = await jplink(['--help']);
    expect(help.stdout).toContain('Usage: jplink adapter <command>');
  }, 60_000);
});
