// データサービス: create one in two steps (connection and table, then the definition with a row per
// column), see its definition, preview it (reads only) and delete it.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '@jplink/kit';
import { columnType, dataServiceBody, operationKind, type DataServiceInput } from '@jplink/contracts';
import { attrs, button, codeBlock, definitionList, emptyState, flashMessage, form, formField, html, linkButton, table, translator, uiMessages, type Flash, type HtmlValue, type Locale, type SafeHtml } from '@jplink/ui';
import { PREVIEW_ROWS, type AdapterServerCore } from '../core.ts';
import { kindLabel } from './subsystems.ts';
import { attempt, cellText, doneFlash, doneUrl, errorText, fieldErrors, formBody, optionalNumber, problemsOf, text, tr, UI_ACTOR, urls, values, type FormBody, type T, type UiContext } from './shared.ts';

type TableDetail = Awaited<ReturnType<AdapterServerCore['table']>>;
type Param = { name: string; type: string; required: boolean };
type Values = {
  name: string;
  title: string;
  description: string;
  kind: string;
  key: string;
  include: string[];
  filterable: string[];
  sortable: string[];
  writable: string[];
  maxRows: string;
  timeoutMs: string;
  personal: boolean;
  userIdColumn: string;
  sql: string;
  readOnly: boolean;
  params: Param[];
};

/** Blank parameter rows offered below the declared ones (a query rarely needs more). */
const BLANK_PARAMS = 3;
const MAX_PARAMS = 50;
const PARAM_TYPES = columnType.exclude(['json']).options;

function initialValues(table: TableDetail | undefined): Values {
  const pk = table?.columns.find((c) => c.primaryKey)?.name ?? '';
  return { name: '', title: '', description: '', kind: table ? 'list' : 'query', key: pk, include: [], filterable: [], sortable: [], writable: [], maxRows: '1000', timeoutMs: '', personal: false, userIdColumn: '', sql: '', readOnly: true, params: [] };
}

function valuesFrom(body: FormBody): Values {
  const params: Param[] = [];
  for (let i = 0; i < MAX_PARAMS + BLANK_PARAMS && body[`param.${i}.type`] !== undefined; i++) {
    params.push({ name: text(body, `param.${i}.name`).trim(), type: text(body, `param.${i}.type`), required: text(body, `param.${i}.required`) !== '' });
  }
  return {
    name: text(body, 'name').trim(),
    title: text(body, 'title').trim(),
    description: text(body, 'description').trim(),
    kind: text(body, 'kind'),
    key: text(body, 'key'),
    include: values(body, 'include'),
    filterable: values(body, 'filterable'),
    sortable: values(body, 'sortable'),
    writable: values(body, 'writable'),
    maxRows: text(body, 'maxRows'),
    timeoutMs: text(body, 'timeoutMs'),
    personal: text(body, 'personal') !== '',
    userIdColumn: text(body, 'userIdColumn'),
    sql: text(body, 'sql'),
    readOnly: text(body, 'readOnly') !== '',
    params,
  };
}

/** The definition the form describes; column types come from the database, never from the form. */
function toInput(v: Values, connection: string, table: TableDetail | undefined): DataServiceInput {
  const base = { name: v.name, title: v.title, description: v.description, kind: v.kind as DataServiceInput['kind'], connection, maxRows: optionalNumber(v.maxRows), timeoutMs: optionalNumber(v.timeoutMs) };
  if (v.kind === 'query') {
    return { ...base, sql: v.sql.trim() === '' ? undefined : v.sql, readOnly: v.readOnly, parameters: v.params.filter((p) => p.name !== '').map((p) => ({ name: p.name, type: p.type as 'string', required: p.required })) };
  }
  const has = (list: string[]) => new Set(list);
  const [include, filterable, sortable, writable] = [has(v.include), has(v.filterable), has(v.sortable), has(v.writable)];
  return {
    ...base,
    ...(table ? { table: { schema: table.schema, name: table.name } } : {}),
    key: v.key === '' ? undefined : v.key,
    columns: (table?.columns ?? [])
      .filter((c) => include.has(c.name))
      .map((c) => ({ name: c.name, type: c.type, filterable: filterable.has(c.name), sortable: sortable.has(c.name), writable: writable.has(c.name) })),
    personal: v.personal ? { userIdColumn: v.userIdColumn } : undefined,
  };
}

