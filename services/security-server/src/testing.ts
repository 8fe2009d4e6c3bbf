// Test support (`@jplink/security-server/testing`): a small JP-Link network on 127.0.0.1 — a real
// Center, two members with one Security Server each (consumer and provider), and an echo backend
// behind the provider published as service `vitals`, which the consumer may call. Other packages
// (the Adapter Server, the CLI) put their own services behind the provider's Security Server.
// Not for production code: it needs the test database of the root vitest config.
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCenter, type TestCenter } from '@jplink/center/testing';
import { createTestDatabase } from '@jplink/db/testing';
import { createLogger } from '@jplink/kit';
import { freePort, http } from '@jplink/testing';
import { securityServerConfigSchema } from './config.ts';
import { createSecurityServer, type SecurityServer } from './security-server.ts';
import type { SecurityServerTables } from './db/schema.ts';

export interface TestMember {
  memberClass: string;
  memberCode: string;
  name: string;
  /** The member's client subsystem on its Security Server. */
  subsystem: string;
  /** Server code of its Security Server. */
  server: string;
}

export const TEST_INSTANCE = 'JP-TEST';
export const CONSUMER: TestMember = { memberClass: 'COM', memberCode: '1111111111111', name: '買い物支援株式会社', subsystem: 'shopping', server: 'ss-a' };
export const PROVIDER: TestMember = { memberClass: 'COM', memberCode: '2222222222222', name: 'ヘルスケア株式会社', subsystem: 'healthcare', server: 'ss-b' };
export const CONSUMER_SUBSYSTEM = `${TEST_INSTANCE}/${CONSUMER.memberClass}/${CONSUMER.memberCode}/${CONSUMER.subsystem}`;
export const PROVIDER_SUBSYSTEM = `${TEST_INSTANCE}/${PROVIDER.memberClass}/${PROVIDER.memberCode}/${PROVIDER.subsystem}`;

export interface RunningSs {
  ss: SecurityServer;
  /** Moves this server's clock (tests of freshness and expiry). */
  clock: { offsetMs: number };
  ports: { isHttp: number; isHttps: number; exchange: number; ocsp: number; admin: number };
  /** http://127.0.0.1:<port> of the configuration API (Bearer key in `ss.files.adminApiKey`). */
  adminUrl: string;
  /** http://127.0.0.1:<port> where information systems call PR-REST. */
  informationSystemUrl: string;
  dataDir: string;
  /** Stops this server and starts it again on the same database, data folder and ports (replaces `ss`). */
  restart(): Promise<void>;
  drop(): Promise<void>;
}

export interface EchoBackend {
  url: string;
  requests: Array<{ method: string; url: string; headers: Record<string, string | string[] | undefined>; body: Buffer }>;
  /** Next responses wait this long (to test timeouts). */
  delayMs: number;
  close(): Promise<void>;
}

/** A backend that answers every request with what it received (method, url, body). */
export async function startEchoBackend(): Promise<EchoBackend> {
  const requests: EchoBackend['requests'] = [];
  const backend: EchoBackend = { url: '', requests, delayMs: 0, close: async () => {} };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const answer = Buffer.from(JSON.stringify({ method: req.method, url: req.url, bodyLength: body.length, body: body.toString('utf8').slice(0, 200) }));
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'x-backend': 'echo', connection: 'keep-alive' });
        res.end(answer);
      }, backend.delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  backend.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  backend.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return backend;
}

/**
 * A member's Security Server on fresh loopback ports, a fresh database schema and a temporary data
 * folder, with the member's subsystem as a local client, enrolled at the Center (keys, certificates,
 * registrations; the Center must auto-approve them) and listening.
 */
