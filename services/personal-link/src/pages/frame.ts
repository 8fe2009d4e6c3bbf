// Shared bits of Personal-Link's pages: the locale outside Fastify (oidc-provider's Koa context),
// the CSP widened for forms whose answer redirects to another site, and the error page.
import { CONTENT_SECURITY_POLICY, DEFAULT_LOCALE, html, isLocale, localeFromAcceptLanguage, page, PAGE_HEADERS, translator, type Locale, type SafeHtml } from '@jplink/ui';
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
 * Page headers whose CSP lets forms reach `origins` too: browsers apply form-action to the
 * redirects that follow a form post (to the upstream ID provider, back to the RP).
 */
export function pageHeaders(origins: readonly string[] = []): Record<string, string> {
  const extra = [...new Set(origins)].filter((o) => /^https?:\/\/[A-Za-z0-9.\-:[\]]+$/.test(o));
  if (extra.length === 0) return { ...PAGE_HEADERS };
  return { ...PAGE_HEADERS, 'content-security-policy': CONTENT_SECURITY_POLICY.replace("form-action 'self'", `form-action 'self' ${extra.join(' ')}`) };
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
