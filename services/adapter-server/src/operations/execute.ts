// Runs one data-service call: plan → statement → target → JSON answer, with the guards: read-only
// sessions for reads, the service's statement timeout, the row cap (one extra row tells whether
// the result was cut) and the response size cap.
import { AppError } from '@jplink/kit';
import type { Target, Row } from '../targets/target.ts';
import { ADAPTER_ERRORS as E } from '../errors.ts';
import {
  deleteStatement,
  getStatement,
  insertStatement,
  InputError,
  listStatement,
  namedQueryStatement,
  updateStatement,
  type Plan,
} from './plan.ts';
import { outputValue } from './values.ts';

export interface CallInput {
  key: string | undefined;
  query: URLSearchParams;
  body: unknown;
  /** Personal data: the resident's own user id and the consented columns. */
  personal?: { localUserId: string; readable: string[] };
}

export interface CallAnswer {
  status: number;
  /** JSON text (already serialised and size-checked), or null for 204. */
  json: string | null;
  rows: number;
  truncated: boolean;
}

const INPUT_ERROR = { filter: E.ADAPTER_FILTER_INVALID, key: E.ADAPTER_KEY_INVALID, body: E.ADAPTER_BODY_INVALID, parameter: E.ADAPTER_PARAMETER_INVALID } as const;

export function inputError(error: InputError): AppError {
  return new AppError(INPUT_ERROR[error.kind], { message: error.message, detail: error.parameter ? { parameter: error.parameter } : undefined });
}

function shape(plan: Plan, rows: Row[], columns: readonly string[]) {
  return rows.map((row) => {
    const out: Record<string, unknown> = {};
    for (const name of columns) out[name] = outputValue(plan.columns.get(name)?.type ?? 'string', row[name]);
    return out;
  });
}

function serialise(plan: Plan, value: unknown): string {
  const json = JSON.stringify(value);
  if (Buffer.byteLength(json) > plan.def.maxResponseBytes) {
    throw new AppError(E.ADAPTER_RESPONSE_TOO_LARGE, { detail: { maxResponseBytes: plan.def.maxResponseBytes } });
  }
  return json;
}

export async function executeCall(plan: Plan, target: Target, input: CallInput): Promise<CallAnswer> {
  try {
    return await run(plan, target, input);
  } catch (error) {
    if (error instanceof InputError) throw inputError(error);
    throw error;
  }
}

/**
 * A value the database refused (type, range or length: ADAPTER_PARAMETER_INVALID from the target)
 * is reported where the caller gave it, when only one place can hold it.
 */
async function refusedValue<T>(where: 'filter' | 'key' | 'body', work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof AppError && error.code === E.ADAPTER_PARAMETER_INVALID.code) throw new AppError(INPUT_ERROR[where], { cause: error.cause, detail: error.detail });
    throw error;
  }
}

async function run(plan: Plan, target: Target, input: CallInput): Promise<CallAnswer> {
  const def = plan.def;
  const timeout = def.timeoutMs ?? target.settings.statementTimeoutMs;
  const allColumns = def.columns.map((c) => c.name);
  const readable = input.personal?.readable ?? allColumns;
  const owner = input.personal?.localUserId;
  switch (def.kind) {
    case 'list': {
      const statement = listStatement(plan, { query: input.query, readable, ...(owner !== undefined ? { ownerValue: owner } : {}) });
      const result = await refusedValue('filter', target.run('read', timeout, statement.sql, statement.params));
      const truncated = result.rows.length > statement.limit;
      const rows = truncated ? result.rows.slice(0, statement.limit) : result.rows;
      const json = serialise(plan, { rows: shape(plan, rows, statement.columns), truncated, nextOffset: truncated ? statement.offset + statement.limit : null });
      return { status: 200, json, rows: rows.length, truncated };
    }
    case 'get': {
      const statement = getStatement(plan, input.key!, readable, input.query, owner);
      const result = await refusedValue('key', target.run('read', timeout, statement.sql, statement.params, statement.prepared ? { prepared: statement.prepared } : {}));
      const row = result.rows[0];
      if (!row) throw new AppError(E.ADAPTER_ROW_NOT_FOUND);
      return { status: 200, json: serialise(plan, shape(plan, [row], statement.columns)[0]), rows: 1, truncated: false };
    }
    case 'create': {
      const returning = (await target.flavor()) !== 'mysql';
      const statement = insertStatement(plan, input.body, returning);
      const result = await refusedValue('body', target.run('write', timeout, statement.sql, statement.params));
      const body = returning && result.rows[0] ? shape(plan, [result.rows[0]], allColumns)[0] : { affected: result.affected };
      return { status: 201, json: serialise(plan, body), rows: result.affected, truncated: false };
    }
    case 'update': {
      // PostgreSQL returns the changed row; MySQL/MariaDB read it back in the same transaction.
      const returning = target.settings.dialect === 'postgres';
      const statement = updateStatement(plan, input.key!, input.body, returning);
      const row = await target.transaction('write', timeout, async (session) => {
        const result = await session.run(statement.sql, statement.params);
        if (result.affected === 0 && result.rows.length === 0) return undefined;
        if (returning) return result.rows[0];
        const read = getStatement(plan, input.key!, allColumns, new URLSearchParams());
        return (await session.run(read.sql, read.params)).rows[0];
      });
      if (!row) throw new AppError(E.ADAPTER_ROW_NOT_FOUND);
      return { status: 200, json: serialise(plan, shape(plan, [row], allColumns)[0]), rows: 1, truncated: false };
    }
    case 'delete': {
      const statement = deleteStatement(plan, input.key!);
      const result = await refusedValue('key', target.run('write', timeout, statement.sql, statement.params));
      if (result.affected === 0) throw new AppError(E.ADAPTER_ROW_NOT_FOUND);
      return { status: 204, json: null, rows: result.affected, truncated: false };
    }
    case 'query': {
      const statement = namedQueryStatement(plan, { query: input.query, body: input.body });
      if (def.readOnly) {
        const result = await target.run('read', timeout, statement.sql, statement.params, { maxRows: def.maxRows });
        const columns = result.rows[0] ? Object.keys(result.rows[0]) : [];
        const rows = result.rows.map((row) => {
          const out: Record<string, unknown> = {};
          for (const name of columns) out[name] = untypedValue(row[name]);
          return out;
        });
        return { status: 200, json: serialise(plan, { rows, truncated: result.truncated, nextOffset: null }), rows: rows.length, truncated: result.truncated };
      }
      const result = await target.transaction('write', timeout, (session) => session.run(statement.sql, statement.params, { maxRows: def.maxRows }));
      return { status: 200, json: serialise(plan, { affected: result.affected }), rows: result.affected, truncated: false };
    }
  }
}

/** Result columns of a named query have no declared types: dates become ISO text, bytes base64, the rest as read. */
function untypedValue(value: unknown) {
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (typeof value === 'bigint') return value.toString();
  return value ?? null;
}
