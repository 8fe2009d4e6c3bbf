// The resident pages: choosing an upstream ID (sign-in interaction and "my IDs" sign-in), the consent
// prompt for OIDC scopes, and "my IDs". Mobile-first, Japanese by default; every form carries a CSRF token.
import { button, definitionList, emptyState, flashMessage, form, html, page, table, translator, type Locale, type SafeHtml } from '@jplink/ui';
import type { LinkedAccount } from '../residents/residents.ts';
import type { UpstreamDefinition } from '../upstream/definitions.ts';
import { plMessages } from './messages.ts';
import { plStylesheet } from './assets.ts';
import { residentNav } from './frame.ts';

const badge = (locale: Locale) => html`<span class="badge badge-success">${translator(plMessages, locale)('verifiedBadge')}</span>`;

/** One form per upstream: a big button, the 本人確認済 badge on verified ones. */
function upstreamButtons(locale: Locale, upstreams: readonly UpstreamDefinition[], action: string, csrfToken: string, label: 'continueWith' | 'myAdd'): SafeHtml {
  const t = translator(plMessages, locale);
  if (upstreams.length === 0) return emptyState({ title: t('noUpstreams') });
  const items = upstreams.map(
    (u) => html`<li class="upstream-choice">${form({
      action,
      csrfToken,
      label: u.displayName[locale],
      body: html`<input type="hidden" name="upstream" value="${u.id}"><button type="submit" class="button button-primary upstream-button" data-upstream="${u.id}">${t(label, { name: u.displayName[locale] })}</button>${u.verified ? html` ${badge(locale)}` : ''}`,
    })}</li>`,
  );
  return html`<ul class="upstream-list">${items}</ul>`;
}

export function chooseUpstreamPage(opts: { locale: Locale; rpName: string | null; upstreams: readonly UpstreamDefinition[]; action: string; csrfToken: string; flash?: string; verifiedRequired?: boolean }): SafeHtml {
  const t = translator(plMessages, opts.locale);
  return page({
    locale: opts.locale,
    title: t('chooseTitle'),
    appName: t('appName'),
    nav: [],
    ...(opts.flash ? { flash: { kind: 'error' as const, text: opts.flash } } : {}),
    body: html`${plStylesheet()}<p>${opts.rpName ? t('chooseLead', { rp: opts.rpName }) : t('chooseLeadSelf')}</p>
${opts.verifiedRequired && opts.rpName ? flashMessage({ kind: 'info', text: t('verifiedRequired', { rp: opts.rpName }) }) : ''}
${upstreamButtons(opts.locale, opts.upstreams, opts.action, opts.csrfToken, 'continueWith')}
${opts.upstreams.some((u) => u.verified) ? html`<p class="muted">${t('verifiedHelp')}</p>` : ''}`,
  });
}

const SCOPE_KEYS = { openid: 'scope_openid', profile: 'scope_profile', email: 'scope_email', offline_access: 'scope_offline_access', verified_identity: 'scope_verified_identity' } as const;

export function consentPage(opts: { locale: Locale; rpName: string; scopes: readonly string[]; uid: string; csrfToken: string }): SafeHtml {
  const t = translator(plMessages, opts.locale);
  const items = opts.scopes.map((s) => html`<li data-scope="${s}">${s in SCOPE_KEYS ? t(SCOPE_KEYS[s as keyof typeof SCOPE_KEYS]) : s}</li>`);
  return page({
    locale: opts.locale,
    title: t('consentTitle'),
    appName: t('appName'),
    nav: [],
    body: html`${plStylesheet()}<p>${t('consentLead', { rp: opts.rpName })}</p>
<ul class="scope-list">${items}</ul>
<p class="muted">${t('consentNote', { rp: opts.rpName })}</p>
<div class="form-actions">
${form({ action: `/interaction/${opts.uid}/confirm`, csrfToken: opts.csrfToken, body: button({ label: t('consentAllow') }) })}
${form({ action: `/interaction/${opts.uid}/abort`, csrfToken: opts.csrfToken, body: button({ label: t('consentDeny'), kind: 'secondary' }) })}
</div>`,
  });
}

export function myIdsPage(opts: {
  locale: Locale;
  baseId: string;
  identityVerified: boolean;
  accounts: readonly LinkedAccount[];
  upstreams: readonly UpstreamDefinition[];
  csrfToken: string;
  flash?: { kind: 'success' | 'error'; text: string };
}): SafeHtml {
  const t = translator(plMessages, opts.locale);
  const names = new Map(opts.upstreams.map((u) => [u.id, u.displayName[opts.locale]]));
  const when = (d: Date) => d.toLocaleString(opts.locale === 'ja' ? 'ja-JP' : 'en-GB', { timeZone: 'Asia/Tokyo' });
  const last = opts.accounts.length <= 1;
  const rows = opts.accounts.map((a) => [
    html`${names.get(a.upstreamId) ?? a.upstreamId}${a.verified ? html` ${badge(opts.locale)}` : ''}`,
    a.label ?? '—',
    when(a.createdAt),
    when(a.lastSignInAt),
    last
      ? html`<span class="muted">${t('myLastOne')}</span>`
      : form({ action: `/my/accounts/${a.id}/delete`, csrfToken: opts.csrfToken, confirm: t('myRemoveConfirm'), body: button({ label: t('myRemove'), kind: 'danger' }) }),
  ]);
  return page({
    locale: opts.locale,
    title: t('myTitle'),
    appName: t('appName'),
    homeHref: '/my',
    nav: residentNav(opts.locale, 'ids'),
    user: { name: t('residentName') },
    csrfToken: opts.csrfToken,
    signOutAction: '/my/sign-out',
    ...(opts.flash ? { flash: opts.flash } : {}),
    body: html`${plStylesheet()}${definitionList([
      [t('myBaseId'), html`<code data-base-id>${opts.baseId}</code>`],
      [t('myIdentity'), opts.identityVerified ? badge(opts.locale) : t('myNotVerified')],
    ])}
${table({ caption: t('myAccounts'), columns: [t('myProvider'), t('myLabel'), t('myLinkedAt'), t('myLastUsed'), t('myActions')], rows })}
<h2>${t('myAddTitle')}</h2>
<p>${t('myAddLead')}</p>
${upstreamButtons(opts.locale, opts.upstreams, '/my/link', opts.csrfToken, 'myAdd')}`,
  });
}
