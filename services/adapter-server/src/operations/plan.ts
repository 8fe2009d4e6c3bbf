// A Data Service definition turned into statements. Identifiers come only from the definition and
// are quoted by kysely's dialect compiler (sql.id); every caller-supplied value is a bound
// parameter (sql.val). Callers choose among defined columns, operators and directions — they never
// contribute SQL text. Statement shapes that do not depend on the request are compiled once.
import { createHash } from 'node:crypto';
import {
  DummyDriver,
  Kysely,
  MysqlAdapter,
  MysqlIntrospector,
  MysqlQueryCompiler,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  sql,
  type RawBuilder,
} from 'kysely';
import type { AdapterDialect, ColumnDef, DataServiceBody } from '@jplink/contracts';
import { parseNamedSql, type NamedSql } from './named-sql.ts';
import { parseJsonValue, parseTextValue, ValueError } from './values.ts';

const compilers: Record<AdapterDialect, Kysely<any>> = {
  postgres: new Kysely<any>({
    dialect: { createAdapter: () => new PostgresAdapter(), createDriver: () => new DummyDriver(), createIntrospector: (db) => new PostgresIntrospector(db), createQueryCompiler: () => new PostgresQueryCompiler() },
  }),
  mysql: new Kysely<any>({
    dialect: { createAdapter: () => new MysqlAdapter(), createDriver: () => new DummyDriver(), createIntrospector: (db) => new MysqlIntrospector(db), createQueryCompiler: () => new MysqlQueryCompiler() },
  }),
};

export interface Statement {
  sql: string;
  params: unknown[];
  /** A name for a server-side prepared statement, when the text is fixed for the data service. */
  prepared?: string;
}

export function compile(dialect: AdapterDialect, builder: RawBuilder<unknown>): Statement {
  const compiled = builder.compile(compilers[dialect]);
  return { sql: compiled.sql, params: [...compiled.parameters] };
}

/** What the caller did wrong, with the parameter it concerns. */
export class InputError extends Error {
  readonly kind: 'filter' | 'key' | 'body' | 'parameter';
  readonly parameter: string | undefined;
  constructor(kind: 'filter' | 'key' | 'body' | 'parameter', message: string, parameter?: string) {
    super(message);
    this.kind = kind;
    this.parameter = parameter;
  }
}

export const FILTER_OPERATORS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'like', 'in', 'is'] as const;
type FilterOperator = (typeof FILTER_OPERATORS)[number];
const COMPARISON: Record<string, string> = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' };
const RESERVED = new Set(['select', 'order', 'limit', 'offset']);
const MAX_IN_VALUES = 100;
const MAX_FILTERS = 20;
const MAX_ORDER = 5;

export interface Plan {
  readonly subsystemCode: string;
  readonly def: DataServiceBody;
  readonly dialect: AdapterDialect;
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  readonly hasKey: boolean;
  readonly columns: ReadonlyMap<string, ColumnDef>;
  readonly namedSql: NamedSql | undefined;
  /** get by key with every column (the common case, compiled once). */
  readonly getAll: Statement | undefined;
}

export function methodOf(kind: DataServiceBody['kind'], readOnly: boolean): Plan['method'] {
  switch (kind) {
    case 'list':
    case 'get':
      return 'GET';
    case 'create':
      return 'POST';
    case 'update':
      return 'PATCH';
    case 'delete':
      return 'DELETE';
    case 'query':
      return readOnly ? 'GET' : 'POST';
  }
}

const tableId = (def: DataServiceBody) => (def.table!.schema ? sql.id(def.table!.schema, def.table!.name) : sql.id(def.table!.name));
const columnList = (names: readonly string[]) => sql.join(names.map((n) => sql.id(n)));

