// The Adapter Server's admin API and definitions: database connections, Sub System Codes (data-service
// categories) and Data Services (named operations), plus the consent reflection written by
// Personal-Link. docs/operations/adapter-server.md and docs/protocols/consent-reflection.md explain them.
import { z } from 'zod';
import { serviceCode, subsystemIdText } from './identifiers.ts';

/** Names we choose (connections, data services): lower-case, URL-safe, one path segment. */
export const adapterName = z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'lower-case letters, digits and "-", starting with a letter (max 63)');
/** A database identifier as written in the database (quoted when used; never part of SQL text otherwise). */
export const dbIdentifier = z
  .string()
  .min(1)
  .max(63)
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'no control characters');

export const adapterDialect = z.enum(['postgres', 'mysql']);
export type AdapterDialect = z.infer<typeof adapterDialect>;

export const connectionBody = z.object({
  name: adapterName,
  dialect: adapterDialect,
  host: z.string().min(1).max(255).regex(/^[A-Za-z0-9.\-:[\]_]+$/, 'a host name or IP address'),
  /** Default: 5432 (postgres), 3306 (mysql/MariaDB). */
  port: z.int().min(1).max(65535).optional(),
  database: z.string().min(1).max(128),
  username: z.string().min(1).max(128),
  /** Write-only: stored encrypted, never returned. Omit on update to keep the stored one. */
  password: z.string().max(1024).optional(),
  /** TLS to the database: off, required (no verification), or verified against the system CAs. */
  tls: z.enum(['disable', 'require', 'verify-full']).default('disable'),
  /** Connections per pool (a read pool and a write pool per statement timeout). */
  poolMax: z.int().min(1).max(100).default(10),
  /** Statement timeout for data services that do not set their own (milliseconds). */
  statementTimeoutMs: z.int().min(100).max(600_000).default(5000),
});
export type ConnectionBody = z.infer<typeof connectionBody>;

export const connectionView = connectionBody.omit({ password: true }).extend({
  port: z.int(),
  hasPassword: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type ConnectionView = z.infer<typeof connectionView>;

export const connectionTestResult = z.object({ ok: z.boolean(), serverVersion: z.string().nullable(), flavor: z.enum(['postgres', 'mysql', 'mariadb']).nullable(), error: z.string().nullable(), latencyMs: z.number() });

export const tableRef = z.object({ schema: dbIdentifier.optional(), name: dbIdentifier });
export const tableSummary = z.object({ schema: z.string(), name: z.string(), kind: z.enum(['table', 'view']) });
export const columnType = z.enum(['string', 'integer', 'number', 'boolean', 'date', 'timestamp', 'json']);
export type ColumnType = z.infer<typeof columnType>;
export const tableColumn = z.object({ name: z.string(), dbType: z.string(), type: columnType, nullable: z.boolean(), primaryKey: z.boolean() });
export const tableDetail = tableSummary.extend({ columns: z.array(tableColumn) });

/** Sub System Code: a data-service category, published as one service on the Security Server. */
export const adapterSubsystemBody = z.object({
  code: serviceCode,
  title: z.string().min(1).max(200),
  description: z.string().max(2000).default(''),
});
export const adapterSubsystemView = adapterSubsystemBody.extend({ services: z.int(), createdAt: z.string() });

export const operationKind = z.enum(['list', 'get', 'create', 'update', 'delete', 'query']);
export type OperationKind = z.infer<typeof operationKind>;

export const columnDef = z.object({
  name: dbIdentifier,
  type: columnType,
  /** May appear in filters (list). */
  filterable: z.boolean().default(false),
  /** May appear in `order` (list). */
  sortable: z.boolean().default(false),
  /** May be written (create, update). */
  writable: z.boolean().default(false),
});
export type ColumnDef = z.infer<typeof columnDef>;

export const parameterName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]{0,62}$/);
export const queryParameter = z.object({
  name: parameterName,
  type: columnType.exclude(['json']),
  required: z.boolean().default(true),
  description: z.string().max(500).default(''),
});
export type QueryParameter = z.infer<typeof queryParameter>;

export const personalDef = z.object({
  /** The column holding this member's own user id of the resident (from the ID conversion table). */
  userIdColumn: dbIdentifier,
});

