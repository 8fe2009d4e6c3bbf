// What the admin API, the admin UI and the CLI do, in one place: every change is audited here.
import { readFile } from 'node:fs/promises';
import { AppError, type Logger } from '@jplink/kit';
import { subsystemPathSegment, type ConnectionBody, type DataServiceInput } from '@jplink/contracts';
import type { AdapterConfig } from './config.ts';
import type { AdapterDb, AdapterTables } from './db/schema.ts';
import type { AdapterAuditor } from './audit.ts';
import type { Catalog } from './catalog.ts';
import { ADAPTER_ERRORS as E } from './errors.ts';
import type { Target } from './targets/target.ts';
import { describeTable, listTables } from './targets/introspect.ts';
import { subsystemOpenApi } from './operations/openapi.ts';
import { executeCall } from './operations/execute.ts';
import type { Plan } from './operations/plan.ts';

type ConnectionRow = AdapterTables['connections'] & { created_at: Date; updated_at: Date };
const iso = (d: Date | string) => new Date(d).toISOString();

/** Rows a preview returns at most (previews never write). */
export const PREVIEW_ROWS = 20;

export class AdapterServerCore {
  readonly db: AdapterDb;
  readonly catalog: Catalog;
  readonly audit: AdapterAuditor;
  readonly #config: AdapterConfig;
  readonly #logger: Logger;

  constructor(deps: { db: AdapterDb; catalog: Catalog; audit: AdapterAuditor; config: AdapterConfig; logger: Logger }) {
    this.db = deps.db;
    this.catalog = deps.catalog;
    this.audit = deps.audit;
    this.#config = deps.config;
    this.#logger = deps.logger;
  }

  connectionView = (row: ConnectionRow) => ({
    name: row.name,
    dialect: row.dialect,
    host: row.host,
    port: row.port,
    database: row.database,
    username: row.username,
    tls: row.tls,
    poolMax: row.pool_max,
    statementTimeoutMs: row.statement_timeout_ms,
    hasPassword: row.password_enc !== null,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  });

  async saveConnection(body: ConnectionBody, mode: 'create' | 'update', actor: string) {
    const row = await this.catalog.saveConnection(body, mode);
    // Never the password: only that one was given.
    await this.audit({ actor, action: 'connection.saved', target: row.name, details: { mode, dialect: row.dialect, host: row.host, port: row.port, database: row.database, username: row.username, passwordChanged: body.password !== undefined } });
    return row as ConnectionRow;
  }

  async testConnection(target: Target) {
    const started = performance.now();
    try {
      const serverVersion = await target.version();
      const flavor = target.settings.dialect === 'postgres' ? 'postgres' : /mariadb/i.test(serverVersion) ? 'mariadb' : 'mysql';
      return { ok: true, serverVersion, flavor, error: null, latencyMs: Math.round(performance.now() - started) } as const;
    } catch (error) {
      this.#logger.info({ err: error, connection: target.settings.name }, 'connection test failed');
      const message = error instanceof AppError ? error.publicMessage : 'The database could not be reached.';
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      // The driver's reason helps the admin (wrong password, unknown database); it carries no secret.
      const reason = cause?.code ? `${message} (${cause.code})` : message;
      return { ok: false, serverVersion: null, flavor: null, error: reason, latencyMs: Math.round(performance.now() - started) } as const;
    }
  }

  /** Tests connection settings before they are saved (with the stored password when none is given). */
  async testDraftConnection(body: ConnectionBody) {
    const target = this.catalog.draftTarget(body, this.catalog.connections().find((c) => c.name === body.name));
    try {
      return await this.testConnection(target);
    } finally {
      await target.close();
    }
  }

  async deleteConnection(name: string, actor: string) {
    await this.catalog.deleteConnection(name);
    await this.audit({ actor, action: 'connection.deleted', target: name });
  }

  async tables(connection: string) {
    try {
      return await listTables(this.catalog.target(connection));
    } catch (error) {
      throw new AppError(E.ADAPTER_CONNECTION_FAILED, { cause: error });
    }
  }

  async table(connection: string, schema: string, name: string) {
    let table;
    try {
      table = await describeTable(this.catalog.target(connection), schema, name);
    } catch (error) {
      throw new AppError(E.ADAPTER_CONNECTION_FAILED, { cause: error });
    }
    if (!table) throw new AppError(E.ADAPTER_TABLE_NOT_FOUND);
    return table;
  }

  async saveSubsystem(body: { code: string; title: string; description: string }, mode: 'create' | 'update', actor: string) {
    const saved = await this.catalog.saveSubsystem(body, mode);
    await this.audit({ actor, action: 'subsystem.saved', target: saved.code });
    return saved;
  }

  async deleteSubsystem(code: string, actor: string) {
    await this.catalog.deleteSubsystem(code);
    await this.audit({ actor, action: 'subsystem.deleted', target: code });
  }

