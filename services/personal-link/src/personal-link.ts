// Composes Personal-Link: database → migrations → keys → RP registry → residents → upstream broker
// → the OpenID Provider (mounted under /oidc with @fastify/middie, which hands it the raw request so
// it reads the body itself) → resident pages → admin app. `server.ts` only starts it.
import { createHmac } from 'node:crypto';
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

export interface PersonalLinkDeps {
  database: Database<PlTables>;
  logger: Logger;
  /** Passphrase that seals private signing keys, cookie keys and RP secrets. */
  passphrase: string;
  now?: () => Date;
  /** Upstreams in addition to the configured ones (the dev upstream, tests). */
  extraUpstreams?: UpstreamDefinition[];
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
  files: { adminApiKey: string };
  /** Deletes expired oidc_models rows now (also runs every PL_SWEEP_INTERVAL). */
  sweep(): Promise<number>;
  listen(): Promise<{ port: number; admin: number }>;
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

  const databaseCheck = async () => {
    const result = await healthCheck(database);
    if (!result.ok) throw new Error(result.error);
  };

  // ----------------------------------------------------------------- the public app (residents, RPs)
  const app = createHttpApp({ name: 'personal-link', logger, trustProxy: config.PL_TRUST_PROXY });
  registerHealth(app, { checks: { database: databaseCheck } });
  await app.register(middie);
  // The provider answers everything under /oidc itself, before Fastify parses any body.
  (app as unknown as { use(path: string, fn: typeof op.handle): void }).use('/oidc', op.handle);
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
  registerMetrics(adminApp, { prefix: 'jplink_personal_link_' });
  registerAdminApi(adminApp, { db, registry, keys, op, audit, apiKeySha256: hashApiKey(adminKey) });

  // ------------------------------------------------------------------------- background work
  const sweep = () => sweepExpiredOidcModels(db, now());
  const timers = [
    setInterval(() => void sweep().catch((err) => logger.warn({ err }, 'sweeping expired oidc rows failed')), config.PL_SWEEP_INTERVAL * 1000),
    setInterval(() => void op.reloadIfChanged().catch((err) => logger.warn({ err }, 'reloading keys failed')), config.PL_KEY_REFRESH_INTERVAL * 1000),
  ];
  for (const t of timers) t.unref();

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
    files: { adminApiKey: adminApiKeyFile },
    sweep,
    async listen() {
      const [pub, admin] = await Promise.all([
        listen(app, { host: config.PL_HOST, port: config.PL_PORT }),
        listen(adminApp, { host: config.PL_ADMIN_HOST, port: config.PL_ADMIN_PORT }),
      ]);
      return { port: pub.port, admin: admin.port };
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const t of timers) clearInterval(t);
      await Promise.all([app.close(), adminApp.close()]);
    },
  };
}
