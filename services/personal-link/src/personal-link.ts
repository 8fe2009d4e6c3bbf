// Composes Personal-Link: database → migrations → keys → RP registry → residents → upstream broker
// → the OpenID Provider (mounted under /oidc with @fastify/middie, which hands it the raw request so
// it reads the body itself) → resident pages → admin app. `server.ts` only starts it.
import { createHmac } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import middie from '@fastify/middie';
import { healthCheck, migrate, type Database } from '@jplink/db';
import { createHttpApp, generateApiKey, hashApiKey, listen, registerHealth, registerMetrics, type App, type Logger } from '@jplink/kit';
import { createLoginCsrf, createSessions, registerUi } from '@jplink/ui';
import { configuredUpstreams, publicBaseUrl, type PlConfig } from './config.ts';
import { plMigrations } from './db/migrations.ts';
import { sweepExpiredOidcModels } from './db/oidc-adapter.ts';
import type { PlTables } from './db/schema.ts';
import { createPlAuditor, type PlAuditor } from './audit.ts';
import { KeyManager } from './oidc/keys.ts';
import { RpRegistry } from './oidc/clients.ts';
import { OpenIdProvider } from './oidc/provider.ts';
import { Residents } from './residents/residents.ts';
import { createDbSessionStore } from './residents/session-store.ts';
import { UpstreamBroker } from './upstream/broker.ts';
import type { UpstreamDefinition } from './upstream/definitions.ts';
import { registerResidentWeb, type ResidentSession } from './routes/resident-web.ts';
import { registerAdminApi } from './routes/admin.ts';
import { registerPlAssets } from './pages/assets.ts';
import { Consents } from './consent/consents.ts';
import { Links } from './links/links.ts';
import { createRpApi, createRpApiAuth, type RpApi } from './api/app.ts';
import { DataItems } from './consent/data-items.ts';
import { registerResidentConsents } from './routes/resident-consents.ts';
import { registerAdminApiAccess } from './routes/admin-api-access.ts';
import { createReflectionWorker, type ReflectionWorker } from './reflection/worker.ts';
import { registerReflectionAdmin } from './reflection/admin-routes.ts';
import { createNotificationWorker, type NotificationWorker } from './notifications/worker.ts';
import { registerNotificationAdmin } from './notifications/admin-routes.ts';
import { MyData } from './my-data/my-data.ts';
import { registerAdminMyData } from './routes/admin-my-data.ts';

export interface PersonalLinkDeps {
  database: Database<PlTables>;
  logger: Logger;
  /** Passphrase that seals private signing keys, cookie keys and RP secrets. */
  passphrase: string;
  now?: () => Date;
  /** Upstreams in addition to the configured ones (the dev upstream, tests). */
  extraUpstreams?: UpstreamDefinition[];
  /** RP API requests per client per minute (default 600). */
  apiRateLimitPerMinute?: number;
  /** How long a resident's approval or withdrawal waits for the provider's acknowledgement (default 5000 ms). */
  reflectionAcknowledgementTimeoutMs?: number;
}

export interface PersonalLink {
  app: App;
  adminApp: App;
  op: OpenIdProvider;
  keys: KeyManager;
  registry: RpRegistry;
  residents: Residents;
  broker: UpstreamBroker;
  audit: PlAuditor;
  /** Delivers the consent reflection outbox (started only with PL_SS_URL and PL_SUBSYSTEM). */
  reflection: ReflectionWorker;
  /** Delivers consent notifications (signed SETs) to consumer RPs with an endpoint. */
  notifications: NotificationWorker;
  consents: Consents;
  links: Links;
  /** My Data: providers' offers, the residents' self-access consents, fetching through JP-Link. */
  myData: MyData;
  rpApi: RpApi;
  /** The RP API for arrival through the Security Server (PL_SS_API_PORT), when configured. */
  ssApi: RpApi | undefined;
  files: { adminApiKey: string };
  /** Deletes expired oidc_models rows now (also runs every PL_SWEEP_INTERVAL). */
  sweep(): Promise<number>;
  /** Expires consents past validUntil and unanswered requests now (also runs every PL_SWEEP_INTERVAL). */
  expireConsents(): Promise<number>;
  listen(): Promise<{ port: number; admin: number; ssApi?: number }>;
  close(): Promise<void>;
}

