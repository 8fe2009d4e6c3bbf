// Data item descriptions (項目説明): what a data provider RP calls the data items (columns) of one of
// its Sub System Codes, in Japanese and English, so the resident pages can say 最高血圧 / Systolic
// where a consent lists `systolic`. Written by the provider itself through the RP API (scope
// pl:consents), keyed by the caller's client id: an RP can only ever describe its own items.
// Labels are display only — consents, events and receipts keep the ids. docs/protocols/personal-link-api.md.
import { AppError } from '@jplink/kit';
import type { Locale } from '@jplink/ui';
import type { DataItemDescription, DataItemsBody, DataItemsView } from '@jplink/contracts';
import type { PlDb } from '../db/schema.ts';
import type { PlAuditor } from '../audit.ts';
import { PL_ERRORS } from '../errors.ts';

/** Labels of the items of (provider client id, Sub System Code) pairs: `key(provider, code)` → id → description. */
export type DataItemLabels = ReadonlyMap<string, ReadonlyMap<string, DataItemDescription>>;
export const dataItemsKey = (providerClientId: string, subsystemCode: string) => `${providerClientId}\u0000${subsystemCode}`;

/** The label of one item in the resident's language, or undefined when the provider has not described it. */
export function dataItemLabel(labels: DataItemLabels, locale: Locale, providerClientId: string, subsystemCode: string, id: string): string | undefined {
  return labels.get(dataItemsKey(providerClientId, subsystemCode))?.get(id)?.label[locale];
}

export class DataItems {
  private readonly deps: { db: PlDb; audit: PlAuditor; now: () => Date };

  constructor(deps: { db: PlDb; audit: PlAuditor; now: () => Date }) {
    this.deps = deps;
  }

  /** The provider (the caller) replaces its descriptions of one Sub System Code. */
  async put(clientId: string, subsystemCode: string, body: DataItemsBody): Promise<DataItemsView> {
    const at = this.deps.now();
    const values = { items: JSON.stringify(body.items), updated_at: at };
    await this.deps.db
      .insertInto('rp_data_items')
      .values({ client_id: clientId, subsystem_code: subsystemCode, ...values })
      .onConflict((oc) => oc.columns(['client_id', 'subsystem_code']).doUpdateSet(values))
      .execute();
    await this.deps.audit({ actor: `rp:${clientId}`, action: 'client.data-items-described', target: clientId, details: { subsystemCode, dataItems: body.items.map((i) => i.id) } });
    return this.get(clientId, subsystemCode);
  }

  async get(clientId: string, subsystemCode: string): Promise<DataItemsView> {
    const row = await this.deps.db.selectFrom('rp_data_items').selectAll().where('client_id', '=', clientId).where('subsystem_code', '=', subsystemCode).executeTakeFirst();
    if (!row) throw new AppError(PL_ERRORS.PL_DATA_ITEMS_NOT_FOUND);
    return { subsystemCode: row.subsystem_code, items: row.items, updatedAt: new Date(row.updated_at).toISOString() };
  }

  /** The descriptions of the given (provider, Sub System Code) pairs, for the resident pages. */
  async labelsFor(pairs: Iterable<{ provider_client_id: string; subsystem_code: string }>): Promise<DataItemLabels> {
    const wanted = new Map<string, { clientId: string; code: string }>();
    for (const p of pairs) wanted.set(dataItemsKey(p.provider_client_id, p.subsystem_code), { clientId: p.provider_client_id, code: p.subsystem_code });
    const out = new Map<string, Map<string, DataItemDescription>>();
    if (wanted.size === 0) return out;
    const clientIds = [...new Set([...wanted.values()].map((w) => w.clientId))];
    const rows = await this.deps.db.selectFrom('rp_data_items').select(['client_id', 'subsystem_code', 'items']).where('client_id', 'in', clientIds).execute();
    for (const r of rows) {
      const key = dataItemsKey(r.client_id, r.subsystem_code);
      if (wanted.has(key)) out.set(key, new Map(r.items.map((i) => [i.id, i])));
    }
    return out;
  }
}
