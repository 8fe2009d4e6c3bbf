// Two member organisations of the devnet, each with its Security Server registered at the Center,
// and a sample service of the provider that the consumer may call: the smallest real exchange.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openDatabase } from '@jplink/db';
import type { Logger } from '@jplink/kit';
import { createSecurityServer, securityServerConfigSchema, type SecurityServer, type SecurityServerTables } from '@jplink/security-server';
import { devnetPassphrase } from './passphrase.ts';
import { startSampleBackend } from './sample-backend.ts';

export interface DevnetMember {
  memberClass: string;
  memberCode: string;
  name: string;
  subsystem: string;
  serverCode: string;
  /** First of five ports: IS HTTP, IS HTTPS, exchange, OCSP, admin. */
  portBase: number;
}

export const DEVNET_CONSUMER: Omit<DevnetMember, 'portBase'> = { memberClass: 'COM', memberCode: '1000000000001', name: 'サンプル買い物支援株式会社', subsystem: 'shopping', serverCode: 'ss-a' };
export const DEVNET_PROVIDER: Omit<DevnetMember, 'portBase'> = { memberClass: 'COM', memberCode: '1000000000002', name: 'サンプルヘルスケア株式会社', subsystem: 'healthcare', serverCode: 'ss-b' };

export interface DevnetSecurityServer {
  member: DevnetMember;
  ss: SecurityServer;
  id: string;
  owner: string;
  subsystem: string;
  urls: { informationSystem: string; informationSystemHttps: string; exchange: string; ocsp: string; admin: string };
  adminApiKeyFile: string;
  close(): Promise<void>;
}

async function adminCall(base: string, key: string, method: string, path: string, json?: unknown) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(json !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
  });
  if (!response.ok && response.status !== 409) throw new Error(`${method} ${path}: HTTP ${response.status} ${await response.text()}`);
  return response;
}

/** Members and subsystems at the Center (idempotent: existing ones are kept). */
export async function ensureMembers(centerAdmin: string, adminKey: string, members: Array<Omit<DevnetMember, 'portBase'>>) {
  for (const m of members) {
    await adminCall(centerAdmin, adminKey, 'POST', '/api/v1/members', { memberClass: m.memberClass, memberCode: m.memberCode, name: m.name });
    await adminCall(centerAdmin, adminKey, 'POST', `/api/v1/members/${m.memberClass}/${m.memberCode}/subsystems`, { subsystemCode: m.subsystem });
  }
}

export async function startDevnetSecurityServer(options: {
  member: DevnetMember;
  instance: string;
  host: string;
  dataDir: string;
  anchorFile: string;
  databaseUrl: string;
  logger: Logger;
  onProgress: (step: string) => void;
}): Promise<DevnetSecurityServer> {
  const { member, host } = options;
  const dir = join(options.dataDir, `security-server-${member.serverCode}`);
  await mkdir(dir, { recursive: true });
  const p = member.portBase;
  const id = `${options.instance}/${member.memberClass}/${member.memberCode}/${member.serverCode}`;
  const subsystem = `${options.instance}/${member.memberClass}/${member.memberCode}/${member.subsystem}`;
  const config = securityServerConfigSchema.parse({
    JPLINK_MODE: 'development',
    SS_ID: id,
    SS_DATA_DIR: dir,
    SS_DATABASE_URL: options.databaseUrl,
    SS_DATABASE_SCHEMA: `ss_${member.serverCode.replace(/[^a-z0-9]/g, '_')}`,
    SS_ANCHOR_FILE: options.anchorFile,
    SS_KEY_PASSPHRASE_FILE: join(dir, 'key-passphrase'),
    SS_PUBLIC_ADDRESS: host,
    SS_HOST: host,
    SS_IS_HTTP_PORT: String(p),
    SS_IS_HTTPS_PORT: String(p + 1),
    SS_EXCHANGE_PORT: String(p + 2),
    SS_OCSP_PORT: String(p + 3),
    SS_ADMIN_HOST: host,
    SS_ADMIN_PORT: String(p + 4),
    // Evidence on a developer's timescale: timestamps every 5 s, archives every 10 minutes.
    SS_TIMESTAMPING_INTERVAL_SECONDS: '5',
    SS_ARCHIVE_INTERVAL_SECONDS: '600',
  });
  const database = await openDatabase<SecurityServerTables>({ url: options.databaseUrl, schema: config.SS_DATABASE_SCHEMA, logger: options.logger, poolMax: 4 });
  const ss = await createSecurityServer(config, { database, logger: options.logger, passphrase: await devnetPassphrase(dir) });
  await ss.saveClient({ subsystem });
  await ss.enrol({ clients: [subsystem], waitSeconds: 60, onProgress: (step) => options.onProgress(`${member.serverCode}: ${step}`) });
  await ss.listen();
  const base = `http://${host}:${p + 4}`;
  return {
    member,
    ss,
    id,
    owner: `${options.instance}/${member.memberClass}/${member.memberCode}`,
    subsystem,
    urls: {
      informationSystem: `http://${host}:${p}`,
      informationSystemHttps: `https://${host}:${p + 1}`,
      exchange: `${host}:${p + 2}`,
      ocsp: `http://${host}:${p + 3}/ocsp`,
      admin: base,
    },
    adminApiKeyFile: ss.files.adminApiKey,
    async close() {
      await ss.close();
      await database.close();
    },
  };
}

/** Service code of the sample backend (`vitals` is servicer B's personal data service). */
export const SAMPLE_SERVICE_CODE = 'echo';

/** The provider's sample service and the consumer's access right to it (idempotent). */
export async function configureSampleService(provider: DevnetSecurityServer, consumer: DevnetSecurityServer, backendPort: number, host: string) {
  const backend = await startSampleBackend(host, backendPort);
  const key = (await readFile(provider.adminApiKeyFile, 'utf8')).trim();
  const services = `/api/v1/clients/${provider.subsystem.replaceAll('/', ':')}/services`;
  await adminCall(provider.urls.admin, key, 'POST', services, { serviceCode: SAMPLE_SERVICE_CODE, url: backend.url, timeoutSeconds: 10 });
  await adminCall(provider.urls.admin, key, 'POST', `${services}/${SAMPLE_SERVICE_CODE}/access-rights/grant`, { subject: { kind: 'subsystem', id: consumer.subsystem } });
  return backend;
}
