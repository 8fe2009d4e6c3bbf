// Servicer B's web app: a healthcare app that signs residents in with Personal-Link (code + PKCE
// with openid-client), keeps its own user master keyed by its patient number and its ID conversion
// rows, tells Personal-Link (ID完了通知, ID連携完了通知), and shows the resident's vitals and which
// services may read them (the consents reflected to its Adapter Server, each registered back to
// Personal-Link: 許諾情報登録). Pages from @jplink/ui: server-rendered, ja/en, CSRF on every form.
import * as client from 'openid-client';
import { AppError, createHttpApp, isAppError, type App, type Logger } from '@jplink/kit';
import { migrate, type Database } from '@jplink/db';
import {
  createSessions,
  definitionList,
  emptyState,
  html,
  linkButton,
  page,
  registerUi,
  table,
  translator,
  verifyCsrf,
  type Flash,
  type HtmlValue,
  type Locale,
} from '@jplink/ui';
import type { HealthConfig } from './config.ts';
import { createUser, idConversionOf, markNotified, saveIdConversion, userByBaseId, vitalOf, vitalsOf, type Vital } from './db/queries.ts';
import { healthMigrations } from './db/migrations.ts';
import type { HealthTables } from './db/schema.ts';
import { HEALTH_ERRORS as E } from './errors.ts';
import { healthMessages } from './messages.ts';
import type { AdapterAdminApi, PersonalLinkApi, ReflectedConsent } from './partners.ts';
import { sampleVitals } from './sample-vitals.ts';

export interface HealthcareAppDeps {
  database: Database<HealthTables>;
  logger: Logger;
  /** Personal-Link as an OpenID Provider for this RP (client.discovery with the RP's credentials). */
  oidc: client.Configuration;
  personalLink: PersonalLinkApi;
  adapter: AdapterAdminApi;
  now?: () => Date;
}

type SessionData =
  | { kind: 'pending'; state: string; nonce: string; verifier: string }
  | { kind: 'user'; userId: string; name: string; baseId: string; idToken: string };

export const REDIRECT_PATH = '/auth/callback';

