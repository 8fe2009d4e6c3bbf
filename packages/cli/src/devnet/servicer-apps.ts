// The two example servicers' apps inside the devnet, each on its own schema of the embedded database:
// servicer B (healthcare, data provider; examples/servicer-b) and servicer A (shopping, data
// consumer; examples/servicer-a). B starts first: after its app is up it defines its vitals as a
// personal data service of its Adapter Server and publishes it on B's Security Server with access
// for A's subsystem, and describes the vitals' data items to Personal-Link (ja/en labels for the
// consent pages). A then asks residents for consent to those vitals and reads them through A's
// own Security Server. Both sign residents in with Personal-Link (credentials from the devnet's files).
import { openDatabase, type Database } from '@jplink/db';
import { readSecretFile, type Logger } from '@jplink/kit';
import { readRpCredentials, shopConfigSchema, startShoppingApp, type ShopTables } from '@jplink/example-servicer-a';
import { createAdapterAdmin, createPersonalLinkApi, defineVitalsDataService, healthConfigSchema, readCredentials, startHealthcareApp, type HealthTables } from '@jplink/example-servicer-b';
import type { DevnetAdapterServer } from './adapter-server.ts';
import type { DevnetRp } from './personal-link.ts';
import type { DevnetSecurityServer } from './security-servers.ts';

/** B's Sub System Code of the vitals (the service code on B's Security Server A calls). */
export const VITALS_SUBSYSTEM_CODE = 'vitals';

export interface DevnetServicerApp {
  member: string;
  url: string;
  close(): Promise<void>;
}

interface Common {
  databaseUrl: string;
  host: string;
  issuer: string;
  logLevel: string;
  logger: Logger;
}

async function withDatabase<T, R extends { close(): Promise<void> }>(databaseUrl: string, schema: string, logger: Logger, start: (database: Database<T>) => Promise<R>): Promise<R> {
  const database = await openDatabase<T>({ url: databaseUrl, schema, logger, poolMax: 4 });
  try {
    const running = await start(database);
    return { ...running, close: async () => { await running.close(); await database.close(); } };
  } catch (error) {
    await database.close().catch(() => {});
    throw error;
  }
}

/** Servicer B's app on `port`, then its vitals published through its Adapter Server with access for `consumer`. */
export async function startDevnetHealthcareApp(options: Common & { port: number; rp: DevnetRp; adapter: DevnetAdapterServer; provider: DevnetSecurityServer; consumer: DevnetSecurityServer; onProgress: (step: string) => void }): Promise<DevnetServicerApp> {
  const url = `http://${options.host}:${options.port}`;
  const config = healthConfigSchema.parse({
    JPLINK_MODE: 'development',
    HEALTH_HOST: options.host,
    HEALTH_PORT: String(options.port),
    HEALTH_PUBLIC_URL: url,
    HEALTH_PL_ISSUER: options.issuer,
    HEALTH_PL_CREDENTIALS_FILE: options.rp.credentialsFile,
    HEALTH_ADAPTER_ADMIN_URL: options.adapter.urls.admin,
    HEALTH_ADAPTER_ADMIN_KEY_FILE: options.adapter.adminApiKeyFile,
    HEALTH_SUBSYSTEM_CODE: VITALS_SUBSYSTEM_CODE,
    HEALTH_SECURE_COOKIES: 'false',
    HEALTH_LOG_LEVEL: options.logLevel,
  });
  return withDatabase<HealthTables, DevnetServicerApp>(options.databaseUrl, config.HEALTH_DATABASE_SCHEMA, options.logger, async (database) => {
    const app = await startHealthcareApp(config, { database, logger: options.logger });
    try {
      options.onProgress(`Sub System Code ${VITALS_SUBSYSTEM_CODE} (personal data, schema ${config.HEALTH_DATABASE_SCHEMA}) published to ${options.provider.id}, access for ${options.consumer.subsystem}`);
      const adapter = createAdapterAdmin({ url: options.adapter.urls.admin, apiKey: await readSecretFile(options.adapter.adminApiKeyFile, 'adapter admin key') });
      // B also describes the vitals' items to Personal-Link (residents read 最高血圧, not `systolic`).
      const personalLink = createPersonalLinkApi({ issuer: options.issuer, ...(await readCredentials(config.HEALTH_PL_CREDENTIALS_FILE)) });
      try {
        await defineVitalsDataService({ adapter, databaseUrl: options.databaseUrl, schema: config.HEALTH_DATABASE_SCHEMA, subsystemCode: VITALS_SUBSYSTEM_CODE, grantTo: options.consumer.subsystem, personalLink });
      } finally {
        personalLink.close();
      }
    } catch (error) {
      await app.close().catch(() => {});
      throw error;
    }
    return { member: options.provider.owner, url, close: () => app.close() };
  });
}

/** Servicer A's app on `port`: reads B's vitals through A's Security Server once the resident consents. */
export async function startDevnetShoppingApp(options: Common & { port: number; rp: DevnetRp; consumer: DevnetSecurityServer; provider: DevnetSecurityServer; providerClientId: string; providerAppUrl: string }): Promise<DevnetServicerApp> {
  const url = `http://${options.host}:${options.port}`;
  const config = shopConfigSchema.parse({
    JPLINK_MODE: 'development',
    SHOP_HOST: options.host,
    SHOP_PORT: String(options.port),
    SHOP_PUBLIC_URL: url,
    SHOP_PL_ISSUER: options.issuer,
    SHOP_PL_CREDENTIALS_FILE: options.rp.credentialsFile,
    SHOP_SS_URL: options.consumer.urls.informationSystem,
    SHOP_CLIENT: options.consumer.subsystem,
    SHOP_PROVIDER: options.provider.subsystem,
    SHOP_PROVIDER_CLIENT_ID: options.providerClientId,
    SHOP_PROVIDER_SUBSYSTEM_CODE: VITALS_SUBSYSTEM_CODE,
    SHOP_PROVIDER_APP_URL: options.providerAppUrl,
    SHOP_SECURE_COOKIES: 'false',
    SHOP_LOG_LEVEL: options.logLevel,
  });
  return withDatabase<ShopTables, DevnetServicerApp>(options.databaseUrl, config.SHOP_DATABASE_SCHEMA, options.logger, async (database) => {
    const app = await startShoppingApp(config, { database, logger: options.logger, credentials: await readRpCredentials(config.SHOP_PL_CREDENTIALS_FILE) });
    return { member: options.consumer.owner, url, close: () => app.close() };
  });
}
