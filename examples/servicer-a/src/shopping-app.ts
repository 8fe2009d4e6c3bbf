// Servicer A: a shopping-support app (data consumer). Residents sign in with Personal-Link (code +
// PKCE, state and nonce, ID token validated by openid-client); on the first sign-in the app gives
// them a member number, writes its ID conversion row and sends ID完了通知 and ID連携完了通知. The
// recommendations page asks for consent to B's vitals (consent request → Personal-Link's approval
// page → back at /consents/done → status checked), then shows B's vitals fetched through A's own
// Security Server, and says clearly when B refuses (consent withdrawn, access denied). Personal-Link
// pushes each decision (given, declined, withdrawn, expired) as a signed Security Event Token to
// /personal-link/consent-events, so the page follows a withdrawal without asking Personal-Link.
import * as oidc from 'openid-client';
import { AppError, createHttpApp, type App, type Logger } from '@jplink/kit';
import { migrate, type Database } from '@jplink/db';
import {
  button,
  createSessions,
  definitionList,
  flashMessage,
  form,
  html,
  linkButton,
  page,
  registerUi,
  table,
  translator,
  verifyCsrf,
  type HtmlValue,
  type Locale,
  type NavItem,
  type Translate,
} from '@jplink/ui';
import { createConsentNotificationVerifier, PersonalLinkError } from '@jplink/sdk';
import type { ShopConfig } from './config.ts';
import { SHOP_ERRORS } from './errors.ts';
import { shopMessages, type ShopMessageKey } from './messages.ts';
import { PersonalDataRefused, type FetchRefusal, type PersonalDataSource, type PersonalLinkApi } from './partners.ts';
import type { ShopTables } from './db/schema.ts';
import { shopMigrations } from './db/migrations.ts';
import {
  createUserWithConversion,
  findUserByBaseId,
  insertConsentRequest,
  latestConsentRequest,
  applyConsentEvent,
  markNotified,
  updateConsentStatus,
  type ShopUser,
} from './db/queries.ts';

export interface ShoppingAppDeps {
  database: Database<ShopTables>;
  logger: Logger;
  /** This app's registration at Personal-Link (from SHOP_PL_CREDENTIALS_FILE). */
  credentials: { clientId: string; clientSecret: string };
  personalLink: PersonalLinkApi;
  personalData: PersonalDataSource;
  now?: () => Date;
}

/** Where Personal-Link pushes consent notifications (the RP registration's consentNotificationUri). */
export const CONSENT_EVENTS_PATH = '/personal-link/consent-events';

export interface ShoppingApp {
  app: App;
  redirectUri: string;
  returnUri: string;
}

/** The ID token is kept for RP-initiated logout (id_token_hint). */
type SignedIn = { userId: string; baseId: string; name: string; idToken: string };
type PendingSignIn = { state: string; nonce: string; verifier: string };

/** Known data items are shown with labels; others by their column name. */
const ITEM_KEYS: Record<string, ShopMessageKey> = {
  measured_on: 'item.measured_on',
  systolic: 'item.systolic',
  diastolic: 'item.diastolic',
  heart_rate: 'item.heart_rate',
  steps: 'item.steps',
  weight_kg: 'item.weight_kg',
  height_cm: 'item.height_cm',
};

const REFUSAL_TEXT: Record<FetchRefusal, ShopMessageKey> = {
  'consent-required': 'refusedConsent',
  'access-denied': 'refusedDenied',
  unavailable: 'refusedUnavailable',
};

function average(rows: Record<string, unknown>[], column: string): number | undefined {
  const values = rows.map((r) => Number(r[column])).filter((v) => Number.isFinite(v));
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : undefined;
}

/** A table cell: `2026-12-04` → `12/4` (short enough for a phone's first column), numbers with separators. */
function cell(column: string, value: unknown): string {
  if (value === null || value === undefined) return '';
  if (column === 'measured_on' && typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value)) return `${Number(value.slice(5, 7))}/${Number(value.slice(8, 10))}`;
  if (typeof value === 'number') return value.toLocaleString('ja-JP');
  return String(value);
}

/** A message without placeholders, chosen at run time. */
const plain = (t: Translate<(typeof shopMessages)['ja']>, key: ShopMessageKey): string => (t as unknown as (k: string) => string)(key);

/** A simple, explainable rule: the first that applies wins. */
export function recommend(rows: Record<string, unknown>[]): 'recSalt' | 'recWalk' | 'recPulse' | 'recDefault' {
  const systolic = average(rows, 'systolic');
  const steps = average(rows, 'steps');
  const pulse = average(rows, 'heart_rate');
  if (systolic !== undefined && systolic >= 130) return 'recSalt';
  if (steps !== undefined && steps < 6000) return 'recWalk';
  if (pulse !== undefined && pulse >= 90) return 'recPulse';
  return 'recDefault';
}

