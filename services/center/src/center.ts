// Composes the Center from its parts: database → migrations → CA → OCSP/TSA → global configuration
// publisher → three HTTP apps (public, registration, admin). `server.ts` only listens.
import { chmod, mkdir, writeFile, access } from 'node:fs/promises';
import { join } from 'node:path';
import { derToPem } from '@jplink/pki';
import { serializeAnchor } from '@jplink/globalconf';
import type { ConfigurationAnchor, ManagementRequestType } from '@jplink/contracts';
import { migrate, healthCheck, type Database } from '@jplink/db';
import { createHttpApp, readSecretFile, registerHealth, registerMetrics, type App, type Logger } from '@jplink/kit';
import rateLimit from '@fastify/rate-limit';
import { Counter } from 'prom-client';
import type { CenterConfig } from './config.ts';
import { centerMigrations } from './db/migrations.ts';
import type { CenterTables } from './db/schema.ts';
import { nextTsaSerialBlock } from './db/tsa-serial.ts';
import { countApiKeys } from './db/api-keys.ts';
import { insertMemberClass, listMemberClasses } from './db/members.ts';
import { createAuditor } from './audit/events.ts';
import { loadOrCreateCa, type CaKeys } from './ca/authority.ts';
import { CertificateStatusStore } from './ocsp/status-store.ts';
import { createOcspResponder } from './ocsp/responder.ts';
import { createTimestamper } from './tsa/timestamper.ts';
import { GlobalConfPublisher } from './globalconf/publisher.ts';
import { createManagement } from './registration/management.ts';
import { createApiKey } from './admin/api-keys.ts';
import { registerPublicRoutes } from './routes/public.ts';
import { registerRegistrationRoutes } from './routes/registration.ts';
import { registerAdminRoutes } from './routes/admin.ts';

export interface CenterDeps {
  database: Database<CenterTables>;
  logger: Logger;
  /** Passphrase that encrypts the CA private keys at rest. */
  passphrase: string;
  onProgress?: (step: string) => void;
}

export interface Center {
  publicApp: App;
  registrationApp: App;
  adminApp: App;
  ca: CaKeys;
  anchor: ConfigurationAnchor;
  /** Files written into the data dir: anchor, root CA, API keys (first start only). */
  files: { anchor: string; rootCa: string; adminApiKey: string; readOnlyApiKey: string };
  publisher: GlobalConfPublisher;
  close(): Promise<void>;
}

const DEFAULT_MEMBER_CLASSES = [
  { code: 'COM', description: '企業 (companies)' },
  { code: 'GOV', description: '自治体・行政機関 (municipalities and government)' },
  { code: 'ORG', description: '団体 (organisations)' },
];