/** A refinement's English message → the form's text. */
function refinementText(t: T) {
  return (issue: { message: string }) => {
    const m = issue.message;
    if (/needs a key column/.test(m)) return t('needKey');
    if (/writable column/.test(m)) return t('needWritable');
    if (/at least one column/.test(m)) return t('needColumns');
    if (/needs its SQL/.test(m)) return t('needSql');
    if (/table or view/.test(m)) return t('needTable');
    if (/personal/.test(m)) return t('personalOnlyListGet');
    if (/declared twice/.test(m)) return t('parameterTwice');
    return undefined;
  };
}

const checkbox = (name: string, value: string, checked: boolean, label: string) => html`<input${attrs({ type: 'checkbox', name, value, checked, 'aria-label': label })}>`;

function serviceForm(locale: Locale, csrfToken: string, opts: { action: string; connection: string; tableParam: string; table: TableDetail | undefined; values: Values; errors: Record<string, string> }): SafeHtml {
  const t = tr(locale);
  const ui = translator(uiMessages, locale);
  const { values: v, errors: e, table: tb } = opts;
  const columns = tb?.columns ?? [];
  const kinds = tb ? operationKind.options : (['query'] as const);
  const columnOptions = [{ value: '', label: t('noneOption') }, ...columns.map((c) => ({ value: c.name, label: c.name }))];
  const on = (list: string[], name: string) => list.includes(name);

  const columnSection = tb
    ? html`<h3>${t('columnSettings')}</h3>
<p class="field-help">${t('columnSettingsHelp')}</p>
${e.columns ? html`<p class="field-error" role="alert">${e.columns}</p>` : ''}
${table({
  caption: `${tb.schema}.${tb.name}`,
  id: 'service-columns',
  columns: [t('colName'), t('include'), t('filterable'), t('sortable'), t('writable')],
  rows: columns.map((c) => [
    // The type under the name keeps the table narrow enough for the form column (and a phone).
    html`<strong>${c.name}</strong><br><small>${c.primaryKey ? t('withNote', { text: `${c.dbType} → ${c.type}`, note: t('colPrimaryKey') }) : `${c.dbType} → ${c.type}`}</small>`,
    checkbox('include', c.name, on(v.include, c.name), `${t('include')}: ${c.name}`),
    checkbox('filterable', c.name, on(v.filterable, c.name), `${t('filterable')}: ${c.name}`),
    checkbox('sortable', c.name, on(v.sortable, c.name), `${t('sortable')}: ${c.name}`),
    checkbox('writable', c.name, on(v.writable, c.name), `${t('writable')}: ${c.name}`),
  ]),
})}
${formField({ locale, name: 'key', type: 'select', label: t('keyColumn'), help: t('keyHelp'), value: v.key, options: columnOptions, error: e.key })}
${formField({ locale, name: 'personal', type: 'checkbox', label: t('personal'), checked: v.personal, error: e.personal })}
${formField({ locale, name: 'userIdColumn', type: 'select', label: t('userIdColumn'), help: t('userIdColumnHelp'), value: v.userIdColumn, options: columnOptions })}`
    : '';

  const paramRows = [...v.params, ...Array.from({ length: BLANK_PARAMS }, () => ({ name: '', type: 'string', required: true }))].slice(0, MAX_PARAMS + BLANK_PARAMS);
  const querySection = html`<h3>${t('querySection')}</h3>
${tb ? html`<p class="field-help">${t('querySectionHelp')}</p>` : ''}
${formField({ locale, name: 'sql', type: 'textarea', rows: 6, label: t('sql'), help: t('sqlHelp'), value: v.sql, error: e.sql, maxlength: 20000 })}
${formField({ locale, name: 'readOnly', type: 'checkbox', label: t('readOnly'), checked: v.readOnly })}
${e.parameters ? html`<p class="field-error" role="alert">${e.parameters}</p>` : ''}
${table({
  caption: t('parameters'),
  id: 'service-parameters',
  columns: [t('paramName'), t('paramType'), t('paramRequired')],
  rows: paramRows.map((p, i) => [
    html`<input${attrs({ type: 'text', name: `param.${i}.name`, value: p.name, 'aria-label': `${t('parameters')} ${i + 1}: ${t('paramName')}`, 'aria-invalid': e[`parameters.${i}.name`] ? 'true' : undefined, autocomplete: 'off' })}>`,
    html`<select${attrs({ name: `param.${i}.type`, 'aria-label': `${t('parameters')} ${i + 1}: ${t('paramType')}` })}>${PARAM_TYPES.map((ty) => html`<option${attrs({ value: ty, selected: ty === p.type })}>${ty}</option>`)}</select>`,
    checkbox(`param.${i}.required`, 'on', p.required, `${t('parameters')} ${i + 1}: ${t('paramRequired')}`),
  ]),
})}`;

  return form({
    action: opts.action,
    csrfToken,
    id: 'service-form',
    body: html`<input type="hidden" name="connection" value="${opts.connection}"><input type="hidden" name="table" value="${opts.tableParam}">
${formField({ locale, name: 'name', label: t('serviceName'), value: v.name, required: true, help: t('serviceNameHelp'), error: e.name, maxlength: 63, autocomplete: 'off' })}
${formField({ locale, name: 'title', label: t('title'), value: v.title, required: true, error: e.title, maxlength: 200 })}
${formField({ locale, name: 'description', type: 'textarea', rows: 2, label: t('description'), value: v.description, error: e.description, maxlength: 2000 })}
${formField({ locale, name: 'kind', type: 'select', label: t('kind'), value: v.kind, options: kinds.map((k) => ({ value: k, label: kindLabel(t, k) })), error: e.kind })}
${columnSection}
${formField({ locale, name: 'maxRows', type: 'number', label: t('maxRows'), value: v.maxRows, error: e.maxRows, inputmode: 'numeric' })}
${formField({ locale, name: 'timeoutMs', type: 'number', label: t('timeoutMs'), help: t('timeoutHelp'), value: v.timeoutMs, error: e.timeoutMs, inputmode: 'numeric' })}
${querySection}
<div class="form-actions">${button({ label: ui('save') })}</div>`,
  });
}