export async function createPersonalLink(config: PlConfig, deps: PersonalLinkDeps): Promise<PersonalLink> {
  const { database, logger, passphrase } = deps;
  const now = deps.now ?? (() => new Date());
  await mkdir(config.PL_DATA_DIR, { recursive: true });
  await migrate(database, plMigrations);
  const db = database.db;
  const audit = createPlAuditor(db);
  const base = publicBaseUrl(config);
  const secure = new URL(config.PL_ISSUER).protocol === 'https:';

  const keys = new KeyManager({ db, passphrase, audit, now, defaultAlg: config.PL_SIGNING_ALG });
  await keys.ensureKeys();
  const registry = new RpRegistry({ db, passphrase, audit, now, signingAlg: config.PL_SIGNING_ALG });
  const residents = new Residents({ db, audit, now });
  const broker = new UpstreamBroker({ db, upstreams: [...configuredUpstreams(config), ...(deps.extraUpstreams ?? [])], callbackBase: base, logger, now });
  const op = new OpenIdProvider(
    {
      issuer: config.PL_ISSUER,
      signingAlg: config.PL_SIGNING_ALG,
      trustProxy: config.PL_TRUST_PROXY,
      allowPrivateNetwork: config.PL_ALLOW_PRIVATE_NETWORK,
      ttl: {
        authorizationCode: config.PL_AUTHORIZATION_CODE_TTL,
        accessToken: config.PL_ACCESS_TOKEN_TTL,
        idToken: config.PL_ID_TOKEN_TTL,
        refreshToken: config.PL_REFRESH_TOKEN_TTL,
        session: config.PL_SESSION_TTL,
        interaction: config.PL_INTERACTION_TTL,
      },
    },
    { db, keys, registry, residents, logger, now },
  );
  await op.start();
  const consents = new Consents({ db, registry, keys, audit, issuer: config.PL_ISSUER, baseUrl: base, now });
  const links = new Links({ db, registry, consents, audit, now });
  const dataItems = new DataItems({ db, audit, now });
  const myData = new MyData({ db, consents, registry, audit, logger, now, ssUrl: config.PL_SS_URL, client: config.PL_SUBSYSTEM, ...(deps.reflectionAcknowledgementTimeoutMs !== undefined ? { acknowledgementTimeoutMs: deps.reflectionAcknowledgementTimeoutMs } : {}) });

  const databaseCheck = async () => {
    const result = await healthCheck(database);
    if (!result.ok) throw new Error(result.error);
  };

  // ----------------------------------------------------------------- the public app (residents, RPs)
  const app = createHttpApp({ name: 'personal-link', logger, trustProxy: config.PL_TRUST_PROXY, preRouting: () => tokenEndpointFastPath(op) });
  registerHealth(app, { checks: { database: databaseCheck } });
  await app.register(middie);
  // The provider answers everything under /oidc itself, before Fastify parses any body.
  (app as unknown as { use(path: string, fn: typeof op.handle): void }).use('/oidc', op.handle);
  // The RP API (/api/pl/v1, its own app and OpenAPI): handed over before any body parsing, like /oidc.
  const apiAuth = createRpApiAuth({ db, op, registry, audit, ...(deps.apiRateLimitPerMinute ? { perClientPerMinute: deps.apiRateLimitPerMinute } : {}) });
  const rpApi = await createRpApi({ auth: apiAuth, links, consents, dataItems, logger, trustProxy: config.PL_TRUST_PROXY, issuer: config.PL_ISSUER, via: 'token' });
  // The same API for RPs arriving as their X-Road subsystem through Personal-Link's Security Server:
  // its own listener, reached only by that Security Server (PL_SS_API_HOST, a firewall).
  const ssApiTls = config.PL_SS_API_TLS_CERT_FILE && config.PL_SS_API_TLS_KEY_FILE ? { cert: await readFile(config.PL_SS_API_TLS_CERT_FILE, 'utf8'), key: await readFile(config.PL_SS_API_TLS_KEY_FILE, 'utf8') } : undefined;
  const ssApi = config.PL_SS_API_PORT !== undefined ? await createRpApi({ auth: apiAuth, links, consents, dataItems, logger, trustProxy: false, issuer: config.PL_ISSUER, via: 'security-server', ...(ssApiTls ? { https: ssApiTls } : {}) }) : undefined;
  (app as unknown as { use(fn: (req: IncomingMessage, res: ServerResponse, next: () => void) => void): void }).use((req, res, next) => (req.url?.startsWith('/api/pl/') ? rpApi.handle(req, res) : next()));
  registerUi(app, { secureCookies: secure });
  registerPlAssets(app);
  // One secret for every instance: derived from the service passphrase.
  const csrfSecret = createHmac('sha256', passphrase).update('personal-link sign-in csrf').digest();
  const loginCsrf = createLoginCsrf({ secure, secret: csrfSecret });
  const sessions = createSessions<ResidentSession>({
    cookieName: secure ? '__Host-pl_session' : 'pl_session',
    ttlSeconds: 8 * 3600,
    idleSeconds: 30 * 60,
    secure,
    store: createDbSessionStore<ResidentSession>(db, now),
  });
  registerResidentWeb(app, { db, op, broker, residents, registry, audit, loginCsrf, sessions, secure, signInMaxAttempts: config.PL_SIGN_IN_MAX_ATTEMPTS, logger, now });
  registerResidentConsents(app, { db, consents, links, myData, dataItems, registry, broker, sessions, loginCsrf, secure, logger, reflectionConfigured: Boolean(config.PL_SS_URL && config.PL_SUBSYSTEM), ...(deps.reflectionAcknowledgementTimeoutMs !== undefined ? { acknowledgementTimeoutMs: deps.reflectionAcknowledgementTimeoutMs } : {}) });
  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/my', 303));

  // ----------------------------------------------------------------------------- the admin app
  const adminApiKeyFile = join(config.PL_DATA_DIR, 'admin-api-key');
  let adminKey = await readFile(adminApiKeyFile, 'utf8').then((t) => t.trim(), () => undefined);
  if (!adminKey) {
    adminKey = generateApiKey();
    await writeFile(adminApiKeyFile, `${adminKey}\n`, { mode: 0o600 });
  }
  const adminApp = createHttpApp({
    name: 'personal-link-admin',
    logger,
    openapi: {
      title: 'JP-Link Personal-Link — admin API',
      version: '1',
      description: 'Relying-party registry, signing and cookie keys, audit events. Authorization: Bearer <key in the data dir>.',
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } },
    },
  });
  registerHealth(adminApp, { checks: { database: databaseCheck } });
  const metrics = registerMetrics(adminApp, { prefix: 'jplink_personal_link_' });
  registerAdminApi(adminApp, { db, registry, keys, op, audit, apiKeySha256: hashApiKey(adminKey) });
  registerAdminApiAccess(adminApp, { links });
  registerAdminMyData(adminApp, { myData });
  const reflection = createReflectionWorker({ db, logger, audit, ssUrl: config.PL_SS_URL, client: config.PL_SUBSYSTEM, serviceCode: config.PL_REFLECTION_SERVICE_CODE, pollIntervalMs: config.PL_REFLECTION_POLL_INTERVAL * 1000, requestTimeoutMs: config.PL_REFLECTION_TIMEOUT * 1000, backoffMaxMs: config.PL_REFLECTION_MAX_BACKOFF * 1000, registry: metrics });
  registerReflectionAdmin(adminApp, { db, worker: reflection, audit });
  const notifications = createNotificationWorker({ db, logger, audit, keys, issuer: config.PL_ISSUER, now, pollIntervalMs: config.PL_NOTIFICATION_POLL_INTERVAL * 1000, requestTimeoutMs: config.PL_NOTIFICATION_TIMEOUT * 1000, backoffMaxMs: config.PL_NOTIFICATION_MAX_BACKOFF * 1000, maxAgeMs: config.PL_NOTIFICATION_MAX_AGE * 1000, registry: metrics });
  registerNotificationAdmin(adminApp, { db, worker: notifications });

  // ------------------------------------------------------------------------- background work
  const sweep = () => sweepExpiredOidcModels(db, now());
  const expireConsents = () => consents.expireDue();
  const timers = [
    setInterval(() => void sweep().catch((err) => logger.warn({ err }, 'sweeping expired oidc rows failed')), config.PL_SWEEP_INTERVAL * 1000),
    setInterval(() => void expireConsents().catch((err) => logger.warn({ err }, 'expiring consents failed')), config.PL_SWEEP_INTERVAL * 1000),
    setInterval(() => void op.reloadIfChanged().catch((err) => logger.warn({ err }, 'reloading keys failed')), config.PL_KEY_REFRESH_INTERVAL * 1000),
  ];
  for (const t of timers) t.unref();
  reflection.start();
  notifications.start();

  let closed = false;
  return {
    app,
    adminApp,
    op,
    keys,
    registry,
    residents,
    broker,
    audit,
    reflection,
    notifications,
    consents,
    links,
    myData,
    rpApi,
    ssApi,
    files: { adminApiKey: adminApiKeyFile },
    sweep,
    expireConsents,
    async listen() {
      const [pub, admin, viaSs] = await Promise.all([
        listen(app, { host: config.PL_HOST, port: config.PL_PORT }),
        listen(adminApp, { host: config.PL_ADMIN_HOST, port: config.PL_ADMIN_PORT }),
        ssApi && config.PL_SS_API_PORT !== undefined ? listen(ssApi.app, { host: config.PL_SS_API_HOST, port: config.PL_SS_API_PORT }) : undefined,
      ]);
      return { port: pub.port, admin: admin.port, ...(viaSs ? { ssApi: viaSs.port } : {}) };
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const t of timers) clearInterval(t);
      await Promise.all([reflection.stop(), notifications.stop()]);
      await Promise.all([app.close(), adminApp.close(), rpApi.app.close(), ssApi?.app.close()]);
    },
  };
}

/**
 * The token endpoint (every refresh and client-credentials grant) goes to the provider straight from
 * the HTTP server: the same handler the `/oidc` mount below calls, with the URL rewritten as middie
 * rewrites it, minus Fastify's routing, hooks and its two request-log lines per grant. Failures
 * are still logged by the provider's `grant.error` / `server_error` listeners (oidc/provider.ts).
 * Not used by `app.inject()`, which takes the mount.
 */
function tokenEndpointFastPath(op: OpenIdProvider) {
  return (req: IncomingMessage & { originalUrl?: string }, res: ServerResponse): boolean => {
    const url = req.url ?? '';
    if (url !== '/oidc/token' && !url.startsWith('/oidc/token?')) return false;
    req.originalUrl = url;
    req.url = url.slice('/oidc'.length);
    op.handle(req, res);
    return true;
  };
}
