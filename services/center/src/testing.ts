// Starts a real Center for tests (of this and other services): its own database schema, real
// listeners on 127.0.0.1 ports, development mode. Exported as `@jplink/center/testing`.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from '@jplink/db/testing';
import { createLogger, listen } from '@jplink/kit';
import { freePort } from '@jplink/testing';
import { centerConfigSchema, type CenterConfig } from './config.ts';
import { createCenter, type Center } from './center.ts';
import type { CenterTables } from './db/schema.ts';

export interface TestCenter {
  center: Center;
  config: CenterConfig;
  urls: { public: string; registration: string; admin: string };
  adminKey: string;
  readOnlyKey: string;
  dataDir: string;
  stop(): Promise<void>;
}

export async function startTestCenter(env: Record<string, string> = {}): Promise<TestCenter> {
  const dataDir = await mkdtemp(join(tmpdir(), 'jplink-center-test-'));
  const [publicPort, registrationPort, adminPort] = [await freePort(), await freePort(), await freePort()];
  const config = centerConfigSchema.parse({
    JPLINK_MODE: 'development',
    CENTER_INSTANCE: 'JP-TEST',
    CENTER_DATA_DIR: dataDir,
    CENTER_KEY_PASSPHRASE_FILE: join(dataDir, 'unused'),
    CENTER_PUBLIC_URL: `http://127.0.0.1:${publicPort}`,
    CENTER_PUBLIC_HOST: '127.0.0.1',
    CENTER_PUBLIC_PORT: String(publicPort),
    CENTER_REGISTRATION_PORT: String(registrationPort),
    CENTER_ADMIN_PORT: String(adminPort),
    CENTER_LOG_LEVEL: 'silent',
    ...env,
  });
  const database = await createTestDatabase<CenterTables>('center');
  const logger = createLogger({ name: 'center-test', level: 'silent' });
  const center = await createCenter(config, { database, logger, passphrase: 'test-passphrase-0123456789' });
  await listen(center.publicApp, { host: '127.0.0.1', port: publicPort });
  await listen(center.registrationApp, { host: '127.0.0.1', port: registrationPort });
  await listen(center.adminApp, { host: '127.0.0.1', port: adminPort });
  const { readFile } = await import('node:fs/promises');
  return {
    center,
    config,
    urls: {
      public: `http://127.0.0.1:${publicPort}`,
      registration: `https://127.0.0.1:${registrationPort}`,
      admin: `http://127.0.0.1:${adminPort}`,
    },
    adminKey: (await readFile(center.files.adminApiKey, 'utf8')).trim(),
    readOnlyKey: (await readFile(center.files.readOnlyApiKey, 'utf8')).trim(),
    dataDir,
    async stop() {
      await center.close();
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
