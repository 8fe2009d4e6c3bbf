// My Data pages: the linked providers that offer My Data (consent form or "view"), and one
// provider's data as fetched through JP-Link (a table per service, refusals and unreachable
// providers said plainly, JSON download). Mobile-first: tables scroll inside their own box.
import { button, definitionList, emptyState, flashMessage, form, html, linkButton, table, translator, type Locale, type SafeHtml } from '@jplink/ui';
import type { MyDataOffer, MyDataResult, MyDataServiceResult } from '../my-data/my-data.ts';
import { dataItemsList, day, frame, when } from './consent-pages.ts';
import { dataItemLabel, type DataItemLabels } from '../consent/data-items.ts';
import { plMessages } from './messages.ts';

export function myDataListPage(opts: { locale: Locale; csrfToken: string; available: boolean; offers: readonly MyDataOffer[]; labels: DataItemLabels }): SafeHtml {
  const t = translator(plMessages, opts.locale);
  const { locale } = opts;
  const card = (o: MyDataOffer) => html`<section class="card" data-my-data="${o.clientId}">
<h2>${o.name[locale]}</h2>
${definitionList([
  [t('myDataItems'), dataItemsList(locale, opts.labels, o.clientId, o.subsystemCode, o.dataItems)],
  [t('consentStatus'), o.consent ? t('myDataConsented', { until: day(locale, o.consent.valid_until) }) : t('myDataNotConsented')],
])}
${
  o.consent
    ? linkButton({ href: `/my/data/${o.clientId}`, label: t('myDataView'), kind: 'primary' })
    : opts.available
      ? form({ action: `/my/data/${o.clientId}/consent`, csrfToken: opts.csrfToken, body: html`<p class="muted">${t('myDataConsentNote', { provider: o.name[locale] })}</p>${button({ label: t('myDataConsent') })}` })
      : ''
}
</section>`;
  return frame({
    locale,
    title: t('myDataTitle'),
    section: 'mydata',
    csrfToken: opts.csrfToken,
    body: html`<p>${t('myDataLead')}</p>
${opts.available ? '' : flashMessage({ kind: 'info', text: t('myDataUnavailable') })}
${opts.offers.length ? opts.offers.map(card) : emptyState({ title: t('myDataNone') })}`,
  });
}

const cell = (v: unknown) => (v === null || v === undefined ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v));

function serviceSection(locale: Locale, provider: string, s: MyDataServiceResult, label: (column: string) => string): SafeHtml {
  const t = translator(plMessages, locale);
  if (s.status !== 'ok') {
    return html`<section data-service="${s.service}" data-result="${s.status}"><h2>${s.title[locale]}</h2>${flashMessage({ kind: 'error', text: t(s.status === 'refused' ? 'myDataRefused' : 'myDataUnreachable', { provider, code: s.code }) })}</section>`;
  }
  const columns = [...new Set(s.rows.flatMap((r) => Object.keys(r)))];
  return html`<section data-service="${s.service}" data-result="ok"><h2>${s.title[locale]}</h2>
${s.rows.length ? table({ caption: html`${s.title[locale]} · ${t('myDataRows', { count: String(s.rows.length) })}`, columns: columns.map(label), rows: s.rows.map((r) => columns.map((c) => cell(r[c]))) }) : emptyState({ title: t('myDataNoRows') })}
${s.truncated ? flashMessage({ kind: 'info', text: t('myDataTruncated') }) : ''}</section>`;
}

export function myDataPage(opts: { locale: Locale; csrfToken: string; result: MyDataResult; labels: DataItemLabels }): SafeHtml {
  const t = translator(plMessages, opts.locale);
  const { locale, result } = opts;
  const provider = result.provider.name[locale];
  return frame({
    locale,
    title: `${t('myDataTitle')}: ${provider}`,
    section: 'mydata',
    csrfToken: opts.csrfToken,
    body: html`<p class="muted">${t('myDataFetchedAt', { at: when(locale, result.fetchedAt) })}</p>
${result.services.map((s) => serviceSection(locale, provider, s, (column) => dataItemLabel(opts.labels, locale, result.provider.clientId, result.provider.subsystemCode, column) ?? column))}
<p>${linkButton({ href: `/my/data/${result.provider.clientId}/download`, label: t('myDataDownload'), kind: 'primary' })}</p>
<p><a href="/my/consents/${result.consentId}">${t('myDataConsentLink')}</a> · <a href="/my/data">${t('myDataBack')}</a></p>`,
  });
}
