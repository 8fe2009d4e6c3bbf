// The Adapter Server's admin UI: server-rendered pages (Japanese first, English with ?lang=en) on
// the admin listener, next to the JSON admin API. The administrator signs in with the admin API key;
// pages need the session, every POST its CSRF token. docs/operations/adapter-server.md (## Admin UI).
import type { FastifyRequest } from 'fastify';
import { isAppError } from '@jplink/kit';
import { createLoginCsrf, createSessions, createSignInThrottle, html, linkButton, page, registerUi, translator, uiMessages, verifyCsrf, type NavItem, type Session } from '@jplink/ui';
import type { AdapterServerDeps } from '../adapter-server.ts';
import { registerConnectionPages } from './connections.ts';
import { registerDashboard } from './dashboard.ts';
import { registerPersonalPages } from './personal.ts';
import { registerServicePages } from './services.ts';
import { registerSignIn } from './sign-in.ts';
import { registerSubsystemPages } from './subsystems.ts';
import { errorText, tr, type AdminSessionData, type T, type UiContext } from './shared.ts';

export type AdminUiOptions = {
  /** Failed sign-ins per client address before it is locked out; default 5. */
  signInAttempts?: number;
  /** Window for counting failures and lock-out duration (seconds); default 900 each. */
  signInWindowSeconds?: number;
  signInLockSeconds?: number;
  /** Session lifetime from sign-in and idle limit (seconds); default 8 hours and 30 minutes. */
  sessionTtlSeconds?: number;
  sessionIdleSeconds?: number;
};

const SECTIONS = [
  ['/', 'navDashboard'],
  ['/connections', 'navConnections'],
  ['/subsystems', 'navSubsystems'],
  ['/id-conversions', 'navIdConversions'],
  ['/consents', 'navConsents'],
] as const;

function navigation(route: string, t: T): NavItem[] {
  return SECTIONS.map(([href, label]) => ({ href, label: t(label), current: href === '/' ? route === '/' : route === href || route.startsWith(`${href}/`) }));
}

/** The `registerUi` hook of `createAdapterServer`: `createAdapterServer(config, { …, registerUi: adminUi() })`. */
export function adminUi(options: AdminUiOptions = {}): NonNullable<AdapterServerDeps['registerUi']> {
  return async (app, core, { apiKeySha256, secureCookies }) => {
    // Encapsulated: the hooks, error handler and decorations below apply to the pages only, not to the API.
    await app.register(async (scope) => {
      // Pages are not part of the admin API's OpenAPI document.
      scope.addHook('onRoute', (route) => {
        route.schema = { ...route.schema, hide: true };
      });
      registerUi(scope, { secureCookies });
      const sessions = createSessions<AdminSessionData>({
        cookieName: secureCookies ? '__Host-jplink_adapter_admin' : 'jplink_adapter_admin',
        ttlSeconds: options.sessionTtlSeconds ?? 8 * 3600,
        idleSeconds: options.sessionIdleSeconds ?? 30 * 60,
        secure: secureCookies,
      });
      const loginCsrf = createLoginCsrf({ secure: secureCookies });
      const throttle = createSignInThrottle({
        maxAttempts: options.signInAttempts ?? 5,
        windowSeconds: options.signInWindowSeconds ?? 900,
        lockSeconds: options.signInLockSeconds ?? 900,
      });
      const sessionOf = new WeakMap<FastifyRequest, Session<AdminSessionData>>();

      const ctx: UiContext = {
        core,
        session(request) {
          const session = sessionOf.get(request);
          if (!session) throw new Error('admin UI: a page route ran without a session');
          return session;
        },
        send(request, reply, parts) {
          const t = tr(request.locale);
          const session = sessionOf.get(request);
          const base = {
            locale: request.locale,
            title: parts.title,
            appName: t('appName'),
            body: parts.body,
            ...(parts.flash ? { flash: parts.flash } : {}),
            ...(parts.heading !== undefined ? { heading: parts.heading } : {}),
          };
          const markup = session
            ? page({ ...base, nav: navigation(request.routeOptions.url ?? '', t), user: { name: t('administrator') }, csrfToken: session.csrfToken })
            : page({ ...base, nav: [] });
          return reply.sendPage(markup, parts.status ?? 200);
        },
      };

      // Before body validation (docs/ui-kit.md): the session, then CSRF on every POST, then sign-in.
      scope.addHook('preValidation', async (request, reply) => {
        const route = request.routeOptions.url ?? '';
        if (route.startsWith('/assets/')) return;
        const session = await sessions.read(request);
        if (session) sessionOf.set(request, session);
        if (request.method !== 'GET' && request.method !== 'HEAD') {
          if (route === '/sign-in') loginCsrf.verifyLoginCsrf(request);
          else verifyCsrf(request, session);
        }
        if (!session && route !== '/sign-in') {
          const next = request.url === '/' ? '' : `?${new URLSearchParams({ next: request.url }).toString()}`;
          return reply.redirect(`/sign-in${next}`, 303);
        }
      });

      // Errors on pages are pages (never the API's JSON envelope), in the reader's language.
      scope.setErrorHandler(async (error, request, reply) => {
        const ui = translator(uiMessages, request.locale);
        const t = tr(request.locale);
        const signedIn = sessionOf.has(request);
        if (isAppError(error) && error.code === 'UI_CSRF_INVALID') {
          request.log.warn({ err: error }, 'admin UI: CSRF check failed');
          const text = signedIn ? ui('errorCsrf') : ui('errorSessionExpired');
          return ctx.send(request, reply, { title: ui('errorTitle'), status: 403, flash: { kind: 'error', text }, body: signedIn ? '' : html`<p>${linkButton({ href: '/sign-in', label: t('backToSignIn') })}</p>` });
        }
        const status = isAppError(error) ? error.statusCode : typeof (error as { statusCode?: unknown }).statusCode === 'number' ? (error as { statusCode: number }).statusCode : 500;
        const ours = isAppError(error) && (status < 500 || error.code.startsWith('ADAPTER_'));
        if (ours) request.log.info({ err: error }, 'admin UI: request refused');
        else request.log.error({ err: error }, 'admin UI: page failed');
        const text = ours && isAppError(error) ? errorText(error, t) : status === 404 ? ui('errorNotFound') : status >= 500 ? ui('errorInternal') : t('errorUnexpected');
        return ctx.send(request, reply, {
          title: status === 404 ? ui('errorTitle') : t('errorStatus', { status }),
          status: status >= 400 ? status : 500,
          flash: { kind: 'error', text },
          body: signedIn ? html`<p>${linkButton({ href: '/', label: t('navDashboard') })}</p>` : '',
        });
      });

      registerSignIn(scope, ctx, { sessions, loginCsrf, throttle, apiKeySha256 });
      registerDashboard(scope, ctx);
      registerConnectionPages(scope, ctx);
      registerSubsystemPages(scope, ctx);
      registerServicePages(scope, ctx);
      registerPersonalPages(scope, ctx);
    });
  };
}
