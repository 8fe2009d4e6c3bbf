// My Data (docs/protocols/my-data.md): what linked services hold about the resident, read by
// Personal-Link itself through JP-Link with the resident's consent. The operator records what each
// provider offers (sources); the resident consents once per provider (a self-access consent,
// reflected to the provider like any other); each view or download is a PR-REST GET through
// Personal-Link's OWN Security Server (X-Road-Client = PL_SUBSYSTEM) to the provider's Adapter
// Server, which answers only the resident's rows and the consented columns.
import { randomUUID } from 'node:crypto';
import { AppError, type Logger } from '@jplink/kit';
import { formatSubsystemId, parseSubsystemId, type MyDataSourceBody, type MyDataSourceView } from '@jplink/contracts';
import type { PlDb } from '../db/schema.ts';
import type { ConsentRow } from '../db/consents.ts';
import type { MyDataService } from '../db/schema-my-data.ts';
import { findLink } from '../db/links.ts';
import { PL_ERRORS } from '../errors.ts';
import type { PlAuditor } from '../audit.ts';
import type { Consents } from '../consent/consents.ts';
import type { RpRegistry } from '../oidc/clients.ts';
import { networkError } from '../outbox/shared.ts';
import { waitForAcknowledgement } from '../reflection/outbox.ts';
import { WindowLimiter } from '../api/auth.ts';
import { MY_DATA_CLIENT_ID, MY_DATA_PURPOSE } from './self-access.ts';

export interface MyDataDeps {
  db: PlDb;
  consents: Consents;
  registry: RpRegistry;
  audit: PlAuditor;
  logger: Logger;
  now: () => Date;
  /** Personal-Link's Security Server (information-system URL) and subsystem; without both, My Data is unavailable. */
  ssUrl?: string | undefined;
  client?: string | undefined;
  /** One call to a provider (default 15 s). */
  timeoutMs?: number;
  /** How long a new consent waits for the provider's acknowledgement (default 5 s). */
  acknowledgementTimeoutMs?: number;
  /** Largest answer read from one service (default 10 MiB). */
  maxResponseBytes?: number;
  /** Views and downloads per resident per minute, per instance (default 20): each one is an exchange with the provider. */
  fetchesPerMinute?: number;
}

export interface MyDataOffer {
  clientId: string;
  name: { ja: string; en: string };
  subsystemCode: string;
  dataItems: string[];
  services: MyDataService[];
  /** The resident's active My Data consent for this provider, if any. */
  consent: ConsentRow | undefined;
}

/** One service's answer: rows, or why there are none (`refused`: the provider said no; `unreachable`: no answer). */
export type MyDataServiceResult =
  | { service: string; title: { ja: string; en: string }; status: 'ok'; rows: Record<string, unknown>[]; truncated: boolean }
  | { service: string; title: { ja: string; en: string }; status: 'refused' | 'unreachable'; code: string };

export interface MyDataResult {
  provider: { clientId: string; name: { ja: string; en: string }; subsystem: string; subsystemCode: string };
  consentId: string;
  baseId: string;
  fetchedAt: string;
  services: MyDataServiceResult[];
}

/** Security Server errors that mean "the provider's side does not let Personal-Link in" rather than "not reachable". */
const REFUSING_XROAD_ERRORS = new Set(['server.serverproxy.access_denied', 'server.serverproxy.unknown_service', 'client.unknown_service_provider']);

export class MyData {
  private readonly deps: MyDataDeps;
  private readonly limiter: WindowLimiter;

  constructor(deps: MyDataDeps) {
    this.deps = deps;
    this.limiter = new WindowLimiter(deps.fetchesPerMinute ?? 20, 60_000);
  }

  get available(): boolean {
    return Boolean(this.deps.ssUrl && this.deps.client);
  }

