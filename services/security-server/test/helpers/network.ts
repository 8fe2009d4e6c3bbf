// A small JP-Link network for tests: a real Center, two members with one Security Server each
// (consumer and provider), and an echo backend behind the provider. Everything on 127.0.0.1.
import type { SwitchableProxy } from './switchable-proxy.ts';
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCenter, type TestCenter } from '@jplink/center/testing';
import { createTestDatabase } from '@jplink/db/testing';
import { createLogger } from '@jplink/kit';
import { freePort, http } from '@jplink/testing';
import { securityServerConfigSchema } from '../../src/config.ts';
import { createSecurityServer, type SecurityServer } from '../../src/security-server.ts';
import type { SecurityServerTables } from '../../src/db/schema.ts';

export const CONSUMER = { memberClass: 'COM', memberCode: '1111111111111', name: '買い物支援株式会社', subsystem: 'shopping', server: 'ss-a' };
export const PROVIDER = { memberClass: 'COM', memberCode: '2222222222222', name: 'ヘルスケア株式会社', subsystem: 'healthcare', server: 'ss-b' };
export const CONSUMER_SUBSYSTEM = `JP-TEST/${CONSUMER.memberClass}/${CONSUMER.memberCode}/${CONSUMER.subsystem}`;
export const PROVIDER_SUBSYSTEM = `JP-TEST/${PROVIDER.memberClass}/${PROVIDER.memberCode}/${PROVIDER.subsystem}`;

export interface RunningSs {
  ss: SecurityServer;
  /** Moves this server's clock (tests of freshness and expiry). */
  clock: { offsetMs: number };
  ports: { isHttp: number; isHttps: number; exchange: number; ocsp: number; admin: number };
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

export async function startSecurityServer(
  center: TestCenter,
  member: typeof CONSUMER,
  env: Record<string, string> = {},
): Promise<RunningSs> {
  const dataDir = await mkdtemp(join(tmpdir(), `jplink-ss-${member.server}-`));
  const ports = { isHttp: await freePort(), isHttps: await freePort(), exchange: await freePort(), ocsp: await freePort(), admin: await freePort() };
  const config = securityServerConfigSchema.parse({
    JPLINK_MODE: 'development',
    SS_ID: `JP-TEST/${member.memberClass}/${member.memberCode}/${member.server}`,
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
  const subsystem = `JP-TEST/${member.memberClass}/${member.memberCode}/${member.subsystem}`;
  await ss.saveClient({ subsystem, connectionType: 'http' });
  await ss.enrol({ clients: [subsystem], waitSeconds: 30 });
  const bound = await ss.listen();
  const running: RunningSs = {
    ss,
    clock,
    ports: bound,
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
  stop(): Promise<void>;
}

export async function startTestNetwork(
  options: {
    centerEnv?: Record<string, string>;
    providerEnv?: Record<string, string>;
    consumerEnv?: Record<string, string>;
    /** Put this proxy in front of the Center's public services (globalconf, OCSP, TSA) to simulate outages. */
    centerProxy?: SwitchableProxy;
  } = {},
): Promise<TestNetwork> {
  const center = await startTestCenter({
    CENTER_AUTO_APPROVE: 'certificateIssue,authCertReg,clientReg,clientDeletion,addressChange',
    ...(options.centerProxy ? { CENTER_PUBLIC_URL: options.centerProxy.url } : {}),
    ...options.centerEnv,
  });
  if (options.centerProxy) options.centerProxy.target.port = Number(center.config.CENTER_PUBLIC_PORT);
  const admin = { authorization: `Bearer ${center.adminKey}` };
  for (const m of [CONSUMER, PROVIDER]) {
    await http(`${center.urls.admin}/api/v1/members`, { headers: admin, json: { memberClass: m.memberClass, memberCode: m.memberCode, name: m.name } });
    await http(`${center.urls.admin}/api/v1/members/${m.memberClass}/${m.memberCode}/subsystems`, { headers: admin, json: { subsystemCode: m.subsystem } });
  }
  const [consumer, provider] = await Promise.all([startSecurityServer(center, CONSUMER, options.consumerEnv), startSecurityServer(center, PROVIDER, options.providerEnv)]);
  // Each server must see the other's registration.
  await Promise.all([consumer.ss.context.conf.refresh(), provider.ss.context.conf.refresh()]);
  const backend = await startEchoBackend();
  const providerAdmin = await adminClient(provider);
  const path = `/api/v1/clients/${PROVIDER_SUBSYSTEM.replaceAll('/', ':')}/services`;
  expect200(await providerAdmin('POST', path, { serviceCode: 'vitals', url: backend.url, timeoutSeconds: 2 }));
  expect200(await providerAdmin('POST', `${path}/vitals/access-rights/grant`, { subject: { kind: 'subsystem', id: CONSUMER_SUBSYSTEM } }));
  return {
    center,
    consumer,
    provider,
    backend,
    url: (service = 'vitals', path = '') => `http://127.0.0.1:${consumer.ports.isHttp}/r1/${PROVIDER_SUBSYSTEM}/${service}${path}`,
    async stop() {
      await Promise.all([consumer.drop(), provider.drop()]);
      await backend.close();
      await center.stop();
    },
  };
}

/** Calls a Security Server's configuration API with its key. */
export async function adminClient(running: RunningSs) {
  const { readFile } = await import('node:fs/promises');
  const key = (await readFile(running.ss.files.adminApiKey, 'utf8')).trim();
  return (method: string, path: string, json?: unknown) =>
    http(`http://127.0.0.1:${running.ports.admin}${path}`, { method, headers: { authorization: `Bearer ${key}` }, ...(json !== undefined ? { json } : {}) });
}

function expect200(response: { status: number; body: Buffer }) {
  if (response.status !== 200) throw new Error(`configuration API answered ${response.status}: ${response.body.toString()}`);
}
