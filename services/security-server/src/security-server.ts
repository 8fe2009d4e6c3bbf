// Composes the Security Server: database → migrations → keys → global configuration client →
// OCSP → verifier → local configuration → message log → proxies. `server.ts` only starts it.
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { constants as cryptoConstants } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseSecurityServerId, formatSecurityServerId, type SecurityServerId } from '@jplink/contracts';
import { migrate, healthCheck, type Database } from '@jplink/db';
import { createHttpApp, generateApiKey, hashApiKey, listen, registerHealth, registerMetrics, type App, type Logger } from '@jplink/kit';
import { derToPem, issueCertificate } from '@jplink/pki';
import { Gauge } from 'prom-client';
import type { SecurityServerConfig } from './config.ts';
import { securityServerMigrations } from './db/migrations.ts';
import type { SecurityServerTables } from './db/schema.ts';
import { KeyStore, type StoredKey } from './keys/key-store.ts';
import { GlobalConfClient } from './conf/global-conf-client.ts';
import { OwnOcspManager } from './ocsp/own-ocsp.ts';
import { createOcspServer, type OcspServer } from './ocsp/ocsp-server.ts';
import { PeerVerifier } from './trust/peer-verifier.ts';
import { ServerConf } from './serverconf/server-conf.ts';
import { upsertClient } from './db/server-conf.ts';
import { MessageLogWriter } from './messagelog/writer.ts';
import { Timestamper } from './messagelog/timestamper.ts';
import { Archiver } from './messagelog/archiver.ts';
import { registerEvidenceRoutes } from './routes/evidence.ts';
import { LogStore, serverMessageIdsSince } from './db/message-log.ts';
import { SignerRegistry } from './proxy/signers.ts';
import { ReplayGuard } from './proxy/replay-guard.ts';
import { BackendClient } from './proxy/backend-client.ts';
import { PeerClient } from './proxy/peer-client.ts';
import { createClientProxyHandler } from './proxy/client-proxy.ts';
import { createExchangeHandler } from './proxy/server-proxy.ts';
import type { ProxyContext } from './proxy/context.ts';
import { XRoadError } from './errors.ts';
import { createSsAuditor } from './audit.ts';
import { registerSsAdminRoutes } from './routes/admin.ts';
import { enrol, type EnrolResult } from './setup/enrol.ts';

export interface SecurityServerDeps {
  database: Database<SecurityServerTables>;
  logger: Logger;
  /** Passphrase that encrypts this server's private keys at rest. */
  passphrase: string;
  /** The clock (tests move it; everything time-dependent reads it). */
  now?: () => Date;
}

export interface SecurityServer {
  id: SecurityServerId;
  database: Database<SecurityServerTables>;
  context: ProxyContext;
  /** Batch timestamping of the message log. */
  timestamper: Timestamper;
  /** Archives and evidence files of the message log. */
  archiver: Archiver;
  adminApp: App;
  files: { adminApiKey: string };
  /** Adds or changes a local client subsystem (also possible through the configuration API). */
  saveClient(client: { subsystem: string; connectionType?: 'http' | 'https' | 'https-cert'; logBodies?: boolean; timestampImmediately?: boolean }): Promise<void>;
  /** Keys, certificates and registrations from the Center (idempotent). */
  enrol(options?: { clients?: string[]; waitSeconds?: number; onProgress?: (step: string) => void }): Promise<EnrolResult>;
  /** Starts listening on the configured ports; returns the bound ports. */
  listen(): Promise<{ isHttp: number; isHttps: number; exchange: number; ocsp: number; admin: number }>;
  close(): Promise<void>;
}