export async function createShoppingApp(config: ShopConfig, deps: ShoppingAppDeps): Promise<ShoppingApp> {
  const now = deps.now ?? (() => new Date());
  const db = deps.database.db;
  const schema = deps.database.schema;
  const base = config.SHOP_PUBLIC_URL.replace(/\/+$/, '');
  const redirectUri = `${base}/auth/callback`;
  const returnUri = `${base}/consents/done`;
  const secure = config.SHOP_SECURE_COOKIES;
  const insecureIssuer = new URL(config.SHOP_PL_ISSUER).protocol === 'http:';
  /** Personal-Link's pages (sign-in, approval) are served at its issuer's origin. */
  const plOrigin = new URL(config.SHOP_PL_ISSUER).origin;
  await migrate(deps.database, shopMigrations);

  // Discovery once at start: issuer, endpoints and JWKS location (the ID token is checked against them).
  const oidcConfig = await oidc.discovery(
    new URL(config.SHOP_PL_ISSUER),
    deps.credentials.clientId,
    undefined,
    oidc.ClientSecretBasic(deps.credentials.clientSecret),
    insecureIssuer ? { execute: [oidc.allowInsecureRequests] } : undefined,
  );

  const app = createHttpApp({ name: 'servicer-a', logger: deps.logger, bodyLimit: 16 * 1024 });
  registerUi(app, { secureCookies: secure });
  const sessions = createSessions<SignedIn>({ cookieName: secure ? '__Host-shop_session' : 'shop_session', ttlSeconds: 8 * 3600, idleSeconds: 3600, secure });
  // Between "sign in" and the callback: state, nonce and the PKCE verifier, tied to this browser.
  const pending = createSessions<PendingSignIn>({ cookieName: secure ? '__Host-shop_signin' : 'shop_signin', ttlSeconds: 600, idleSeconds: 600, secure });

  // Every POST is a page's form, checked against the session's CSRF token — except the consent
  // notifications: Personal-Link posts them with no session or cookie, and each is authenticated by
  // its own signature instead (verified below against Personal-Link's JWKS, issuer and our client id).
  app.addHook('preValidation', async (request) => {
    if (request.method === 'POST' && request.routeOptions.url !== CONSENT_EVENTS_PATH) verifyCsrf(request, await sessions.read(request));
  });

  const frame = (locale: Locale, opts: { title: string; body: HtmlValue; current?: string; who?: { data: SignedIn; csrfToken: string } | null; status?: number }) => {
    const t = translator(shopMessages, locale);
    const nav: NavItem[] = opts.who
      ? [
          { href: '/', label: t('home'), current: opts.current === '/' },
          { href: '/recommendations', label: t('recommendations'), current: opts.current === '/recommendations' },
        ]
      : [];
    const common = { locale, title: opts.title, appName: t('appName'), nav, body: opts.body };
    return opts.who ? page({ ...common, user: { name: opts.who.data.name }, csrfToken: opts.who.csrfToken }) : page(common);
  };

  const problemPage = (locale: Locale, textKey: ShopMessageKey, code: string) => {
    const t = translator(shopMessages, locale);
    return frame(locale, {
      title: t('signInAgainTitle'),
      body: html`${flashMessage({ kind: 'error', text: plain(t, textKey) })}
<p class="muted">${t('errorCode', { code })}</p>
<p>${linkButton({ href: '/auth/sign-in', label: t('signInWithPl'), kind: 'primary' })}</p>`,
    });
  };

  // ------------------------------------------------------------------------------ sign-in
  app.get('/auth/sign-in', async (_request, reply) => {
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const verifier = oidc.randomPKCECodeVerifier();
    await pending.start(reply, { state, nonce, verifier });
    const url = oidc.buildAuthorizationUrl(oidcConfig, {
      redirect_uri: redirectUri,
      scope: 'openid profile',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return reply.redirect(url.href, 303);
  });

  app.get('/auth/callback', async (request, reply) => {
    const locale = request.locale;
    const started = await pending.read(request);
    await pending.destroy(request, reply);
    const callbackUrl = new URL(request.url, base);
    if (!started || callbackUrl.searchParams.get('state') !== started.data.state) {
      request.log.warn({ code: SHOP_ERRORS.SHOP_AUTH_STATE_INVALID.code, hasPending: Boolean(started) }, 'sign-in callback without a matching state');
      return reply.sendPage(problemPage(locale, 'signInStateInvalid', SHOP_ERRORS.SHOP_AUTH_STATE_INVALID.code), 400);
    }
    if (callbackUrl.searchParams.get('error') === 'access_denied') {
      return reply.sendPage(problemPage(locale, 'signInCancelled', SHOP_ERRORS.SHOP_AUTH_FAILED.code), 400);
    }
    let claims: oidc.IDToken;
    let idToken: string;
    let accessToken: string;
    try {
      const tokens = await oidc.authorizationCodeGrant(oidcConfig, callbackUrl, {
        pkceCodeVerifier: started.data.verifier,
        expectedState: started.data.state,
        expectedNonce: started.data.nonce,
        idTokenExpected: true,
      });
      claims = tokens.claims()!;
      idToken = tokens.id_token!;
      accessToken = tokens.access_token;
    } catch (error) {
      request.log.warn({ code: SHOP_ERRORS.SHOP_AUTH_FAILED.code, err: error }, 'sign-in answer refused');
      return reply.sendPage(problemPage(locale, 'signInFailed', SHOP_ERRORS.SHOP_AUTH_FAILED.code), 400);
    }
    const baseId = String(claims.sub);
    let user = await findUserByBaseId(db, baseId);
    if (!user) {
      const name = await displayName(accessToken, baseId, claims.name, translator(shopMessages, locale)('guest'), request.log);
      user = await createUserWithConversion(db, schema, { baseId, displayName: name, at: now() });
    }
    await sendNotices(user, request.log);
    await sessions.start(reply, { userId: user.userId, baseId, name: user.displayName, idToken });
    return reply.redirect('/', 303);
  });

  /** A new member's name: from the ID token, else from Personal-Link's userinfo (scope profile), else "guest". */
  async function displayName(accessToken: string, sub: string, fromIdToken: unknown, fallback: string, log: { warn(obj: object, msg: string): void }): Promise<string> {
    if (typeof fromIdToken === 'string' && fromIdToken) return fromIdToken.slice(0, 100);
    try {
      const info = await oidc.fetchUserInfo(oidcConfig, accessToken, sub);
      return typeof info.name === 'string' && info.name ? info.name.slice(0, 100) : fallback;
    } catch (error) {
      log.warn({ err: error }, 'userinfo failed; the member gets a placeholder name');
      return fallback;
    }
  }

  /** ID完了通知 then ID連携完了通知, each until Personal-Link has acknowledged it once; retried at the next sign-in if it fails. */
  async function sendNotices(user: ShopUser, log: { warn(obj: object, msg: string): void }) {
    try {
      if (!user.conversionNotified) {
        await deps.personalLink.notifyIdConversion({ baseId: user.baseId, localUserId: user.userId });
        await markNotified(db, user.userId, 'conversion', now());
        user.conversionNotified = true;
      }
      if (!user.linked) {
        await deps.personalLink.notifyLinked({ baseId: user.baseId, status: 'linked' });
        await markNotified(db, user.userId, 'linked', now());
        user.linked = true;
      }
    } catch (error) {
      log.warn({ code: SHOP_ERRORS.SHOP_PL_UNAVAILABLE.code, err: error }, 'linkage notices not delivered; retried at the next sign-in');
    }
  }

  // RP-initiated logout: end the session here, then offer Personal-Link's end-session endpoint as a
  // link (the pages' CSP form-action 'self' stops a form submission redirected to another origin).
  app.post('/sign-out', async (request, reply) => {
    const who = await sessions.read(request);
    await sessions.destroy(request, reply);
    if (!who) return reply.redirect('/', 303);
    const locale = request.locale;
    const t = translator(shopMessages, locale);
    const end = oidc.buildEndSessionUrl(oidcConfig, { id_token_hint: who.data.idToken, post_logout_redirect_uri: `${base}/` });
    return reply.sendPage(
      frame(locale, {
        title: t('signedOut'),
        body: html`<p>${t('signedOutText')}</p><p>${linkButton({ href: end.href, label: t('signOutPl'), kind: 'primary' })}</p><p><a href="/">${t('home')}</a></p>`,
      }),
    );
  });

  // ------------------------------------------------------------------------------ pages
  app.get('/', async (request, reply) => {
    const locale = request.locale;
    const t = translator(shopMessages, locale);
    const who = await sessions.read(request);
    if (!who) {
      return reply.sendPage(
        frame(locale, {
          title: t('welcomeTitle'),
          body: html`<p>${t('welcomeText')}</p><p>${linkButton({ href: '/auth/sign-in', label: t('signInWithPl'), kind: 'primary' })}</p>`,
        }),
      );
    }
    const user = await findUserByBaseId(db, who.data.baseId);
    return reply.sendPage(
      frame(locale, {
        title: t('hello', { name: who.data.name }),
        current: '/',
        who,
        body: html`${definitionList([
          [t('memberNumber'), html`<code data-user-id>${who.data.userId}</code>`],
          [t('linkState'), user?.linked ? t('linkDone') : t('linkPending')],
        ])}
<p>${linkButton({ href: '/recommendations', label: t('toRecommendations'), kind: 'primary' })}</p>`,
      }),
    );
  });

  const itemsText = (locale: Locale) => {
    const t = translator(shopMessages, locale);
    return config.SHOP_DATA_ITEMS.map((i) => (ITEM_KEYS[i] ? plain(t, ITEM_KEYS[i]) : i)).join(locale === 'ja' ? '、' : ', ');
  };

  const askForm = (locale: Locale, csrfToken: string, label: ShopMessageKey) =>
    form({ action: '/consents/request', csrfToken, body: html`<div class="form-actions">${button({ label: plain(translator(shopMessages, locale), label) })}</div>` });

  app.get('/recommendations', async (request, reply) => {
    const locale = request.locale;
    const t = translator(shopMessages, locale);
    const who = await sessions.read(request);
    if (!who) return reply.redirect('/', 303);
    // The consent form's answer redirects to Personal-Link's approval page: browsers check that
    // redirect against this page's CSP form-action, so Personal-Link's origin is allowed here.
    const show = (body: HtmlValue, status = 200) =>
      reply.sendPage(frame(locale, { title: t('recommendations'), current: '/recommendations', who, body }), status, { formActionOrigins: [plOrigin] });
    const ask = html`<h2>${t('askTitle')}</h2><p>${t('askText', { items: itemsText(locale) })}</p>${askForm(locale, who.csrfToken, 'askButton')}`;

    const latest = await latestConsentRequest(db, who.data.userId);
    if (!latest) return show(ask);
    if (latest.status === 'requested') {
      return show(html`<h2>${t('pendingTitle')}</h2><p>${t('pendingText')}</p>
<p>${linkButton({ href: latest.approvalUrl, label: t('pendingOpen'), kind: 'primary' })} ${linkButton({ href: '/consents/done', label: t('pendingCheck') })}</p>`);
    }
    if (latest.status === 'declined') return show(html`${flashMessage({ kind: 'info', text: t('declined') })}${ask}`);
    // Withdrawn or expired, as A already knows (a consent notification, or B's earlier refusal): B is not asked.
    if (latest.status !== 'given') return show(html`<div data-refusal="consent-required">${flashMessage({ kind: 'error', text: t('refusedConsent') })}</div>${askForm(locale, who.csrfToken, 'askAgain')}`);

    // Given (as far as A knows): fetch from B through A's Security Server; B decides.
    try {
      const { rows: fetched } = await deps.personalData.fetch({ baseId: who.data.baseId, purpose: config.SHOP_PURPOSE_CODE });
      // Newest first (ISO dates sort as text); B answers only the items the resident consented to.
      const rows = [...fetched].sort((a, b) => String(b.measured_on ?? '').localeCompare(String(a.measured_on ?? '')));
      const columns = config.SHOP_DATA_ITEMS.filter((c) => rows.length === 0 || c in rows[0]!);
      const rec = recommend(rows);
      return show(html`<section class="recommendation" data-recommendation="${rec}"><h2>${t('recommendationTitle')}</h2><p>${plain(t, rec)}</p></section>
${table({
  caption: t('vitalsCaption'),
  columns: columns.map((c) => (ITEM_KEYS[c] ? plain(t, ITEM_KEYS[c]) : c)),
  rows: rows.map((r) => columns.map((c) => cell(c, r[c]))),
  empty: t('vitalsNone'),
  numeric: columns.map((c, i) => (c === 'measured_on' ? -1 : i)).filter((i) => i >= 0),
})}
<p class="muted">${t('vitalsUnits')}</p>
<p class="muted">${t('vitalsFrom')}</p>`);
    } catch (error) {
      if (!(error instanceof PersonalDataRefused)) throw error;
      request.log.info({ reason: error.reason, consentId: latest.consentId }, 'personal data refused');
      // Learn why from Personal-Link (withdrawn, expired) so that the next visit does not try again.
      if (error.reason === 'consent-required') {
        try {
          const view = await deps.personalLink.getConsent(latest.consentId);
          await updateConsentStatus(db, latest.consentId, { status: view.status, version: view.version, at: now() });
        } catch (plError) {
          request.log.warn({ err: plError }, 'consent status not refreshed');
        }
      }
      return show(html`<div data-refusal="${error.reason}">${flashMessage({ kind: 'error', text: plain(t, REFUSAL_TEXT[error.reason]) })}</div>
${error.reason === 'unavailable' ? '' : askForm(locale, who.csrfToken, 'askAgain')}`);
    }
  });

  app.post('/consents/request', async (request, reply) => {
    const locale = request.locale;
    const t = translator(shopMessages, locale);
    const who = await sessions.read(request);
    if (!who) return reply.redirect('/', 303); // unreachable: verifyCsrf refuses without a session
    const validFrom = now();
    try {
      const view = await deps.personalLink.requestConsent({
        baseId: who.data.baseId,
        provider: config.SHOP_PROVIDER_CLIENT_ID,
        subsystemCode: config.SHOP_PROVIDER_SUBSYSTEM_CODE,
        dataItems: config.SHOP_DATA_ITEMS,
        purpose: { code: config.SHOP_PURPOSE_CODE, description: { ja: translator(shopMessages, 'ja')('purposeText'), en: translator(shopMessages, 'en')('purposeText') } },
        validUntil: new Date(validFrom.getTime() + config.SHOP_CONSENT_DAYS * 86400_000).toISOString(),
        returnUri,
      });
      await insertConsentRequest(db, { consentId: view.consentId, userId: who.data.userId, status: view.status, version: view.version, approvalUrl: view.approvalUrl ?? '', at: validFrom });
      if (!view.approvalUrl) return reply.redirect('/recommendations', 303);
      return reply.redirect(view.approvalUrl, 303);
    } catch (error) {
      // The SDK's PersonalLinkError carries Personal-Link's code.
      const notLinked = error instanceof PersonalLinkError && error.code === 'PL_CONSENT_SERVICE_NOT_LINKED';
      const code = notLinked ? SHOP_ERRORS.SHOP_CONSENT_NOT_LINKED.code : SHOP_ERRORS.SHOP_PL_UNAVAILABLE.code;
      request.log.warn({ err: error, code }, 'consent request failed');
      const body = html`${flashMessage({ kind: 'error', text: notLinked ? t('notLinked') : t('plUnavailable') })}
<p class="muted">${t('errorCode', { code })}</p>
${notLinked && config.SHOP_PROVIDER_APP_URL ? html`<p>${linkButton({ href: config.SHOP_PROVIDER_APP_URL, label: t('openProvider'), kind: 'primary' })}</p>` : ''}`;
      return reply.sendPage(frame(locale, { title: t('recommendations'), current: '/recommendations', who, body }), notLinked ? 409 : 502);
    }
  });

  // Personal-Link sends the resident back here (the exact, registered return URI) after the decision.
  app.get('/consents/done', async (request, reply) => {
    const who = await sessions.read(request);
    if (!who) return reply.redirect('/', 303);
    const latest = await latestConsentRequest(db, who.data.userId);
    if (latest) {
      try {
        const view = await deps.personalLink.getConsent(latest.consentId);
        await updateConsentStatus(db, latest.consentId, { status: view.status, version: view.version, at: now() });
      } catch (error) {
        request.log.warn({ err: error }, 'consent status not checked');
      }
    }
    return reply.redirect('/recommendations', 303);
  });

  // ------------------------------------------------------------------------------ consent notifications
  // docs/protocols/consent-notifications.md, "The receiver": verify, de-duplicate by event id, apply
  // only a newer version, answer 202. The token carries ids only; nothing of it is logged but ids.
  const verifyNotification = createConsentNotificationVerifier({ issuer: config.SHOP_PL_ISSUER, clientId: deps.credentials.clientId });
  app.addContentTypeParser('application/secevent+jwt', { parseAs: 'string', bodyLimit: 16 * 1024 }, (_request, body, done) => done(null, body));
  app.post(CONSENT_EVENTS_PATH, async (request, reply) => {
    const token = typeof request.body === 'string' ? request.body : '';
    const event = await verifyNotification(token).catch((error: unknown) => {
      request.log.warn({ code: SHOP_ERRORS.SHOP_CONSENT_EVENT_INVALID.code, reason: (error as Error).message }, 'consent notification refused');
      throw new AppError(SHOP_ERRORS.SHOP_CONSENT_EVENT_INVALID);
    });
    const applied = await applyConsentEvent(db, { eventId: event.eventId, consentId: event.consentId, status: event.status, version: event.version, at: now() });
    request.log.info({ eventId: event.eventId, consentId: event.consentId, status: event.status, version: event.version, applied }, 'consent notification received');
    return reply.code(202).send();
  });

  return { app, redirectUri, returnUri };
}
