/**
 * `registerUi(app, { secureCookies })` makes a Fastify app able to serve the
 * kit's pages: static assets, urlencoded form bodies, `request.locale`, and
 * `reply.sendPage(html)` with the security headers every page needs.
 */
import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { registerAssets } from './assets.ts';
import { setCookie } from './cookies.ts';
import type { SafeHtml } from './html.ts';
import { DEFAULT_LOCALE, LANG_COOKIE, localeFromQuery, pickLocale, type Locale } from './i18n.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The page language (`?lang=`, `lang` cookie, Accept-Language, else ja); set by registerUi. */
    locale: Locale;
  }
  interface FastifyReply {
    /** Sends a page as `text/html; charset=utf-8` with the kit's security headers (status default 200). */
    /** `formActionOrigins`: other origins a form of this page may end up at (see pageHeaders). */
    sendPage(page: SafeHtml, status?: number, opts?: { formActionOrigins?: readonly string[] }): FastifyReply;
  }
}

export type UiOptions = {
  /** Mark cookies Secure; true whenever the UI is reached over HTTPS (always outside development). */
  secureCookies: boolean;
};

/** Pages load only this origin's CSS and JS; no inline script or style, no framing, forms post only here. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export const PAGE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
  // Pages show personal and administrative data: never from a shared or back-button cache.
  'cache-control': 'no-store',
});

/**
 * Page headers whose CSP lets forms reach `origins` too: browsers apply form-action to the redirects
 * that follow a form post (a consent request answered with a redirect to Personal-Link, a sign-in
 * form sent on to an upstream ID provider). Anything but a plain http(s) origin is left out.
 */
export function pageHeaders(origins: readonly string[] = []): Record<string, string> {
  const extra = [...new Set(origins)].filter((o) => /^https?:\/\/[A-Za-z0-9.\-:[\]]+$/.test(o));
  if (extra.length === 0) return { ...PAGE_HEADERS };
  return { ...PAGE_HEADERS, 'content-security-policy': CONTENT_SECURITY_POLICY.replace("form-action 'self'", `form-action 'self' ${extra.join(' ')}`) };
}

const LANG_COOKIE_MAX_AGE = 365 * 24 * 60 * 60;

// Any type provider: kit apps use zod's, tests may use plain Fastify.
type AnyFastify = FastifyInstance<any, any, any, any, any>;

/** Call once on the app (or the encapsulated plugin) that serves pages, before its routes. */
export function registerUi(app: AnyFastify, opts: UiOptions): void {
  const fastify = app as FastifyInstance;
  // The app's own body limit applies (no bodyLimit given here).
  if (!fastify.hasContentTypeParser('application/x-www-form-urlencoded')) fastify.register(formbody);
  registerAssets(fastify);

  fastify.decorateRequest('locale', DEFAULT_LOCALE);
  fastify.addHook('onRequest', async (request, reply) => {
    request.locale = pickLocale(request);
    // A ?lang= choice is remembered for the following pages.
    const chosen = localeFromQuery(request);
    if (chosen) setCookie(reply, LANG_COOKIE, chosen, { secure: opts.secureCookies, maxAgeSeconds: LANG_COOKIE_MAX_AGE });
  });

  fastify.decorateReply('sendPage', function sendPage(this: FastifyReply, page: SafeHtml, status = 200, o: { formActionOrigins?: readonly string[] } = {}) {
    return this.code(status).headers(o.formActionOrigins ? pageHeaders(o.formActionOrigins) : PAGE_HEADERS).send(page.html);
  });
}
