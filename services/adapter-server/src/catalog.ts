// The Adapter Server's definitions in memory for the hot path: connections (with their pools),
// Sub System Codes and Data Service plans. Every change goes to the database first, then here.
import { sql } from 'kysely';
import { AppError, openSecret, sealSecret, type Logger } from '@jplink/kit';
import { isUniqueViolation } from '@jplink/db';
import { dataServiceBody, type ConnectionBody, type DataServiceBody, type DataServiceInput } from '@jplink/contracts';
import type { AdapterDb, AdapterTables } from './db/schema.ts';
import { ADAPTER_ERRORS as E } from './errors.ts';
import { createTarget, type Target } from './targets/target.ts';
import { describeTable } from './targets/introspect.ts';
import { buildPlan, type Plan } from './operations/plan.ts';
import { NamedSqlError, parseNamedSql } from './operations/named-sql.ts';

type ConnectionRow = AdapterTables['connections'] & { created_at: Date; updated_at: Date };

const DEFAULT_PORT = { postgres: 5432, mysql: 3306 } as const;

export class Catalog {
  readonly #db: AdapterDb;
  readonly #passphrase: string;
  readonly #logger: Logger;
  readonly #connections = new Map<string, ConnectionRow>();
  readonly #targets = new Map<string, Target>();
  readonly #subsystems = new Map<string, { code: string; title: string; description: string; createdAt: Date }>();
  /** subsystem code → service name → plan */
  readonly #plans = new Map<string, Map<string, Plan & { createdAt: Date; updatedAt: Date }>>();

  constructor(deps: { db: AdapterDb; passphrase: string; logger: Logger }) {
    this.#db = deps.db;
    this.#passphrase = deps.passphrase;
    this.#logger = deps.logger;
  }

  async load() {
    this.#connections.clear();
    for (const row of await this.#db.selectFrom('connections').selectAll().execute()) this.#connections.set(row.name, row as ConnectionRow);
    this.#subsystems.clear();
    for (const row of await this.#db.selectFrom('subsystems').selectAll().execute()) {
      this.#subsystems.set(row.code, { code: row.code, title: row.title, description: row.description, createdAt: row.created_at });
    }
    this.#plans.clear();
    for (const row of await this.#db.selectFrom('services').selectAll().execute()) {
      const parsed = dataServiceBody.safeParse(row.definition);
      const connection = this.#connections.get(row.connection);
      if (!parsed.success || !connection) {
        this.#logger.error({ subsystem: row.subsystem_code, service: row.name }, 'a stored data service definition is not valid; it is not served');
        continue;
      }
      this.#setPlan(row.subsystem_code, parsed.data, connection.dialect, row.created_at, row.updated_at);
    }
  }

  #setPlan(subsystemCode: string, def: DataServiceBody, dialect: 'postgres' | 'mysql', createdAt: Date, updatedAt: Date) {
    let plans = this.#plans.get(subsystemCode);
    if (!plans) this.#plans.set(subsystemCode, (plans = new Map()));
    plans.set(def.name, Object.assign(buildPlan(subsystemCode, def, dialect), { createdAt, updatedAt }));
  }

  // ----------------------------------------------------------------------------------- connections