async function exists(path: string) {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function writeSecret(path: string, content: string) {
  await writeFile(path, content, { mode: 0o600 });
  await chmod(path, 0o600);
}

export function centerUrls(config: CenterConfig) {
  const base = config.CENTER_PUBLIC_URL.replace(/\/+$/, '');
  return {
    globalConf: `${base}/globalconf/v1`,
    ocsp: `${base}/ocsp`,
    tsa: `${base}/tsa`,
    registration: `https://${config.CENTER_PUBLIC_HOST}:${config.CENTER_REGISTRATION_PORT}`,
  };
}

export async function createCenter(config: CenterConfig, deps: CenterDeps): Promise<Center> {
  const { database, logger } = deps;
  const db = database.db;
  const progress = deps.onProgress ?? ((step: string) => logger.info(step));
  const urls = centerUrls(config);

  progress('migrating the Center database');
  await migrate(database, centerMigrations);
  const audit = createAuditor(db);

  progress('loading the certificate authority');
  const { keys: ca, created } = await loadOrCreateCa(db, {
    instance: config.CENTER_INSTANCE,
    algorithm: config.CENTER_KEY_ALGORITHM,
    passphrase: deps.passphrase,
    publicUrl: config.CENTER_PUBLIC_URL,
    tlsNames: [...new Set([config.CENTER_PUBLIC_HOST, 'localhost', '127.0.0.1'])],
    onProgress: progress,
  });
  if (created) {
    await audit({ actor: 'system', action: 'ca.initialized', target: ca.root.parsed.sha256, details: { algorithm: config.CENTER_KEY_ALGORITHM } });
  }
  if (config.CENTER_SEED_MEMBER_CLASSES && (await listMemberClasses(db)).length === 0) {
    for (const memberClass of DEFAULT_MEMBER_CLASSES) {
      await insertMemberClass(db, memberClass);
      await audit({ actor: 'system', action: 'member-class.created', target: memberClass.code });
    }
  }

  // Files an operator hands out or uses: the anchor, the root CA, and on first start two API keys.
  await mkdir(config.CENTER_DATA_DIR, { recursive: true });
  const files = {
    anchor: join(config.CENTER_DATA_DIR, 'anchor.json'),
    rootCa: join(config.CENTER_DATA_DIR, 'root-ca.pem'),
    adminApiKey: join(config.CENTER_DATA_DIR, 'admin-api-key'),
    readOnlyApiKey: join(config.CENTER_DATA_DIR, 'read-only-api-key'),
  };
  const anchor: ConfigurationAnchor = {
    formatVersion: 1,
    instance: config.CENTER_INSTANCE,
    downloadUrl: urls.globalConf,
    signingCertificates: [derToPem(ca['config-signing'].certificate, 'CERTIFICATE')],
    generatedAt: ca['config-signing'].parsed.notBefore.toISOString(),
  };
  await writeFile(files.anchor, serializeAnchor(anchor));
  await writeFile(files.rootCa, derToPem(ca.root.certificate, 'CERTIFICATE'));
  if ((await countApiKeys(db)) === 0) {
    await writeSecret(files.adminApiKey, `${await createApiKey(db, audit, 'initial-operator', 'operator-admin', 'system')}\n`);
    await writeSecret(files.readOnlyApiKey, `${await createApiKey(db, audit, 'initial-read-only', 'read-only', 'system')}\n`);
    logger.warn({ files: [files.adminApiKey, files.readOnlyApiKey] }, 'created the initial admin API keys; store them safely and remove the files');
  } else if (!(await exists(files.adminApiKey))) {
    logger.info('admin API keys exist; their files were removed, as they should be in production');
  }

  const statuses = new CertificateStatusStore(db);
  await statuses.reload();
  const statusReload = setInterval(() => {
    statuses.reload().catch((error: unknown) => logger.error({ err: error }, 'reloading certificate statuses failed'));
  }, 30_000);
  statusReload.unref();

  const publisher = new GlobalConfPublisher(
    { db, ca, audit, logger },
    {
      instance: config.CENTER_INSTANCE,
      publicUrl: config.CENTER_PUBLIC_URL,
      registrationUrl: urls.registration,
      expirySeconds: config.CENTER_GLOBAL_CONF_EXPIRY_SECONDS,
      refreshSeconds: config.CENTER_GLOBAL_CONF_REFRESH_SECONDS,
      settings: {
        ocspFreshnessSeconds: config.CENTER_OCSP_FRESHNESS_SECONDS,
        ocspFetchIntervalSeconds: config.CENTER_OCSP_FETCH_INTERVAL_SECONDS,
        timestampingIntervalSeconds: config.CENTER_TIMESTAMPING_INTERVAL_SECONDS,
        acceptableTimestampFailureSeconds: config.CENTER_TIMESTAMP_FAILURE_TOLERANCE_SECONDS,
        configurationExpirySeconds: config.CENTER_GLOBAL_CONF_EXPIRY_SECONDS,
        configurationRefreshSeconds: config.CENTER_GLOBAL_CONF_REFRESH_SECONDS,
      },
    },
  );
  progress('publishing the global configuration');
  await publisher.start();

  const management = createManagement({
    db,
    ca,
    audit,
    statuses,
    instance: config.CENTER_INSTANCE,
    ocspUrl: urls.ocsp,
    certValidityDays: config.CENTER_CERT_VALIDITY_DAYS,
    autoApprove: new Set<ManagementRequestType>(config.CENTER_AUTO_APPROVE),
    onConfigurationChanged: (actor) => publisher.publish(actor),
  });

  const ready = { database: () => healthCheck(database).then(() => undefined) };
  const logError = (what: string) => (error: unknown) => logger.error({ err: error }, what);

  // Public: global configuration, OCSP, TSA.
  const publicApp = createHttpApp({
    name: 'center-public',
    logger,
    bodyLimit: config.CENTER_BODY_LIMIT_BYTES,
    requestLogging: false,
    openapi: { title: 'JP-Link Center — public services', version: '1', description: 'Global configuration download, OCSP (RFC 6960) and time-stamping (RFC 3161).' },
  });
  const registry = registerMetrics(publicApp, { prefix: 'jplink_center_' });
  const counters = {
    ocsp: new Counter({ name: 'jplink_center_ocsp_responses_total', help: 'OCSP responses by outcome', labelNames: ['outcome'] as const, registers: [registry] }),
    tsa: new Counter({ name: 'jplink_center_timestamps_total', help: 'TSA responses by outcome', labelNames: ['outcome'] as const, registers: [registry] }),
  };
  registerHealth(publicApp, { checks: ready });
  registerPublicRoutes(publicApp, {
    db,
    publisher,
    anchor: () => anchor,
    ocsp: createOcspResponder({ ca, statuses, validitySeconds: config.CENTER_OCSP_VALIDITY_SECONDS, onError: logError('OCSP response failed') }),
    tsa: createTimestamper({ ca, policyOid: config.CENTER_TSA_POLICY_OID, nextBlock: () => nextTsaSerialBlock(db), onError: logError('timestamp failed') }),
    counters,
  });

  // Registration service: TLS with a certificate from this CA; client certificates requested, checked per route.
  const registrationApp = createHttpApp({
    name: 'center-registration',
    logger,
    bodyLimit: config.CENTER_BODY_LIMIT_BYTES,
    https: {
      key: ca['tls-server'].privateKey.export({ type: 'pkcs8', format: 'pem' }),
      cert: [derToPem(ca['tls-server'].certificate, 'CERTIFICATE'), derToPem(ca.issuing.certificate, 'CERTIFICATE')].join(''),
      ca: [derToPem(ca.root.certificate, 'CERTIFICATE'), derToPem(ca.issuing.certificate, 'CERTIFICATE')],
      requestCert: true,
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
    },
    openapi: { title: 'JP-Link Center — registration service', version: '1', description: 'Certificate applications and Security Server management requests (mutual TLS).' },
  });
  // Before the routes, so that its onRoute hook sees them. Health probes are not limited.
  const limit = { max: config.CENTER_RATE_LIMIT_PER_MINUTE, timeWindow: 60_000, allowList: (request: { url: string }) => /^\/(healthz|readyz)$/.test(request.url) };
  await registrationApp.register(rateLimit, limit);
  registerHealth(registrationApp, { checks: ready });
  registerRegistrationRoutes(registrationApp, { db, ca, statuses, management });

  // Admin API.
  const adminApp = createHttpApp({
    name: 'center-admin',
    logger,
    bodyLimit: config.CENTER_BODY_LIMIT_BYTES,
    openapi: {
      title: 'JP-Link Center — admin API',
      version: '1',
      description: 'Members, security servers, management requests, certificates, global configuration and audit events. Authorization: Bearer <API key>.',
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'An admin API key (roles operator-admin, read-only).' } },
    },
  });
  await adminApp.register(rateLimit, limit);
  registerHealth(adminApp, { checks: ready });
  registerAdminRoutes(adminApp, { db, audit, instance: config.CENTER_INSTANCE, management, publisher, statuses, downloadUrl: urls.globalConf });

  return {
    publicApp,
    registrationApp,
    adminApp,
    ca,
    anchor,
    files,
    publisher,
    async close() {
      clearInterval(statusReload);
      publisher.stop();
      await Promise.all([publicApp.close(), registrationApp.close(), adminApp.close()]);
    },
  };
}

/** Reads the CA key passphrase file (trailing newline ignored; at least 16 characters). */
export function readPassphrase(path: string): Promise<string> {
  return readSecretFile(path, 'CENTER_KEY_PASSPHRASE_FILE');
}
