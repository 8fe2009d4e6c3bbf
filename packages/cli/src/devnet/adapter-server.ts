// A member's Adapter Server inside the devnet, behind the member's Security Server, with its own
// store in a schema of the embedded database (the provider's: `adapter_server`). The data provider's
// also gets, as the member's "own database", a `sample` schema of the same embedded database holding
// a small table of health checkups. The table is exposed as Sub System Code `checkups` (data services
// `list` and `get`), published to the provider's Security Server with access for the consumer's
// subsystem — set up through the admin API, as an administrator would.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { adapterConfigSchema, adminUi, createAdapterServer, type AdapterServer, type AdapterTables } from '@jplink/adapter-server';
import { openDatabase, type Database } from '@jplink/db';
import type { Logger } from '@jplink/kit';
import { devnetPassphrase } from './passphrase.ts';
import type { DevnetSecurityServer } from './security-servers.ts';

/** The Sub System Code the devnet publishes, and its table in the `sample` schema. */
export const SAMPLE_SUBSYSTEM_CODE = 'checkups';
const SAMPLE_CONNECTION = 'sample';

export interface DevnetAdapterServer {
  adapter: AdapterServer;
  owner: string;
  urls: { admin: string; data: string; dataHttps: string };
  adminApiKeyFile: string;
  close(): Promise<void>;
}

// Fictional residents of a fictional health-checkup programme.
const CHECKUPS: Array<[number, string, string, string, number, string, number, number, number, number, string]> = [
  [1, 'R-0001', '山田 花子', '横浜市', 2025, '2025-05-12', 158.2, 52.4, 118, 76, '異常なし'],
  [2, 'R-0002', '佐藤 太郎', '横浜市', 2025, '2025-06-03', 171.5, 74.0, 134, 86, '要経過観察'],
  [3, 'R-0003', '鈴木 一郎', '川崎市', 2025, '2025-06-20', 165.0, 68.3, 142, 92, '要精密検査'],
  [4, 'R-0004', '高橋 美咲', '川崎市', 2024, '2024-09-14', 160.4, 49.8, 108, 70, '異常なし'],
  [5, 'R-0005', '田中 健', '相模原市', 2024, '2024-11-02', 175.8, 81.2, 128, 84, '要経過観察'],
];

/** The sample table and its rows (idempotent: existing rows are kept as they are). */
async function createSampleData(database: Database) {
  // Qualified names: on the embedded database pool.query is not pinned to a schema.
  await database.pool.query('create schema if not exists sample');
  await database.pool.query(`create table if not exists sample.health_checkups (
    id integer primary key,
    resident_id text not null unique,
    name text not null,
    city text not null,
    year integer not null,
    checked_on date not null,
    height_cm numeric(4,1),
    weight_kg numeric(4,1),
    systolic integer,
    diastolic integer,
    result text not null
  )`);
  for (const row of CHECKUPS) {
    await database.pool.query(
      'insert into sample.health_checkups (id, resident_id, name, city, year, checked_on, height_cm, weight_kg, systolic, diastolic, result) values ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) on conflict (id) do nothing',
      row,
    );
  }
}

const columns = [
  { name: 'id', type: 'integer', filterable: true, sortable: true },
  { name: 'resident_id', type: 'string', filterable: true },
  { name: 'name', type: 'string' },
  { name: 'city', type: 'string', filterable: true },
  { name: 'year', type: 'integer', filterable: true, sortable: true },
  { name: 'checked_on', type: 'date', filterable: true, sortable: true },
  { name: 'height_cm', type: 'number' },
  { name: 'weight_kg', type: 'number' },
  { name: 'systolic', type: 'integer', filterable: true, sortable: true },
  { name: 'diastolic', type: 'integer', filterable: true },
  { name: 'result', type: 'string', filterable: true },
];
const table = { schema: 'sample', name: 'health_checkups' };
const DATA_SERVICES = [
  { name: 'list', title: '健診結果の一覧', description: '絞り込み例: ?year=eq.2025&city=eq.横浜市&order=checked_on.desc', kind: 'list', connection: SAMPLE_CONNECTION, table, key: 'id', columns, maxRows: 100 },
  { name: 'get', title: '健診結果（1件）', kind: 'get', connection: SAMPLE_CONNECTION, table, key: 'id', columns },
];

/** Creates or updates one definition through the admin API. */
async function save(admin: (method: string, path: string, json?: unknown) => Promise<Response>, path: string, createPath: string, create: unknown, update: unknown) {
  const existing = await admin('GET', path);
  await existing.body?.cancel();
  const [method, target, body] = existing.status === 404 ? ['POST', createPath, create] : ['PUT', path, update];
  const response = await admin(method, target, body);
  if (!response.ok) throw new Error(`Adapter Server admin API: ${method} ${target}: HTTP ${response.status} ${await response.text()}`);
  await response.body?.cancel();
}