  serviceView = (plan: Plan & { createdAt: Date; updatedAt: Date }) => ({
    subsystemCode: plan.subsystemCode,
    definition: plan.def as unknown as Record<string, unknown>,
    method: plan.method,
    path: plan.hasKey ? `/${plan.def.name}/{key}` : `/${plan.def.name}`,
    createdAt: iso(plan.createdAt),
    updatedAt: iso(plan.updatedAt),
  });

  async saveService(subsystemCode: string, input: DataServiceInput, mode: 'create' | 'update', actor: string) {
    const plan = await this.catalog.saveService(subsystemCode, input, mode);
    await this.audit({ actor, action: 'service.saved', target: `${subsystemCode}/${plan.def.name}`, details: { mode, kind: plan.def.kind, connection: plan.def.connection, personal: plan.def.personal !== undefined } });
    return plan;
  }

  async deleteService(subsystemCode: string, name: string, actor: string) {
    await this.catalog.deleteService(subsystemCode, name);
    await this.audit({ actor, action: 'service.deleted', target: `${subsystemCode}/${name}` });
  }

  /** The data-service base URL of a Sub System Code, as the Security Server calls it. */
  dataUrl(code: string) {
    return `${this.#config.ADAPTER_PUBLIC_DATA_URL.replace(/\/+$/, '')}/${encodeURIComponent(code)}`;
  }

