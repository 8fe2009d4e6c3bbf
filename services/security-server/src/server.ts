// The Security Server process: read config, open the database, enrol at the Center if needed,
// listen, shut down cleanly. Clients added later through the configuration API are registered
// with POST /api/v1/clients/{id}/register.
import { openDatabase, resolveDatabase } from '@jplink/db';
import { CONFIG_EXIT_CODE, ConfigError, createLogger, loadConfigOrExit, onShutdown, readSecretFile, refuseInProduction } from '@jplink/kit';
import { securityServerConfigSchema } from './config.ts';
import { createSecurityServer } from './security-server.ts';
import type { SecurityServerTables } from './db/schema.ts';

const config = loadConfigOrExit(securityServerConfigSchema);
const logger = createLogger({ name: 'security-server', level: config.SS_LOG_LEVEL });
const production = config.JPLINK_MODE === 'production';

try {
  if (!config.SS_DATABASE_URL) refuseInProduction('the embedded database', production, logger);
  const resolved = await resolveDatabase({
    ...(config.SS_DATABASE_URL ? { url: config.SS_DATABASE_URL } : {}),
    dataDir: `${config.SS_DATA_DIR}/pgdata`,
    production,
    logger,
  });
  const database = await openDatabase<SecurityServerTables>({ url: resolved.url, schema: config.SS_DATABASE_SCHEMA, logger });
  const ss = await createSecurityServer(config, { database, logger, passphrase: await readSecretFile(config.SS_KEY_PASSPHRASE_FILE, 'SS_KEY_PASSPHRASE_FILE') });
  await ss.enrol({ onProgress: (step) => logger.info(step) });
  const ports = await ss.listen();
  logger.info({ ports }, 'Security Server ready');
  onShutdown(logger, [() => ss.close(), () => database.close(), async () => resolved.embedded?.stop()]);
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(CONFIG_EXIT_CODE);
  }
  logger.fatal({ err: error }, 'the Security Server could not start');
  process.exit(1);
}
