// Resident-facing routes: the OIDC sign-in interaction (choose an upstream ID, consent), the
// upstream callback, and "my IDs". Errors become pages in the resident's language.
import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError, isAppError, type App, type Logger } from '@jplink/kit';
import { createSignInThrottle, signInThrottleKeys, verifyCsrf, type LoginCsrf, type Sessions, type SafeHtml } from '@jplink/ui';
import { PgOidcAdapter } from '../db/oidc-adapter.ts';
import type { PlDb } from '../db/schema.ts';
import { PL_ERRORS } from '../errors.ts';
import type { PlAuditor } from '../audit.ts';
import { ACR_BASIC, ACR_VERIFIED, essentialAcrs, statedAcr, type OpenIdProvider } from '../oidc/provider.ts';
import type { RpRegistry } from '../oidc/clients.ts';
import type { Residents } from '../residents/residents.ts';
import type { UpstreamBroker, UpstreamPurpose } from '../upstream/broker.ts';
import { errorPage, pageHeaders, readCookieHeader, type ErrorKey } from '../pages/frame.ts';
import { chooseUpstreamPage, consentPage, myIdsPage } from '../pages/resident-pages.ts';
import { plErrorMessages, plMessages } from '../pages/messages.ts';
import { translator } from '@jplink/ui';

export interface ResidentSession {
  baseId: string;
}

export interface ResidentWebDeps {
  db: PlDb;
  op: OpenIdProvider;
  broker: UpstreamBroker;
  residents: Residents;
  registry: RpRegistry;
  audit: PlAuditor;
  loginCsrf: LoginCsrf;
  sessions: Sessions<ResidentSession>;
  secure: boolean;
  signInMaxAttempts: number;
  logger: Logger;
  now: () => Date;
}

const uidParam = z.object({ uid: z.string().regex(/^[A-Za-z0-9_-]{10,64}$/) });
const upstreamBody = z.object({ upstream: z.string().regex(/^[a-z][a-z0-9-]{1,31}$/) }).passthrough();
const RESULT_TTL_SECONDS = 120;

function send(reply: FastifyReply, page: SafeHtml, status = 200, formTargets: string[] = []) {
  return reply.code(status).headers(pageHeaders(formTargets)).send(page.html);
}

export function registerResidentWeb(root: App, deps: ResidentWebDeps): void {
  root.register(async (scope) => {
    const app = scope as unknown as App;
    app.setErrorHandler((error, request, reply) => showError(request, reply, error));
    routes(app, deps);
  });
  function showError(request: FastifyRequest, reply: FastifyReply, error: unknown) {
    return showPageError(deps.logger, request, reply, error);
  }
}

/** Any failure on these routes becomes a page with the right status; causes go to the log. */
export function showPageError(logger: Logger, request: FastifyRequest, reply: FastifyReply, error: unknown) {
  let key: ErrorKey = 'INTERNAL';
  let status = 500;
  let code = 'KIT_INTERNAL';
  if (isAppError(error)) {
    code = error.code;
    status = error.statusCode;
    key = code in plErrorMessages.ja ? (code as ErrorKey) : status >= 500 ? 'INTERNAL' : 'OIDC';
  } else if ((error as { validation?: unknown })?.validation) {
    code = 'PL_INTERACTION_INVALID';
    status = 400;
    key = 'PL_INTERACTION_INVALID';
  } else if ((error as Error)?.name === 'SessionNotFound') {
    // oidc-provider: no interaction cookie, an interaction that expired or finished.
    code = 'PL_INTERACTION_EXPIRED';
    status = 400;
    key = 'PL_INTERACTION_EXPIRED';
  } else if (typeof (error as { error?: unknown })?.error === 'string' && ((error as { statusCode?: number }).statusCode ?? 500) < 500) {
    // Another oidc-provider error (OAuth error code, client-safe).
    const oidcError = error as { error: string; statusCode: number };
    code = oidcError.error;
    status = oidcError.statusCode;
    key = 'OIDC';
  }
  const level = status >= 500 ? 'error' : 'info';
  logger[level]({ reqId: request.id, code, err: status >= 500 ? error : undefined, reason: (error as { cause?: Error })?.cause?.message ?? (error as Error)?.message }, 'resident page error');
  return send(reply, errorPage(request.locale, key, code, request.id), status);
}

