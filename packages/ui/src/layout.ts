/**
 * The page frame every JP-Link web page shares: document head, header with
 * app name, navigation, language switcher and sign-out, then the content.
 */
import { assetUrl } from './assets.ts';
import { flashMessage, form, type Flash } from './components.ts';
import { attrs, html, safeUrl, type HtmlValue, type SafeHtml } from './html.ts';
import { LOCALES, translator, type Locale } from './i18n.ts';
import { uiMessages } from './messages.ts';

export type NavItem = { href: string; label: HtmlValue; current?: boolean };

/** Signed in: the name and a sign-out form, which needs the session's CSRF token. */
type PageUser = { user?: undefined; csrfToken?: string } | { user: { name: string }; csrfToken: string };

export type PageOptions = PageUser & {
  locale: Locale;
  /** This page's title; the document title is "title | appName". */
  title: string;
  appName: string;
  /** Where the app name links to; default `/`. */
  homeHref?: string;
  nav: readonly NavItem[];
  /** Where the sign-out form posts; default `/sign-out`. */
  signOutAction?: string;
  flash?: Flash;
  /** Rendered as the page's `<h1>`; default `title`. Pass `false` when the body has its own. */
  heading?: HtmlValue | false;
  body: HtmlValue;
};

const LANGUAGE_NAME = { ja: 'languageJa', en: 'languageEn' } as const;

function languageSwitcher(locale: Locale): SafeHtml {
  const t = translator(uiMessages, locale);
  // Relative `?lang=` links keep the current path; registerUi stores the choice in a cookie.
  const links = LOCALES.map((l) => {
    const a = attrs({ href: `?lang=${l}`, hreflang: l, lang: l, 'aria-current': l === locale ? 'true' : undefined });
    return html`<li><a${a}>${t(LANGUAGE_NAME[l])}</a></li>`;
  });
  return html`<nav class="lang-switch" aria-label="${t('language')}"><ul>${links}</ul></nav>`;
}

function userBox(opts: PageOptions): SafeHtml | '' {
  if (!opts.user) return '';
  const t = translator(uiMessages, opts.locale);
  if (opts.csrfToken === undefined) throw new Error('page: csrfToken is required when a user is signed in (the sign-out form posts it)');
  const signOut = form({
    action: opts.signOutAction ?? '/sign-out',
    csrfToken: opts.csrfToken,
    class: 'sign-out',
    body: html`<button type="submit" class="button button-secondary button-small">${t('signOut')}</button>`,
  });
  return html`<div class="user-box"><span class="user-name" title="${t('signedInAs', { name: opts.user.name })}">${opts.user.name}</span>${signOut}</div>`;
}

/** A full HTML document. Send it with `reply.sendPage(page({...}))`. */
export function page(opts: PageOptions): SafeHtml {
  const t = translator(uiMessages, opts.locale);
  const navItems = opts.nav.map((item) => {
    const a = attrs({ href: safeUrl(item.href), 'aria-current': item.current ? 'page' : undefined });
    return html`<li><a${a}>${item.label}</a></li>`;
  });
  const nav =
    opts.nav.length === 0
      ? ''
      : html`<button type="button" class="nav-toggle button button-secondary button-small" data-nav-toggle aria-controls="site-nav" aria-expanded="false" hidden>${t('menu')}</button><nav class="site-nav" id="site-nav" aria-label="${t('mainNavigation')}"><ul>${navItems}</ul></nav>`;
  const heading = opts.heading === false ? '' : html`<h1>${opts.heading ?? opts.title}</h1>`;
  return html`<!doctype html>
<html lang="${opts.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${opts.title} | ${opts.appName}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${assetUrl('ui.css')}">
<script src="${assetUrl('ui.js')}" defer></script>
</head>
<body>
<a class="skip-link" href="#main">${t('skipToContent')}</a>
<header class="site-header">
<div class="site-header-inner">
<a class="app-name" href="${safeUrl(opts.homeHref ?? '/')}">${opts.appName}</a>
${nav}
<div class="header-tools">${languageSwitcher(opts.locale)}${userBox(opts)}</div>
</div>
</header>
<main id="main" tabindex="-1">
${opts.flash ? flashMessage(opts.flash) : ''}
${heading}
${opts.body}
</main>
</body>
</html>
`;
}
