// Signing in with the admin API key (the content of `admin-api-key` in the data dir), and out.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { apiKeyMatches, AppError, type App } from '@jplink/kit';
import { button, form, formField, html, signInThrottleKeys, translator, uiMessages, type Flash, type LoginCsrf, type Sessions, type SignInThrottle } from '@jplink/ui';
import { formBody, text, tr, type AdminSessionData, type UiContext } from './shared.ts';

/** Where to go after signing in: only a path on this site (never `//host` or `/\host`). */
function nextPath(value: unknown): string {
  return typeof value === 'string' && /^\/(?![/\\])[^\\\s]*$/.test(value) && !value.startsWith('/sign-in') ? value : '/';
}

export function registerSignIn(
  app: App,
  ctx: UiContext,
  deps: { sessions: Sessions<AdminSessionData>; loginCsrf: LoginCsrf; throttle: SignInThrottle; apiKeySha256: string },
) {

  const signInPage = (request: FastifyRequest, reply: FastifyReply, next: string, flash?: Flash, status = 200) => {
    const ui = translator(uiMessages, request.locale);
    const t = tr(request.locale);
    const body = form({
      action: '/sign-in',
      csrfToken: deps.loginCsrf.issueLoginCsrf(reply),
      body: html`<input type="hidden" name="next" value="${next}">
${formField({ locale: request.locale, name: 'key', type: 'password', label: t('adminKey'), help: t('adminKeyHelp'), required: true, autocomplete: 'current-password' })}
<div class="form-actions">${button({ label: ui('signIn') })}</div>`,
    });
    return ctx.send(request, reply, { title: ui('signIn'), body, flash, status });
  };

  app.get('/sign-in', async (request, reply) => {
    const q = request.query as Record<string, unknown>;
    if (await deps.sessions.read(request)) return reply.redirect(nextPath(q.next), 303);
    const flash: Flash | undefined = q.done === 'signed-out' ? { kind: 'success', text: tr(request.locale)('signedOut') } : undefined;
    return signInPage(request, reply, nextPath(q.next), flash);
  });

  app.post('/sign-in', async (request, reply) => {
    const body = formBody(request);
    const next = nextPath(text(body, 'next'));
    const ui = translator(uiMessages, request.locale);
    // One administrator (the key) — so the client address is the key to throttle.
    const address = signInThrottleKeys(request.ip, '').ip;
    try {
      deps.throttle.check(address);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      const retry = (error.detail as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
      if (retry) reply.header('retry-after', String(retry));
      return signInPage(request, reply, next, { kind: 'error', text: ui('errorSignInThrottled') }, 429);
    }
    const key = text(body, 'key').trim();
    if (!apiKeyMatches(key, deps.apiKeySha256)) {
      deps.throttle.fail(address);
      await ctx.core.audit({ actor: 'anonymous', action: 'admin.authentication-failed', outcome: 'failure', details: { ip: request.ip, via: 'ui' } });
      return signInPage(request, reply, next, { kind: 'error', text: tr(request.locale)('signInFailed') }, 401);
    }
    deps.throttle.succeed(address);
    await deps.sessions.start(reply, { signedInAt: new Date().toISOString() });
    return reply.redirect(next, 303);
  });

  app.post('/sign-out', async (request, reply) => {
    await deps.sessions.destroy(request, reply);
    return reply.redirect('/sign-in?done=signed-out', 303);
  });
}