export function buildPlan(subsystemCode: string, def: DataServiceBody, dialect: AdapterDialect): Plan {
  const columns = new Map(def.columns.map((c) => [c.name, c]));
  const namedSql = def.kind === 'query' ? parseNamedSql(def.sql!, dialect) : undefined;
  const plan: Plan = {
    subsystemCode,
    def,
    dialect,
    method: methodOf(def.kind, def.readOnly),
    hasKey: def.kind === 'get' || def.kind === 'update' || def.kind === 'delete',
    columns,
    namedSql,
    getAll: undefined,
  };
  if (def.kind === 'get' && !def.personal) {
    const all = def.columns.map((c) => c.name);
    const statement = compile(dialect, sql`select ${columnList(all)} from ${tableId(def)} where ${sql.id(def.key!)} = ${sql.val('$key')}`);
    // Named by its text, so a changed definition can never reuse another statement's plan.
    (plan as { getAll: Statement }).getAll = { ...statement, prepared: `jpl_${createHash('sha256').update(statement.sql).digest('hex').slice(0, 24)}` };
  }
  return plan;
}

function keyValue(plan: Plan, key: string): unknown {
  const column = plan.columns.get(plan.def.key!);
  try {
    return parseTextValue(column?.type ?? 'string', key, plan.dialect);
  } catch (error) {
    throw new InputError('key', (error as Error).message);
  }
}

/** `select=a,b`: a subset of the allowed (and, for personal data, consented) columns. */
function selectedColumns(query: URLSearchParams, allowed: readonly string[]): string[] {
  const select = single(query, 'select');
  if (select === undefined) return [...allowed];
  const names = select.split(',');
  const out: string[] = [];
  for (const name of names) {
    if (!allowed.includes(name)) throw new InputError('filter', `"${short(name)}" is not a column of this data service`, 'select');
    if (!out.includes(name)) out.push(name);
  }
  if (out.length === 0) throw new InputError('filter', 'select names no column', 'select');
  return out;
}

function single(query: URLSearchParams, name: string): string | undefined {
  const all = query.getAll(name);
  if (all.length > 1) throw new InputError('filter', `"${name}" is given more than once`, name);
  return all[0];
}

function intParam(query: URLSearchParams, name: string, min: number, max: number): number | undefined {
  const text = single(query, name);
  if (text === undefined) return undefined;
  if (!/^\d{1,9}$/.test(text) || Number(text) < min || Number(text) > max) throw new InputError('filter', `${name} must be a whole number from ${min} to ${max}`, name);
  return Number(text);
}

/** Escapes LIKE wildcards with '!' (the same in PostgreSQL and MySQL); `*` is the caller's wildcard. */
function likePattern(value: string): string {
  return value.replace(/[!%_]/g, (c) => `!${c}`).replaceAll('*', '%');
}

function filterCondition(plan: Plan, name: string, expression: string, readable: readonly string[]): RawBuilder<unknown> {
  const column = plan.columns.get(name);
  // A filter on a column the caller may not read would reveal it: only readable columns filter.
  if (!column || !column.filterable || !readable.includes(name)) throw new InputError('filter', `"${short(name)}" is not a filterable column of this data service`, name);
  const dot = expression.indexOf('.');
  const op = (dot === -1 ? expression : expression.slice(0, dot)) as FilterOperator;
  const text = dot === -1 ? '' : expression.slice(dot + 1);
  if (!FILTER_OPERATORS.includes(op)) throw new InputError('filter', `"${short(expression)}" does not start with an operator (${FILTER_OPERATORS.join(', ')})`, name);
  if (dot === -1) throw new InputError('filter', `write ${name}=${op}.<value>`, name);
  const id = sql.id(name);
  const value = (t: string) => {
    try {
      return parseTextValue(column.type, t, plan.dialect);
    } catch (error) {
      throw new InputError('filter', `${name}: ${(error as Error).message}`, name);
    }
  };
  switch (op) {
    case 'is':
      if (text === 'null') return sql`${id} is null`;
      if (text === 'notnull') return sql`${id} is not null`;
      throw new InputError('filter', `${name}=is. takes null or notnull`, name);
    case 'like':
      if (column.type !== 'string') throw new InputError('filter', `${name}: like works on text columns only`, name);
      return sql`${id} like ${sql.val(likePattern(value(text) as string))} escape '!'`;
    case 'in': {
      const m = /^\((.*)\)$/s.exec(text);
      if (!m) throw new InputError('filter', `write ${name}=in.(a,b,c)`, name);
      const items = m[1] === '' ? [] : m[1]!.split(',');
      if (items.length === 0 || items.length > MAX_IN_VALUES) throw new InputError('filter', `${name}=in. takes 1 to ${MAX_IN_VALUES} values`, name);
      return sql`${id} in (${sql.join(items.map((t) => sql.val(value(t))))})`;
    }
    default:
      return sql`${id} ${sql.raw(COMPARISON[op]!)} ${sql.val(value(text))}`;
  }
}