export async function startDevnetAdapterServer(options: {
  dataDir: string;
  databaseUrl: string;
  host: string;
  /** First of three ports: data HTTP, data HTTPS, admin API. */
  portBase: number;
  /** The member's own Security Server (the Adapter Server publishes its data services there). */
  provider: DevnetSecurityServer;
  /** Schema of the Adapter Server's own store (default `adapter_server`). */
  schema?: string;
  /** Given: the `checkups` sample is created and published with access for this consumer. */
  consumer?: DevnetSecurityServer;
  /** Personal-Link's subsystem: the only client whose consent reflections the Adapter Server accepts. */
  personalLinkClient?: string;
  logger: Logger;
  onProgress: (step: string) => void;
}): Promise<DevnetAdapterServer> {
  const { host, provider, portBase: p } = options;
  const dir = join(options.dataDir, `adapter-server-${provider.member.subsystem}`);
  await mkdir(dir, { recursive: true });
  const config = adapterConfigSchema.parse({
    JPLINK_MODE: 'development',
    ADAPTER_DATA_DIR: dir,
    ADAPTER_DATABASE_URL: options.databaseUrl,
    ADAPTER_DATABASE_SCHEMA: options.schema ?? 'adapter_server',
    ADAPTER_SECRET_FILE: join(dir, 'key-passphrase'),
    ADAPTER_HOST: host,
    ADAPTER_DATA_HTTP_PORT: String(p),
    ADAPTER_DATA_HTTPS_PORT: String(p + 1),
    ADAPTER_ADMIN_HOST: host,
    ADAPTER_ADMIN_PORT: String(p + 2),
    ADAPTER_PUBLIC_DATA_URL: `http://${host}:${p}`,
    ADAPTER_SS_ADMIN_URL: provider.urls.admin,
    ADAPTER_SS_ADMIN_KEY_FILE: provider.adminApiKeyFile,
    ADAPTER_PROVIDER_SUBSYSTEM: provider.subsystem,
    ...(options.personalLinkClient ? { ADAPTER_PERSONAL_LINK_CLIENT: options.personalLinkClient } : {}),
  });
  const database = await openDatabase<AdapterTables>({ url: options.databaseUrl, schema: config.ADAPTER_DATABASE_SCHEMA, logger: options.logger, poolMax: 4 });
  let adapter: AdapterServer | undefined;
  try {
    if (options.consumer) {
      options.onProgress('sample data: schema "sample", table health_checkups');
      await createSampleData(database);
    }
    adapter = await createAdapterServer(config, { database, logger: options.logger, passphrase: await devnetPassphrase(dir), registerUi: adminUi() });
    await adapter.listen();
    const adminUrl = `http://${host}:${p + 2}`;
    const key = (await readFile(adapter.files.adminApiKey, 'utf8')).trim();
    const admin = (method: string, path: string, json?: unknown) =>
      fetch(`${adminUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(json !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
      });

    if (options.consumer) await publishSample(admin, options.databaseUrl, provider, options.consumer, options.onProgress);

    const running = adapter;
    return {
      adapter: running,
      owner: provider.owner,
      urls: { admin: adminUrl, data: `http://${host}:${p}`, dataHttps: `https://${host}:${p + 1}` },
      adminApiKeyFile: running.files.adminApiKey,
      async close() {
        await running.close();
        await database.close();
      },
    };
  } catch (error) {
    await adapter?.close().catch(() => {});
    await database.close().catch(() => {});
    throw error;
  }
}

/** The `checkups` sample: connection, Sub System Code, data services, published with access for the consumer. */
async function publishSample(admin: (method: string, path: string, json?: unknown) => Promise<Response>, databaseUrl: string, provider: DevnetSecurityServer, consumer: DevnetSecurityServer, onProgress: (step: string) => void) {
  // The embedded database listens on a new port at each start: the connection is updated each time.
  const target = new URL(databaseUrl);
  const connection = { dialect: 'postgres', host: target.hostname, port: Number(target.port), database: decodeURIComponent(target.pathname.slice(1)) || 'postgres', username: decodeURIComponent(target.username) || 'postgres' };
  onProgress(`Sub System Code ${SAMPLE_SUBSYSTEM_CODE}: connection, data services ${DATA_SERVICES.map((s) => s.name).join(', ')}`);
  await save(admin, `/api/v1/connections/${SAMPLE_CONNECTION}`, '/api/v1/connections', { name: SAMPLE_CONNECTION, ...connection }, connection);
  const subsystem = { title: '健診結果', description: 'サンプルヘルスケア株式会社の健診結果（サンプルデータ）' };
  await save(admin, `/api/v1/subsystems/${SAMPLE_SUBSYSTEM_CODE}`, '/api/v1/subsystems', { code: SAMPLE_SUBSYSTEM_CODE, ...subsystem }, subsystem);
  for (const service of DATA_SERVICES) {
    await save(admin, `/api/v1/subsystems/${SAMPLE_SUBSYSTEM_CODE}/services/${service.name}`, `/api/v1/subsystems/${SAMPLE_SUBSYSTEM_CODE}/services`, service, service);
  }
  onProgress(`publishing ${SAMPLE_SUBSYSTEM_CODE} to ${provider.id}, access for ${consumer.subsystem}`);
  const published = await admin('POST', `/api/v1/subsystems/${SAMPLE_SUBSYSTEM_CODE}/publish`, { grantTo: consumer.subsystem });
  if (!published.ok) throw new Error(`publishing ${SAMPLE_SUBSYSTEM_CODE} failed: HTTP ${published.status} ${await published.text()}`);
  await published.body?.cancel();
}
