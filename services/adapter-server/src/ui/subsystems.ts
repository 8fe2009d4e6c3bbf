// サブシステムコード: list and add; a code's data services, its generated OpenAPI (shown and as a
// download) and publishing it to the member's Security Server.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '@jplink/kit';
import { adapterSubsystemBody, publishBody } from '@jplink/contracts';
import { button, codeBlock, definitionList, emptyState, flashMessage, form, formField, html, linkButton, table, translator, uiMessages, type Flash, type HtmlValue } from '@jplink/ui';
import { attempt, doneFlash, doneUrl, errorText, fieldErrors, formatTime, formBody, text, tr, UI_ACTOR, urls, type T, type UiContext } from './shared.ts';

type SubsystemValues = { code: string; title: string; description: string };
type PublishValues = { provider: string; grantTo: string };

export const kindLabel = (t: T, kind: string) =>
  ({ list: t('kindList'), get: t('kindGet'), create: t('kindCreate'), update: t('kindUpdate'), delete: t('kindDelete'), query: t('kindQuery') })[kind] ?? kind;

export function registerSubsystemPages(app: App, ctx: UiContext) {
  const { core } = ctx;
  const { catalog } = core;

  // ------------------------------------------------------------------------------- list, add

  const listPage = (request: FastifyRequest, reply: FastifyReply, opts: { values?: SubsystemValues; errors?: Record<string, string>; flash?: Flash; status?: number } = {}) => {
    const t = tr(request.locale);
    const ui = translator(uiMessages, request.locale);
    const locale = request.locale;
    const v = opts.values ?? { code: '', title: '', description: '' };
    const e = opts.errors ?? {};
    const rows = catalog.subsystems();
    const list =
      rows.length === 0
        ? emptyState({ title: t('subsystemsEmpty') })
        : table({
            caption: t('subsystems'),
            columns: [t('code'), t('title'), t('serviceCount'), t('createdAt')],
            numeric: [2],
            rows: rows.map((s) => [html`<a href="${urls.subsystem(s.code)}">${s.code}</a>`, s.title, s.services, formatTime(s.createdAt, locale)]),
          });
    const addForm = form({
      action: '/subsystems',
      csrfToken: ctx.session(request).csrfToken,
      body: html`${formField({ locale, name: 'code', label: t('code'), value: v.code, required: true, help: t('codeHelp'), error: e.code, maxlength: 255, autocomplete: 'off' })}
${formField({ locale, name: 'title', label: t('title'), value: v.title, required: true, error: e.title, maxlength: 200 })}
${formField({ locale, name: 'description', type: 'textarea', rows: 3, label: t('description'), value: v.description, error: e.description, maxlength: 2000 })}
<div class="form-actions">${button({ label: ui('create') })}</div>`,
    });
    const flash = opts.flash ?? doneFlash(request, { deleted: (code) => t('subsystemDeleted', { code }) });
    const body = html`<p>${t('subsystemsIntro')}</p>${list}<h2 id="add">${t('addSubsystem')}</h2>${addForm}`;
    return ctx.send(request, reply, { title: t('subsystems'), body, flash, status: opts.status ?? 200 });
  };

  app.get('/subsystems', async (request, reply) => listPage(request, reply));

  app.post('/subsystems', async (request, reply) => {
    const t = tr(request.locale);
    const body = formBody(request);
    const values = { code: text(body, 'code').trim(), title: text(body, 'title').trim(), description: text(body, 'description').trim() };
    const parsed = adapterSubsystemBody.safeParse(values);
    if (!parsed.success) {
      const errors = fieldErrors(parsed.error.issues, t, { code: t('codeFormat') });
      return listPage(request, reply, { values, errors, flash: { kind: 'error', text: translator(uiMessages, request.locale)('errorFormInvalid') }, status: 400 });
    }
    const saved = await attempt(() => core.saveSubsystem(parsed.data, 'create', UI_ACTOR));
    if (!saved.ok) {
      const message = errorText(saved.error, t);
      return listPage(request, reply, { values, errors: saved.error.code === 'ADAPTER_SUBSYSTEM_EXISTS' ? { code: message } : {}, flash: { kind: 'error', text: message }, status: saved.error.statusCode });
    }
    return reply.redirect(doneUrl(urls.subsystem(saved.value.code), 'saved', saved.value.code), 303);
  });

  // ------------------------------------------------------------------------------------ detail

  const detailPage = (
    request: FastifyRequest,
    reply: FastifyReply,
    code: string,
    opts: { publish?: PublishValues; errors?: Record<string, string>; flash?: Flash; publishFlash?: Flash; result?: HtmlValue; status?: number } = {},
  ) => {
    const t = tr(request.locale);
    const ui = translator(uiMessages, request.locale);
    const locale = request.locale;
    const subsystem = catalog.subsystem(code);
    const csrfToken = ctx.session(request).csrfToken;
    const plans = catalog.plans(code);
    const defaults = core.publishDefaults();
    const p = opts.publish ?? { provider: defaults.provider ?? '', grantTo: '' };
    const e = opts.errors ?? {};

    const details = definitionList([
      [t('title'), subsystem.title],
      [t('description'), subsystem.description || '—'],
      [t('dataUrl'), html`<code>${core.dataUrl(code)}</code>`],
      [t('createdAt'), formatTime(subsystem.createdAt, locale)],
    ]);
    const services = html`<h2>${t('dataServices')}</h2>${
      plans.length === 0
        ? emptyState({ title: t('servicesEmpty'), action: linkButton({ href: urls.newService(code), label: t('addService'), kind: 'primary' }) })
        : html`${table({
            caption: t('dataServices'),
            columns: [t('serviceName'), t('title'), t('kind'), t('methodPath'), t('tableLabel')],
            rows: plans.map((plan) => {
              const view = core.serviceView(plan);
              const tableRef = plan.def.table ? [plan.def.table.schema, plan.def.table.name].filter(Boolean).join('.') : '—';
              return [html`<a href="${urls.service(code, plan.def.name)}">${plan.def.name}</a>`, plan.def.title, kindLabel(t, plan.def.kind), html`<code>${view.method} ${view.path}</code>`, tableRef];
            }),
          })}<div class="form-actions">${linkButton({ href: urls.newService(code), label: t('addService'), kind: 'primary' })}</div>`
    }`;
    const openapi = html`<h2>${t('openapi')}</h2>
<p><a href="${urls.subsystem(code)}/openapi.json" download="${`${code}-openapi.json`}">${t('downloadOpenapi')}</a></p>
${codeBlock(core.openapi(code), { label: t('openapi') })}`;
    const publishForm = form({
      // Back at the publish section, where its outcome is shown.
      action: `${urls.subsystem(code)}/publish#publish`,
      csrfToken,
      body: html`${formField({ locale, name: 'provider', label: t('provider'), value: p.provider, help: t('subsystemIdHelp'), error: e.provider, autocomplete: 'off' })}
${formField({ locale, name: 'grantTo', label: t('withNote', { text: t('grantTo'), note: ui('optional') }), value: p.grantTo, help: t('subsystemIdHelp'), error: e.grantTo, autocomplete: 'off' })}
<div class="form-actions">${button({ label: t('publishButton') })}</div>`,
    });
    const publish = html`<h2 id="publish">${t('publish')}</h2>
<p>${t('publishIntro', { code })}</p>
${defaults.configured ? '' : html`<p class="field-help">${t('publishNotConfigured')}</p>`}
${opts.publishFlash ? flashMessage(opts.publishFlash) : ''}
${opts.result ?? ''}
${publishForm}`;
    const remove = html`<h2>${ui('delete')}</h2>${form({ action: `${urls.subsystem(code)}/delete`, csrfToken, confirm: ui('confirmDelete'), body: button({ label: t('deleteSubsystem'), kind: 'danger' }) })}`;
    const flash = opts.flash ?? doneFlash(request, { saved: (c) => t('subsystemSaved', { code: c }), serviceDeleted: (name) => t('serviceDeleted', { name }) });
    return ctx.send(request, reply, { title: t('subsystemTitle', { code }), flash, status: opts.status ?? 200, body: html`${details}${services}${openapi}${publish}${remove}` });
  };

  app.get('/subsystems/:code', async (request, reply) => detailPage(request, reply, (request.params as { code: string }).code));

  app.get('/subsystems/:code/openapi.json', async (request, reply) => {
    const { code } = request.params as { code: string };
    const document = core.openapi(code);
    return reply
      .header('content-type', 'application/json; charset=utf-8')
      .header('content-disposition', `attachment; filename="${code.replace(/[^A-Za-z0-9._-]/g, '_')}-openapi.json"`)
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', 'no-store')
      .send(JSON.stringify(document, null, 2));
  });

  app.post('/subsystems/:code/publish', async (request, reply) => {
    const t = tr(request.locale);
    const { code } = request.params as { code: string };
    catalog.subsystem(code);
    const body = formBody(request);
    const values = { provider: text(body, 'provider').trim(), grantTo: text(body, 'grantTo').trim() };
    const parsed = publishBody.safeParse({ provider: values.provider || undefined, grantTo: values.grantTo || undefined });
    if (!parsed.success) {
      const hint = t('subsystemIdFormat');
      return detailPage(request, reply, code, { publish: values, errors: fieldErrors(parsed.error.issues, t, { provider: hint, grantTo: hint }), publishFlash: { kind: 'error', text: translator(uiMessages, request.locale)('errorFormInvalid') }, status: 400 });
    }
    const published = await attempt(() => core.publish(code, parsed.data, UI_ACTOR));
    if (!published.ok) return detailPage(request, reply, code, { publish: values, publishFlash: { kind: 'error', text: errorText(published.error, t) }, status: published.error.statusCode });
    const r = published.value;
    const result = html`<h3>${t('publishResult')}</h3>${definitionList([
      [t('provider'), r.provider],
      [t('serviceCode'), r.serviceCode],
      [t('dataUrl'), html`<code>${r.url}</code>`],
      [t('endpoints'), r.endpoints],
      [t('granted'), r.granted ?? '—'],
    ])}`;
    return detailPage(request, reply, code, { publish: values, result, publishFlash: { kind: 'success', text: t('published', { endpoints: r.endpoints }) } });
  });

  app.post('/subsystems/:code/delete', async (request, reply) => {
    const { code } = request.params as { code: string };
    const deleted = await attempt(() => core.deleteSubsystem(code, UI_ACTOR));
    if (!deleted.ok) return detailPage(request, reply, code, { flash: { kind: 'error', text: errorText(deleted.error, tr(request.locale)) }, status: deleted.error.statusCode });
    return reply.redirect(doneUrl('/subsystems', 'deleted', code), 303);
  });
}
