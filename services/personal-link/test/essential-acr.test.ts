// An RP that asks for the identity-verified acr as essential (claims parameter): the ID choice page
// offers only the verified upstreams (MyDID, TRUSTDOCK), a sign-in through another one does not end
// with that acr, and a resident already signed in with a basic ID is asked to sign in again.
// openid-client is the RP; the page is driven over HTTP (HttpBrowser).
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpBrowser, parseForms, startTestPersonalLink, type RunningPersonalLink } from '../src/testing.ts';
import { signIn } from './helpers.ts';

const REDIRECT = 'http://127.0.0.1:9/rp/callback';
const VERIFIED = 'urn:jplink:acr:identity-verified';
const BASIC = 'urn:jplink:acr:basic';
const ESSENTIAL_VERIFIED = JSON.stringify({ id_token: { acr: { essential: true, values: [VERIFIED] } } });

let pl: RunningPersonalLink;
let config: client.Configuration;

async function authorization(extra: Record<string, string> = {}) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope: 'openid',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  });
  const finish = (callback: URL) => client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true });
  return { url, finish };
}

/** Opens the authorization URL and returns the ID choice page. */
async function choicePage(browser: HttpBrowser, url: URL) {
  const page = await browser.follow(url, {}, (u) => u.href.startsWith(REDIRECT));
  expect(page.stopped).toBe(false);
  expect(page.status).toBe(200);
  expect(page.url.pathname).toMatch(/^\/interaction\/[^/]+$/);
  const forms = parseForms(page.text).filter((f) => f.action.endsWith('/login'));
  return { page, forms, offered: forms.map((f) => f.fields.upstream).sort() };
}

beforeAll(async () => {
  pl = await startTestPersonalLink();
  const rp = await pl.registerRp({
    memberSubsystem: 'JP-TEST/COM/1234567890123/verified',
    displayName: { ja: '本人確認が必要なサービス', en: 'Verified-only service' },
    redirectUris: [REDIRECT],
  });
  config = await client.discovery(new URL(pl.issuer), rp.clientId, undefined, client.ClientSecretBasic(rp.clientSecret), { execute: [client.allowInsecureRequests] });
}, 60_000);

afterAll(async () => {
  await pl?.stop();
});

