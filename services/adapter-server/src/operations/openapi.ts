// The OpenAPI 3.0 document of one Sub System Code: each Data Service is one operation, so the
// Security Server registers the document as a service whose endpoints are the unit of access
// rights (and answers getOpenAPI / allowedMethods from it).
import type { Plan } from './plan.ts';
import { FILTER_OPERATORS } from './plan.ts';
import { jsonSchemaOf } from './values.ts';

const ERROR = { $ref: '#/components/responses/Error' };

export function subsystemOpenApi(subsystem: { code: string; title: string; description: string }, plans: readonly Plan[], serverUrl: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const plan of plans) {
    if (!plan.def.enabled) continue;
    const def = plan.def;
    const path = plan.hasKey ? `/${def.name}/{key}` : `/${def.name}`;
    const rowSchema = {
      type: 'object',
      properties: Object.fromEntries(def.columns.map((c) => [c.name, jsonSchemaOf(c.type)])),
    };
    const parameters: unknown[] = [];
    if (plan.hasKey) {
      const keyType = plan.columns.get(def.key!)?.type ?? 'string';
      parameters.push({ name: 'key', in: 'path', required: true, schema: { ...jsonSchemaOf(keyType, false), ...(keyType === 'integer' ? { type: 'string', pattern: '^[+-]?\\d{1,19}$' } : {}) }, description: `${def.key}` });
    }
    if (def.personal) {
      parameters.push(
        { name: 'X-JPLink-Base-Id', in: 'header', required: true, schema: { type: 'string' }, description: 'The resident’s BaseID (Personal-Link).' },
        { name: 'X-JPLink-Purpose', in: 'header', required: true, schema: { type: 'string' }, description: 'The purpose the resident consented to.' },
      );
    }
    if (def.kind === 'list' || def.kind === 'get') {
      parameters.push({ name: 'select', in: 'query', required: false, schema: { type: 'string' }, description: `Comma-separated columns: ${def.columns.map((c) => c.name).join(', ')}` });
    }
    if (def.kind === 'list') {
      for (const c of def.columns.filter((c) => c.filterable)) {
        parameters.push({ name: c.name, in: 'query', required: false, schema: { type: 'string' }, description: `Filter: ${FILTER_OPERATORS.join('|')}.<value> (e.g. ${c.name}=eq.1, ${c.name}=in.(1,2), ${c.name}=is.null)` });
      }
      const sortable = def.columns.filter((c) => c.sortable).map((c) => c.name);
      if (sortable.length) parameters.push({ name: 'order', in: 'query', required: false, schema: { type: 'string' }, description: `column.asc|column.desc, comma-separated; columns: ${sortable.join(', ')}` });
      parameters.push(
        { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: def.maxRows } },
        { name: 'offset', in: 'query', required: false, schema: { type: 'integer', minimum: 0 } },
      );
    }
    if (def.kind === 'query' && plan.method === 'GET') {
      for (const p of def.parameters) parameters.push({ name: p.name, in: 'query', required: p.required, schema: jsonSchemaOf(p.type, false), description: p.description });
    }
    const writable = def.columns.filter((c) => c.writable);
    const requestBody =
      def.kind === 'create' || def.kind === 'update'
        ? { required: true, content: { 'application/json': { schema: { type: 'object', additionalProperties: false, properties: Object.fromEntries(writable.map((c) => [c.name, jsonSchemaOf(c.type)])) } } } }
        : def.kind === 'query' && plan.method === 'POST'
          ? { required: true, content: { 'application/json': { schema: { type: 'object', additionalProperties: false, required: def.parameters.filter((p) => p.required).map((p) => p.name), properties: Object.fromEntries(def.parameters.map((p) => [p.name, jsonSchemaOf(p.type)])) } } } }
          : undefined;
    const rows = { type: 'object', required: ['rows', 'truncated', 'nextOffset'], properties: { rows: { type: 'array', items: def.kind === 'query' ? { type: 'object' } : rowSchema }, truncated: { type: 'boolean' }, nextOffset: { type: 'integer', nullable: true } } };
    const ok =
      def.kind === 'delete'
        ? { '204': { description: 'Deleted.' } }
        : def.kind === 'list' || (def.kind === 'query' && def.readOnly)
          ? { '200': { description: `At most ${def.maxRows} rows; truncated tells whether more exist.`, content: { 'application/json': { schema: rows } } } }
          : def.kind === 'query'
            ? { '200': { description: 'Rows changed.', content: { 'application/json': { schema: { type: 'object', properties: { affected: { type: 'integer' } } } } } } }
            : { [def.kind === 'create' ? '201' : '200']: { description: 'The row.', content: { 'application/json': { schema: rowSchema } } } };
    paths[path] = {
      ...(paths[path] ?? {}),
      [plan.method.toLowerCase()]: {
        operationId: def.name,
        summary: def.title,
        ...(def.description ? { description: def.description } : {}),
        ...(def.personal ? { 'x-jplink-personal': true } : {}),
        parameters,
        ...(requestBody ? { requestBody } : {}),
        responses: { ...ok, '400': ERROR, '403': ERROR, '404': ERROR, '409': ERROR, '500': ERROR, '502': ERROR, '503': ERROR, '504': ERROR },
      },
    };
  }
  return {
    openapi: '3.0.3',
    info: { title: subsystem.title, version: '1', description: subsystem.description || `Data services of ${subsystem.code}` },
    servers: [{ url: `${serverUrl.replace(/\/+$/, '')}/${encodeURIComponent(subsystem.code)}` }],
    paths,
    components: {
      responses: {
        Error: {
          description: 'An error (docs/errors.md ## ADAPTER).',
          content: { 'application/json': { schema: { type: 'object', required: ['error'], properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' }, requestId: { type: 'string' }, detail: {} } } } } } },
        },
      },
    },
  };
}
