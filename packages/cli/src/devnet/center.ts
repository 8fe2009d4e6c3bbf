// Starts the JP-Link Center inside the devnet process, on the shared embedded database.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { centerConfigSchema, centerUrls, createCenter, type Center, type CenterTables } from '@jplink/center';
import { devnetPassphrase } from './passphrase.ts';
import { openDatabase } from '@jplink/db';
import { listen, type Logger } from '@jplink/kit';
import type { DevnetPorts } from './ports.ts';

export interface DevnetCenter {
  center: Center;
  urls: { globalConf: string; ocsp: string; tsa: string; registration: string; admin: string; public: string };
  close(): Promise<void>;
}

export async function startDevnetCenter(options: {
  dataDir: string;
  databaseUrl: string;
  instance: string;
  host: string;
  ports: DevnetPorts;
  logger: Logger;
  onProgress: (step: string) => void;
}): Promise<DevnetCenter> {
  const dir = join(options.dataDir, 'center');
  await mkdir(dir, { recursive: true });
  const publicUrl = `http://${options.host}:${options.ports.centerPublic}`;
  const config = centerConfigSchema.parse({
    JPLINK_MODE: 'development',
    CENTER_INSTANCE: options.instance,
    CENTER_DATA_DIR: dir,
    CENTER_DATABASE_URL: options.databaseUrl,
    CENTER_KEY_PASSPHRASE_FILE: join(dir, 'key-passphrase'),
    CENTER_HOST: options.host,
    CENTER_PUBLIC_URL: publicUrl,
    CENTER_PUBLIC_HOST: options.host,
    CENTER_PUBLIC_PORT: String(options.ports.centerPublic),
    CENTER_REGISTRATION_PORT: String(options.ports.centerRegistration),
    CENTER_ADMIN_HOST: options.host,
    CENTER_ADMIN_PORT: String(options.ports.centerAdmin),
    // The devnet approves its own members' requests: it is one operator's sandbox.
    CENTER_AUTO_APPROVE: 'certificateIssue,authCertReg,clientReg,clientDeletion,addressChange',
  });
  const passphrase = await devnetPassphrase(dir);
  const database = await openDatabase<CenterTables>({ url: options.databaseUrl, schema: 'center', logger: options.logger, poolMax: 4 });
  const center = await createCenter(config, { database, logger: options.logger, passphrase, onProgress: options.onProgress });
  await listen(center.publicApp, { host: options.host, port: options.ports.centerPublic });
  await listen(center.registrationApp, { host: options.host, port: options.ports.centerRegistration });
  await listen(center.adminApp, { host: options.host, port: options.ports.centerAdmin });
  const urls = centerUrls(config);
  return {
    center,
    urls: { ...urls, admin: `http://${options.host}:${options.ports.centerAdmin}`, public: publicUrl },
    async close() {
      await center.close();
      await database.close();
    },
  };
}