/** A Data Service: one named operation. Table operations name a table or view; queries carry SQL. */
export const dataServiceBody = z
  .object({
    name: adapterName,
    title: z.string().min(1).max(200),
    description: z.string().max(2000).default(''),
    kind: operationKind,
    connection: adapterName,
    table: tableRef.optional(),
    /** Key column (get, update, delete). */
    key: dbIdentifier.optional(),
    /** Allow-list of the columns read or written; nothing else is ever selected or written. */
    columns: z.array(columnDef).max(200).default([]),
    /** Named query: one SQL statement with `:name` placeholders (values always bound). */
    sql: z.string().min(1).max(20_000).optional(),
    parameters: z.array(queryParameter).max(50).default([]),
    /** A query runs in a read-only transaction unless declared otherwise. */
    readOnly: z.boolean().default(true),
    /** At most this many rows are returned (truncation is signalled). */
    maxRows: z.int().min(1).max(100_000).default(1000),
    maxResponseBytes: z.int().min(1024).max(256 * 1024 * 1024).default(10 * 1024 * 1024),
    /** Statement timeout (ms); default: the connection's. */
    timeoutMs: z.int().min(100).max(600_000).optional(),
    personal: personalDef.optional(),
    enabled: z.boolean().default(true),
  })
  .superRefine((s, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (s.kind === 'query') {
      if (!s.sql) issue('sql', 'a query needs its SQL');
      if (s.table) issue('table', 'a query has no table');
      if (s.personal) issue('personal', 'personal data services are table operations (list or get)');
      const names = new Set<string>();
      for (const p of s.parameters) {
        if (names.has(p.name)) issue('parameters', `parameter "${p.name}" is declared twice`);
        names.add(p.name);
      }
      return;
    }
    if (!s.table) issue('table', 'a table operation needs a table or view');
    if (s.sql) issue('sql', 'only queries carry SQL');
    if (s.kind !== 'delete' && s.columns.length === 0) issue('columns', 'name at least one column');
    if ((s.kind === 'get' || s.kind === 'update' || s.kind === 'delete') && !s.key) issue('key', `${s.kind} needs a key column`);
    const seen = new Set<string>();
    for (const c of s.columns) {
      if (seen.has(c.name)) issue('columns', `column "${c.name}" is listed twice`);
      seen.add(c.name);
    }
    if ((s.kind === 'create' || s.kind === 'update') && !s.columns.some((c) => c.writable)) issue('columns', `${s.kind} needs at least one writable column`);
    if (s.personal && s.kind !== 'list' && s.kind !== 'get') issue('personal', 'only list and get operations can be personal');
  });
export type DataServiceBody = z.infer<typeof dataServiceBody>;
export type DataServiceInput = z.input<typeof dataServiceBody>;

export const dataServiceView = z.object({ subsystemCode: z.string(), definition: z.record(z.string(), z.unknown()), path: z.string(), method: z.string(), createdAt: z.string(), updatedAt: z.string() });

export const previewBody = z.object({
  /** Path key (get), query-string text (list, query: `a=eq.1&limit=5`). */
  key: z.string().max(1000).optional(),
  query: z.string().max(4000).default(''),
});

export const publishBody = z.object({
  /** The X-Road subsystem on the Security Server that provides the service. Default: ADAPTER_PROVIDER_SUBSYSTEM. */
  provider: subsystemIdText.optional(),
  /** Also grant this client subsystem access to every endpoint. */
  grantTo: subsystemIdText.optional(),
});
export const publishResult = z.object({ provider: z.string(), serviceCode: z.string(), url: z.string(), endpoints: z.int(), granted: z.string().nullable() });

/** BaseID ↔ this member's user id (ID conversion table, own rows only). */
export const baseId = z.string().regex(/^[A-Za-z0-9._~-]{8,128}$/, 'a BaseID (8–128 URL-safe characters)');
export const idConversionBody = z.object({ localUserId: z.string().min(1).max(200) });
export const idConversionView = z.object({ baseId: z.string(), localUserId: z.string(), updatedAt: z.string() });

/**
 * A consent as Personal-Link reflects it to the data provider (docs/protocols/consent-reflection.md):
 * which client subsystem may read which data items of which Sub System, for which purpose, until when.
 */
export const consentReflection = z.object({
  baseId,
  /** The data consumer (X-Road client subsystem). */
  client: subsystemIdText,
  /** The provider's Sub System Code (data-service category). */
  subsystemCode: serviceCode,
  /** Data items = column names of the provider's data services. */
  dataItems: z.array(dbIdentifier).min(1).max(200),
  purpose: z.string().min(1).max(200),
  validFrom: z.iso.datetime({ offset: true }),
  validUntil: z.iso.datetime({ offset: true }),
  status: z.enum(['active', 'withdrawn']),
  /** Increases with each change of this consent at Personal-Link; older versions are refused. */
  version: z.int().min(1),
});
export type ConsentReflection = z.infer<typeof consentReflection>;
export const consentId = z.string().regex(/^[A-Za-z0-9._~-]{1,128}$/);
export const consentView = consentReflection.extend({ consentId: z.string(), updatedAt: z.string() });

/** Body of a list or query response. */
export const rowsResponse = z.object({
  rows: z.array(z.record(z.string(), z.unknown())),
  /** More rows exist than were returned (at `nextOffset` for lists). */
  truncated: z.boolean(),
  nextOffset: z.int().nullable(),
});
