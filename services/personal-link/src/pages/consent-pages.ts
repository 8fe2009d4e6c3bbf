// Resident pages of consents (pending requests, active, history with the chain's verification),
// linked services and provision history. Mobile-first, Japanese by default; every form has CSRF.
import { button, definitionList, emptyState, form, html, linkButton, page, table, translator, type Locale, type SafeHtml } from '@jplink/ui';
import type { ConsentEventRow, ConsentRow } from '../db/consents.ts';
import type { ChainVerification } from '../consent/chain.ts';
import type { ResidentService } from '../links/links.ts';
import type { ReflectionStatus, ReflectionVersionStatus } from '../reflection/outbox.ts';
import { plMessages } from './messages.ts';
import { plStylesheet } from './assets.ts';
import { residentNav } from './frame.ts';
import { dataItemsKey, type DataItemLabels } from '../consent/data-items.ts';

type Names = ReadonlyMap<string, { ja: string; en: string }>;
type Section = 'consents' | 'services' | 'provision' | 'mydata';

export { residentNav };

export const when = (locale: Locale, d: Date | string) => new Date(d).toLocaleString(locale === 'ja' ? 'ja-JP' : 'en-GB', { timeZone: 'Asia/Tokyo' });
export const day = (locale: Locale, d: Date | string) => new Date(d).toLocaleDateString(locale === 'ja' ? 'ja-JP' : 'en-GB', { timeZone: 'Asia/Tokyo' });
const nameOf = (names: Names, locale: Locale, id: string) => names.get(id)?.[locale] ?? id;

/** The data items of a provider's Sub System Code as the provider labelled them (resident's language); the raw id in monospace where it did not. */
export function dataItemsList(locale: Locale, labels: DataItemLabels, provider: string, subsystemCode: string, items: readonly string[]): SafeHtml {
  const described = labels.get(dataItemsKey(provider, subsystemCode));
  return html`<ul class="scope-list">${items.map((id) => {
    const d = described?.get(id);
    return d ? html`<li data-item="${id}">${d.label[locale]}${d.description ? html`<br><span class="muted">${d.description[locale]}</span>` : ''}</li>` : html`<li data-item="${id}"><code>${id}</code></li>`;
  })}</ul>`;
}

/** The same, inline (tables): labels separated by 、 / commas. */
function dataItemsInline(locale: Locale, labels: DataItemLabels, provider: string, subsystemCode: string, items: readonly string[]): SafeHtml {
  const described = labels.get(dataItemsKey(provider, subsystemCode));
  const parts = items.map((id) => {
    const label = described?.get(id)?.label[locale];
    return label ? html`${label}` : html`<code>${id}</code>`;
  });
  return html`${parts.map((p, i) => (i === 0 ? p : html`${locale === 'ja' ? '、' : ', '}${p}`))}`;
}

/** The signed-in resident page frame (navigation, sign-out, flash) of the consent, service, provision and My Data pages. */
export function frame(opts: { locale: Locale; title: string; section: Section; csrfToken: string; flash?: { kind: 'success' | 'info' | 'error'; text: string } | undefined; body: SafeHtml }): SafeHtml {
  const t = translator(plMessages, opts.locale);
  return page({
    locale: opts.locale,
    title: opts.title,
    appName: t('appName'),
    homeHref: '/my',
    nav: residentNav(opts.locale, opts.section),
    user: { name: t('residentName') },
    csrfToken: opts.csrfToken,
    signOutAction: '/my/sign-out',
    ...(opts.flash ? { flash: opts.flash } : {}),
    body: html`${plStylesheet()}${opts.body}`,
  });
}

const STATUS_KEYS = { requested: 'statusRequested', given: 'statusGiven', declined: 'statusDeclined', withdrawn: 'statusWithdrawn', expired: 'statusExpired' } as const;
const EVENT_KEYS: Record<string, keyof typeof plMessages.ja> = {
  requested: 'eventRequested',
  given: 'eventGiven',
  declined: 'eventDeclined',
  withdrawn: 'eventWithdrawn',
  expired: 'eventExpired',
  reflected: 'eventReflected',
  acknowledged: 'eventAcknowledged',
  registered: 'eventRegistered',
};

/** Event types come from the database (the reflection worker adds its own): unknown ones show as they are. */
export function eventLabel(locale: Locale, type: string): string {
  const key = EVENT_KEYS[type];
  return key ? (translator(plMessages, locale) as unknown as (k: string) => string)(key) : type;
}