export interface ListRequest {
  query: URLSearchParams;
  /** Columns the caller may read (all, or the consented ones for personal data). */
  readable: readonly string[];
  /** Personal data: only the resident's own rows. */
  ownerValue?: unknown;
}

export interface ListStatement extends Statement {
  columns: string[];
  limit: number;
  offset: number;
}

export function listStatement(plan: Plan, request: ListRequest): ListStatement {
  const { query } = request;
  const columns = selectedColumns(query, request.readable);
  const conditions: RawBuilder<unknown>[] = [];
  let filters = 0;
  for (const name of new Set(query.keys())) {
    if (RESERVED.has(name)) continue;
    for (const expression of query.getAll(name)) {
      if (++filters > MAX_FILTERS) throw new InputError('filter', `at most ${MAX_FILTERS} filters`);
      conditions.push(filterCondition(plan, name, expression, request.readable));
    }
  }
  if (request.ownerValue !== undefined) conditions.push(sql`${sql.id(plan.def.personal!.userIdColumn)} = ${sql.val(request.ownerValue)}`);
  const order: RawBuilder<unknown>[] = [];
  const orderText = single(query, 'order');
  if (orderText !== undefined) {
    const items = orderText.split(',');
    if (items.length > MAX_ORDER) throw new InputError('filter', `order takes at most ${MAX_ORDER} columns`, 'order');
    for (const item of items) {
      const m = /^([^.]+)(?:\.(asc|desc))?$/.exec(item);
      const column = m ? plan.columns.get(m[1]!) : undefined;
      if (!m || !column || !column.sortable || !request.readable.includes(column.name)) throw new InputError('filter', `"${short(item)}" is not a sortable column (write column.asc or column.desc)`, 'order');
      order.push(m[2] === 'desc' ? sql`${sql.id(column.name)} desc` : sql`${sql.id(column.name)} asc`);
    }
  } else if (plan.def.key) {
    order.push(sql`${sql.id(plan.def.key)} asc`); // stable pages
  }
  const limit = intParam(query, 'limit', 1, plan.def.maxRows) ?? plan.def.maxRows;
  const offset = intParam(query, 'offset', 0, 100_000_000) ?? 0;
  const where = conditions.length ? sql` where ${sql.join(conditions, sql` and `)}` : sql``;
  const orderBy = order.length ? sql` order by ${sql.join(order)}` : sql``;
  // One row more than asked for tells whether the result was cut. Limit and offset are integers we
  // parsed and range-checked ourselves (MySQL's prepared statements refuse some bound LIMIT types).
  const statement = compile(plan.dialect, sql`select ${columnList(columns)} from ${tableId(plan.def)}${where}${orderBy} limit ${sql.raw(String(limit + 1))} offset ${sql.raw(String(offset))}`);
  return { ...statement, columns, limit, offset };
}

export function getStatement(plan: Plan, key: string, readable: readonly string[], query: URLSearchParams, ownerValue?: unknown): Statement & { columns: string[] } {
  for (const name of query.keys()) if (name !== 'select') throw new InputError('filter', `"${short(name)}" is not a parameter of a get operation (only select)`, name);
  const columns = selectedColumns(query, readable);
  const value = keyValue(plan, key);
  if (plan.getAll && ownerValue === undefined && columns.length === plan.def.columns.length) return { sql: plan.getAll.sql, params: [value], columns, ...(plan.getAll.prepared ? { prepared: plan.getAll.prepared } : {}) };
  const owner = ownerValue !== undefined ? sql` and ${sql.id(plan.def.personal!.userIdColumn)} = ${sql.val(ownerValue)}` : sql``;
  return { ...compile(plan.dialect, sql`select ${columnList(columns)} from ${tableId(plan.def)} where ${sql.id(plan.def.key!)} = ${sql.val(value)}${owner}`), columns };
}

