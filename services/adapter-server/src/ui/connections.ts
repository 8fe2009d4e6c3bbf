// 接続: database connections — list, add and edit (with a test of the unsaved settings), detail with
// its tables, a table's columns, delete.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '@jplink/kit';
import { connectionBody, type ConnectionBody } from '@jplink/contracts';
import { button, definitionList, emptyState, form, formField, html, linkButton, table, translator, uiMessages, type Flash, type Locale, type SafeHtml } from '@jplink/ui';
import type { AdapterServerCore } from '../core.ts';
import { attempt, doneFlash, doneUrl, errorText, fieldErrors, formatTime, formBody, optionalNumber, text, tr, UI_ACTOR, urls, type FormBody, type T, type UiContext } from './shared.ts';

type ConnectionView = ReturnType<AdapterServerCore['connectionView']>;
type Values = Record<'name' | 'dialect' | 'host' | 'port' | 'database' | 'username' | 'password' | 'tls' | 'poolMax' | 'statementTimeoutMs', string>;

const EMPTY: Values = { name: '', dialect: 'postgres', host: '', port: '', database: '', username: '', password: '', tls: 'disable', poolMax: '10', statementTimeoutMs: '5000' };

const fromView = (c: ConnectionView): Values => ({
  name: c.name,
  dialect: c.dialect,
  host: c.host,
  port: String(c.port),
  database: c.database,
  username: c.username,
  password: '',
  tls: c.tls,
  poolMax: String(c.poolMax),
  statementTimeoutMs: String(c.statementTimeoutMs),
});

const fromBody = (body: FormBody, name?: string): Values => {
  const v = Object.fromEntries(Object.keys(EMPTY).map((k) => [k, text(body, k)])) as Values;
  return name === undefined ? v : { ...v, name };
};

function toInput(v: Values) {
  return {
    name: v.name.trim(),
    dialect: v.dialect,
    host: v.host.trim(),
    port: optionalNumber(v.port),
    database: v.database.trim(),
    username: v.username.trim(),
    password: v.password === '' ? undefined : v.password,
    tls: v.tls,
    poolMax: optionalNumber(v.poolMax),
    statementTimeoutMs: optionalNumber(v.statementTimeoutMs),
  };
}

function connectionForm(locale: Locale, csrfToken: string, opts: { action: string; values: Values; errors: Record<string, string>; editing: boolean }): SafeHtml {
  const t = tr(locale);
  const ui = translator(uiMessages, locale);
  const { values: v, errors: e } = opts;
  const field = (name: keyof Values, label: string, extra: Partial<Parameters<typeof formField>[0]> = {}) =>
    formField({ locale, name, label, value: v[name], error: e[name], ...extra });
  return form({
    action: opts.action,
    csrfToken,
    body: html`${opts.editing ? '' : field('name', t('connName'), { required: true, help: t('connNameHelp'), maxlength: 63, autocomplete: 'off' })}
${field('dialect', t('dialect'), { type: 'select', options: [{ value: 'postgres', label: t('dialectPostgres') }, { value: 'mysql', label: t('dialectMysql') }] })}
${field('host', t('host'), { required: true, autocomplete: 'off' })}
${field('port', t('port'), { type: 'number', help: t('portHelp'), placeholder: v.dialect === 'mysql' ? '3306' : '5432', inputmode: 'numeric' })}
${field('database', t('database'), { required: true, autocomplete: 'off' })}
${field('username', t('dbUsername'), { required: true, autocomplete: 'off' })}
${field('password', t('dbPassword'), { type: 'password', autocomplete: 'new-password', ...(opts.editing ? { help: t('passwordKeepHelp') } : {}) })}
${field('tls', t('tls'), { type: 'select', options: [{ value: 'disable', label: t('tlsDisable') }, { value: 'require', label: t('tlsRequire') }, { value: 'verify-full', label: t('tlsVerify') }] })}
${field('poolMax', t('poolMax'), { type: 'number', inputmode: 'numeric' })}
${field('statementTimeoutMs', t('statementTimeout'), { type: 'number', inputmode: 'numeric' })}
<div class="form-actions">${button({ label: ui('save'), name: 'action', value: 'save' })}${button({ label: t('testConnection'), kind: 'secondary', name: 'action', value: 'test' })}${linkButton({ href: opts.editing ? urls.connection(v.name) : '/connections', label: ui('cancel') })}</div>`,
  });
}

const HINTS = (t: T) => ({ name: t('nameFormat'), host: t('hostFormat') });

