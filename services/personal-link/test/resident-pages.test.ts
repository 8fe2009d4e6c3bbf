// The resident pages over HTTP: my IDs (sign in, link another upstream to the same BaseID, unlink
// but never the last), CSRF on every form, errors as pages, audit events, no personal data or
// tokens in the logs, and the sign-in throttle.
import { Writable } from 'node:stream';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@jplink/kit';
import { HttpBrowser, parseForms, startTestPersonalLink, type RunningPersonalLink } from '../src/testing.ts';
import { signIn } from './helpers.ts';

const REDIRECT = 'http://127.0.0.1:9/rp/callback';
let pl: RunningPersonalLink;
let config: client.Configuration;
const logLines: string[] = [];

/** Signs in to "my IDs" with an upstream and returns the my-IDs page. */
async function mySignIn(browser: HttpBrowser, upstream: string, user: string) {
  const chooser = await browser.follow(`${pl.baseUrl}/my`);
  const form = parseForms(chooser.text).find((f) => f.fields.upstream === upstream)!;
  const atUpstream = await browser.follow(new URL(form.action, chooser.url), { form: form.fields });
  const pick = parseForms(atUpstream.text).find((f) => f.buttons.some((b) => b.name === 'sub'))!;
  return browser.follow(new URL(pick.action, atUpstream.url), { form: { sub: user } });
}

async function linkUpstream(browser: HttpBrowser, myPage: { text: string; url: URL }, upstream: string, user: string) {
  const form = parseForms(myPage.text).find((f) => f.action === '/my/link' && f.fields.upstream === upstream)!;
  const atUpstream = await browser.follow(new URL(form.action, myPage.url), { form: form.fields });
  const pick = parseForms(atUpstream.text).find((f) => f.buttons.some((b) => b.name === 'sub'))!;
  return browser.follow(new URL(pick.action, atUpstream.url), { form: { sub: user } });
}

const baseIdOf = (page: string) => /<code data-base-id>([^<]+)<\/code>/.exec(page)?.[1];

async function rpSignIn(upstream: string, user: string) {
  const verifier = client.randomPKCECodeVerifier();
  const url = client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid profile email', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state: 's' });
  const callback = await signIn(new HttpBrowser(), url, REDIRECT, { upstream, user });
  return client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: 's' });
}