function bodyValues(plan: Plan, body: unknown, requireAll: boolean): Array<[string, unknown]> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new InputError('body', 'the body must be a JSON object');
  const entries: Array<[string, unknown]> = [];
  for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
    const column = plan.columns.get(name);
    if (!column || !column.writable) throw new InputError('body', `"${short(name)}" is not a writable column of this data service`, name);
    try {
      entries.push([name, parseJsonValue(column.type, value, plan.dialect)]);
    } catch (error) {
      throw new InputError('body', `${name}: ${(error as Error).message}`, name);
    }
  }
  if (entries.length === 0) throw new InputError('body', requireAll ? 'give at least one writable column' : 'give at least one column to change');
  return entries;
}

export function insertStatement(plan: Plan, body: unknown, returning: boolean): Statement {
  const entries = bodyValues(plan, body, true);
  const names = entries.map(([n]) => n);
  const ret = returning ? sql` returning ${columnList(plan.def.columns.map((c) => c.name))}` : sql``;
  return compile(plan.dialect, sql`insert into ${tableId(plan.def)} (${columnList(names)}) values (${sql.join(entries.map(([, v]) => sql.val(v)))})${ret}`);
}

export function updateStatement(plan: Plan, key: string, body: unknown, returning: boolean): Statement {
  const entries = bodyValues(plan, body, false);
  const ret = returning ? sql` returning ${columnList(plan.def.columns.map((c) => c.name))}` : sql``;
  const sets = sql.join(entries.map(([n, v]) => sql`${sql.id(n)} = ${sql.val(v)}`));
  return compile(plan.dialect, sql`update ${tableId(plan.def)} set ${sets} where ${sql.id(plan.def.key!)} = ${sql.val(keyValue(plan, key))}${ret}`);
}

export function deleteStatement(plan: Plan, key: string): Statement {
  return compile(plan.dialect, sql`delete from ${tableId(plan.def)} where ${sql.id(plan.def.key!)} = ${sql.val(keyValue(plan, key))}`);
}

/** Named query: the declared parameters from the query string (GET) or JSON body (POST). */
export function namedQueryStatement(plan: Plan, input: { query: URLSearchParams; body: unknown }): Statement {
  const declared = new Map(plan.def.parameters.map((p) => [p.name, p]));
  const values = new Map<string, unknown>();
  if (plan.method === 'GET') {
    for (const name of new Set(input.query.keys())) {
      const p = declared.get(name);
      if (!p) throw new InputError('parameter', `"${short(name)}" is not a parameter of this query`, name);
      const all = input.query.getAll(name);
      if (all.length > 1) throw new InputError('parameter', `"${short(name)}" is given more than once`, name);
      const text = all[0]!;
      try {
        values.set(name, parseTextValue(p.type, text, plan.dialect));
      } catch (error) {
        throw new InputError('parameter', `${name}: ${(error as Error).message}`, name);
      }
    }
  } else {
    if ([...input.query.keys()].length) throw new InputError('parameter', 'send the parameters in the JSON body');
    const body = input.body ?? {};
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new InputError('body', 'the body must be a JSON object');
    for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
      const p = declared.get(name);
      if (!p) throw new InputError('parameter', `"${short(name)}" is not a parameter of this query`, name);
      if (value === null) continue;
      try {
        values.set(name, parseJsonValue(p.type, value, plan.dialect));
      } catch (error) {
        throw new InputError('parameter', `${name}: ${(error as Error).message}`, name);
      }
    }
  }
  for (const p of plan.def.parameters) {
    if (p.required && !values.has(p.name)) throw new InputError('parameter', `${p.name} is required`, p.name);
  }
  const named = plan.namedSql!;
  const parts: RawBuilder<unknown>[] = [sql.raw(named.fragments[0]!)];
  named.slots.forEach((name, i) => {
    parts.push(sql.val(values.has(name) ? values.get(name) : null), sql.raw(named.fragments[i + 1]!));
  });
  return compile(plan.dialect, sql.join(parts, sql``));
}

function short(text: string) {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

export { ValueError };