  openapi(code: string) {
    const subsystem = this.catalog.subsystem(code);
    return subsystemOpenApi(subsystem, this.catalog.plans(code), this.#config.ADAPTER_PUBLIC_DATA_URL);
  }

  /**
   * Runs a data service as an admin would see it called, without writing: reads only, at most
   * PREVIEW_ROWS rows, personal data services without the consent check (the admin owns the data).
   */
  async preview(code: string, name: string, input: { key?: string | undefined; query: string }) {
    const plan = this.catalog.service(code, name);
    if (plan.method !== 'GET') throw new AppError(E.ADAPTER_PARAMETER_INVALID, { message: 'Only reading data services can be previewed.' });
    const query = new URLSearchParams(input.query);
    if (plan.def.kind === 'list' && !query.has('limit')) query.set('limit', String(Math.min(PREVIEW_ROWS, plan.def.maxRows)));
    const previewPlan = { ...plan, def: { ...plan.def, maxRows: Math.min(plan.def.maxRows, PREVIEW_ROWS) } };
    if (plan.hasKey && !input.key) throw new AppError(E.ADAPTER_KEY_INVALID, { message: 'Give a key to preview a get operation.' });
    const answer = await executeCall(previewPlan, this.catalog.target(plan.def.connection), { key: input.key, query, body: undefined });
    return answer.json === null ? null : (JSON.parse(answer.json) as unknown);
  }

  /** What a publish form starts from: the configured provider subsystem, and whether a Security Server is configured. */
  publishDefaults() {
    return { provider: this.#config.ADAPTER_PROVIDER_SUBSYSTEM ?? null, configured: Boolean(this.#config.ADAPTER_SS_ADMIN_URL && this.#config.ADAPTER_SS_ADMIN_KEY_FILE) };
  }

  /**
   * Registers the Sub System Code's OpenAPI as one service on the member's Security Server
   * (service code = Sub System Code, URL = the data-service base URL), and optionally grants a
   * client subsystem access to it.
   */
  async publish(code: string, input: { provider?: string | undefined; grantTo?: string | undefined }, actor: string) {
    const document = this.openapi(code);
    const provider = input.provider ?? this.#config.ADAPTER_PROVIDER_SUBSYSTEM;
    if (!this.#config.ADAPTER_SS_ADMIN_URL || !this.#config.ADAPTER_SS_ADMIN_KEY_FILE || !provider) throw new AppError(E.ADAPTER_PUBLISH_NOT_CONFIGURED);
    let key: string;
    try {
      key = (await readFile(this.#config.ADAPTER_SS_ADMIN_KEY_FILE, 'utf8')).trim();
    } catch (error) {
      throw new AppError(E.ADAPTER_PUBLISH_NOT_CONFIGURED, { cause: error, message: 'ADAPTER_SS_ADMIN_KEY_FILE cannot be read.' });
    }
    const base = this.#config.ADAPTER_SS_ADMIN_URL.replace(/\/+$/, '');
    const url = this.dataUrl(code);
    const call = async (path: string, body: unknown) => {
      let response: Response;
      let text: string;
      try {
        response = await fetch(`${base}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(15_000) });
        text = await response.text();
      } catch (error) {
        await this.audit({ actor, action: 'service.published', target: code, outcome: 'failure', details: { provider, reason: 'unreachable' } });
        throw new AppError(E.ADAPTER_PUBLISH_FAILED, { cause: error });
      }
      if (!response.ok) {
        let reason = `HTTP ${response.status}`;
        let ssCode: string | null = null;
        try {
          const parsed = JSON.parse(text) as { error?: { code?: string; message?: string } };
          if (parsed.error?.code) {
            ssCode = parsed.error.code;
            reason = `${parsed.error.code}: ${parsed.error.message ?? ''}`.slice(0, 300);
          }
        } catch {
          // not JSON: the status says enough
        }
        await this.audit({ actor, action: 'service.published', target: code, outcome: 'failure', details: { provider, reason } });
        // A refusal is the admin's to fix (key, provider subsystem, document): say what the Security Server said.
        throw new AppError(E.ADAPTER_PUBLISH_REFUSED, { message: `The Security Server refused: ${reason}`, detail: { status: response.status, code: ssCode } });
      }
      return JSON.parse(text) as Record<string, unknown>;
    };
    const segment = subsystemPathSegment(provider);
    const saved = await call(`/api/v1/clients/${segment}/services`, { serviceCode: code, url, openapi: document, tlsVerify: true });
    if (input.grantTo) await call(`/api/v1/clients/${segment}/services/${encodeURIComponent(code)}/access-rights/grant`, { subject: { kind: 'subsystem', id: input.grantTo } });
    const endpoints = Array.isArray(saved.endpoints) ? saved.endpoints.length : 0;
    await this.audit({ actor, action: 'service.published', target: code, details: { provider, url, endpoints, granted: input.grantTo ?? null } });
    return { provider, serviceCode: code, url, endpoints, granted: input.grantTo ?? null };
  }

  // ------------------------------------------------------------------------ ID conversion table

  async idConversion(baseId: string) {
    const row = await this.db.selectFrom('id_conversions').selectAll().where('base_id', '=', baseId).executeTakeFirst();
    if (!row) throw new AppError(E.ADAPTER_ID_CONVERSION_NOT_FOUND);
    return { baseId: row.base_id, localUserId: row.local_user_id, updatedAt: iso(row.updated_at) };
  }

  /** The most recently changed ID conversions (optionally one BaseID). */
  async idConversions(filter: { baseId?: string | undefined; limit: number }) {
    let query = this.db.selectFrom('id_conversions').selectAll().orderBy('updated_at', 'desc').limit(filter.limit);
    if (filter.baseId) query = query.where('base_id', '=', filter.baseId);
    return (await query.execute()).map((row) => ({ baseId: row.base_id, localUserId: row.local_user_id, updatedAt: iso(row.updated_at) }));
  }

  async saveIdConversion(baseId: string, localUserId: string, actor: string) {
    const row = await this.db
      .insertInto('id_conversions')
      .values({ base_id: baseId, local_user_id: localUserId })
      .onConflict((oc) => oc.column('base_id').doUpdateSet({ local_user_id: localUserId, updated_at: new Date() }))
      .returningAll()
      .executeTakeFirstOrThrow()
      .catch((error: unknown) => {
        if ((error as { code?: string }).code === '23505') throw new AppError(E.ADAPTER_CONSTRAINT_VIOLATION, { message: 'This user id is linked to another BaseID.' });
        throw error;
      });
    await this.audit({ actor, action: 'id-conversion.saved', target: baseId });
    return { baseId: row.base_id, localUserId: row.local_user_id, updatedAt: iso(row.updated_at) };
  }

  async deleteIdConversion(baseId: string, actor: string) {
    const result = await this.db.deleteFrom('id_conversions').where('base_id', '=', baseId).executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) throw new AppError(E.ADAPTER_ID_CONVERSION_NOT_FOUND);
    await this.audit({ actor, action: 'id-conversion.deleted', target: baseId });
  }

  async consents(filter: { baseId?: string | undefined; limit: number }) {
    let query = this.db.selectFrom('consents').selectAll().orderBy('updated_at', 'desc').limit(filter.limit);
    if (filter.baseId) query = query.where('base_id', '=', filter.baseId);
    return (await query.execute()).map((c) => ({
      consentId: c.consent_id,
      baseId: c.base_id,
      client: c.client,
      subsystemCode: c.subsystem_code,
      dataItems: c.data_items,
      purpose: c.purpose,
      validFrom: iso(c.valid_from),
      validUntil: iso(c.valid_until),
      status: c.status,
      version: c.version,
      updatedAt: iso(c.updated_at),
    }));
  }

  async recentCalls(limit: number) {
    const rows = await this.db.selectFrom('calls').selectAll().orderBy('id', 'desc').limit(limit).execute();
    return rows.map((r) => ({
      at: iso(r.at),
      subsystemCode: r.subsystem_code,
      service: r.service,
      method: r.method,
      xRoadClient: r.x_road_client,
      xRoadId: r.x_road_id,
      xRoadRequestId: r.x_road_request_id,
      xRoadUserId: r.x_road_user_id,
      status: r.status,
      errorCode: r.error_code,
      rows: r.rows,
      durationMs: r.duration_ms,
    }));
  }
}
