// Tables, views and columns of a target database (information_schema), with each column's type
// mapped to a data-service column type. Used by the admin UI/API and to check definitions on save.
import type { ColumnType } from '@jplink/contracts';
import type { Target } from './target.ts';

export interface TableInfo {
  schema: string;
  name: string;
  kind: 'table' | 'view';
}
export interface ColumnInfo {
  name: string;
  dbType: string;
  type: ColumnType;
  nullable: boolean;
  primaryKey: boolean;
}

const HIDDEN_PG_SCHEMAS = ['pg_catalog', 'information_schema'];

export async function listTables(target: Target): Promise<TableInfo[]> {
  const pg = target.settings.dialect === 'postgres';
  const sqlText = pg
    ? `select table_schema as s, table_name as n, table_type as t from information_schema.tables where table_schema <> all($1::text[]) and table_schema not like 'pg\\_toast%' order by 1, 2 limit 5000`
    : `select table_schema as s, table_name as n, table_type as t from information_schema.tables where table_schema = database() order by 1, 2 limit 5000`;
  const result = await target.run('read', target.settings.statementTimeoutMs, sqlText, pg ? [HIDDEN_PG_SCHEMAS] : []);
  return result.rows.map((r) => ({ schema: String(r.s), name: String(r.n), kind: String(r.t).toUpperCase().includes('VIEW') ? 'view' : 'table' }));
}

export async function describeTable(target: Target, schema: string | undefined, name: string): Promise<(TableInfo & { columns: ColumnInfo[] }) | undefined> {
  const pg = target.settings.dialect === 'postgres';
  const timeout = target.settings.statementTimeoutMs;
  if (pg) {
    const owner = schema ?? 'public';
    const table = await target.run('read', timeout, `select table_type as t from information_schema.tables where table_schema = $1 and table_name = $2`, [owner, name]);
    if (table.rows.length === 0) return undefined;
    const columns = await target.run(
      'read',
      timeout,
      `select c.column_name as n, c.data_type as d, c.udt_name as u, c.is_nullable as nl,
              exists (select 1 from information_schema.table_constraints tc join information_schema.key_column_usage k
                        on k.constraint_name = tc.constraint_name and k.table_schema = tc.table_schema and k.table_name = tc.table_name
                       where tc.constraint_type = 'PRIMARY KEY' and tc.table_schema = c.table_schema and tc.table_name = c.table_name and k.column_name = c.column_name) as pk
         from information_schema.columns c where c.table_schema = $1 and c.table_name = $2 order by c.ordinal_position`,
      [owner, name],
    );
    return {
      schema: owner,
      name,
      kind: String(table.rows[0]!.t).includes('VIEW') ? 'view' : 'table',
      columns: columns.rows.map((r) => ({ name: String(r.n), dbType: String(r.d), type: pgType(String(r.u)), nullable: r.nl === 'YES', primaryKey: r.pk === true })),
    };
  }
  const table = await target.run('read', timeout, `select table_schema as s, table_type as t from information_schema.tables where table_schema = coalesce(?, database()) and table_name = ?`, [schema ?? null, name]);
  if (table.rows.length === 0) return undefined;
  const owner = String(table.rows[0]!.s);
  const columns = await target.run(
    'read',
    timeout,
    `select column_name as n, data_type as d, column_type as ct, is_nullable as nl, column_key as k from information_schema.columns where table_schema = ? and table_name = ? order by ordinal_position`,
    [owner, name],
  );
  return {
    schema: owner,
    name,
    kind: String(table.rows[0]!.t).includes('VIEW') ? 'view' : 'table',
    columns: columns.rows.map((r) => ({ name: String(r.n), dbType: String(r.ct), type: mysqlType(String(r.d).toLowerCase(), String(r.ct).toLowerCase()), nullable: r.nl === 'YES', primaryKey: r.k === 'PRI' })),
  };
}

function pgType(udt: string): ColumnType {
  if (['int2', 'int4', 'int8'].includes(udt)) return 'integer';
  if (['numeric', 'float4', 'float8', 'money'].includes(udt)) return 'number';
  if (udt === 'bool') return 'boolean';
  if (udt === 'date') return 'date';
  if (udt === 'timestamp' || udt === 'timestamptz') return 'timestamp';
  if (udt === 'json' || udt === 'jsonb') return 'json';
  return 'string';
}

function mysqlType(dataType: string, columnType: string): ColumnType {
  if (columnType.startsWith('tinyint(1)')) return 'boolean';
  if (['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint', 'year'].includes(dataType)) return 'integer';
  if (['decimal', 'numeric', 'float', 'double', 'real'].includes(dataType)) return 'number';
  if (dataType === 'date') return 'date';
  if (dataType === 'datetime' || dataType === 'timestamp') return 'timestamp';
  if (dataType === 'json') return 'json';
  return 'string';
}
