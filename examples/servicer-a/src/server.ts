// Servicer A's process: read config, open its own schema, listen, shut down cleanly.
//   SHOP_PUBLIC_URL=… SHOP_PL_ISSUER=… SHOP_PL_CREDENTIALS_FILE=… SHOP_SS_URL=… SHOP_CLIENT=… \
//   SHOP_PROVIDER=… SHOP_PROVIDER_CLIENT_ID=… SHOP_PROVIDER_SUBSYSTEM_CODE=… SHOP_DATABASE_URL=… tsx src/server.ts
import { openDatabase, resolveDatabase } from '@jplink/db';
import { CONFIG_EXIT_CODE, ConfigError, createLogger, loadConfigOrExit, onShutdown, refuseInProduction } from '@jplink/kit';
import { shopConfigSchema } from './config.ts';
import { readRpCredentials, startShoppingApp } from './index.ts';
import type { ShopTables } from './db/schema.ts';

const config = loadConfigOrExit(shopConfigSchema);
const logger = createLogger({ name: 'servicer-a', level: config.SHOP_LOG_LEVEL });
const production = config.JPLINK_MODE === 'production';

try {
  if (!config.SHOP_DATABASE_URL) refuseInProduction('the embedded database', production, logger);
  const resolved = await resolveDatabase({ ...(config.SHOP_DATABASE_URL ? { url: config.SHOP_DATABASE_URL } : {}), dataDir: '.servicer-a/pgdata', production, logger });
  const database = await openDatabase<ShopTables>({ url: resolved.url, schema: config.SHOP_DATABASE_SCHEMA, logger, poolMax: 4 });
  const running = await startShoppingApp(config, { database, logger, credentials: await readRpCredentials(config.SHOP_PL_CREDENTIALS_FILE) });
  logger.info({ url: running.url }, 'servicer A ready');
  onShutdown(logger, [() => running.close(), () => database.close(), async () => resolved.embedded?.stop()]);
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(CONFIG_EXIT_CODE);
  }
  logger.fatal({ err: error }, 'servicer A could not start');
  process.exit(1);
}
