// The Adapter Server process: read config, open its own database, listen, shut down cleanly.
import { openDatabase, resolveDatabase } from '@jplink/db';
import { CONFIG_EXIT_CODE, ConfigError, createLogger, loadConfigOrExit, onShutdown, readSecretFile, refuseInProduction } from '@jplink/kit';
import { adapterConfigSchema } from './config.ts';
import { createAdapterServer } from './adapter-server.ts';
import type { AdapterTables } from './db/schema.ts';
import { adminUi } from './ui/index.ts';

const config = loadConfigOrExit(adapterConfigSchema);
const logger = createLogger({ name: 'adapter-server', level: config.ADAPTER_LOG_LEVEL });
const production = config.JPLINK_MODE === 'production';

try {
  if (!config.ADAPTER_DATABASE_URL) refuseInProduction('the embedded database', production, logger);
  const resolved = await resolveDatabase({
    ...(config.ADAPTER_DATABASE_URL ? { url: config.ADAPTER_DATABASE_URL } : {}),
    dataDir: `${config.ADAPTER_DATA_DIR}/pgdata`,
    production,
    logger,
  });
  const database = await openDatabase<AdapterTables>({ url: resolved.url, schema: config.ADAPTER_DATABASE_SCHEMA, logger });
  const adapter = await createAdapterServer(config, { database, logger, passphrase: await readSecretFile(config.ADAPTER_SECRET_FILE, 'ADAPTER_SECRET_FILE'), registerUi: adminUi() });
  const ports = await adapter.listen();
  logger.info({ ports }, 'Adapter Server ready');
  onShutdown(logger, [() => adapter.close(), () => database.close(), async () => resolved.embedded?.stop()]);
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(CONFIG_EXIT_CODE);
  }
  logger.fatal({ err: error }, 'the Adapter Server could not start');
  process.exit(1);
}
