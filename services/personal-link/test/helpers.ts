// Shared steps of the tests: a resident signing in through Personal-Link and a dev upstream ID.
import type { Page } from '@jplink/testing';
import { HttpBrowser, parseForms } from '../src/testing.ts';

export { residentSignIn } from '../src/testing.ts';

/** An RP API access token of an RP (client_credentials, client_secret_basic) from Personal-Link's token endpoint. */
export async function rpApiToken(issuer: string, rp: { clientId: string; clientSecret: string }, scope = 'pl:ids pl:consents'): Promise<string> {
  const r = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${rp.clientId}:${rp.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope }),
  });
  if (r.status !== 200) throw new Error(`the token endpoint answered ${r.status}: ${await r.text()}`);
  return ((await r.json()) as { access_token: string }).access_token;
}

/** One RP API call (`/api/pl/v1` + path) with a Bearer token; a JSON body, or `raw` text sent as JSON. */
export async function rpApiCall(baseUrl: string, tok: string | undefined, method: string, path: string, body?: unknown, raw?: string): Promise<{ status: number; headers: Headers; body: any }> {
  const r = await fetch(`${baseUrl}/api/pl/v1${path}`, {
    method,
    headers: { ...(tok ? { authorization: `Bearer ${tok}` } : {}), ...(body !== undefined || raw !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(raw !== undefined ? { body: raw } : body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await r.text();
  return { status: r.status, headers: r.headers, body: text ? JSON.parse(text) : null };
}

export interface SignInOptions {
  upstream?: string;
  user?: string;
  /** Click "allow" on the consent page when it appears (default true). */
  consent?: boolean;
}

/**
 * Drives a sign-in from the RP's authorization URL to the RP's redirect URI and returns the URL the
 * RP receives (with code, state and iss, or an error).
 */
export async function signIn(browser: HttpBrowser, authorizationUrl: URL | string, redirectUri: string, opts: SignInOptions = {}): Promise<URL> {
  const atRp = (u: URL) => u.href.startsWith(redirectUri);
  let page = await browser.follow(authorizationUrl, {}, atRp);
  for (let step = 0; step < 6; step++) {
    if (page.stopped) return page.url;
    if (page.status !== 200) throw new Error(`unexpected ${page.status} at ${page.url.href}: ${page.text.slice(0, 300)}`);
    const forms = parseForms(page.text);
    if (page.url.pathname.match(/^\/interaction\/[^/]+$/) && forms.some((f) => f.action.endsWith('/login'))) {
      // Personal-Link: choose the upstream ID.
      const form = forms.find((f) => f.fields.upstream === (opts.upstream ?? 'google'));
      if (!form) throw new Error(`no form for upstream ${opts.upstream}`);
      page = await browser.follow(new URL(form.action, page.url), { form: form.fields }, atRp);
    } else if (page.url.pathname.includes('/interaction/') && forms.some((f) => f.buttons.some((b) => b.name === 'sub'))) {
      // The dev upstream: choose the test user.
      const form = forms.find((f) => f.buttons.some((b) => b.name === 'sub'))!;
      page = await browser.follow(new URL(form.action, page.url), { form: { sub: opts.user ?? 'hanako' } }, atRp);
    } else if (page.url.pathname.match(/^\/interaction\/[^/]+$/) && forms.some((f) => f.action.endsWith('/confirm'))) {
      const form = forms.find((f) => f.action.endsWith(opts.consent === false ? '/abort' : '/confirm'))!;
      page = await browser.follow(new URL(form.action, page.url), { form: form.fields }, atRp);
    } else if (forms.length === 1 && forms[0]!.action.includes('/session/end/confirm')) {
      // oidc-provider's auto-submitted page when the sign-in ends with another account than the
      // browser's session had: it ends the old session, then goes on with the new one.
      const form = forms[0]!;
      page = await browser.follow(new URL(form.action, page.url), { form: form.fields }, atRp);
    } else if (forms.length === 1 && forms[0]!.action.includes('/upstream/')) {
      // form_post (Apple): the auto-submitting page.
      const form = forms[0]!;
      page = await browser.follow(new URL(form.action, page.url), { form: form.fields }, atRp);
    } else {
      throw new Error(`do not know what to do at ${page.url.href}: ${page.text.slice(0, 500)}`);
    }
  }
  throw new Error('sign-in did not finish');
}


/** In Chromium: signs a resident in at `/my` with the dev upstream (google) and returns the BaseID shown. */
export async function browserSignIn(page: Page, baseUrl: string, user = 'hanako'): Promise<string> {
  await page.goto(`${baseUrl}/my`);
  await page.click('button[data-upstream="google"]');
  await page.waitForURL(/\/google\/interaction\//);
  await page.click(`button[data-user="${user}"]`);
  await page.waitForURL(`${baseUrl}/my`);
  return (await page.textContent('code[data-base-id]'))!;
}