function routes(app: App, deps: ResidentWebDeps): void {
  const { op, broker, residents, registry, audit, loginCsrf, sessions } = deps;
  const results = new PgOidcAdapter(deps.db, 'UpstreamResult', deps.now);
  const throttle = createSignInThrottle({ maxAttempts: deps.signInMaxAttempts, windowSeconds: 15 * 60, lockSeconds: 15 * 60 });
  const bindingCookie = deps.secure ? '__Host-pl_upstream' : 'pl_upstream';
  const upstreamOrigins = () => broker.list().map((u) => new URL(u.issuer).origin);
  const ipKey = (request: FastifyRequest) => signInThrottleKeys(request.ip, 'upstream').ip;

  const setBinding = (reply: FastifyReply, value: string) => {
    reply.header('set-cookie', `${bindingCookie}=${value}; Path=/; Max-Age=600; HttpOnly; SameSite=Lax${deps.secure ? '; Secure' : ''}`);
  };

  const startUpstream = async (request: FastifyRequest, reply: FastifyReply, upstream: string, purpose: UpstreamPurpose) => {
    throttle.check([ipKey(request)]);
    const started = await broker.start(upstream, purpose);
    setBinding(reply, started.browserNonce);
    return reply.redirect(started.url, 303);
  };

  // ------------------------------------------------------------------ the OIDC sign-in interaction
  app.get('/interaction/:uid', { schema: { hide: true, params: uidParam, querystring: z.object({ denied: z.literal('1').optional(), lang: z.string().optional() }) } }, async (request, reply) => {
    const details = await op.current.interactionDetails(request.raw, reply.raw);
    if (details.uid !== request.params.uid) throw new AppError(PL_ERRORS.PL_INTERACTION_INVALID);
    const rp = await registry.find(String(details.params.client_id));
    const rpName = rp ? rp.displayName[request.locale] : String(details.params.client_id);
    const csrfToken = loginCsrf.issueLoginCsrf(reply);
    if (details.prompt.name === 'login') {
      const flash = request.query.denied ? translator(plErrorMessages, request.locale)('PL_UPSTREAM_DENIED') : undefined;
      // An essential acr (e.g. identity-verified): only the upstreams whose sign-in gives it.
      const required = essentialAcrs(details.prompt.details);
      const upstreams = required ? broker.list().filter((u) => required.includes(statedAcr(u))) : broker.list();
      const verifiedRequired = required !== undefined && required.includes(ACR_VERIFIED) && !required.includes(ACR_BASIC);
      return send(reply, chooseUpstreamPage({ locale: request.locale, rpName, upstreams, action: `/interaction/${details.uid}/login`, csrfToken, verifiedRequired, ...(flash ? { flash } : {}) }), 200, upstreamOrigins());
    }
    if (details.prompt.name === 'consent') {
      const scopes = [...new Set(String(details.params.scope ?? 'openid').split(' ').filter(Boolean))];
      const redirect = String(details.params.redirect_uri ?? '');
      return send(reply, consentPage({ locale: request.locale, rpName, scopes, uid: details.uid, csrfToken }), 200, redirect ? [new URL(redirect).origin] : []);
    }
    throw new AppError(PL_ERRORS.PL_INTERACTION_INVALID);
  });

  app.post('/interaction/:uid/login', { schema: { hide: true, params: uidParam } }, async (request, reply) => {
    loginCsrf.verifyLoginCsrf(request);
    const body = upstreamBody.safeParse(request.body);
    if (!body.success) throw new AppError(PL_ERRORS.PL_UPSTREAM_UNKNOWN);
    const details = await op.current.interactionDetails(request.raw, reply.raw);
    if (details.uid !== request.params.uid || details.prompt.name !== 'login') throw new AppError(PL_ERRORS.PL_INTERACTION_INVALID);
    const required = essentialAcrs(details.prompt.details);
    if (required && !required.includes(statedAcr(broker.get(body.data.upstream)))) throw new AppError(PL_ERRORS.PL_UPSTREAM_ACR_REQUIRED);
    return startUpstream(request, reply, body.data.upstream, { kind: 'interaction', uid: details.uid });
  });

  // Back from the upstream (via /upstream/:id/callback): finish the login prompt with the BaseID.
  app.get('/interaction/:uid/finish', { schema: { hide: true, params: uidParam, querystring: z.object({ ticket: z.string().max(100) }) } }, async (request, reply) => {
    const ticket = request.query.ticket;
    const result = (await results.find(ticket)) as { uid: string; baseId: string; acr: string } | undefined;
    if (!result || result.uid !== request.params.uid) throw new AppError(PL_ERRORS.PL_INTERACTION_EXPIRED);
    await results.destroy(ticket);
    const details = await op.current.interactionDetails(request.raw, reply.raw);
    if (details.uid !== result.uid || details.prompt.name !== 'login') throw new AppError(PL_ERRORS.PL_INTERACTION_INVALID);
    // Checked again here: the essential acr holds whatever was posted to /login.
    const required = essentialAcrs(details.prompt.details);
    if (required && !required.includes(result.acr)) throw new AppError(PL_ERRORS.PL_UPSTREAM_ACR_REQUIRED);
    const returnTo = await op.current.interactionResult(request.raw, reply.raw, { login: { accountId: result.baseId, acr: result.acr, amr: ['fed'], remember: true } }, { mergeWithLastSubmission: false });
    return reply.redirect(returnTo, 303);
  });

  app.post('/interaction/:uid/confirm', { schema: { hide: true, params: uidParam } }, async (request, reply) => {
    loginCsrf.verifyLoginCsrf(request);
    const provider = op.current;
    const details = await provider.interactionDetails(request.raw, reply.raw);
    if (details.uid !== request.params.uid || details.prompt.name !== 'consent' || !details.session?.accountId) throw new AppError(PL_ERRORS.PL_INTERACTION_INVALID);
    const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
    const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId: details.session.accountId, clientId: String(details.params.client_id) });
    if (!grant) throw new AppError(PL_ERRORS.PL_INTERACTION_EXPIRED);
    if (missing.missingOIDCScope?.length) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims?.length) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
    const grantId = await grant.save();
    const returnTo = await provider.interactionResult(request.raw, reply.raw, { consent: { grantId } }, { mergeWithLastSubmission: true });
    return reply.redirect(returnTo, 303);
  });

  app.post('/interaction/:uid/abort', { schema: { hide: true, params: uidParam } }, async (request, reply) => {
    loginCsrf.verifyLoginCsrf(request);
    const details = await op.current.interactionDetails(request.raw, reply.raw);
    if (details.uid !== request.params.uid) throw new AppError(PL_ERRORS.PL_INTERACTION_INVALID);
    const returnTo = await op.current.interactionResult(request.raw, reply.raw, { error: 'access_denied', error_description: 'The resident did not allow the request.' }, { mergeWithLastSubmission: false });
    return reply.redirect(returnTo, 303);
  });

  // ------------------------------------------------------------------------- upstream callback
  const upstreamParam = z.object({ id: z.string().regex(/^[a-z][a-z0-9-]{1,31}$/) });

  // form_post (Apple): a cross-site POST carries no SameSite=Lax cookie, so keep the answer and
  // come back as a top-level GET, which does carry the browser-binding cookie.
  app.post('/upstream/:id/callback', { schema: { hide: true, params: upstreamParam } }, async (request, reply) => {
    const body = z.record(z.string(), z.string().max(8192)).safeParse(request.body);
    if (!body.success) throw new AppError(PL_ERRORS.PL_UPSTREAM_STATE_INVALID);
    const state = await broker.stashAnswer(request.params.id, body.data);
    return reply.redirect(`/upstream/${request.params.id}/callback?state=${encodeURIComponent(state)}&form_post=1`, 303);
  });

  app.get('/upstream/:id/callback', { schema: { hide: true, params: upstreamParam } }, async (request, reply) => {
    const params = new URLSearchParams(request.url.split('?')[1] ?? '');
    params.delete('form_post');
    const upstreamId = request.params.id;
    let outcome: Awaited<ReturnType<UpstreamBroker['complete']>>;
    try {
      throttle.check([ipKey(request)]);
      outcome = await broker.complete(upstreamId, params, readCookieHeader(request.headers.cookie, bindingCookie));
    } catch (error) {
      if (isAppError(error) && error.code !== 'UI_SIGN_IN_THROTTLED') throttle.fail([ipKey(request)]);
      await audit({ actor: 'anonymous', action: 'resident.sign-in-failed', outcome: 'failure', details: { upstream: upstreamId, code: isAppError(error) ? error.code : 'KIT_INTERNAL' } });
      // Let the RP know when the resident refused upstream: end the interaction with access_denied.
      throw error;
    }
    reply.header('set-cookie', `${bindingCookie}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax${deps.secure ? '; Secure' : ''}`);
    if ('denied' in outcome) {
      await audit({ actor: 'anonymous', action: 'resident.sign-in-failed', outcome: 'failure', details: { upstream: upstreamId, code: 'PL_UPSTREAM_DENIED', error: outcome.denied.slice(0, 64) } });
      if (outcome.purpose.kind === 'interaction') return reply.redirect(`/interaction/${outcome.purpose.uid}?denied=1`, 303);
      throw new AppError(PL_ERRORS.PL_UPSTREAM_DENIED);
    }
    const { identity, purpose } = outcome;
    if (purpose.kind === 'link') {
      const session = await sessions.read(request);
      if (!session || session.data.baseId !== purpose.baseId) throw new AppError(PL_ERRORS.PL_SIGN_IN_REQUIRED);
      await residents.link(purpose.baseId, identity);
      return reply.redirect('/my?done=linked', 303);
    }
    const { baseId } = await residents.findOrCreate(identity);
    await audit({ actor: `resident:${baseId}`, action: 'resident.signed-in', target: baseId, details: { upstream: upstreamId, verified: identity.verified, purpose: purpose.kind } });
    if (purpose.kind === 'my-sign-in') {
      await sessions.start(reply, { baseId });
      return reply.redirect('/my', 303);
    }
    const ticket = randomBytes(24).toString('base64url');
    await results.upsert(ticket, { uid: purpose.uid, baseId, acr: statedAcr(broker.get(upstreamId)) }, RESULT_TTL_SECONDS);
    return reply.redirect(`/interaction/${purpose.uid}/finish?ticket=${ticket}`, 303);
  });

  // ----------------------------------------------------------------------------------- my IDs
  const myPage = async (request: FastifyRequest, reply: FastifyReply, session: { data: ResidentSession; csrfToken: string }, flash?: { kind: 'success' | 'error'; text: string }, status = 200) => {
    const resident = await residents.claims(session.data.baseId);
    return send(
      reply,
      myIdsPage({
        locale: request.locale,
        baseId: session.data.baseId,
        identityVerified: resident?.identity_verified === true,
        accounts: await residents.accounts(session.data.baseId),
        upstreams: broker.list(),
        csrfToken: session.csrfToken,
        ...(flash ? { flash } : {}),
      }),
      status,
      upstreamOrigins(),
    );
  };

  app.get('/my', { schema: { hide: true, querystring: z.object({ done: z.enum(['linked', 'unlinked']).optional(), lang: z.string().optional() }) } }, async (request, reply) => {
    const session = await sessions.read(request);
    const t = translator(plMessages, request.locale);
    if (!session || !(await residents.exists(session.data.baseId))) {
      return send(reply, chooseUpstreamPage({ locale: request.locale, rpName: null, upstreams: broker.list(), action: '/my/sign-in', csrfToken: loginCsrf.issueLoginCsrf(reply) }), 200, upstreamOrigins());
    }
    // Back to the consent request that sent the resident to sign in (routes/resident-consents.ts).
    const back = readCookieHeader(request.headers.cookie, 'pl_return');
    if (back && /^\/my\/consents\/pc_[A-Za-z0-9_-]{16,64}$/.test(back)) {
      reply.header('set-cookie', `pl_return=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax${deps.secure ? '; Secure' : ''}`);
      return reply.redirect(back, 303);
    }
    const done = request.query.done;
    return myPage(request, reply, session, done ? { kind: 'success', text: t(done === 'linked' ? 'myLinked' : 'myUnlinked') } : undefined);
  });

  app.post('/my/sign-in', { schema: { hide: true } }, async (request, reply) => {
    loginCsrf.verifyLoginCsrf(request);
    const body = upstreamBody.safeParse(request.body);
    if (!body.success) throw new AppError(PL_ERRORS.PL_UPSTREAM_UNKNOWN);
    return startUpstream(request, reply, body.data.upstream, { kind: 'my-sign-in' });
  });

  app.post('/my/link', { schema: { hide: true } }, async (request, reply) => {
    const session = await sessions.read(request);
    verifyCsrf(request, session);
    if (!session) throw new AppError(PL_ERRORS.PL_SIGN_IN_REQUIRED);
    const body = upstreamBody.safeParse(request.body);
    if (!body.success) throw new AppError(PL_ERRORS.PL_UPSTREAM_UNKNOWN);
    return startUpstream(request, reply, body.data.upstream, { kind: 'link', baseId: session.data.baseId });
  });

  app.post('/my/accounts/:id/delete', { schema: { hide: true, params: z.object({ id: z.string().regex(/^\d{1,18}$/) }) } }, async (request, reply) => {
    const session = await sessions.read(request);
    verifyCsrf(request, session);
    if (!session) throw new AppError(PL_ERRORS.PL_SIGN_IN_REQUIRED);
    try {
      await residents.unlink(session.data.baseId, request.params.id);
    } catch (error) {
      if (isAppError(error) && error.statusCode < 500) {
        const e = translator(plErrorMessages, request.locale);
        return myPage(request, reply, session, { kind: 'error', text: e(error.code as ErrorKey) }, error.statusCode);
      }
      throw error;
    }
    return reply.redirect('/my?done=unlinked', 303);
  });

  app.post('/my/sign-out', { schema: { hide: true } }, async (request, reply) => {
    const session = await sessions.read(request);
    verifyCsrf(request, session);
    await sessions.destroy(request, reply);
    return reply.redirect('/my', 303);
  });
}