export function testFlash(t: T, result: Awaited<ReturnType<AdapterServerCore['testConnection']>>): Flash {
  return result.ok
    ? { kind: 'success', text: t('testOk', { version: result.serverVersion, ms: result.latencyMs }) }
    : { kind: 'error', text: t('testFailed', { reason: result.error }) };
}

export function registerConnectionPages(app: App, ctx: UiContext) {
  const { core } = ctx;
  const { catalog } = core;

  app.get('/connections', async (request, reply) => {
    const t = tr(request.locale);
    const rows = catalog.connections().map(core.connectionView);
    const list =
      rows.length === 0
        ? emptyState({ title: t('connectionsEmpty'), text: t('connectionsEmptyText'), action: linkButton({ href: '/connections/new', label: t('addConnection'), kind: 'primary' }) })
        : html`${table({
            caption: t('connections'),
            columns: [t('connName'), t('dialect'), t('host'), t('database'), t('dbUsername')],
            rows: rows.map((c) => [html`<a href="${urls.connection(c.name)}">${c.name}</a>`, c.dialect === 'postgres' ? t('dialectPostgres') : t('dialectMysql'), `${c.host}:${c.port}`, c.database, c.username]),
          })}<div class="form-actions">${linkButton({ href: '/connections/new', label: t('addConnection'), kind: 'primary' })}</div>`;
    const flash = doneFlash(request, { deleted: (name) => t('connectionDeleted', { name }) });
    return ctx.send(request, reply, { title: t('connections'), flash, body: html`<p>${t('connectionsIntro')}</p>${list}` });
  });

  // ---------------------------------------------------------------------------- add and edit

  const editPage = (request: FastifyRequest, reply: FastifyReply, opts: { values: Values; errors?: Record<string, string>; flash?: Flash; status?: number; editing: boolean }) => {
    const t = tr(request.locale);
    const action = opts.editing ? `${urls.connection(opts.values.name)}/edit` : '/connections/new';
    const body = connectionForm(request.locale, ctx.session(request).csrfToken, { action, values: opts.values, errors: opts.errors ?? {}, editing: opts.editing });
    const title = opts.editing ? `${t('editConnection')}: ${opts.values.name}` : t('newConnection');
    return ctx.send(request, reply, { title, body, flash: opts.flash, status: opts.status ?? 200 });
  };

  /** Test or save the posted settings; a refusal is shown on the form with what was typed. */
  const submit = async (request: FastifyRequest, reply: FastifyReply, values: Values, editing: boolean) => {
    const t = tr(request.locale);
    const ui = translator(uiMessages, request.locale);
    const parsed = connectionBody.safeParse(toInput(values));
    if (!parsed.success) {
      return editPage(request, reply, { values, editing, errors: fieldErrors(parsed.error.issues, t, HINTS(t)), flash: { kind: 'error', text: ui('errorFormInvalid') }, status: 400 });
    }
    const body: ConnectionBody = parsed.data;
    if (text(formBody(request), 'action') === 'test') {
      const tested = await attempt(() => core.testDraftConnection(body));
      const flash = tested.ok ? testFlash(t, tested.value) : { kind: 'error' as const, text: errorText(tested.error, t) };
      // What was typed stays in the form (the password too: the page is not cached), ready to save.
      return editPage(request, reply, { values, editing, flash });
    }
    const saved = await attempt(() => core.saveConnection(body, editing ? 'update' : 'create', UI_ACTOR));
    if (!saved.ok) {
      const nameTaken = saved.error.code === 'ADAPTER_CONNECTION_EXISTS';
      return editPage(request, reply, { values, editing, errors: nameTaken ? { name: errorText(saved.error, t) } : {}, flash: { kind: 'error', text: errorText(saved.error, t) }, status: saved.error.statusCode });
    }
    return reply.redirect(doneUrl(urls.connection(saved.value.name), 'saved', saved.value.name), 303);
  };

  app.get('/connections/new', async (request, reply) => editPage(request, reply, { values: EMPTY, editing: false }));
  app.post('/connections/new', async (request, reply) => submit(request, reply, fromBody(formBody(request)), false));

  app.get('/connections/:name/edit', async (request, reply) => {
    const { name } = request.params as { name: string };
    return editPage(request, reply, { values: fromView(core.connectionView(catalog.connection(name))), editing: true });
  });
  app.post('/connections/:name/edit', async (request, reply) => {
    const { name } = request.params as { name: string };
    catalog.connection(name); // 404 for an unknown one
    return submit(request, reply, fromBody(formBody(request), name), true);
  });

  // ---------------------------------------------------------------------------------- detail

  const detailPage = async (request: FastifyRequest, reply: FastifyReply, name: string, flash?: Flash, status = 200) => {
    const t = tr(request.locale);
    const ui = translator(uiMessages, request.locale);
    const locale = request.locale;
    const c = core.connectionView(catalog.connection(name));
    const csrfToken = ctx.session(request).csrfToken;
    const details = definitionList([
      [t('dialect'), c.dialect === 'postgres' ? t('dialectPostgres') : t('dialectMysql')],
      [t('host'), c.host],
      [t('port'), c.port],
      [t('database'), c.database],
      [t('dbUsername'), c.username],
      [t('dbPassword'), c.hasPassword ? t('passwordStored') : t('none')],
      [t('tls'), { disable: t('tlsDisable'), require: t('tlsRequire'), 'verify-full': t('tlsVerify') }[c.tls]],
      [t('poolMax'), c.poolMax],
      [t('statementTimeout'), c.statementTimeoutMs],
      [t('createdAt'), formatTime(c.createdAt, locale)],
      [t('updatedAt'), formatTime(c.updatedAt, locale)],
    ]);
    const actions = html`<div class="form-actions">
${form({ action: `${urls.connection(name)}/test`, csrfToken, class: 'inline-form', body: button({ label: t('testConnection'), kind: 'secondary' }) })}
${linkButton({ href: `${urls.connection(name)}/edit`, label: ui('edit') })}
${form({ action: `${urls.connection(name)}/delete`, csrfToken, class: 'inline-form', confirm: ui('confirmDelete'), body: button({ label: t('deleteConnection'), kind: 'danger' }) })}
</div>`;
    const tables = await attempt(() => core.tables(name));
    const tableList = tables.ok
      ? table({
          caption: t('tables'),
          columns: [t('schema'), t('tableName'), t('tableKind')],
          empty: t('tablesEmpty'),
          rows: tables.value.map((tb) => [tb.schema, html`<a href="${urls.table(name, tb.schema, tb.name)}">${tb.name}</a>`, tb.kind === 'view' ? t('kindView') : t('kindTable')]),
        })
      : html`<h2>${t('tables')}</h2><p class="field-error" role="alert">${t('tablesFailed', { reason: errorText(tables.error, t) })}</p>`;
    const saved = doneFlash(request, { saved: (n) => t('connectionSaved', { name: n }) });
    return ctx.send(request, reply, { title: t('connectionTitle', { name }), flash: flash ?? saved, status, body: html`${details}${actions}${tableList}` });
  };

  app.get('/connections/:name', async (request, reply) => detailPage(request, reply, (request.params as { name: string }).name));

  app.post('/connections/:name/test', async (request, reply) => {
    const { name } = request.params as { name: string };
    const result = await core.testConnection(catalog.target(name));
    return detailPage(request, reply, name, testFlash(tr(request.locale), result));
  });

  app.post('/connections/:name/delete', async (request, reply) => {
    const { name } = request.params as { name: string };
    const deleted = await attempt(() => core.deleteConnection(name, UI_ACTOR));
    if (!deleted.ok) return detailPage(request, reply, name, { kind: 'error', text: errorText(deleted.error, tr(request.locale)) }, deleted.error.statusCode);
    return reply.redirect(doneUrl('/connections', 'deleted', name), 303);
  });

  // --------------------------------------------------------------------------- table columns

  app.get('/connections/:name/tables/:schema/:table', async (request, reply) => {
    const t = tr(request.locale);
    const { name, schema, table: tableName } = request.params as { name: string; schema: string; table: string };
    const described = await core.table(name, schema, tableName);
    const columns = table({
      caption: t('columns'),
      columns: [t('colName'), t('colDbType'), t('colType'), t('colNullable'), t('colPrimaryKey')],
      rows: described.columns.map((c) => [c.name, c.dbType, c.type, c.nullable ? t('yes') : t('no'), c.primaryKey ? t('yes') : '']),
    });
    const body = html`${definitionList([
      [t('connection'), html`<a href="${urls.connection(name)}">${name}</a>`],
      [t('schema'), described.schema],
      [t('tableKind'), described.kind === 'view' ? t('kindView') : t('kindTable')],
    ])}${columns}`;
    return ctx.send(request, reply, { title: t('tableTitle', { table: `${described.schema}.${described.name}` }), body });
  });
}