  // ------------------------------------------------------------------------ sources (admin)
  async setSource(clientId: string, body: MyDataSourceBody, actor: string): Promise<MyDataSourceView> {
    if (!(await this.deps.registry.find(clientId))) throw new AppError(PL_ERRORS.PL_CLIENT_NOT_FOUND);
    const at = this.deps.now();
    const values = { subsystem_code: body.subsystemCode, data_items: JSON.stringify(body.dataItems), services: JSON.stringify(body.services), updated_at: at };
    await this.deps.db.insertInto('my_data_sources').values({ client_id: clientId, ...values }).onConflict((oc) => oc.column('client_id').doUpdateSet(values)).execute();
    await this.deps.audit({ actor, action: 'client.my-data-changed', target: clientId, details: { subsystemCode: body.subsystemCode, dataItems: body.dataItems, services: body.services.map((s) => s.name) } });
    return this.source(clientId);
  }

  async source(clientId: string): Promise<MyDataSourceView> {
    const row = await this.deps.db.selectFrom('my_data_sources').selectAll().where('client_id', '=', clientId).executeTakeFirst();
    if (!row) throw new AppError(PL_ERRORS.PL_MY_DATA_NOT_OFFERED);
    return { clientId, subsystemCode: row.subsystem_code, dataItems: row.data_items, services: row.services, updatedAt: new Date(row.updated_at).toISOString() };
  }

  async removeSource(clientId: string, actor: string): Promise<void> {
    const r = await this.deps.db.deleteFrom('my_data_sources').where('client_id', '=', clientId).executeTakeFirst();
    if (Number(r.numDeletedRows) === 0) throw new AppError(PL_ERRORS.PL_MY_DATA_NOT_OFFERED);
    await this.deps.audit({ actor, action: 'client.my-data-changed', target: clientId, details: { removed: true } });
  }

  // ------------------------------------------------------------------------ the resident
  /** The providers the resident linked that offer My Data, with the resident's active consent for each. */
  async offers(baseId: string): Promise<MyDataOffer[]> {
    const rows = await this.deps.db
      .selectFrom('my_data_sources as s')
      .innerJoin('rp_links as l', 'l.client_id', 's.client_id')
      .selectAll('s')
      .where('l.base_id', '=', baseId)
      .where('l.status', '=', 'linked')
      .orderBy('s.client_id')
      .execute();
    const consents = await this.activeConsents(baseId);
    const out: MyDataOffer[] = [];
    for (const r of rows) {
      const rp = await this.deps.registry.find(r.client_id);
      if (!rp) continue;
      out.push({ clientId: r.client_id, name: rp.displayName, subsystemCode: r.subsystem_code, dataItems: r.data_items, services: r.services, consent: consents.find((c) => c.provider_client_id === r.client_id) });
    }
    return out;
  }

  async offer(baseId: string, clientId: string): Promise<MyDataOffer> {
    const found = (await this.offers(baseId)).find((o) => o.clientId === clientId);
    if (!found) throw new AppError(PL_ERRORS.PL_MY_DATA_NOT_OFFERED);
    return found;
  }

  private async activeConsents(baseId: string): Promise<ConsentRow[]> {
    const t = this.deps.now();
    return this.deps.db
      .selectFrom('consents')
      .selectAll()
      .where('base_id', '=', baseId)
      .where('consumer_client_id', '=', MY_DATA_CLIENT_ID)
      .where('status', '=', 'given')
      .where('valid_from', '<=', t)
      .where('valid_until', '>', t)
      .orderBy('updated_at', 'desc')
      .execute();
  }

  /**
   * The resident consents to My Data of one linked provider: a self-access consent over the items
   * the provider offers (none is made while one covering them is active), reflected to the provider;
   * waits a few seconds for the provider's acknowledgement.
   */
  async consent(baseId: string, clientId: string): Promise<ConsentRow> {
    if (!this.available) throw new AppError(PL_ERRORS.PL_MY_DATA_UNAVAILABLE);
    const offer = await this.offer(baseId, clientId);
    if (offer.consent && offer.dataItems.every((i) => offer.consent!.data_items.includes(i)) && offer.consent.subsystem_code === offer.subsystemCode) return offer.consent;
    const link = await findLink(this.deps.db, clientId, baseId);
    const rp = await this.deps.registry.find(clientId);
    if (link?.status !== 'linked' || !rp) throw new AppError(PL_ERRORS.PL_MY_DATA_NOT_OFFERED);
    const row = await this.deps.consents.grantSelfAccess(baseId, { clientId, subsystem: rp.memberSubsystem }, { subsystemCode: offer.subsystemCode, dataItems: offer.dataItems }, this.deps.client!);
    await waitForAcknowledgement(this.deps.db, row.consent_id, row.version, this.deps.acknowledgementTimeoutMs ?? 5000);
    return row;
  }

