// Servicer B wired from its configuration: reads its secret files, discovers Personal-Link, makes the
// Personal-Link and Adapter Server clients, builds the app and listens. server.ts and the devnet use this.
import { listen, readSecretFile, type Logger } from '@jplink/kit';
import type { Database } from '@jplink/db';
import type { HealthConfig } from './config.ts';
import { createHealthcareApp } from './healthcare-app.ts';
import type { HealthTables } from './db/schema.ts';
import { discoverPersonalLink, readCredentials } from './oidc.ts';
import { createAdapterAdmin } from './partners.ts';
import { createPersonalLinkApi } from './personal-link-api.ts';

export interface RunningHealthcareApp {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startHealthcareApp(config: HealthConfig, deps: { database: Database<HealthTables>; logger: Logger }): Promise<RunningHealthcareApp> {
  const creds = await readCredentials(config.HEALTH_PL_CREDENTIALS_FILE);
  const oidc = await discoverPersonalLink(config.HEALTH_PL_ISSUER, creds, { allowHttp: config.JPLINK_MODE === 'development' });
  const adapter = createAdapterAdmin({ url: config.HEALTH_ADAPTER_ADMIN_URL, apiKey: await readSecretFile(config.HEALTH_ADAPTER_ADMIN_KEY_FILE, 'HEALTH_ADAPTER_ADMIN_KEY_FILE') });
  const personalLink = createPersonalLinkApi({ issuer: config.HEALTH_PL_ISSUER, ...creds });
  const app = await createHealthcareApp(config, { database: deps.database, logger: deps.logger, oidc, personalLink, adapter });
  const bound = await listen(app, { host: config.HEALTH_HOST, port: config.HEALTH_PORT });
  return {
    url: bound.url,
    port: bound.port,
    async close() {
      await app.close();
      personalLink.close();
    },
  };
}