export function statusLabel(locale: Locale, status: ConsentRow['status']): string {
  return translator(plMessages, locale)(STATUS_KEYS[status]);
}

function consentSummary(locale: Locale, c: ConsentRow, names: Names, labels: DataItemLabels): SafeHtml {
  const t = translator(plMessages, locale);
  return definitionList([
    [t('consentWho'), nameOf(names, locale, c.consumer_client_id)],
    [t('consentProvider'), nameOf(names, locale, c.provider_client_id)],
    [t('consentItems'), dataItemsList(locale, labels, c.provider_client_id, c.subsystem_code, c.data_items)],
    [t('consentPurpose'), locale === 'ja' ? c.purpose_ja : c.purpose_en],
    [t('consentPeriod'), t('consentPeriodValue', { from: day(locale, c.valid_from), until: day(locale, c.valid_until) })],
    [t('consentStatus'), html`<span data-status="${c.status}">${statusLabel(locale, c.status)}</span>`],
  ]);
}

export function consentsPage(opts: { locale: Locale; csrfToken: string; consents: readonly ConsentRow[]; names: Names; labels: DataItemLabels; flash?: { kind: 'success' | 'error'; text: string } }): SafeHtml {
  const t = translator(plMessages, opts.locale);
  const { locale, names } = opts;
  const link = (c: ConsentRow) => html`<a href="/my/consents/${c.consent_id}" data-consent="${c.consent_id}">${nameOf(names, locale, c.consumer_client_id)} ← ${nameOf(names, locale, c.provider_client_id)}</a>`;
  const pending = opts.consents.filter((c) => c.status === 'requested');
  const active = opts.consents.filter((c) => c.status === 'given');
  const past = opts.consents.filter((c) => c.status !== 'requested' && c.status !== 'given');
  const rows = (list: readonly ConsentRow[]) => list.map((c) => [link(c), dataItemsInline(locale, opts.labels, c.provider_client_id, c.subsystem_code, c.data_items), day(locale, c.valid_until), statusLabel(locale, c.status)]);
  const columns = [t('consentWhoShort'), t('consentItems'), t('consentUntil'), t('consentStatus')];
  return frame({
    locale,
    title: t('consentsTitle'),
    section: 'consents',
    csrfToken: opts.csrfToken,
    flash: opts.flash,
    body: html`<p>${t('consentsLead')}</p>
<h2>${t('consentsPending')}</h2>
${pending.length ? table({ caption: t('consentsPending'), columns, rows: rows(pending) }) : emptyState({ title: t('consentsNonePending') })}
<h2>${t('consentsActive')}</h2>
${active.length ? table({ caption: t('consentsActive'), columns, rows: rows(active) }) : emptyState({ title: t('consentsNoneActive') })}
<h2>${t('consentsHistory')}</h2>
${past.length ? table({ caption: t('consentsHistory'), columns, rows: rows(past) }) : emptyState({ title: t('consentsNoneHistory') })}`,
  });
}

/** Where the consent's current version stands at the provider (its reflection, docs/protocols/consent-reflection.md). */
export type Delivery = { kind: 'none' } | { kind: 'reflected'; row: ReflectionVersionStatus | undefined } | { kind: 'pending' | 'failed'; row: ReflectionVersionStatus };

export function deliveryOf(reflection: ReflectionStatus | undefined, version: number): Delivery {
  const row = reflection?.versions.find((v) => v.version === version);
  // A newer acknowledged version also settles this one (the provider holds that one or newer).
  if (reflection?.acknowledgedVersion != null && reflection.acknowledgedVersion >= version) return { kind: 'reflected', row };
  if (!row) return { kind: 'none' };
  if (row.state === 'failed-permanently') return { kind: 'failed', row };
  return { kind: 'pending', row };
}

/**
 * The message after approving or withdrawing: "done" only when the provider has acknowledged this
 * version; otherwise that it is recorded and being delivered, with the attempts and the last error.
 */