  connections() {
    return [...this.#connections.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  connection(name: string) {
    const row = this.#connections.get(name);
    if (!row) throw new AppError(E.ADAPTER_CONNECTION_NOT_FOUND);
    return row;
  }

  /** The pools of a connection (created on first use). */
  target(name: string): Target {
    let target = this.#targets.get(name);
    if (!target) {
      const row = this.connection(name);
      target = createTarget({
        name: row.name,
        dialect: row.dialect,
        host: row.host,
        port: row.port,
        database: row.database,
        username: row.username,
        password: row.password_enc ? openSecret(this.#passphrase, row.password_enc) : undefined,
        tls: row.tls,
        poolMax: row.pool_max,
        statementTimeoutMs: row.statement_timeout_ms,
      });
      this.#targets.set(name, target);
    }
    return target;
  }

  /** A target for settings not saved yet (connection test before saving). */
  draftTarget(body: ConnectionBody, existing?: ConnectionRow): Target {
    return createTarget({
      name: body.name,
      dialect: body.dialect,
      host: body.host,
      port: body.port ?? DEFAULT_PORT[body.dialect],
      database: body.database,
      username: body.username,
      password: body.password ?? (existing?.password_enc ? openSecret(this.#passphrase, existing.password_enc) : undefined),
      tls: body.tls,
      poolMax: 1,
      statementTimeoutMs: body.statementTimeoutMs,
    });
  }

  async saveConnection(body: ConnectionBody, mode: 'create' | 'update') {
    const existing = this.#connections.get(body.name);
    if (mode === 'create' && existing) throw new AppError(E.ADAPTER_CONNECTION_EXISTS);
    if (mode === 'update' && !existing) throw new AppError(E.ADAPTER_CONNECTION_NOT_FOUND);
    if (existing && existing.dialect !== body.dialect && this.#servicesUsing(body.name) > 0) {
      throw new AppError(E.ADAPTER_CONNECTION_IN_USE, { message: 'Data services use this connection; its dialect cannot change.' });
    }
    const values = {
      name: body.name,
      dialect: body.dialect,
      host: body.host,
      port: body.port ?? DEFAULT_PORT[body.dialect],
      database: body.database,
      username: body.username,
      password_enc: body.password !== undefined ? sealSecret(this.#passphrase, body.password) : (existing?.password_enc ?? null),
      tls: body.tls,
      pool_max: body.poolMax,
      statement_timeout_ms: body.statementTimeoutMs,
    };
    let row: ConnectionRow;
    try {
      row = (await this.#db
        .insertInto('connections')
        .values(values)
        .onConflict((oc) => (mode === 'create' ? oc.doNothing() : oc.column('name').doUpdateSet({ ...values, updated_at: sql`now()` })))
        .returningAll()
        .executeTakeFirst()) as ConnectionRow | undefined as ConnectionRow;
    } catch (error) {
      if (isUniqueViolation(error)) throw new AppError(E.ADAPTER_CONNECTION_EXISTS);
      throw error;
    }
    if (!row) throw new AppError(E.ADAPTER_CONNECTION_EXISTS);
    this.#connections.set(row.name, row);
    await this.#dropTarget(row.name);
    return row;
  }

  async deleteConnection(name: string) {
    this.connection(name);
    if (this.#servicesUsing(name) > 0) throw new AppError(E.ADAPTER_CONNECTION_IN_USE);
    await this.#db.deleteFrom('connections').where('name', '=', name).execute();
    this.#connections.delete(name);
    await this.#dropTarget(name);
  }

  async #dropTarget(name: string) {
    const target = this.#targets.get(name);
    this.#targets.delete(name);
    await target?.close();
  }

  #servicesUsing(connection: string) {
    let n = 0;
    for (const plans of this.#plans.values()) for (const p of plans.values()) if (p.def.connection === connection) n++;
    return n;
  }

  // ------------------------------------------------------------------------------------ subsystems

  subsystems() {
    return [...this.#subsystems.values()].sort((a, b) => a.code.localeCompare(b.code)).map((s) => ({ ...s, services: this.#plans.get(s.code)?.size ?? 0 }));
  }

  subsystem(code: string) {
    const s = this.#subsystems.get(code);
    if (!s) throw new AppError(E.ADAPTER_SUBSYSTEM_NOT_FOUND);
    return { ...s, services: this.#plans.get(code)?.size ?? 0 };
  }

  async saveSubsystem(body: { code: string; title: string; description: string }, mode: 'create' | 'update') {
    const exists = this.#subsystems.has(body.code);
    if (mode === 'create' && exists) throw new AppError(E.ADAPTER_SUBSYSTEM_EXISTS);
    if (mode === 'update' && !exists) throw new AppError(E.ADAPTER_SUBSYSTEM_NOT_FOUND);
    const row = await this.#db
      .insertInto('subsystems')
      .values(body)
      .onConflict((oc) => oc.column('code').doUpdateSet({ title: body.title, description: body.description }))
      .returningAll()
      .executeTakeFirstOrThrow();
    this.#subsystems.set(row.code, { code: row.code, title: row.title, description: row.description, createdAt: row.created_at });
    return this.subsystem(row.code);
  }

  async deleteSubsystem(code: string) {
    this.subsystem(code);
    if ((this.#plans.get(code)?.size ?? 0) > 0) throw new AppError(E.ADAPTER_SUBSYSTEM_NOT_EMPTY);
    await this.#db.deleteFrom('subsystems').where('code', '=', code).execute();
    this.#subsystems.delete(code);
  }

  // -------------------------------------------------------------------------------- data services

  plans(subsystemCode: string) {
    return [...(this.#plans.get(subsystemCode)?.values() ?? [])].sort((a, b) => a.def.name.localeCompare(b.def.name));
  }

  /** The plan of a data service, or undefined (hot path: no throw). */
  plan(subsystemCode: string, name: string) {
    return this.#plans.get(subsystemCode)?.get(name);
  }

  service(subsystemCode: string, name: string) {
    this.subsystem(subsystemCode);
    const plan = this.plan(subsystemCode, name);
    if (!plan) throw new AppError(E.ADAPTER_SERVICE_NOT_FOUND);
    return plan;
  }

  /** Checks a definition against its database (tables, columns, types, SQL placeholders). */
  async checkDefinition(input: DataServiceInput): Promise<DataServiceBody> {
    const def = dataServiceBody.parse(input);
    const connection = this.connection(def.connection);
    const problems: string[] = [];
    if (def.kind === 'query') {
      try {
        const named = parseNamedSql(def.sql!, connection.dialect);
        const declared = new Set(def.parameters.map((p) => p.name));
        for (const slot of new Set(named.slots)) if (!declared.has(slot)) problems.push(`:${slot} is not a declared parameter`);
        for (const p of declared) if (!named.slots.includes(p)) problems.push(`parameter ${p} is not used in the SQL`);
      } catch (error) {
        if (error instanceof NamedSqlError) throw new AppError(E.ADAPTER_SQL_INVALID, { detail: { problems: [error.message] } });
        throw error;
      }
      if (problems.length) throw new AppError(E.ADAPTER_SQL_INVALID, { detail: { problems } });
      return def;
    }
    const table = await describeTable(this.target(def.connection), def.table!.schema, def.table!.name);
    if (!table) throw new AppError(E.ADAPTER_TABLE_NOT_FOUND, { detail: { table: def.table } });
    const byName = new Map(table.columns.map((c) => [c.name, c]));
    for (const c of def.columns) {
      const actual = byName.get(c.name);
      if (!actual) problems.push(`column "${c.name}" is not in ${table.schema}.${table.name}`);
      else if (actual.type !== c.type) problems.push(`column "${c.name}" is ${actual.dbType} (type ${actual.type}), not ${c.type}`);
    }
    if (def.key && !byName.has(def.key)) problems.push(`key column "${def.key}" is not in the table`);
    if (def.key && !def.columns.some((c) => c.name === def.key) && def.kind !== 'delete') problems.push(`key column "${def.key}" must be one of the listed columns`);
    if (def.personal && !byName.has(def.personal.userIdColumn)) problems.push(`user id column "${def.personal.userIdColumn}" is not in the table`);
    if ((def.kind === 'create' || def.kind === 'update' || def.kind === 'delete') && table.kind === 'view') problems.push('writes need a table, not a view');
    if (problems.length) throw new AppError(E.ADAPTER_DEFINITION_INVALID, { detail: { problems } });
    if (def.kind === 'delete' && def.key && !def.columns.some((c) => c.name === def.key)) {
      // The key's type checks the path before the database sees it: untyped, MySQL/MariaDB would
      // turn the key '1 OR 1=1' into 1 and delete that row.
      def.columns.push({ name: def.key, type: byName.get(def.key)!.type, filterable: false, sortable: false, writable: false });
    }
    return def;
  }

  async saveService(subsystemCode: string, input: DataServiceInput, mode: 'create' | 'update') {
    this.subsystem(subsystemCode);
    const def = await this.checkDefinition(input);
    const exists = this.plan(subsystemCode, def.name) !== undefined;
    if (mode === 'create' && exists) throw new AppError(E.ADAPTER_SERVICE_EXISTS);
    if (mode === 'update' && !exists) throw new AppError(E.ADAPTER_SERVICE_NOT_FOUND);
    const definition = JSON.stringify(def);
    const row = await this.#db
      .insertInto('services')
      .values({ subsystem_code: subsystemCode, name: def.name, connection: def.connection, definition })
      .onConflict((oc) => oc.columns(['subsystem_code', 'name']).doUpdateSet({ connection: def.connection, definition, updated_at: sql`now()` }))
      .returning(['created_at', 'updated_at'])
      .executeTakeFirstOrThrow();
    this.#setPlan(subsystemCode, def, this.connection(def.connection).dialect, row.created_at, row.updated_at);
    return this.plan(subsystemCode, def.name)!;
  }

  async deleteService(subsystemCode: string, name: string) {
    this.service(subsystemCode, name);
    await this.#db.deleteFrom('services').where('subsystem_code', '=', subsystemCode).where('name', '=', name).execute();
    this.#plans.get(subsystemCode)?.delete(name);
  }

  async close() {
    const targets = [...this.#targets.values()];
    this.#targets.clear();
    await Promise.all(targets.map((t) => t.close()));
  }
}
