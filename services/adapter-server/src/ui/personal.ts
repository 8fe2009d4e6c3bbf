// ID 変換 and 同意: read-only views of the ID conversion table and of the consents Personal-Link
// reflected (the member's application and Personal-Link write them, through the API and the data port).
import type { FastifyRequest } from 'fastify';
import type { App } from '@jplink/kit';
import { baseId } from '@jplink/contracts';
import { button, formField, html, table, type Locale, type SafeHtml } from '@jplink/ui';
import { formatTime, tr, type T, type UiContext } from './shared.ts';

const LIMIT = 100;

/** The optional `?baseId=` filter: the value, or an error text when it is not a BaseID. */
function baseIdFilter(request: FastifyRequest, t: T): { value: string; filter: string | undefined; error: string | undefined } {
  const raw = (request.query as Record<string, unknown>).baseId;
  const value = typeof raw === 'string' ? raw.trim() : '';
  if (value === '') return { value, filter: undefined, error: undefined };
  return baseId.safeParse(value).success ? { value, filter: value, error: undefined } : { value, filter: undefined, error: t('fieldInvalid', { detail: 'BaseID' }) };
}

function filterForm(locale: Locale, action: string, value: string, error: string | undefined): SafeHtml {
  const t = tr(locale);
  return html`<form method="get" action="${action}" class="form" role="search">
${formField({ locale, name: 'baseId', type: 'search', label: t('baseId'), value, error, autocomplete: 'off' })}
<div class="form-actions">${button({ label: t('search'), kind: 'secondary' })}</div>
</form>`;
}

export function registerPersonalPages(app: App, ctx: UiContext) {
  const { core } = ctx;

  app.get('/id-conversions', async (request, reply) => {
    const t = tr(request.locale);
    const f = baseIdFilter(request, t);
    const rows = f.error ? [] : await core.idConversions({ baseId: f.filter, limit: LIMIT });
    const list = table({
      caption: t('latestFirst', { limit: LIMIT }),
      columns: [t('baseId'), t('localUserId'), t('updatedAt')],
      empty: t('idConversionsEmpty'),
      rows: rows.map((r) => [r.baseId, r.localUserId, formatTime(r.updatedAt, request.locale)]),
    });
    return ctx.send(request, reply, { title: t('idConversions'), body: html`<p>${t('idConversionsIntro')}</p>${filterForm(request.locale, '/id-conversions', f.value, f.error)}${list}` });
  });

  app.get('/consents', async (request, reply) => {
    const t = tr(request.locale);
    const locale = request.locale;
    const f = baseIdFilter(request, t);
    const rows = f.error ? [] : await core.consents({ baseId: f.filter, limit: LIMIT });
    const list = table({
      caption: t('latestFirst', { limit: LIMIT }),
      columns: [t('baseId'), t('client'), t('code'), t('dataItems'), t('purpose'), t('validity'), t('status'), t('version'), t('updatedAt')],
      empty: t('consentsEmpty'),
      numeric: [7],
      rows: rows.map((c) => [
        c.baseId,
        c.client,
        c.subsystemCode,
        c.dataItems.join(', '),
        c.purpose,
        `${formatTime(c.validFrom, locale)} – ${formatTime(c.validUntil, locale)}`,
        c.status === 'active' ? t('statusActive') : t('statusWithdrawn'),
        c.version,
        formatTime(c.updatedAt, locale),
      ]),
    });
    return ctx.send(request, reply, { title: t('consents'), body: html`<p>${t('consentsIntro')}</p>${filterForm(locale, '/consents', f.value, f.error)}${list}` });
  });
}
