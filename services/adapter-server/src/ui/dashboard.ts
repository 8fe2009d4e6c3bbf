// ダッシュボード: what is defined, and the latest calls from the Security Server.
import type { App } from '@jplink/kit';
import { definitionList, html, linkButton, table } from '@jplink/ui';
import { formatTime, tr, type UiContext } from './shared.ts';

const RECENT_CALLS = 20;

export function registerDashboard(app: App, ctx: UiContext) {
  const { catalog } = ctx.core;

  app.get('/', async (request, reply) => {
    const t = tr(request.locale);
    const locale = request.locale;
    const subsystems = catalog.subsystems();
    const services = subsystems.reduce((n, s) => n + s.services, 0);
    const calls = await ctx.core.recentCalls(RECENT_CALLS);
    const counts = definitionList([
      [t('countConnections'), html`<a href="/connections">${catalog.connections().length}</a>`],
      [t('countSubsystems'), html`<a href="/subsystems">${subsystems.length}</a>`],
      [t('countServices'), services],
    ]);
    const callTable = table({
      caption: t('recentCalls'),
      columns: [t('callAt'), t('callService'), t('callMethod'), t('callClient'), t('callStatus'), t('callRows'), t('callDuration')],
      numeric: [4, 5, 6],
      empty: t('noCalls'),
      rows: calls.map((c) => [formatTime(c.at, locale), `${c.subsystemCode}/${c.service}`, c.method, c.xRoadClient ?? '—', c.errorCode ? `${c.status} ${c.errorCode}` : c.status, c.rows ?? '—', Math.round(c.durationMs)]),
    });
    const body = html`<p>${t('dashboardIntro')}</p>
<h2>${t('countsCaption')}</h2>
${counts}
<div class="form-actions">${linkButton({ href: '/connections/new', label: t('addConnection') })}${linkButton({ href: '/subsystems', label: t('addSubsystem') })}</div>
${callTable}`;
    return ctx.send(request, reply, { title: t('navDashboard'), body });
  });
}
