// Composes the Adapter Server: database → migrations → catalog (definitions, pools) → data apps
// (HTTP and HTTPS, for the Security Server) → admin app (API + UI). `server.ts` only starts it.
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { migrate, healthCheck, type Database } from '@jplink/db';
import { createHttpApp, generateApiKey, hashApiKey, listen, registerHealth, registerMetrics, type App, type Logger } from '@jplink/kit';
import { derToPem, issueCertificate } from '@jplink/pki';
import { Gauge } from 'prom-client';
import type { AdapterConfig } from './config.ts';
import { adapterMigrations } from './db/migrations.ts';
import type { AdapterTables } from './db/schema.ts';
import { createAdapterAuditor } from './audit.ts';
import { Catalog } from './catalog.ts';
import { CallLog } from './call-log.ts';
import { AdapterServerCore } from './core.ts';
import { registerDataRoutes } from './routes/data.ts';
import { dataCaller } from './serving/data-call.ts';
import { dataFastPath } from './serving/data-fast-path.ts';
import { registerAdminApi } from './routes/admin.ts';

export interface AdapterServerDeps {
  database: Database<AdapterTables>;
  logger: Logger;
  /** Passphrase that encrypts stored database credentials. */
  passphrase: string;
  now?: () => Date;
  /** Adds the admin UI to the admin app (kept apart so the API works without it). */
  registerUi?: (app: App, core: AdapterServerCore, ctx: { apiKeySha256: string; secureCookies: boolean }) => Promise<void> | void;
}

export interface AdapterServer {
  core: AdapterServerCore;
  dataApp: App;
  dataHttpsApp: App;
  adminApp: App;
  calls: CallLog;
  /** Data-service calls the data ports answered on their fast path (serving/data-fast-path.ts), for tests and diagnostics. */
  readonly dataFastPathAnswered: number;
  files: { adminApiKey: string; tlsCertificate: string };
  listen(): Promise<{ dataHttp: number; dataHttps: number; admin: number }>;
  close(): Promise<void>;
}

/** A self-signed certificate for the HTTPS data port, created once (replace it with the member's own). */
async function dataTls(dataDir: string) {
  const certFile = join(dataDir, 'data-tls.crt');
  const keyFile = join(dataDir, 'data-tls.key');
  const existing = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]).catch(() => undefined);
  if (existing) return { cert: existing[0], key: existing[1], certFile };
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const now = Date.now();
  const der = await issueCertificate({
    subject: [['CN', 'jplink-adapter-server']],
    publicKey,
    selfSignedPrivateKey: privateKey,
    serialNumber: BigInt(now),
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 5 * 365 * 86_400_000),
    profile: 'tls-server',
    subjectAltNames: { dns: ['localhost'], ip: ['127.0.0.1'] },
  });
  const cert = derToPem(der, 'CERTIFICATE');
  const key = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  await writeFile(keyFile, key, { mode: 0o600 });
  await writeFile(certFile, cert);
  return { cert, key, certFile };
}

export async function createAdapterServer(config: AdapterConfig, deps: AdapterServerDeps): Promise<AdapterServer> {
  const { database, logger } = deps;
  const now = deps.now ?? (() => new Date());
  await mkdir(config.ADAPTER_DATA_DIR, { recursive: true });
  await migrate(database, adapterMigrations);
  const db = database.db;
  const audit = createAdapterAuditor(db);
  const catalog = new Catalog({ db, passphrase: deps.passphrase, logger });
  await catalog.load();
  const calls = new CallLog({ db, logger });
  const core = new AdapterServerCore({ db, catalog, audit, config, logger });

  const databaseCheck = async () => {
    const result = await healthCheck(database);
    if (!result.ok) throw new Error(result.error);
  };
  const tls = await dataTls(config.ADAPTER_DATA_DIR);
  const dataDeps = { catalog, calls, db, audit, now, personalLinkClient: config.ADAPTER_PERSONAL_LINK_CLIENT };
  const dataCall = dataCaller(dataDeps);
  const fastPaths: Array<ReturnType<typeof dataFastPath>> = [];
  const buildDataApp = (https: boolean) => {
    const app = createHttpApp({
      name: https ? 'adapter-data-https' : 'adapter-data',
      logger,
      bodyLimit: config.ADAPTER_MAX_BODY_BYTES,
      requestLogging: false,
      ...(https ? { https: { cert: tls.cert, key: tls.key } } : {}),
      // GET/DELETE data calls without a body skip Fastify (same answers; see the file).
      preRouting: (app) => {
        const fastPath = dataFastPath(app, dataCall);
        fastPaths.push(fastPath);
        return fastPath;
      },
    });
    registerHealth(app, { checks: { database: databaseCheck } });
    registerDataRoutes(app, dataDeps, dataCall);
    return app;
  };
  const dataApp = buildDataApp(false);
  const dataHttpsApp = buildDataApp(true);

  // The admin API key: created once, kept in the data dir (0600).
  const adminApiKeyFile = join(config.ADAPTER_DATA_DIR, 'admin-api-key');
  let adminKey = await readFile(adminApiKeyFile, 'utf8').then((t) => t.trim(), () => undefined);
  if (!adminKey) {
    adminKey = generateApiKey();
    await writeFile(adminApiKeyFile, `${adminKey}\n`, { mode: 0o600 });
  }
  const apiKeySha256 = hashApiKey(adminKey);
  const adminApp = createHttpApp({
    name: 'adapter-admin',
    logger,
    openapi: {
      title: 'JP-Link Adapter Server — admin API',
      version: '1',
      description: 'Database connections, Sub System Codes, Data Services, publishing, ID conversions and consents. Authorization: Bearer <key in the data dir>.',
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } },
    },
  });
  registerHealth(adminApp, { checks: { database: databaseCheck } });
  const metrics = registerMetrics(adminApp, { prefix: 'jplink_adapter_' });
  new Gauge({
    name: 'jplink_adapter_call_log_dropped_total',
    help: 'Data-service calls whose call-log row could not be written',
    registers: [metrics],
    collect() {
      this.set(calls.dropped);
    },
  });
  registerAdminApi(adminApp, core, apiKeySha256);
  await deps.registerUi?.(adminApp, core, { apiKeySha256, secureCookies: config.ADAPTER_ADMIN_SECURE_COOKIES });

  let closed = false;
  return {
    core,
    dataApp,
    dataHttpsApp,
    adminApp,
    calls,
    get dataFastPathAnswered() {
      return fastPaths.reduce((sum, fastPath) => sum + fastPath.answered, 0);
    },
    files: { adminApiKey: adminApiKeyFile, tlsCertificate: tls.certFile },
    async listen() {
      const [dataHttp, dataHttps, admin] = await Promise.all([
        listen(dataApp, { host: config.ADAPTER_HOST, port: config.ADAPTER_DATA_HTTP_PORT }),
        listen(dataHttpsApp, { host: config.ADAPTER_HOST, port: config.ADAPTER_DATA_HTTPS_PORT }),
        listen(adminApp, { host: config.ADAPTER_ADMIN_HOST, port: config.ADAPTER_ADMIN_PORT }),
      ]);
      return { dataHttp: dataHttp.port, dataHttps: dataHttps.port, admin: admin.port };
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([dataApp.close(), dataHttpsApp.close(), adminApp.close()]);
      await calls.flush();
      await catalog.close();
    },
  };
}
