// Pages oidc-provider renders itself (error, logout confirmation, logout done), in our layout.
import type { KoaContextWithOIDC } from 'oidc-provider';
import { html, page, raw, translator } from '@jplink/ui';
import { errorPage, localeOf, pageHeaders } from './frame.ts';
import { plMessages } from './messages.ts';

type Ctx = KoaContextWithOIDC | Parameters<NonNullable<import('oidc-provider').Configuration['renderError']>>[0];

function send(ctx: Ctx, body: string, origins: string[] = []) {
  for (const [k, v] of Object.entries(pageHeaders(origins))) ctx.set(k, v);
  ctx.body = body;
}

export async function renderOidcError(ctx: Ctx, out: { error: string; error_description?: string }, error: unknown, log: (e: unknown) => void) {
  log(error);
  const locale = localeOf(ctx.headers as Record<string, string>);
  // The OAuth error code (invalid_client, invalid_redirect_uri, …) is public; descriptions stay in the log.
  send(ctx, errorPage(locale, out.error === 'server_error' ? 'INTERNAL' : 'OIDC', out.error).html);
}

/** The RP-initiated logout confirmation. `form` is oidc-provider's form (with its own xsrf token). */
export async function renderLogoutPage(ctx: KoaContextWithOIDC, form: string, origins: string[]) {
  const locale = localeOf(ctx.headers as Record<string, string>);
  const t = translator(plMessages, locale);
  send(
    ctx,
    page({
      locale,
      title: t('logoutTitle'),
      appName: t('appName'),
      nav: [],
      // oidc-provider's form is trusted markup (a hidden xsrf input and the action URL it built).
      body: html`<p>${t('logoutLead')}</p>${raw(form)}
<div class="form-actions"><button autofocus type="submit" form="op.logoutForm" value="yes" name="logout" class="button button-primary">${t('logoutYes')}</button>
<button type="submit" form="op.logoutForm" class="button button-secondary">${t('logoutNo')}</button></div>`,
    }).html,
    origins,
  );
}

export async function renderLogoutSuccess(ctx: KoaContextWithOIDC) {
  const locale = localeOf(ctx.headers as Record<string, string>);
  const t = translator(plMessages, locale);
  send(ctx, page({ locale, title: t('logoutTitle'), appName: t('appName'), nav: [], body: html`<p>${t('logoutDone')}</p>` }).html);
}
