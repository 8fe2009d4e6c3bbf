// The Personal-Link process: read config, open its own database, listen, shut down cleanly.
import { openDatabase, resolveDatabase } from '@jplink/db';
import { CONFIG_EXIT_CODE, ConfigError, createLogger, loadConfigOrExit, onShutdown, readSecretFile, refuseInProduction } from '@jplink/kit';
import { plConfigSchema, publicBaseUrl } from './config.ts';
import { createPersonalLink } from './personal-link.ts';
import type { PlTables } from './db/schema.ts';
import { startDevUpstream } from './dev-upstream.ts';

const config = loadConfigOrExit(plConfigSchema);
const logger = createLogger({ name: 'personal-link', level: config.PL_LOG_LEVEL });
const production = config.JPLINK_MODE === 'production';

try {
  if (!config.PL_DATABASE_URL) refuseInProduction('the embedded database', production, logger);
  const resolved = await resolveDatabase({
    ...(config.PL_DATABASE_URL ? { url: config.PL_DATABASE_URL } : {}),
    dataDir: `${config.PL_DATA_DIR}/pgdata`,
    production,
    logger,
  });
  let dev: Awaited<ReturnType<typeof startDevUpstream>> | undefined;
  if (config.PL_DEV_UPSTREAM) {
    refuseInProduction('PL_DEV_UPSTREAM (local test upstream ID providers)', production, logger);
    dev = await startDevUpstream({ personalLinkBase: publicBaseUrl(config), host: '127.0.0.1', port: config.PL_DEV_UPSTREAM_PORT });
    logger.warn({ url: dev.url }, 'DEVELOPMENT-ONLY dev upstream ID providers are running');
  }
  const database = await openDatabase<PlTables>({ url: resolved.url, schema: config.PL_DATABASE_SCHEMA, logger });
  const pl = await createPersonalLink(config, {
    database,
    logger,
    passphrase: await readSecretFile(config.PL_SECRET_FILE, 'PL_SECRET_FILE'),
    ...(dev ? { extraUpstreams: dev.upstreams } : {}),
  });
  const ports = await pl.listen();
  logger.info({ ports, issuer: config.PL_ISSUER }, 'Personal-Link ready');
  onShutdown(logger, [() => pl.close(), async () => dev?.close(), () => database.close(), async () => resolved.embedded?.stop()]);
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(CONFIG_EXIT_CODE);
  }
  logger.fatal({ err: error }, 'Personal-Link could not start');
  process.exit(1);
}
