// Shared bits of Personal-Link's pages: the locale outside Fastify (oidc-provider's Koa context),
// the CSP widened for forms whose answer redirects to another site, and the error page.
import { DEFAULT_LOCALE, html, isLocale, localeFromAcceptLanguage, page, translator, type Locale, type SafeHtml } from '@jplink/ui';

/** Page headers with more form-action origins: one definition, in the UI kit. */
export { pageHeaders } from '@jplink/ui';
import { plErrorMessages, plMessages } from './messages.ts';

export function readCookieHeader(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) {
      try {
        return decodeURIComponent(part.slice(i + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export function localeOf(headers: { cookie?: string | undefined; 'accept-language'?: string | undefined }): Locale {
  const chosen = readCookieHeader(headers.cookie, 'lang');
  if (isLocale(chosen)) return chosen;
  return localeFromAcceptLanguage(headers['accept-language']) ?? DEFAULT_LOCALE;
}

/**
 * The one navigation of the signed-in resident pages (my IDs, consents, linked services, provision
 * history, My Data): every page reaches the others; the current one is marked (aria-current).
 */
export function residentNav(locale: Locale, current: 'ids' | 'consents' | 'services' | 'provision' | 'mydata') {
  const t = translator(plMessages, locale);
  return [
    { href: '/my', label: t('myTitle'), current: current === 'ids' },
    { href: '/my/consents', label: t('consentsTitle'), current: current === 'consents' },
    { href: '/my/services', label: t('servicesTitle'), current: current === 'services' },
    { href: '/my/provision', label: t('provisionTitle'), current: current === 'provision' },
    { href: '/my/data', label: t('myDataTitle'), current: current === 'mydata' },
  ];
}

export type ErrorKey = keyof typeof plErrorMessages.ja;

export function errorPage(locale: Locale, key: ErrorKey, code: string, requestId?: string): SafeHtml {
  const t = translator(plMessages, locale);
  const e = translator(plErrorMessages, locale);
  return page({
    locale,
    title: t('errorTitle'),
    appName: t('appName'),
    nav: [],
    body: html`<p role="alert" class="flash flash-error">${e(key)}</p>
<p class="muted">${t('errorCode', { code })}${requestId ? html` · ${requestId}` : ''}</p>`,
  });
}
