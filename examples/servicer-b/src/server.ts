// The servicer B process: read config, open its own database, start the app, shut down cleanly.
import { openDatabase } from '@jplink/db';
import { CONFIG_EXIT_CODE, ConfigError, createLogger, loadConfigOrExit, onShutdown } from '@jplink/kit';
import { healthConfigSchema } from './config.ts';
import type { HealthTables } from './db/schema.ts';
import { startHealthcareApp } from './start.ts';

const config = loadConfigOrExit(healthConfigSchema);
const logger = createLogger({ name: 'servicer-b', level: config.HEALTH_LOG_LEVEL });

try {
  if (!config.HEALTH_DATABASE_URL) throw new ConfigError([{ variable: 'HEALTH_DATABASE_URL', message: 'is required to run the app on its own' }]);
  const database = await openDatabase<HealthTables>({ url: config.HEALTH_DATABASE_URL, schema: config.HEALTH_DATABASE_SCHEMA, logger });
  const running = await startHealthcareApp(config, { database, logger });
  logger.info({ url: running.url }, 'servicer B (healthcare app) ready');
  onShutdown(logger, [() => running.close(), () => database.close()]);
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(CONFIG_EXIT_CODE);
  }
  logger.fatal({ err: error }, 'servicer B could not start');
  process.exit(1);
}