export function decisionFlash(locale: Locale, done: 'given' | 'withdrawn', c: ConsentRow, reflection: ReflectionStatus | undefined, names: Names): { kind: 'success' | 'info' | 'error'; text: string } {
  const t = translator(plMessages, locale);
  const provider = nameOf(names, locale, c.provider_client_id);
  const delivery = deliveryOf(reflection, c.version);
  if (delivery.kind === 'reflected') return { kind: 'success', text: t(done === 'given' ? 'consentGivenReflected' : 'consentWithdrawnReflected', { provider }) };
  const lead = t(done === 'given' ? 'consentGivenPending' : 'consentWithdrawnPending', { provider });
  if (delivery.kind === 'none') return { kind: 'info', text: lead };
  const { row } = delivery;
  const progress = row.lastError ? t('deliveryProgressError', { attempts: row.attempts, error: errorCodeOf(row.lastError) }) : t('deliveryProgress', { attempts: row.attempts });
  if (delivery.kind === 'failed') return { kind: 'error', text: `${lead} ${t('deliveryFailedNote', { provider, error: errorCodeOf(row.lastError ?? '') })} ${progress}` };
  return { kind: 'info', text: `${lead} ${progress}` };
}

/** `503 KIT_INTERNAL` → `KIT_INTERNAL (503)`; `network ECONNREFUSED` as it is. Codes only, never bodies. */
function errorCodeOf(lastError: string): string {
  const m = /^(\d{3}) (.+)$/.exec(lastError);
  return m ? `${m[2]} (${m[1]})` : lastError;
}

function deliveryState(locale: Locale, v: ReflectionVersionStatus): string {
  const t = translator(plMessages, locale);
  if (v.state === 'failed-permanently') return t('deliveryFailed');
  if (v.state === 'acknowledged') return t(v.result === 'superseded' ? 'deliverySuperseded' : v.result === 'stale' ? 'deliveryStale' : 'deliveryAcknowledged');
  return v.attempts === 0 ? t('deliveryQueued') : t('deliveryPending');
}

function deliverySection(locale: Locale, c: ConsentRow, events: readonly ConsentEventRow[], reflection: ReflectionStatus | undefined, names: Names): SafeHtml {
  const t = translator(plMessages, locale);
  const provider = nameOf(names, locale, c.provider_client_id);
  const changeOf = new Map(events.filter((e) => e.type === 'given' || e.type === 'withdrawn' || e.type === 'expired').map((e) => [Number(e.details.version), e.type]));
  const rows = (reflection?.versions ?? []).map((v) => [
    String(v.version),
    eventLabel(locale, changeOf.get(v.version) ?? '—'),
    html`<span data-delivery-state="${v.state}" data-delivery-version="${String(v.version)}">${deliveryState(locale, v)}</span>`,
    String(v.attempts),
    v.lastError ? html`<code>${errorCodeOf(v.lastError)}</code>` : '—',
    v.acknowledgedAt && v.result !== 'superseded' ? when(locale, v.acknowledgedAt) : '—',
  ]);
  return html`<h2>${t('deliveryTitle')}</h2>
<p>${t('deliveryLead', { provider })}</p>
${rows.length ? table({ caption: t('deliveryTitle'), columns: [t('deliveryVersion'), t('deliveryChange'), t('deliveryState'), t('deliveryAttempts'), t('deliveryLastError'), t('deliveryAt')], rows }) : emptyState({ title: t('deliveryNone') })}`;
}