  /** Reads every offered service of the provider through JP-Link, for the signed-in resident only. Audited (no data in the event). */
  async fetch(baseId: string, clientId: string): Promise<MyDataResult> {
    if (!this.available) throw new AppError(PL_ERRORS.PL_MY_DATA_UNAVAILABLE);
    const offer = await this.offer(baseId, clientId);
    if (!offer.consent) throw new AppError(PL_ERRORS.PL_CONSENT_NOT_FOUND);
    const consent = offer.consent;
    if (this.limiter.hit(baseId) > 0) throw new AppError(PL_ERRORS.PL_MY_DATA_RATE_LIMITED);
    const provider = formatSubsystemId(parseSubsystemId(consent.provider_subsystem));
    const services = await Promise.all(offer.services.map((s) => this.read(provider, consent.subsystem_code, s, baseId)));
    const result: MyDataResult = {
      provider: { clientId, name: offer.name, subsystem: provider, subsystemCode: consent.subsystem_code },
      consentId: consent.consent_id,
      baseId,
      fetchedAt: this.deps.now().toISOString(),
      services,
    };
    await this.deps.audit({
      actor: `resident:${baseId}`,
      action: 'my-data.fetched',
      target: clientId,
      outcome: services.every((s) => s.status === 'ok') ? 'success' : 'failure',
      details: { consentId: consent.consent_id, services: services.map((s) => (s.status === 'ok' ? { service: s.service, status: s.status, rows: s.rows.length } : { service: s.service, status: s.status, code: s.code })) },
    });
    return result;
  }

  private async read(provider: string, subsystemCode: string, service: MyDataService, baseId: string): Promise<MyDataServiceResult> {
    const base = { service: service.name, title: service.title };
    const path = [...provider.split('/'), subsystemCode, service.name].map(encodeURIComponent).join('/');
    let response: Response;
    try {
      response = await fetch(`${this.deps.ssUrl!.replace(/\/+$/, '')}/r1/${path}`, {
        headers: {
          accept: 'application/json',
          'x-road-client': this.deps.client!,
          'x-road-id': `mydata-${randomUUID()}`,
          'x-jplink-base-id': baseId,
          'x-jplink-purpose': MY_DATA_PURPOSE.code,
        },
        signal: AbortSignal.timeout(this.deps.timeoutMs ?? 15_000),
      });
    } catch (error) {
      return { ...base, status: 'unreachable', code: networkError(error) };
    }
    const max = this.deps.maxResponseBytes ?? 10 * 1024 * 1024;
    if (Number(response.headers.get('content-length') ?? 0) > max) {
      await response.body?.cancel().catch(() => {});
      return { ...base, status: 'refused', code: 'response-too-large' };
    }
    const text = await response.text().catch(() => '');
    let body: any;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {}
    if (response.status === 200 && body && Array.isArray(body.rows)) {
      if (text.length > max) return { ...base, status: 'refused', code: 'response-too-large' };
      return { ...base, status: 'ok', rows: body.rows as Record<string, unknown>[], truncated: Boolean(body.truncated) };
    }
    const xRoadType: string | undefined = response.headers.get('x-road-error') ?? (typeof body?.type === 'string' && !body?.error ? body.type : undefined);
    if (xRoadType !== undefined) return { ...base, status: REFUSING_XROAD_ERRORS.has(xRoadType.toLowerCase()) ? 'refused' : 'unreachable', code: xRoadType.slice(0, 100) };
    const code = String(body?.error?.code ?? `HTTP ${response.status}`).slice(0, 100);
    const status = response.status;
    if (status >= 400 && status < 500 && status !== 408 && status !== 429) return { ...base, status: 'refused', code };
    return { ...base, status: 'unreachable', code };
  }
}
