// Servicer A as a library: the app, its config and a start function the devnet uses.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { Logger } from '@jplink/kit';
import type { Database } from '@jplink/db';
import type { ShopConfig } from './config.ts';
import type { ShopTables } from './db/schema.ts';
import { createPersonalDataSource, createPlApi } from './clients.ts';
import { createShoppingApp } from './shopping-app.ts';
import type { PersonalDataSource, PersonalLinkApi } from './partners.ts';

export { shopConfigSchema, type ShopConfig } from './config.ts';
export { createShoppingApp, recommend, type ShoppingApp, type ShoppingAppDeps } from './shopping-app.ts';
export { shopMigrations } from './db/migrations.ts';
export type { ShopTables } from './db/schema.ts';
export { SHOP_ERRORS } from './errors.ts';
export { PersonalDataRefused, type PersonalDataSource, type PersonalLinkApi, type FetchRefusal } from './partners.ts';
export { createPersonalDataSource, createPlApi } from './clients.ts';

const credentialsFile = z.object({ clientId: z.string().min(1), clientSecret: z.string().min(1) });

/** `{ "clientId", "clientSecret" }` from the RP credentials file (the devnet writes one per RP). */
export async function readRpCredentials(path: string): Promise<{ clientId: string; clientSecret: string }> {
  const parsed = credentialsFile.safeParse(JSON.parse(await readFile(path, 'utf8')));
  if (!parsed.success) throw new Error(`${path}: expected { "clientId", "clientSecret" }`);
  return parsed.data;
}

/** Builds the app with the real partner clients (unless given) and listens on SHOP_HOST:SHOP_PORT. */
export async function startShoppingApp(
  config: ShopConfig,
  deps: { database: Database<ShopTables>; logger: Logger; credentials: { clientId: string; clientSecret: string }; personalLink?: PersonalLinkApi; personalData?: PersonalDataSource },
): Promise<{ url: string; port: number; close(): Promise<void> }> {
  // The SDK clients made here (not the ones passed in) are closed with the app.
  const ownPl = deps.personalLink ? undefined : createPlApi({ issuer: config.SHOP_PL_ISSUER, ...deps.credentials });
  const ownData = deps.personalData
    ? undefined
    : createPersonalDataSource({ securityServerUrl: config.SHOP_SS_URL, client: config.SHOP_CLIENT, provider: config.SHOP_PROVIDER, subsystemCode: config.SHOP_PROVIDER_SUBSYSTEM_CODE, operation: config.SHOP_PROVIDER_OPERATION });
  const personalLink = deps.personalLink ?? ownPl!;
  const personalData = deps.personalData ?? ownData!;
  const { app } = await createShoppingApp(config, { database: deps.database, logger: deps.logger, credentials: deps.credentials, personalLink, personalData });
  await app.listen({ host: config.SHOP_HOST, port: config.SHOP_PORT });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.SHOP_PORT;
  return {
    url: config.SHOP_PUBLIC_URL,
    port,
    async close() {
      await app.close();
      ownPl?.close();
      ownData?.close();
    },
  };
}
