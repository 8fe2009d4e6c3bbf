// What Personal-Link refuses, one case each: unknown client, wrong redirect URI, missing PKCE,
// a replayed code, an expired code, a wrong client secret.
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpBrowser, startTestPersonalLink, type RunningPersonalLink } from '../src/testing.ts';
import { signIn } from './helpers.ts';

const REDIRECT = 'http://127.0.0.1:9/rp/callback';
let pl: RunningPersonalLink;
let rp: { clientId: string; clientSecret: string };
let config: client.Configuration;

const discover = (secret: string, clientId = rp.clientId) =>
  client.discovery(new URL(pl.issuer), clientId, undefined, client.ClientSecretBasic(secret), { execute: [client.allowInsecureRequests] });

async function authorize(extra: Record<string, string> = {}, withPkce = true) {
  const verifier = client.randomPKCECodeVerifier();
  const params: Record<string, string> = { redirect_uri: REDIRECT, scope: 'openid', state: client.randomState(), ...extra };
  if (withPkce) Object.assign(params, { code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
  return { url: client.buildAuthorizationUrl(config, params), verifier, state: params.state! };
}

beforeAll(async () => {
  pl = await startTestPersonalLink({ PL_AUTHORIZATION_CODE_TTL: '2' });
  rp = await pl.registerRp({ clientId: 'childcare-app', memberSubsystem: 'JP-TEST/COM/1234567890123/childcare', displayName: { ja: '子育て支援', en: 'Childcare' }, redirectUris: [REDIRECT] });
  config = await discover(rp.clientSecret);
});
afterAll(async () => {
  await pl?.stop();
});

describe('refusals', () => {
  it('refuses an unknown client with an error page (no redirect to an unverified URI)', async () => {
    const url = new URL(`${pl.issuer}/auth`);
    url.search = new URLSearchParams({ client_id: 'no-such-rp', redirect_uri: REDIRECT, response_type: 'code', scope: 'openid', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' }).toString();
    const r = await new HttpBrowser().request(url);
    expect(r.status).toBe(400);
    expect(r.location).toBeUndefined();
    expect(r.headers.get('content-type')).toContain('text/html; charset=utf-8');
    expect(r.text).toContain('invalid_client');
    expect(r.text).toContain('サービスからのサインイン要求が正しくありません');
  });

  it('refuses a redirect URI that is not registered', async () => {
    const { url } = await authorize({ redirect_uri: 'http://127.0.0.1:9/evil' });
    const r = await new HttpBrowser().request(url);
    expect(r.status).toBe(400);
    expect(r.location).toBeUndefined();
    expect(r.text).toContain('invalid_redirect_uri');
  });

  it('refuses an authorization request without PKCE, even from a confidential client', async () => {
    const { url } = await authorize({}, false);
    const r = await new HttpBrowser().request(url);
    expect(r.status).toBe(303);
    expect(r.location!.href.startsWith(REDIRECT)).toBe(true);
    expect(r.location!.searchParams.get('error')).toBe('invalid_request');
    expect(r.location!.searchParams.get('error_description')).toMatch(/PKCE/);
  });

  it('refuses a replayed authorization code', async () => {
    const { url, verifier, state } = await authorize();
    const callback = await signIn(new HttpBrowser(), url, REDIRECT);
    await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state });
    await expect(client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state })).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('refuses an expired authorization code', async () => {
    const { url, verifier, state } = await authorize();
    const callback = await signIn(new HttpBrowser(), url, REDIRECT);
    await new Promise((r) => setTimeout(r, 3100)); // PL_AUTHORIZATION_CODE_TTL=2
    await expect(client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state })).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('refuses a wrong client secret', async () => {
    const wrong = await discover('not-the-secret-at-all');
    const error = await client.refreshTokenGrant(wrong, 'any-refresh-token').catch((e: unknown) => e as { status?: number; cause?: unknown; error?: string });
    // openid-client surfaces a 401 with WWW-Authenticate (client_secret_basic) as a challenge error.
    expect(error.status).toBe(401);
    expect(JSON.stringify(error.cause ?? error)).toContain('invalid_client');
  });

  it('refuses a wrong PKCE verifier', async () => {
    const { url, state } = await authorize();
    const callback = await signIn(new HttpBrowser(), url, REDIRECT);
    await expect(client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: client.randomPKCECodeVerifier(), expectedState: state })).rejects.toMatchObject({ error: 'invalid_grant' });
  });
});
