// The vitals as a personal data service of B's Adapter Server, set up through its admin API exactly
// as an administrator would in the admin UI: a connection to B's own schema, the Sub System Code
// (`vitals`), a personal `list` data service keyed by B's patient number (the Adapter Server maps
// the caller's BaseID to it through its ID conversion table and checks the reflected consent), and
// publishing to B's Security Server with access for the consumer's subsystem. Idempotent: run it
// at every start (the devnet's embedded database gets a new port each time). With a Personal-Link
// client it also describes the vitals' data items there (項目説明), so residents asked to consent
// read 最高血圧 / Systolic rather than `systolic`.
import type { AdapterAdminApi, PersonalLinkApi } from './partners.ts';

/** The columns a consumer may ask for (data items of a consent). B's patient number is never published. */
export const VITALS_DATA_ITEMS = ['measured_on', 'systolic', 'diastolic', 'heart_rate', 'body_temperature', 'steps'] as const;

/** What residents read for each data item on Personal-Link's consent pages (RP API PUT /api/pl/v1/data-items/{code}). */
export const VITALS_ITEM_LABELS: Record<(typeof VITALS_DATA_ITEMS)[number], { ja: string; en: string }> = {
  measured_on: { ja: '測定日', en: 'Measured on' },
  systolic: { ja: '最高血圧', en: 'Systolic' },
  diastolic: { ja: '最低血圧', en: 'Diastolic' },
  heart_rate: { ja: '心拍数', en: 'Heart rate' },
  body_temperature: { ja: '体温', en: 'Body temperature' },
  steps: { ja: '歩数', en: 'Steps' },
};

export interface VitalsDataServiceOptions {
  adapter: AdapterAdminApi;
  /** B's own database (postgres://user[:password]@host:port/db) as the Adapter Server reaches it, and B's schema. */
  databaseUrl: string;
  schema: string;
  /** Default `vitals`. */
  subsystemCode?: string;
  /** Name of the connection at the Adapter Server; default `healthcare`. */
  connectionName?: string;
  /** The consumer's subsystem to grant access on B's Security Server (e.g. servicer A's). */
  grantTo?: string;
  /** The provider subsystem on B's Security Server; default the Adapter Server's ADAPTER_PROVIDER_SUBSYSTEM. */
  provider?: string;
  /** Publish to B's Security Server (default true); false only defines (an Adapter Server without a Security Server). */
  publish?: boolean;
  /** B's Personal-Link client: when given, the data items' labels are described there too. */
  personalLink?: Pick<PersonalLinkApi, 'describeDataItems'>;
}

export interface VitalsPublished {
  provider: string;
  serviceCode: string;
  url: string;
  endpoints: number;
  granted: string | null;
}

export async function defineVitalsDataService(options: VitalsDataServiceOptions): Promise<VitalsPublished | null> {
  const { adapter } = options;
  const code = options.subsystemCode ?? 'vitals';
  const connectionName = options.connectionName ?? 'healthcare';
  const save = async (path: string, createPath: string, create: unknown, update: unknown) => {
    const existing = await adapter.call('GET', path, undefined, [200, 404]);
    if (existing.status === 404) await adapter.call('POST', createPath, create, [201]);
    else await adapter.call('PUT', path, update, [200]);
  };

  const url = new URL(options.databaseUrl);
  const connection = {
    dialect: 'postgres',
    host: url.hostname,
    port: Number(url.port || 5432),
    database: decodeURIComponent(url.pathname.slice(1)) || 'postgres',
    username: decodeURIComponent(url.username) || 'postgres',
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    poolMax: 4,
  };
  await save(`/api/v1/connections/${connectionName}`, '/api/v1/connections', { name: connectionName, ...connection }, connection);

  const subsystem = { title: 'バイタル記録', description: 'すこやか健康手帳の利用者のバイタル記録（血圧・脈拍・体温・歩数）。本人の許諾がある項目だけを返します。' };
  await save(`/api/v1/subsystems/${code}`, '/api/v1/subsystems', { code, ...subsystem }, subsystem);

  const service = {
    name: 'list',
    title: 'バイタル記録の一覧（本人分）',
    description: 'X-JPLink-Base-Id の住民本人の記録。例: ?measured_on=gte.2026-11-01&order=measured_on.desc',
    kind: 'list',
    connection: connectionName,
    table: { schema: options.schema, name: 'vitals' },
    key: 'id',
    columns: [
      { name: 'id', type: 'integer', sortable: true },
      { name: 'measured_on', type: 'date', filterable: true, sortable: true },
      { name: 'systolic', type: 'integer' },
      { name: 'diastolic', type: 'integer' },
      { name: 'heart_rate', type: 'integer' },
      { name: 'body_temperature', type: 'number' },
      { name: 'steps', type: 'integer' },
    ],
    maxRows: 100,
    personal: { userIdColumn: 'user_id' },
  };
  await save(`/api/v1/subsystems/${code}/services/${service.name}`, `/api/v1/subsystems/${code}/services`, service, service);
  if (options.personalLink) await options.personalLink.describeDataItems(code, VITALS_DATA_ITEMS.map((id) => ({ id, label: VITALS_ITEM_LABELS[id] })));

  if (options.publish === false) return null;
  const published = await adapter.call('POST', `/api/v1/subsystems/${code}/publish`, { ...(options.grantTo ? { grantTo: options.grantTo } : {}), ...(options.provider ? { provider: options.provider } : {}) }, [200]);
  return published.body as VitalsPublished;
}