describe('essential identity-verified acr', () => {
  it('states the claims parameter in discovery, and acr basic in an ID token nobody asked acr of', async () => {
    expect(config.serverMetadata().claims_parameter_supported).toBe(true);
    expect(config.serverMetadata().acr_values_supported).toEqual([BASIC, VERIFIED]);
    const { url, finish } = await authorization();
    const callback = await signIn(new HttpBrowser(), url, REDIRECT, { upstream: 'google' });
    expect((await finish(callback)).claims()!.acr).toBe(BASIC);
  });

  it('offers every upstream without the requirement, only MyDID and TRUSTDOCK with it, and ends with the verified acr', async () => {
    const { offered: all } = await choicePage(new HttpBrowser(), (await authorization()).url);
    expect(all).toEqual(expect.arrayContaining(['google', 'apple', 'd-account', 'mydid', 'trustdock']));

    const browser = new HttpBrowser();
    const { url, finish } = await authorization({ claims: ESSENTIAL_VERIFIED });
    const { page, offered } = await choicePage(browser, url);
    expect(offered).toEqual(['mydid', 'trustdock']);
    expect(page.text).toContain('本人確認済の ID でのサインインを求めています');
    const callback = await signIn(browser, url, REDIRECT, { upstream: 'trustdock', user: 'taro' });
    const tokens = await finish(callback);
    expect(tokens.claims()!.acr).toBe(VERIFIED);
  });

  it('refuses a posted unverified upstream on the choice page (PL_UPSTREAM_ACR_REQUIRED)', async () => {
    const browser = new HttpBrowser();
    const { url } = await authorization({ claims: ESSENTIAL_VERIFIED });
    const { page, forms } = await choicePage(browser, url);
    // The resident (or a script) posts google anyway, with a valid CSRF token of this page.
    const form = forms[0]!;
    const refused = await browser.follow(new URL(form.action, page.url), { form: { ...form.fields, upstream: 'google' } });
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('PL_UPSTREAM_ACR_REQUIRED');
  });

  it('does not finish the sign-in when the upstream sign-in was basic (checked again at the end)', async () => {
    const browser = new HttpBrowser();
    const { url } = await authorization({ claims: ESSENTIAL_VERIFIED });
    const { page } = await choicePage(browser, url);
    const uid = page.url.pathname.split('/').pop()!;
    // Bypass the choice page: start a google sign-in for this interaction directly (as a bug or a
    // race would), binding it to this browser as /interaction/:uid/login does.
    const started = await pl.pl.broker.start('google', { kind: 'interaction', uid });
    (browser as unknown as { cookies: { name: string; value: string; host: string; path: string; expires: number | undefined }[] }).cookies.push({ name: 'pl_upstream', value: started.browserNonce, host: '127.0.0.1', path: '/', expires: undefined });
    const upstreamPage = await browser.follow(started.url);
    const userForm = parseForms(upstreamPage.text).find((f) => f.buttons.some((b) => b.name === 'sub'))!;
    const end = await browser.follow(new URL(userForm.action, upstreamPage.url), { form: { sub: 'hanako' } }, (u) => u.href.startsWith(REDIRECT));
    expect(end.stopped).toBe(false);
    expect(end.status).toBe(400);
    expect(end.url.pathname).toBe(`/interaction/${uid}/finish`);
    expect(end.text).toContain('PL_UPSTREAM_ACR_REQUIRED');
  });

  it('asks a resident signed in with a basic ID to sign in again with a verified one', async () => {
    const browser = new HttpBrowser();
    const first = await authorization();
    const basic = await first.finish(await signIn(browser, first.url, REDIRECT, { upstream: 'google', user: 'hanako' }));
    expect(basic.claims()!.acr).toBe(BASIC);
    // Same browser (single sign-on session at basic): no silent answer, the verified-only choice.
    const second = await authorization({ claims: ESSENTIAL_VERIFIED });
    const { offered } = await choicePage(browser, second.url);
    expect(offered).toEqual(['mydid', 'trustdock']);
    const verified = await second.finish(await signIn(browser, second.url, REDIRECT, { upstream: 'mydid', user: 'hanako' }));
    expect(verified.claims()!.acr).toBe(VERIFIED);
    // prompt=none with the requirement: satisfied now by the verified session.
    const third = await authorization({ claims: ESSENTIAL_VERIFIED, prompt: 'none' });
    const silent = await browser.follow(third.url, {}, (u) => u.href.startsWith(REDIRECT));
    expect(silent.stopped).toBe(true);
    expect((await third.finish(silent.url)).claims()!.acr).toBe(VERIFIED);
  });

  it('answers prompt=none with login_required when only a basic session exists', async () => {
    const browser = new HttpBrowser();
    const first = await authorization();
    await first.finish(await signIn(browser, first.url, REDIRECT, { upstream: 'google' }));
    const { url } = await authorization({ claims: ESSENTIAL_VERIFIED, prompt: 'none' });
    const answer = await browser.follow(url, {}, (u) => u.href.startsWith(REDIRECT));
    expect(answer.stopped).toBe(true);
    expect(answer.url.searchParams.get('error')).toBe('login_required');
  });

  it('refuses claims requests other than id_token.acr, unknown acr values, and acr_values alongside', async () => {
    const cases: Record<string, string>[] = [
      { claims: JSON.stringify({ userinfo: { email: null } }) },
      { claims: JSON.stringify({ id_token: { email: { essential: true } } }) },
      { claims: JSON.stringify({ id_token: { acr: { essential: true, values: ['urn:example:loa:3'] } } }) },
      { claims: ESSENTIAL_VERIFIED, acr_values: VERIFIED },
    ];
    for (const extra of cases) {
      const { url } = await authorization(extra);
      const answer = await new HttpBrowser().follow(url, {}, (u) => u.href.startsWith(REDIRECT));
      expect(answer.stopped, JSON.stringify(extra)).toBe(true);
      expect(answer.url.searchParams.get('error'), JSON.stringify(extra)).toBe('invalid_request');
    }
  });
});