beforeAll(async () => {
  const destination = new Writable({
    write(chunk, _enc, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  pl = await startTestPersonalLink({ PL_SIGN_IN_MAX_ATTEMPTS: '3' }, { logger: createLogger({ name: 'personal-link', level: 'debug', destination }) });
  const rp = await pl.registerRp({ memberSubsystem: 'JP-TEST/COM/1234567890123/healthcare', displayName: { ja: 'けんこう手帳', en: 'Health Notebook' }, redirectUris: [REDIRECT] });
  config = await client.discovery(new URL(pl.issuer), rp.clientId, undefined, client.ClientSecretBasic(rp.clientSecret), { execute: [client.allowInsecureRequests] });
});
afterAll(async () => {
  await pl?.stop();
});

describe('my IDs', () => {
  it('signs in, links a verified ID to the same BaseID, and the RP then sees that BaseID for either ID', async () => {
    const browser = new HttpBrowser();
    const my = await mySignIn(browser, 'google', 'hanako');
    expect(my.status).toBe(200);
    expect(my.url.pathname).toBe('/my');
    expect(my.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const baseId = baseIdOf(my.text)!;
    expect(baseId).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(my.text).toContain('最後の ID は解除できません');

    const linked = await linkUpstream(browser, my, 'mydid', 'hanako');
    expect(linked.url.search).toBe('?done=linked');
    expect(linked.text).toContain('ID を追加しました。');
    expect(linked.text).toContain('本人確認済');
    expect(baseIdOf(linked.text)).toBe(baseId);

    expect((await rpSignIn('google', 'hanako')).claims()!.sub).toBe(baseId);
    const viaMydid = await rpSignIn('mydid', 'hanako');
    expect(viaMydid.claims()!.sub).toBe(baseId);
    expect(viaMydid.claims()!.acr).toBe('urn:jplink:acr:identity-verified');

    // Unlink Google; the last one (MyDID) then cannot be unlinked.
    const page = await browser.follow(`${pl.baseUrl}/my`);
    const remove = parseForms(page.text).filter((f) => f.action.startsWith('/my/accounts/'));
    expect(remove).toHaveLength(2);
    const unlinked = await browser.follow(new URL(remove[0]!.action, page.url), { form: remove[0]!.fields });
    expect(unlinked.text).toContain('ID の連携を解除しました。');
    expect(parseForms(unlinked.text).filter((f) => f.action.startsWith('/my/accounts/'))).toHaveLength(0);
    const last = await browser.request(new URL(remove[1]!.action, page.url), { form: remove[1]!.fields });
    expect(last.status).toBe(409);
    expect(last.text).toContain('最後の ID は解除できません。');

    const actions = (await pl.admin('GET', '/api/v1/audit-events?limit=100')).body.map((e: { action: string }) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['resident.created', 'resident.signed-in', 'upstream.linked', 'upstream.unlinked']));
  });

  it('refuses to link an ID that belongs to another BaseID', async () => {
    await rpSignIn('d-account', 'taro'); // taro's d-account now has its own BaseID
    const browser = new HttpBrowser();
    const my = await mySignIn(browser, 'google', 'taro');
    const refused = await linkUpstream(browser, my, 'd-account', 'taro');
    expect(refused.status).toBe(409);
    expect(refused.text).toContain('すでに別の Personal-Link アカウントに連携されています');
  });
});

describe('forms and errors', () => {
  it('refuses form posts without the CSRF token, or from another site', async () => {
    const browser = new HttpBrowser();
    const my = await mySignIn(browser, 'google', 'hanako');
    const form = parseForms(my.text).find((f) => f.action === '/my/link')!;
    const noToken = await browser.request(`${pl.baseUrl}/my/link`, { form: { upstream: form.fields.upstream! } });
    expect(noToken.status).toBe(403);
    expect(noToken.text).toContain('UI_CSRF_INVALID');
    const crossSite = await browser.request(`${pl.baseUrl}/my/link`, { form: form.fields, headers: { origin: 'https://evil.example' } });
    expect(crossSite.status).toBe(403);
    const signInNoToken = await new HttpBrowser().request(`${pl.baseUrl}/my/sign-in`, { form: { upstream: 'google' } });
    expect(signInNoToken.status).toBe(403);
  });

  it('refuses interaction forms without the CSRF token', async () => {
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state: 's' });
    const browser = new HttpBrowser();
    const page = await browser.follow(url);
    expect(page.text).toContain('けんこう手帳 にサインインします');
    expect(page.text).toContain('本人確認済');
    const form = parseForms(page.text).find((f) => f.fields.upstream === 'google')!;
    const r = await browser.request(new URL(form.action, page.url), { form: { upstream: 'google' } });
    expect(r.status).toBe(403);
    // The CSP lets the forms reach the upstreams (browsers check form-action on redirects).
    expect(page.headers.get('content-security-policy')).toContain(`form-action 'self' ${pl.dev.url}`);
  });

  it('brings the resident back to the choice of IDs when they cancel at the upstream', async () => {
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state: 's' });
    const browser = new HttpBrowser();
    const page = await browser.follow(url);
    const form = parseForms(page.text).find((f) => f.fields.upstream === 'google')!;
    const atUpstream = await browser.follow(new URL(form.action, page.url), { form: form.fields });
    const cancel = parseForms(atUpstream.text).find((f) => f.action.endsWith('/deny'))!;
    const back = await browser.follow(new URL(cancel.action, atUpstream.url), { form: {} });
    expect(back.status).toBe(200);
    expect(back.url.pathname).toBe(page.url.pathname);
    expect(back.text).toContain('サインインが完了しませんでした');
    // …and can then sign in with another ID.
    const callback = await signIn(browser, back.url, REDIRECT, { upstream: 'd-account' });
    expect(callback.searchParams.get('code')).toBeTruthy();
  });

  it('shows an expired or unknown interaction as a page, in Japanese by default and in English on request', async () => {
    const r = await new HttpBrowser().request(`${pl.baseUrl}/interaction/AAAAAAAAAAAAAAAAAAAAA`);
    expect(r.status).toBe(400);
    expect(r.text).toContain('PL_INTERACTION_EXPIRED');
    expect(r.text).toContain('有効期限が切れたか');
    const en = await new HttpBrowser().request(`${pl.baseUrl}/interaction/AAAAAAAAAAAAAAAAAAAAA?lang=en`);
    expect(en.text).toContain('This sign-in has expired');
  });

  it('keeps tokens and personal data out of the logs', () => {
    const all = logLines.join('');
    expect(all.length).toBeGreaterThan(1000);
    for (const secret of ['hanako@example.jp', '山田', 'taro@example.jp', 'eyJ', 'dev-upstream-google-secret']) expect(all).not.toContain(secret);
  });

  it('answers a callback without a pending sign-in with an error page, audits it, and throttles repeated failures', async () => {
    const browser = new HttpBrowser();
    for (let i = 0; i < 3; i++) {
      const r = await browser.request(`${pl.baseUrl}/upstream/google/callback?code=x&state=forged-${i}`);
      expect(r.status).toBe(400);
      expect(r.text).toContain('PL_UPSTREAM_STATE_INVALID');
    }
    const locked = await browser.request(`${pl.baseUrl}/upstream/google/callback?code=x&state=forged-4`);
    expect(locked.status).toBe(429);
    expect(locked.text).toContain('UI_SIGN_IN_THROTTLED');
    const failures = (await pl.admin('GET', '/api/v1/audit-events?action=resident.sign-in-failed')).body;
    expect(failures.length).toBeGreaterThanOrEqual(3);
    expect(failures[0]).toMatchObject({ outcome: 'failure', details: { upstream: 'google' } });
  });
});

describe('behind HTTPS', () => {
  it('sets Secure, __Host- cookies when the issuer is https', async () => {
    const secure = await startTestPersonalLink({ PL_ISSUER: 'https://id.example.jp/oidc' });
    try {
      const r = await secure.pl.app.inject({ method: 'GET', url: '/my', headers: { host: 'id.example.jp' } });
      expect(r.statusCode).toBe(200);
      const cookies = ([] as string[]).concat(r.headers['set-cookie'] ?? []);
      expect(cookies.length).toBeGreaterThan(0);
      for (const c of cookies) expect(c).toMatch(/;\s*Secure/i);
      expect(cookies.some((c) => c.startsWith('__Host-jplink_signin_csrf='))).toBe(true);
    } finally {
      await secure.stop();
    }
  });
});