export async function createHealthcareApp(config: HealthConfig, deps: HealthcareAppDeps): Promise<App> {
  const { database, oidc, personalLink, adapter } = deps;
  const db = database.db;
  const now = deps.now ?? (() => new Date());
  const log = deps.logger.child({ component: 'healthcare-app' });
  await migrate(database, healthMigrations, { logger: deps.logger });

  const publicUrl = config.HEALTH_PUBLIC_URL.replace(/\/+$/, '');
  const redirectUri = `${publicUrl}${REDIRECT_PATH}`;
  const secure = config.HEALTH_SECURE_COOKIES;
  const app = createHttpApp({ name: 'servicer-b', logger: deps.logger, bodyLimit: 16 * 1024 });
  registerUi(app, { secureCookies: secure });
  const sessions = createSessions<SessionData>({ cookieName: secure ? '__Host-health_session' : 'health_session', ttlSeconds: 8 * 3600, idleSeconds: 30 * 60, secure });

  // Every form (sign-out) is checked before body validation. Sign-in is a plain link: it only starts a
  // pre-sign-in session, and its state binds Personal-Link's answer to this browser.
  app.addHook('preValidation', async (request) => {
    if (request.method === 'GET' || request.method === 'HEAD') return;
    verifyCsrf(request, await sessions.read(request));
  });

  const signedIn = async (request: Parameters<typeof sessions.read>[0]) => {
    const session = await sessions.read(request);
    return session && session.data.kind === 'user' ? { user: session.data, csrfToken: session.csrfToken } : null;
  };

  type Who = { user: { name: string }; csrfToken: string } | null;
  const frame = (locale: Locale, who: Who, title: string, body: HtmlValue, opts: { current?: 'home' | 'vitals'; heading?: false; flash?: Flash } = {}) => {
    const t = translator(healthMessages, locale);
    const base = { locale, title, appName: t('appName'), body, ...(opts.heading === false ? { heading: false as const } : {}), ...(opts.flash ? { flash: opts.flash } : {}) };
    if (!who) return page({ ...base, nav: [] });
    return page({
      ...base,
      nav: [
        { href: '/', label: t('home'), current: opts.current === 'home' },
        { href: '/vitals', label: t('myVitals'), current: opts.current === 'vitals' },
      ],
      user: { name: who.user.name },
      csrfToken: who.csrfToken,
      signOutAction: '/auth/logout',
    });
  };

  const errorPage = (locale: Locale, error: AppError) => {
    const t = translator(healthMessages, locale);
    return frame(
      locale,
      null,
      t('signInFailed'),
      html`<p>${t('signInFailedText')}</p><p class="muted">${t('errorCode', { code: error.code })}</p><p>${linkButton({ href: '/', label: t('tryAgain'), kind: 'primary' })}</p>`,
    );
  };

  // Top page: what the app is, and the one button.
  app.get('/', async (request, reply) => {
    const t = translator(healthMessages, request.locale);
    const who = await signedIn(request);
    if (who) {
      return reply.sendPage(
        frame(request.locale, who, t('appName'), html`<p>${t('welcome', { name: who.user.name })}</p><p>${t('intro')}</p><p>${linkButton({ href: '/vitals', label: t('openVitals'), kind: 'primary' })}</p>`, { current: 'home' }),
      );
    }
    const body = html`<p>${t('intro')}</p><p>${t('signInLead')}</p><p>${linkButton({ href: '/auth/login', label: t('signInWithPl'), kind: 'primary' })}</p>`;
    return reply.sendPage(frame(request.locale, null, t('appName'), body));
  });

  // Starts code + PKCE: state, nonce and the verifier live in a fresh pre-sign-in session. A GET link,
  // not a form: the pages' CSP (form-action 'self') stops a form submission redirected to Personal-Link.
  app.get('/auth/login', async (_request, reply) => {
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    await sessions.start(reply, { kind: 'pending', state, nonce, verifier });
    const url = client.buildAuthorizationUrl(oidc, {
      redirect_uri: redirectUri,
      scope: 'openid profile',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return reply.redirect(url.href, 303);
  });

  app.get(REDIRECT_PATH, async (request, reply) => {
    const session = await sessions.read(request);
    const callback = new URL(request.url, publicUrl);
    const pending = session?.data.kind === 'pending' ? session.data : null;
    if (!pending || callback.searchParams.get('state') !== pending.state) {
      log.warn({ code: E.HEALTH_AUTH_STATE_INVALID.code, hasPending: pending !== null }, 'sign-in callback refused');
      await sessions.destroy(request, reply);
      return reply.sendPage(errorPage(request.locale, new AppError(E.HEALTH_AUTH_STATE_INVALID)), 400);
    }
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(oidc, callback, { pkceCodeVerifier: pending.verifier, expectedState: pending.state, expectedNonce: pending.nonce, idTokenExpected: true });
    } catch (cause) {
      log.warn({ code: E.HEALTH_AUTH_FAILED.code, err: cause }, 'sign-in callback refused');
      await sessions.destroy(request, reply);
      return reply.sendPage(errorPage(request.locale, new AppError(E.HEALTH_AUTH_FAILED)), 400);
    }
    const claims = tokens.claims()!;
    const baseId = String(claims.sub);
    const t = translator(healthMessages, request.locale);
    try {
      // Find or create the patient, then the ID conversion rows and the two notices (each idempotent: a failed step is retried at the next sign-in).
      const at = now();
      const user = (await userByBaseId(db, baseId)) ?? (await createUser(db, database.schema, { displayName: await displayName(tokens.access_token, baseId, claims.name, t('guest')), now: at, vitals: (id) => sampleVitals(id, at) }));
      await saveIdConversion(db, { userId: user.user_id, baseId, now: at });
      await adapter.putIdConversion(baseId, user.user_id);
      const row = await idConversionOf(db, user.user_id);
      await personalLink.notifyIdConversion({ baseId, localUserId: user.user_id });
      if (!row?.conversion_notified_at) await markNotified(db, user.user_id, 'conversion_notified_at', now());
      await personalLink.notifyLinked({ baseId, status: 'linked' });
      if (!row?.linked_at) await markNotified(db, user.user_id, 'linked_at', now());
      await sessions.start(reply, { kind: 'user', userId: user.user_id, name: user.display_name, baseId, idToken: tokens.id_token! });
      log.info({ userId: user.user_id }, 'resident signed in and linked');
    } catch (error) {
      if (!isAppError(error)) throw error;
      log.error({ code: error.code, err: error }, 'linking the resident failed');
      await sessions.destroy(request, reply);
      return reply.sendPage(errorPage(request.locale, error), error.statusCode);
    }
    return reply.redirect('/vitals', 303);
  });

  /** The resident's name for a new patient: from the ID token, else from userinfo (scope profile). */
  const displayName = async (accessToken: string, sub: string, fromIdToken: unknown, fallback: string) => {
    if (typeof fromIdToken === 'string' && fromIdToken) return fromIdToken;
    try {
      const info = await client.fetchUserInfo(oidc, accessToken, sub);
      return typeof info.name === 'string' && info.name ? info.name : fallback;
    } catch (error) {
      log.warn({ err: error }, 'userinfo failed; the patient gets a placeholder name');
      return fallback;
    }
  };

  // RP-initiated logout: end our session here, then offer Personal-Link's end-session endpoint as a
  // link (a form submission may not be redirected to another origin under form-action 'self').
  app.post('/auth/logout', async (request, reply) => {
    const who = await signedIn(request);
    await sessions.destroy(request, reply);
    if (!who) return reply.redirect('/', 303);
    const t = translator(healthMessages, request.locale);
    const end = client.buildEndSessionUrl(oidc, { id_token_hint: who.user.idToken, post_logout_redirect_uri: `${publicUrl}/` });
    return reply.sendPage(
      frame(request.locale, null, t('signedOut'), html`<p>${t('signedOutText')}</p><p>${linkButton({ href: end.href, label: t('signOutPl'), kind: 'primary' })}</p><p><a href="/">${t('home')}</a></p>`),
    );
  });

  const numberCell = (v: number) => v.toLocaleString('ja-JP');
  /** `2026-12-04` → `12/4`: short enough for a phone's first column (the full date is on the record page). */
  const shortDate = (isoDate: string) => `${Number(isoDate.slice(5, 7))}/${Number(isoDate.slice(8, 10))}`;

  app.get('/vitals', async (request, reply) => {
    const who = await signedIn(request);
    if (!who) return reply.redirect('/', 303);
    const t = translator(healthMessages, request.locale);
    const rows = await vitalsOf(db, who.user.userId);
    const list = table({
      caption: t('vitalsCaption'),
      columns: [t('measuredOn'), t('bloodPressure'), t('heartRate'), t('temperature'), t('steps')],
      numeric: [1, 2, 3, 4],
      empty: t('noVitals'),
      rows: rows.map((v) => [html`<a href="/vitals/${String(v.id)}"><time datetime="${v.measured_on}">${shortDate(v.measured_on)}</time></a>`, `${v.systolic}/${v.diastolic}`, String(v.heart_rate), v.body_temperature, numberCell(v.steps)]),
    });
    const sharing = await sharingSection(request.locale, who.user.baseId);
    const body = html`<p>${t('patientNumber')}: <span id="patient-number">${who.user.userId}</span></p>${list}${sharing}`;
    return reply.sendPage(frame(request.locale, who, t('myVitals'), body, { current: 'vitals' }));
  });

  app.get('/vitals/:id', async (request, reply) => {
    const who = await signedIn(request);
    if (!who) return reply.redirect('/', 303);
    const t = translator(healthMessages, request.locale);
    const raw = (request.params as { id?: string }).id ?? '';
    const vital = /^\d{1,9}$/.test(raw) ? await vitalOf(db, who.user.userId, Number(raw)) : undefined;
    if (!vital) return reply.sendPage(frame(request.locale, who, t('notFound'), html`<p>${t('notFoundText')}</p><p>${linkButton({ href: '/vitals', label: t('backToList') })}</p>`), 404);
    return reply.sendPage(frame(request.locale, who, t('vitalDetail', { date: vital.measured_on }), detail(request.locale, vital), { current: 'vitals' }));
  });

  const detail = (locale: Locale, v: Vital) => {
    const t = translator(healthMessages, locale);
    return html`${definitionList([
      [t('measuredOn'), v.measured_on],
      [t('systolic'), String(v.systolic)],
      [t('diastolic'), String(v.diastolic)],
      [t('heartRate'), String(v.heart_rate)],
      [t('temperature'), v.body_temperature],
      [t('steps'), numberCell(v.steps)],
    ])}<p>${linkButton({ href: '/vitals', label: t('backToList') })}</p>`;
  };

  /**
   * The consents reflected to B's Adapter Server for this resident (its admin API), the ones in force
   * now. Each is registered back to Personal-Link (許諾情報登録; idempotent per version).
   */
  const sharingSection = async (locale: Locale, baseId: string) => {
    const t = translator(healthMessages, locale);
    let active: ReflectedConsent[];
    try {
      const at = now().getTime();
      active = (await adapter.consents(baseId)).filter((c) => c.status === 'active' && c.subsystemCode === config.HEALTH_SUBSYSTEM_CODE && Date.parse(c.validFrom) <= at && at < Date.parse(c.validUntil));
    } catch (error) {
      log.error({ err: error }, 'reading the reflected consents failed');
      return html`<h2>${t('sharingTitle')}</h2><p role="alert">${t('sharingUnavailable')}</p>`;
    }
    await registerConsents(active);
    const item = (name: string) => {
      const key = `item_${name}` as const;
      return key in healthMessages.ja ? t(key as keyof typeof healthMessages.ja & `item_${string}`) : name;
    };
    const list = active.length
      ? table({
          caption: t('sharingTitle'),
          columns: [t('sharingService'), t('sharingItems'), t('sharingPurpose'), t('sharingUntil')],
          rows: active.map((c) => [c.client, c.dataItems.map(item).join('、'), c.purpose, c.validUntil.slice(0, 10)]),
        })
      : emptyState({ title: t('sharingNone') });
    return html`<h2>${t('sharingTitle')}</h2><p>${t('sharingLead')}</p><div id="sharing">${list}</div>`;
  };

  /** 許諾情報登録 for each version not yet registered by this process (Personal-Link answers already-registered for repeats). */
  const registered = new Set<string>();
  const registerConsents = async (consents: ReflectedConsent[]) => {
    for (const c of consents) {
      const key = `${c.consentId}#${c.version}`;
      if (registered.has(key)) continue;
      try {
        await personalLink.registerConsent(c.consentId, c.version);
        registered.add(key);
      } catch (error) {
        log.warn({ err: error, consentId: c.consentId }, '許諾情報登録 failed; retried at the next view');
      }
    }
  };

  return app;
}