/** A self-signed certificate for the information-system HTTPS interface, created once. */
async function internalTls(keys: KeyStore, server: SecurityServerId, host: string) {
  const key = await keys.ensure('internal-tls', 'internal-tls', { memberClass: server.memberClass, memberCode: server.memberCode }, 'EC-P256');
  if (!key.certificate) {
    const now = Date.now();
    const der = await issueCertificate({
      subject: [['CN', host === '0.0.0.0' ? 'localhost' : host]],
      publicKey: key.publicKey,
      selfSignedPrivateKey: key.privateKey,
      serialNumber: BigInt(now),
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 5 * 365 * 86_400_000),
      profile: 'tls-server',
      subjectAltNames: { dns: ['localhost'], ip: ['127.0.0.1'] },
    });
    await keys.setCertificate('internal-tls', Buffer.from(der));
  }
  return { key: key.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, cert: derToPem(key.certificate!.der, 'CERTIFICATE') };
}

export async function createSecurityServer(config: SecurityServerConfig, deps: SecurityServerDeps): Promise<SecurityServer> {
  const { database, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const id = parseSecurityServerId(config.SS_ID);
  const idText = formatSecurityServerId(id);
  await mkdir(config.SS_DATA_DIR, { recursive: true });
  await migrate(database, securityServerMigrations);
  const db = database.db;
  const audit = createSsAuditor(db);

  const keys = await KeyStore.open(db, deps.passphrase);
  const conf = await GlobalConfClient.open({ anchorPath: config.SS_ANCHOR_FILE, dataDir: config.SS_DATA_DIR, logger, now });
  const ownOcsp = new OwnOcspManager({ certificates: () => keys.certificates(), conf, logger, dataDir: config.SS_DATA_DIR, now });
  await ownOcsp.loadStored();
  const verifier = new PeerVerifier({ conf, logger, now });
  const serverConf = new ServerConf(db);
  await serverConf.reload();
  const log = new MessageLogWriter({ db, store: new LogStore(database), logger }, { maxBodyBytes: config.SS_LOG_BODY_MAX_BYTES, commitDelayMs: config.SS_LOG_COMMIT_DELAY_MS });
  await log.start();
  const timestamper = new Timestamper({
    db,
    conf,
    logger,
    now,
    immediate: (subsystem) => serverConf.client(subsystem)?.timestampImmediately ?? false,
    ...(config.SS_TIMESTAMP_FAILURE_TOLERANCE_SECONDS !== undefined ? { toleranceSeconds: config.SS_TIMESTAMP_FAILURE_TOLERANCE_SECONDS } : {}),
    ...(config.SS_TIMESTAMPING_INTERVAL_SECONDS !== undefined ? { intervalSeconds: config.SS_TIMESTAMPING_INTERVAL_SECONDS } : {}),
  });
  await timestamper.start();
  log.useGate(timestamper);
  const archiver = new Archiver({
    db,
    database,
    conf,
    logger,
    now,
    serverId: idText,
    dir: config.SS_ARCHIVE_DIR ?? join(config.SS_DATA_DIR, 'archives'),
    intervalSeconds: config.SS_ARCHIVE_INTERVAL_SECONDS,
    grouping: config.SS_ARCHIVE_GROUPING,
    compression: config.SS_ARCHIVE_COMPRESSION,
    retentionDays: config.SS_LOG_RETENTION_DAYS,
  });
  archiver.start();
  const replay = new ReplayGuard(config.SS_REPLAY_WINDOW_SECONDS, () => now().getTime());
  // After a restart, message ids received within the replay window are refused again.
  for (const seen of await serverMessageIdsSince(db, new Date(now().getTime() - config.SS_REPLAY_WINDOW_SECONDS * 1000))) replay.remember(seen.messageId, seen.loggedAt.getTime());
  const signers = new SignerRegistry(keys, ownOcsp);
  const backend = new BackendClient();
  const peers = new PeerClient({
    authKey: () => {
      const key = keys.get('auth');
      if (!key?.certificate) throw new XRoadError('server.clientproxy.cert_validation', 'this Security Server has no auth certificate yet (enrol it at the Center)');
      return key;
    },
    authOcsp: () => {
      const sha = keys.get('auth')?.certificate?.parsed.sha256;
      return sha ? ownOcsp.responseFor(sha) : undefined;
    },
    verifier,
    connectTimeoutMs: config.SS_CONNECT_TIMEOUT_SECONDS * 1000,
    exchangeTimeoutMs: config.SS_EXCHANGE_TIMEOUT_SECONDS * 1000,
    maxBodyBytes: config.SS_MAX_BODY_BYTES,
    logger,
  });
  const context: ProxyContext = {
    serverId: id,
    serverIdText: idText,
    conf,
    verifier,
    ownOcsp,
    keys,
    serverConf,
    log,
    signers,
    replay,
    now,
    backend,
    peers,
    logger,
    limits: { maxBodyBytes: config.SS_MAX_BODY_BYTES, logBodies: config.SS_LOG_BODIES },
  };

  // The configuration API's key: created once, kept in the data dir (0600).
  const adminApiKeyFile = join(config.SS_DATA_DIR, 'admin-api-key');
  let adminKey = await readFile(adminApiKeyFile, 'utf8').then((t) => t.trim(), () => undefined);
  if (!adminKey) {
    adminKey = generateApiKey();
    await writeFile(adminApiKeyFile, `${adminKey}\n`, { mode: 0o600 });
  }

  const adminApp = createHttpApp({
    name: 'security-server-admin',
    logger,
    openapi: {
      title: `JP-Link Security Server ${idText} — configuration API`,
      version: '1',
      description: 'Local clients, services, local groups and access rights. Authorization: Bearer <key in the data dir>.',
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } },
    },
  });
  const metrics = registerMetrics(adminApp, { prefix: 'jplink_ss_' });
  new Gauge({
    name: 'jplink_ss_messagelog_unstamped_age_seconds',
    help: 'Age of the oldest message-log record without a timestamp (0 when every record is timestamped)',
    registers: [metrics],
    collect() {
      this.set(timestamper.status().unstampedAgeSeconds);
    },
  });
  new Gauge({
    name: 'jplink_ss_messagelog_unstamped_records',
    help: 'Message-log records committed since the last timestamp',
    registers: [metrics],
    collect() {
      this.set(timestamper.status().unstampedRecords);
    },
  });
  registerHealth(adminApp, {
    checks: {
      database: async () => {
        const result = await healthCheck(database);
        if (!result.ok) throw new Error(result.error);
      },
      globalConf: async () => {
        conf.current('client');
      },
      timestamping: async () => {
        const t = timestamper.status();
        if (t.refusing) throw new Error(`timestamping has failed for longer than ${t.toleranceSeconds} s; oldest waiting record ${t.unstampedAgeSeconds} s old: ${t.lastError ?? 'no TSA answered'}`);
      },
    },
  });
  const status = () => {
    const confStatus = conf.status();
    return {
      server: idText,
      globalConf: { version: confStatus.version, expiresAt: confStatus.expiresAt, lastError: confStatus.lastError },
      certificates: keys
        .all()
        .filter((k): k is StoredKey & { kind: 'auth' | 'sign' } => k.kind !== 'internal-tls')
        .map((k) => ({
          id: k.id,
          kind: k.kind,
          sha256: k.certificate?.parsed.sha256 ?? null,
          notAfter: k.certificate?.parsed.notAfter.toISOString() ?? null,
          ocsp: (k.certificate && ownOcsp.responseFor(k.certificate.parsed.sha256) ? 'good' : 'missing') as 'good' | 'missing',
        })),
      messageLog: log.stats(),
      timestamping: timestamper.status(),
      archiving: archiver.status(),
    };
  };
  registerSsAdminRoutes(adminApp, {
    db,
    serverConf,
    audit,
    apiKeySha256: hashApiKey(adminKey),
    serverId: idText,
    defaultTimeoutSeconds: config.SS_SERVICE_TIMEOUT_SECONDS,
    isRegistered: (subsystem) => conf.latest()?.isClientOf(idText, subsystem) ?? false,
    status,
    register: async (subsystem) => {
      await server.enrol({ clients: [subsystem] });
    },
  });
  registerEvidenceRoutes(adminApp, { archiver, audit });

  const servers: Array<HttpServer | HttpsServer> = [];
  let ocspServer: OcspServer | undefined;

  const server: SecurityServer = {
    id,
    database,
    context,
    timestamper,
    archiver,
    adminApp,
    files: { adminApiKey: adminApiKeyFile },
    async saveClient(client) {
      await upsertClient(db, client);
      await audit({ actor: 'system', action: 'client.saved', target: client.subsystem, details: { connectionType: client.connectionType ?? null } });
      await serverConf.reload();
    },
    async enrol(options = {}) {
      await conf.refresh().catch((error: unknown) => logger.warn({ err: error }, 'global configuration download failed'));
      const clients = options.clients ?? [...serverConf.snapshot.clients.keys()];
      try {
        const result = await enrol(
          { keys, conf, logger },
          {
            server: id,
            address: config.SS_PUBLIC_ADDRESS,
            exchangePort: config.SS_PUBLIC_EXCHANGE_PORT ?? config.SS_EXCHANGE_PORT,
            ocspPort: config.SS_PUBLIC_OCSP_PORT ?? config.SS_OCSP_PORT,
            algorithm: config.SS_KEY_ALGORITHM,
            clients,
            dataDir: config.SS_DATA_DIR,
            ...(options.waitSeconds !== undefined ? { waitSeconds: options.waitSeconds } : {}),
            ...(options.onProgress ? { onProgress: options.onProgress } : {}),
          },
        );
        await ownOcsp.refresh();
        await audit({ actor: 'system', action: 'enrolment.completed', target: idText, details: { clients: result.registeredClients } });
        return result;
      } catch (error) {
        await audit({ actor: 'system', action: 'enrolment.failed', target: idText, outcome: 'failure', details: { reason: (error as Error).message } });
        throw error;
      }
    },
    async listen() {
      conf.start();
      ownOcsp.start();
      const isHttp = createHttpServer(createClientProxyHandler(context, { secure: false }));
      const tls = await internalTls(keys, id, config.SS_HOST);
      const isHttps = createHttpsServer({ ...tls, requestCert: true, rejectUnauthorized: false }, createClientProxyHandler(context, { secure: true }));
      const auth = keys.get('auth');
      if (!auth?.certificate) throw new XRoadError('server.serverproxy.cert_validation', 'this Security Server has no auth certificate yet (enrol it at the Center first)');
      const exchange = createHttpsServer(
        {
          key: auth.privateKey.export({ type: 'pkcs8', format: 'pem' }),
          cert: derToPem(auth.certificate.der, 'CERTIFICATE'),
          requestCert: true,
          rejectUnauthorized: false, // verified against the global configuration per request (trust/peer-verifier.ts)
          minVersion: 'TLSv1.2',
          // No session tickets: a resumed session shows no client certificate to verify.
          secureOptions: cryptoConstants.SSL_OP_NO_TICKET,
          maxHeaderSize: 32 * 1024,
        },
        createExchangeHandler(context),
      );
      exchange.keepAliveTimeout = 65_000;
      const bind = (server: HttpServer | HttpsServer, port: number) =>
        new Promise<number>((resolve, reject) => {
          server.once('error', reject);
          server.listen(port, config.SS_HOST, () => resolve((server.address() as { port: number }).port));
        });
      servers.push(isHttp, isHttps, exchange);
      const ports = {
        isHttp: await bind(isHttp, config.SS_IS_HTTP_PORT),
        isHttps: await bind(isHttps, config.SS_IS_HTTPS_PORT),
        exchange: await bind(exchange, config.SS_EXCHANGE_PORT),
        ocsp: 0,
        admin: 0,
      };
      ocspServer = await createOcspServer({ manager: ownOcsp, host: config.SS_HOST, port: config.SS_OCSP_PORT, logger });
      ports.ocsp = ocspServer.port;
      ports.admin = (await listen(adminApp, { host: config.SS_ADMIN_HOST, port: config.SS_ADMIN_PORT })).port;
      return ports;
    },
    async close() {
      timestamper.stop();
      archiver.stop();
      await conf.stop();
      await ownOcsp.stop();
      await Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve) => {
              server.close(() => resolve());
              server.closeAllConnections?.();
            }),
        ),
      );
      await ocspServer?.close();
      await adminApp.close();
      peers.close();
      backend.close();
    },
  };
  return server;
}
