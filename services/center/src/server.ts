// The Center process: read config, open the database, build the apps, listen, shut down cleanly.
import { resolveDatabase, openDatabase } from '@jplink/db';
import { ConfigError, createLogger, listen, loadConfigOrExit, onShutdown, refuseInProduction, CONFIG_EXIT_CODE } from '@jplink/kit';
import { centerConfigSchema } from './config.ts';
import { createCenter, readPassphrase } from './center.ts';
import type { CenterTables } from './db/schema.ts';

const config = loadConfigOrExit(centerConfigSchema);
const logger = createLogger({ name: 'center', level: config.CENTER_LOG_LEVEL });
const production = config.JPLINK_MODE === 'production';

try {
  if (!config.CENTER_DATABASE_URL) refuseInProduction('the embedded database', production, logger);
  const resolved = await resolveDatabase({
    ...(config.CENTER_DATABASE_URL ? { url: config.CENTER_DATABASE_URL } : {}),
    dataDir: `${config.CENTER_DATA_DIR}/pgdata`,
    production,
    logger,
  });
  const database = await openDatabase<CenterTables>({ url: resolved.url, schema: config.CENTER_DATABASE_SCHEMA, logger });
  const center = await createCenter(config, { database, logger, passphrase: await readPassphrase(config.CENTER_KEY_PASSPHRASE_FILE) });

  await listen(center.publicApp, { host: config.CENTER_HOST, port: config.CENTER_PUBLIC_PORT });
  await listen(center.registrationApp, { host: config.CENTER_HOST, port: config.CENTER_REGISTRATION_PORT });
  await listen(center.adminApp, { host: config.CENTER_ADMIN_HOST, port: config.CENTER_ADMIN_PORT });

  onShutdown(logger, [() => center.close(), () => database.close(), async () => resolved.embedded?.stop()]);
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(CONFIG_EXIT_CODE);
  }
  logger.fatal({ err: error }, 'the Center could not start');
  process.exit(1);
}