/** Rows of a preview answer: a list/query `{ rows, truncated }`, or one row (get). */
function previewRows(answer: unknown): { rows: Record<string, unknown>[]; truncated: boolean } {
  if (answer && typeof answer === 'object' && Array.isArray((answer as { rows?: unknown }).rows)) {
    const a = answer as { rows: Record<string, unknown>[]; truncated?: unknown };
    return { rows: a.rows, truncated: a.truncated === true };
  }
  return { rows: answer && typeof answer === 'object' ? [answer as Record<string, unknown>] : [], truncated: false };
}

export function registerServicePages(app: App, ctx: UiContext) {
  const { core } = ctx;
  const { catalog } = core;

  // ------------------------------------------------------------------------------------ create

  /** Step 1: pick the connection (then its table) with plain GET forms. */
  const choosePage = async (request: FastifyRequest, reply: FastifyReply, code: string, connection: string, flash?: Flash) => {
    const t = tr(request.locale);
    const locale = request.locale;
    const connections = catalog.connections();
    if (connections.length === 0) {
      return ctx.send(request, reply, { title: t('newService'), body: emptyState({ title: t('noConnections'), action: linkButton({ href: '/connections/new', label: t('addConnection'), kind: 'primary' }) }) });
    }
    const chosen = connections.find((c) => c.name === connection);
    let tableField: HtmlValue = '';
    if (chosen) {
      const tables = await attempt(() => core.tables(chosen.name));
      if (!tables.ok) flash ??= { kind: 'error', text: t('tablesFailed', { reason: errorText(tables.error, t) }) };
      const options = [...(tables.ok ? tables.value : []).map((tb) => ({ value: `${tb.schema}.${tb.name}`, label: `${tb.schema}.${tb.name}${tb.kind === 'view' ? ` (${t('kindView')})` : ''}` })), { value: '', label: t('noTableQuery') }];
      tableField = formField({ locale, name: 'table', type: 'select', label: t('tableOrView'), options });
    }
    const body = html`<h2>${t('stepChoose')}</h2>
<form method="get" action="${urls.newService(code)}" class="form">
${formField({ locale, name: 'connection', type: 'select', label: t('connection'), value: chosen?.name ?? '', options: connections.map((c) => ({ value: c.name, label: `${c.name} (${c.database}@${c.host})` })) })}
${tableField}
<div class="form-actions">${button({ label: t('next') })}</div>
</form>`;
    return ctx.send(request, reply, { title: `${t('newService')}: ${code}`, body, flash });
  };

  /** The table a `schema.name` parameter names (looked up in the list, so dots in names are no problem). */
  const findTable = async (connection: string, param: string): Promise<TableDetail | undefined> => {
    const tables = await core.tables(connection);
    const found = tables.find((tb) => `${tb.schema}.${tb.name}` === param);
    return found ? core.table(connection, found.schema, found.name) : undefined;
  };

  const definePage = (request: FastifyRequest, reply: FastifyReply, code: string, opts: { connection: string; tableParam: string; table: TableDetail | undefined; values: Values; errors?: Record<string, string>; flash?: Flash; status?: number }) => {
    const t = tr(request.locale);
    const action = urls.newService(code, { connection: opts.connection, table: opts.tableParam });
    const summary = definitionList([
      [t('connection'), html`<a href="${urls.connection(opts.connection)}">${opts.connection}</a>`],
      [t('tableOrView'), opts.table ? `${opts.table.schema}.${opts.table.name}` : t('noTableQuery')],
    ]);
    const body = html`<h2>${t('stepDefine')}</h2>${summary}
<p><a href="${urls.newService(code, { connection: opts.connection })}">${t('changeTable')}</a></p>
${serviceForm(request.locale, ctx.session(request).csrfToken, { action, connection: opts.connection, tableParam: opts.tableParam, table: opts.table, values: opts.values, errors: opts.errors ?? {} })}`;
    return ctx.send(request, reply, { title: `${t('newService')}: ${code}`, body, flash: opts.flash, status: opts.status ?? 200 });
  };

  app.get('/subsystems/:code/services/new', async (request, reply) => {
    const { code } = request.params as { code: string };
    catalog.subsystem(code);
    const q = request.query as Record<string, unknown>;
    const connection = typeof q.connection === 'string' ? q.connection : '';
    const tableParam = typeof q.table === 'string' ? q.table : undefined;
    if (!catalog.connections().some((c) => c.name === connection) || tableParam === undefined) return choosePage(request, reply, code, connection);
    const t = tr(request.locale);
    let tb: TableDetail | undefined;
    if (tableParam !== '') {
      const found = await attempt(() => findTable(connection, tableParam));
      if (!found.ok) return choosePage(request, reply, code, connection, { kind: 'error', text: errorText(found.error, t) });
      if (!found.value) return choosePage(request, reply, code, connection, { kind: 'error', text: t('ADAPTER_TABLE_NOT_FOUND') });
      tb = found.value;
    }
    return definePage(request, reply, code, { connection, tableParam, table: tb, values: initialValues(tb) });
  });

  app.post('/subsystems/:code/services/new', async (request, reply) => {
    const { code } = request.params as { code: string };
    catalog.subsystem(code);
    const t = tr(request.locale);
    const ui = translator(uiMessages, request.locale);
    const body = formBody(request);
    const connection = text(body, 'connection');
    const tableParam = text(body, 'table');
    catalog.connection(connection);
    const found = tableParam === '' ? { ok: true as const, value: undefined } : await attempt(() => findTable(connection, tableParam));
    if (!found.ok) return choosePage(request, reply, code, connection, { kind: 'error', text: errorText(found.error, t) });
    if (tableParam !== '' && !found.value) return choosePage(request, reply, code, connection, { kind: 'error', text: t('ADAPTER_TABLE_NOT_FOUND') });
    const tb = found.value;
    const v = valuesFrom(body);
    const page = { connection, tableParam, table: tb, values: v };

    const input = toInput(v, connection, tb);
    const parsed = dataServiceBody.safeParse(input);
    if (!parsed.success) {
      const errors = fieldErrors(parsed.error.issues, t, { name: t('nameFormat'), parameters: t('parameterNameFormat') }, refinementText(t));
      return definePage(request, reply, code, { ...page, errors, flash: { kind: 'error', text: ui('errorFormInvalid') }, status: 400 });
    }
    const saved = await attempt(() => core.saveService(code, parsed.data, 'create', UI_ACTOR));
    if (!saved.ok) {
      const message = errorText(saved.error, t);
      const problems = problemsOf(saved.error);
      const text = problems.length ? html`${message}<ul>${problems.map((p) => html`<li>${p}</li>`)}</ul>` : message;
      const errors: Record<string, string> = saved.error.code === 'ADAPTER_SERVICE_EXISTS' ? { name: message } : {};
      return definePage(request, reply, code, { ...page, errors, flash: { kind: 'error', text }, status: saved.error.statusCode });
    }
    return reply.redirect(doneUrl(urls.service(code, saved.value.def.name), 'saved', saved.value.def.name), 303);
  });

  // ------------------------------------------------------------------------- detail, preview

  const detailPage = (request: FastifyRequest, reply: FastifyReply, code: string, name: string, opts: { key?: string; query?: string; result?: HtmlValue; flash?: Flash; previewFlash?: Flash; status?: number } = {}) => {
    const t = tr(request.locale);
    const ui = translator(uiMessages, request.locale);
    const locale = request.locale;
    const plan = catalog.service(code, name);
    const view = core.serviceView(plan);
    const def = plan.def;
    const csrfToken = ctx.session(request).csrfToken;
    const mark = (on: boolean) => (on ? t('yes') : '—');
    const details = definitionList([
      [t('title'), def.title],
      [t('description'), def.description || '—'],
      [t('kind'), kindLabel(t, def.kind)],
      [t('methodPath'), html`<code>${view.method} ${core.dataUrl(code)}${view.path}</code>`],
      [t('connection'), html`<a href="${urls.connection(def.connection)}">${def.connection}</a>`],
      [t('tableLabel'), def.table ? [def.table.schema, def.table.name].filter(Boolean).join('.') : '—'],
      [t('keyColumn'), def.key ?? '—'],
      [t('maxRows'), def.maxRows],
      [t('timeoutMs'), def.timeoutMs ?? '—'],
      [t('personalShort'), def.personal ? t('withNote', { text: t('yes'), note: `${t('userIdColumn')}: ${def.personal.userIdColumn}` }) : t('no')],
    ]);
    const columns = def.columns.length
      ? table({ caption: t('columns'), columns: [t('colName'), t('colType'), t('filterable'), t('sortable'), t('writable')], rows: def.columns.map((c) => [c.name, c.type, mark(c.filterable), mark(c.sortable), mark(c.writable)]) })
      : '';
    const query = def.kind === 'query' ? html`<h2>${t('sql')}</h2>${codeBlock(def.sql ?? '', { label: t('sql') })}${def.parameters.length ? table({ caption: t('parameters'), columns: [t('paramName'), t('paramType'), t('paramRequired')], rows: def.parameters.map((p) => [p.name, p.type, p.required ? t('yes') : t('no')]) }) : ''}` : '';
    const reading = plan.method === 'GET';
    const previewForm = reading
      ? form({
          action: `${urls.service(code, name)}/preview#preview`,
          csrfToken,
          id: 'preview-form',
          body: html`${plan.hasKey ? formField({ locale, name: 'key', label: t('previewKey'), value: opts.key ?? '', required: true, autocomplete: 'off' }) : ''}
${formField({ locale, name: 'query', label: t('previewQuery'), help: t('previewQueryHelp'), value: opts.query ?? '', autocomplete: 'off', maxlength: 4000 })}
<div class="form-actions">${button({ label: t('previewRun') })}</div>`,
        })
      : html`<p>${t('previewNotReading')}</p>`;
    const preview = html`<h2 id="preview">${t('preview')}</h2>${reading ? html`<p>${t('previewIntro', { rows: PREVIEW_ROWS })}</p>` : ''}${previewForm}${opts.previewFlash ? flashMessage(opts.previewFlash) : ''}${opts.result ?? ''}`;
    const remove = html`<h2>${ui('delete')}</h2>${form({ action: `${urls.service(code, name)}/delete`, csrfToken, confirm: ui('confirmDelete'), body: button({ label: t('deleteService'), kind: 'danger' }) })}`;
    const back = html`<p><a href="${urls.subsystem(code)}">${t('subsystemTitle', { code })}</a></p>`;
    const flash = opts.flash ?? doneFlash(request, { saved: (n) => t('serviceSaved', { name: n }) });
    return ctx.send(request, reply, { title: t('serviceTitle', { name }), flash, status: opts.status ?? 200, body: html`${back}${details}${columns}${query}${preview}${remove}` });
  };

  app.get('/subsystems/:code/services/:name', async (request, reply) => {
    const { code, name } = request.params as { code: string; name: string };
    return detailPage(request, reply, code, name);
  });

  app.post('/subsystems/:code/services/:name/preview', async (request, reply) => {
    const t = tr(request.locale);
    const { code, name } = request.params as { code: string; name: string };
    catalog.service(code, name);
    const body = formBody(request);
    const key = text(body, 'key').trim();
    const query = text(body, 'query').trim().replace(/^\?/, '').slice(0, 4000);
    const answer = await attempt(() => core.preview(code, name, { key: key === '' ? undefined : key.slice(0, 1000), query }));
    if (!answer.ok) return detailPage(request, reply, code, name, { key, query, previewFlash: { kind: 'error', text: errorText(answer.error, t) }, status: answer.error.statusCode });
    const { rows, truncated } = previewRows(answer.value);
    const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
    const result =
      rows.length === 0
        ? html`<h3>${t('previewResult')}</h3><p id="preview-result">${t('previewNoRows')}</p>`
        : html`${table({ caption: t('previewResult'), id: 'preview-result', columns, rows: rows.map((r) => columns.map((c) => cellText(r[c]))) })}
${truncated ? html`<p class="field-help">${t('previewTruncated')}</p>` : ''}`;
    return detailPage(request, reply, code, name, { key, query, result });
  });

  app.post('/subsystems/:code/services/:name/delete', async (request, reply) => {
    const { code, name } = request.params as { code: string; name: string };
    const deleted = await attempt(() => core.deleteService(code, name, UI_ACTOR));
    if (!deleted.ok) return detailPage(request, reply, code, name, { flash: { kind: 'error', text: errorText(deleted.error, tr(request.locale)) }, status: deleted.error.statusCode });
    return reply.redirect(doneUrl(urls.subsystem(code), 'serviceDeleted', name), 303);
  });
}