export function consentDetailPage(opts: { locale: Locale; csrfToken: string; consent: ConsentRow; events: readonly ConsentEventRow[]; chain: ChainVerification; names: Names; labels: DataItemLabels; pending: boolean; reflection?: ReflectionStatus; flash?: { kind: 'success' | 'info' | 'error'; text: string } }): SafeHtml {
  const t = translator(plMessages, opts.locale);
  const { locale, consent: c, names } = opts;
  const consumer = nameOf(names, locale, c.consumer_client_id);
  const actorLabel = (a: string) => (a.startsWith('resident:') ? t('actorResident') : a.startsWith('rp:') ? nameOf(names, locale, a.slice(3)) : a === 'system' ? t('actorSystem') : a);
  const events = opts.events.map((e) => [String(e.seq), when(locale, e.at), eventLabel(locale, e.type), actorLabel(e.actor), html`<code class="hash">${e.hash.slice(0, 16)}…</code>`]);
  const chain = opts.chain.ok
    ? html`<p class="flash flash-success" data-chain="ok">${t('chainOk', { count: String(opts.chain.events) })}</p>`
    : html`<p class="flash flash-error" role="alert" data-chain="broken">${t('chainBroken', { seq: String(opts.chain.brokenAt) })}</p>`;
  const actions = opts.pending
    ? html`<p>${t('consentAsk', { rp: consumer })}</p><div class="form-actions">
${form({ action: `/my/consents/${c.consent_id}/approve`, csrfToken: opts.csrfToken, body: button({ label: t('consentApprove') }) })}
${form({ action: `/my/consents/${c.consent_id}/decline`, csrfToken: opts.csrfToken, body: button({ label: t('consentDecline'), kind: 'secondary' }) })}
</div>`
    : c.status === 'given'
      ? html`<div class="form-actions">${form({ action: `/my/consents/${c.consent_id}/withdraw`, csrfToken: opts.csrfToken, confirm: t('consentWithdrawConfirm'), body: button({ label: t('consentWithdraw'), kind: 'danger' }) })}</div>`
      : '';
  return frame({
    locale,
    title: opts.pending ? t('consentRequestTitle') : t('consentDetailTitle'),
    section: 'consents',
    csrfToken: opts.csrfToken,
    flash: opts.flash,
    body: html`${opts.pending ? html`<p class="lead">${t('consentRequestLead', { rp: consumer, provider: nameOf(names, locale, c.provider_client_id) })}</p>` : ''}
${consentSummary(locale, c, names, opts.labels)}
${actions}
${c.status !== 'requested' ? html`<p>${linkButton({ href: c.return_uri, label: t('consentBackToService', { rp: consumer }) })}</p>` : ''}
${opts.reflection?.versions.length || c.status === 'given' || c.status === 'withdrawn' ? deliverySection(locale, c, opts.events, opts.reflection, names) : ''}
<h2>${t('consentHistoryTitle')}</h2>
${chain}
${table({ caption: t('consentHistoryTitle'), columns: [t('eventSeq'), t('eventAt'), t('eventType'), t('eventActor'), t('eventHash')], rows: events })}
<p class="muted">${t('consentIdLabel')}: <code>${c.consent_id}</code> · ${t('consentVersion')}: ${String(c.version)}</p>`,
  });
}

export function servicesPage(opts: { locale: Locale; csrfToken: string; services: readonly ResidentService[]; flash?: { kind: 'success' | 'error'; text: string } }): SafeHtml {
  const t = translator(plMessages, opts.locale);
  const { locale } = opts;
  const rows = opts.services.map((s) => [
    s.name[locale],
    s.status === 'linked' ? t('serviceLinked') : t('serviceUnlinked'),
    when(locale, s.linkedAt),
    s.unlinkedAt ? when(locale, s.unlinkedAt) : '—',
    s.status === 'linked' ? form({ action: `/my/services/${s.clientId}/unlink`, csrfToken: opts.csrfToken, confirm: t('serviceUnlinkConfirm'), body: button({ label: t('serviceUnlink'), kind: 'danger' }) }) : '—',
  ]);
  return frame({
    locale,
    title: t('servicesTitle'),
    section: 'services',
    csrfToken: opts.csrfToken,
    flash: opts.flash,
    body: html`<p>${t('servicesLead')}</p>
${opts.services.length ? table({ caption: t('servicesTitle'), columns: [t('serviceName'), t('consentStatus'), t('serviceLinkedAt'), t('serviceUnlinkedAt'), t('myActions')], rows }) : emptyState({ title: t('servicesNone') })}`,
  });
}

export function provisionPage(opts: { locale: Locale; csrfToken: string; names: Names; labels: DataItemLabels; rows: readonly { consent_id: string; type: string; at: Date | string; consumer_client_id: string; provider_client_id: string; subsystem_code: string; data_items: string[] }[] }): SafeHtml {
  const t = translator(plMessages, opts.locale);
  const { locale, names } = opts;
  const rows = opts.rows.map((r) => [
    when(locale, r.at),
    nameOf(names, locale, r.consumer_client_id),
    nameOf(names, locale, r.provider_client_id),
    dataItemsInline(locale, opts.labels, r.provider_client_id, r.subsystem_code, r.data_items),
    html`<a href="/my/consents/${r.consent_id}">${eventLabel(locale, r.type)}</a>`,
  ]);
  return frame({
    locale,
    title: t('provisionTitle'),
    section: 'provision',
    csrfToken: opts.csrfToken,
    body: html`<p>${t('provisionLead')}</p>
${rows.length ? table({ caption: t('provisionTitle'), columns: [t('eventAt'), t('provisionTo'), t('provisionFrom'), t('consentItems'), t('eventType')], rows }) : emptyState({ title: t('provisionNone') })}
<p>${t('provisionMyDataLink')} <a href="/my/data">${t('myDataTitle')}</a></p>`,
  });
}