export async function startSecurityServer(center: TestCenter, member: TestMember, env: Record<string, string> = {}): Promise<RunningSs> {
  const dataDir = await mkdtemp(join(tmpdir(), `jplink-ss-${member.server}-`));
  const ports = { isHttp: await freePort(), isHttps: await freePort(), exchange: await freePort(), ocsp: await freePort(), admin: await freePort() };
  const config = securityServerConfigSchema.parse({
    JPLINK_MODE: 'development',
    SS_ID: `${TEST_INSTANCE}/${member.memberClass}/${member.memberCode}/${member.server}`,
    SS_DATA_DIR: dataDir,
    SS_ANCHOR_FILE: center.center.files.anchor,
    SS_KEY_PASSPHRASE_FILE: join(dataDir, 'unused'),
    SS_PUBLIC_ADDRESS: '127.0.0.1',
    SS_HOST: '127.0.0.1',
    SS_IS_HTTP_PORT: String(ports.isHttp),
    SS_IS_HTTPS_PORT: String(ports.isHttps),
    SS_EXCHANGE_PORT: String(ports.exchange),
    SS_OCSP_PORT: String(ports.ocsp),
    SS_ADMIN_PORT: String(ports.admin),
    SS_LOG_LEVEL: 'silent',
    ...env,
  });
  const database = await createTestDatabase<SecurityServerTables>('ss');
  const logger = createLogger({ name: member.server, level: process.env.JPLINK_TEST_LOG ?? 'silent' });
  const clock = { offsetMs: 0 };
  const start = () => createSecurityServer(config, { database, logger, passphrase: 'security-server-test-passphrase', now: () => new Date(Date.now() + clock.offsetMs) });
  const ss = await start();
  const subsystem = `${TEST_INSTANCE}/${member.memberClass}/${member.memberCode}/${member.subsystem}`;
  await ss.saveClient({ subsystem, connectionType: 'http' });
  await ss.enrol({ clients: [subsystem], waitSeconds: 30 });
  const bound = await ss.listen();
  const running: RunningSs = {
    ss,
    clock,
    ports: bound,
    adminUrl: `http://127.0.0.1:${bound.admin}`,
    informationSystemUrl: `http://127.0.0.1:${bound.isHttp}`,
    dataDir,
    async restart() {
      await running.ss.close();
      running.ss = await start();
      await running.ss.listen();
    },
    async drop() {
      await running.ss.close();
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return running;
}

export interface TestNetwork {
  center: TestCenter;
  consumer: RunningSs;
  provider: RunningSs;
  backend: EchoBackend;
  /** PR-REST URL on the consumer's Security Server for a provider service path. */
  url(service?: string, path?: string): string;
  /**
   * Adds a subsystem to a member at the Center, as a local client of `server`, registered
   * (auto-approved) and visible to both Security Servers. Returns its identifier text.
   */
  addClientSubsystem(server: RunningSs, member: TestMember, subsystemCode: string): Promise<string>;
  stop(): Promise<void>;
}

/** Only what startTestNetwork needs of a proxy in front of the Center's public port. */
export interface CenterProxy {
  url: string;
  target: { port: number };
}

export async function startTestNetwork(
  options: {
    centerEnv?: Record<string, string>;
    providerEnv?: Record<string, string>;
    consumerEnv?: Record<string, string>;
    /** Put this proxy in front of the Center's public services (globalconf, OCSP, TSA) to simulate outages. */
    centerProxy?: CenterProxy;
  } = {},
): Promise<TestNetwork> {
  const center = await startTestCenter({
    CENTER_AUTO_APPROVE: 'certificateIssue,authCertReg,clientReg,clientDeletion,addressChange',
    ...(options.centerProxy ? { CENTER_PUBLIC_URL: options.centerProxy.url } : {}),
    ...options.centerEnv,
  });
  if (options.centerProxy) options.centerProxy.target.port = Number(center.config.CENTER_PUBLIC_PORT);
  const admin = { authorization: `Bearer ${center.adminKey}` };
  const addSubsystem = async (m: TestMember, subsystemCode: string) =>
    expectOk(await http(`${center.urls.admin}/api/v1/members/${m.memberClass}/${m.memberCode}/subsystems`, { headers: admin, json: { subsystemCode } }), 201);
  for (const m of [CONSUMER, PROVIDER]) {
    await http(`${center.urls.admin}/api/v1/members`, { headers: admin, json: { memberClass: m.memberClass, memberCode: m.memberCode, name: m.name } });
    await addSubsystem(m, m.subsystem);
  }
  const [consumer, provider] = await Promise.all([startSecurityServer(center, CONSUMER, options.consumerEnv), startSecurityServer(center, PROVIDER, options.providerEnv)]);
  // Each server must see the other's registration.
  const refresh = () => Promise.all([consumer.ss.context.conf.refresh(), provider.ss.context.conf.refresh()]);
  await refresh();
  const backend = await startEchoBackend();
  const providerAdmin = await adminClient(provider);
  const path = `/api/v1/clients/${PROVIDER_SUBSYSTEM.replaceAll('/', ':')}/services`;
  expectOk(await providerAdmin('POST', path, { serviceCode: 'vitals', url: backend.url, timeoutSeconds: 2 }));
  expectOk(await providerAdmin('POST', `${path}/vitals/access-rights/grant`, { subject: { kind: 'subsystem', id: CONSUMER_SUBSYSTEM } }));
  return {
    center,
    consumer,
    provider,
    backend,
    url: (service = 'vitals', path = '') => `${consumer.informationSystemUrl}/r1/${PROVIDER_SUBSYSTEM}/${service}${path}`,
    async addClientSubsystem(server, member, subsystemCode) {
      await addSubsystem(member, subsystemCode);
      const subsystem = `${TEST_INSTANCE}/${member.memberClass}/${member.memberCode}/${subsystemCode}`;
      const client = await adminClient(server);
      expectOk(await client('POST', '/api/v1/clients', { subsystem, connectionType: 'http' }));
      expectOk(await client('POST', `/api/v1/clients/${subsystem.replaceAll('/', ':')}/register`));
      await refresh();
      return subsystem;
    },
    async stop() {
      await Promise.all([consumer.drop(), provider.drop()]);
      await backend.close();
      await center.stop();
    },
  };
}

/** Calls a Security Server's configuration API with its key. */
export async function adminClient(running: RunningSs) {
  const key = (await readFile(running.ss.files.adminApiKey, 'utf8')).trim();
  return (method: string, path: string, json?: unknown) =>
    http(`http://127.0.0.1:${running.ports.admin}${path}`, { method, headers: { authorization: `Bearer ${key}` }, ...(json !== undefined ? { json } : {}) });
}

function expectOk(response: { status: number; body: Buffer }, status = 200) {
  if (response.status !== status) throw new Error(`API answered ${response.status}: ${response.body.toString()}`);
}
