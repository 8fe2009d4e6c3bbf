// Personal-Link as an OpenID Provider, seen by a real RP library (openid-client v6): discovery, code
// + PKCE through the dev upstream's login, ID token checks, userinfo, refresh rotation, revocation,
// client credentials, introspection, RP-initiated and back-channel logout.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as client from 'openid-client';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpBrowser, startTestPersonalLink, type RunningPersonalLink } from '../src/testing.ts';
import { signIn } from './helpers.ts';

const REDIRECT = 'http://127.0.0.1:9/rp/callback';
const LOGOUT_REDIRECT = 'http://127.0.0.1:9/rp/logged-out';

let pl: RunningPersonalLink;
let rp: { clientId: string; clientSecret: string };
let config: client.Configuration;
let logoutTokens: string[] = [];
let logoutServer: Server;

async function codeFlow(opts: { scope?: string; prompt?: string; upstream?: string; user?: string; browser?: HttpBrowser } = {}) {
  const browser = opts.browser ?? new HttpBrowser();
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope: opts.scope ?? 'openid profile email',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...(opts.prompt ? { prompt: opts.prompt } : {}),
  });
  const callback = await signIn(browser, url, REDIRECT, { ...(opts.upstream ? { upstream: opts.upstream } : {}), ...(opts.user ? { user: opts.user } : {}) });
  const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true });
  return { tokens, callback, browser, verifier };
}

beforeAll(async () => {
  logoutServer = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      logoutTokens.push(new URLSearchParams(body).get('logout_token') ?? '');
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => logoutServer.listen(0, '127.0.0.1', r));
  const logoutUri = `http://127.0.0.1:${(logoutServer.address() as AddressInfo).port}/backchannel-logout`;
  pl = await startTestPersonalLink();
  rp = await pl.registerRp({
    clientId: 'shopping-app',
    memberSubsystem: 'JP-TEST/COM/1234567890123/shopping',
    displayName: { ja: 'とよのショッピング', en: 'Toyono Shopping' },
    redirectUris: [REDIRECT],
    postLogoutRedirectUris: [LOGOUT_REDIRECT],
    backchannelLogoutUri: logoutUri,
    grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
  });
  config = await client.discovery(new URL(pl.issuer), rp.clientId, undefined, client.ClientSecretBasic(rp.clientSecret), { execute: [client.allowInsecureRequests] });
});

afterAll(async () => {
  await pl?.stop();
  logoutServer?.close();
});

describe('Personal-Link OpenID Provider', () => {
  it('publishes discovery metadata with PKCE S256, RFC 9207 iss and the logout features', () => {
    const m = config.serverMetadata();
    expect(m.issuer).toBe(pl.issuer);
    expect(m.code_challenge_methods_supported).toEqual(['S256']);
    expect(m.authorization_response_iss_parameter_supported).toBe(true);
    expect(m.backchannel_logout_supported).toBe(true);
    expect(m.end_session_endpoint).toBe(`${pl.issuer}/session/end`);
    expect(m.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['client_secret_basic', 'private_key_jwt']));
    expect(m.id_token_signing_alg_values_supported).toEqual(expect.arrayContaining(['ES256', 'RS256']));
  });

  it('signs a resident in with code + PKCE through an upstream ID and issues a valid ES256 ID token', async () => {
    const { tokens, callback } = await codeFlow();
    expect(callback.searchParams.get('iss')).toBe(pl.issuer);
    const claims = tokens.claims()!;
    expect(claims.iss).toBe(pl.issuer);
    expect(claims.aud).toBe(rp.clientId);
    expect(String(claims.sub)).toMatch(/^[A-Za-z0-9_-]{22,}$/);
    // Independently of openid-client: the signature verifies against the published JWKS.
    const jwks = createRemoteJWKSet(new URL(`${pl.issuer}/jwks`));
    const verified = await jwtVerify(tokens.id_token!, jwks, { issuer: pl.issuer, audience: rp.clientId });
    expect(decodeProtectedHeader(tokens.id_token!).alg).toBe('ES256');
    expect(verified.payload.sub).toBe(claims.sub);
    const info = await client.fetchUserInfo(config, tokens.access_token, String(claims.sub));
    expect(info).toMatchObject({ sub: claims.sub, name: '山田 花子', email: 'hanako@example.jp', email_verified: true });
  });

  it('gives the same BaseID for the same upstream account and a new one for another person', async () => {
    const first = (await codeFlow()).tokens.claims()!.sub;
    const again = (await codeFlow()).tokens.claims()!.sub;
    const other = (await codeFlow({ user: 'taro' })).tokens.claims()!.sub;
    expect(again).toBe(first);
    expect(other).not.toBe(first);
  });

  it('marks residents signed in with a verified upstream as identity-verified, with acr and verified claims', async () => {
    const { tokens } = await codeFlow({ upstream: 'mydid', user: 'taro', scope: 'openid verified_identity' });
    const claims = tokens.claims()!;
    expect(claims.acr).toBe('urn:jplink:acr:identity-verified');
    const info = await client.fetchUserInfo(config, tokens.access_token, String(claims.sub));
    expect(info.identity_verified).toBe(true);
    expect(info.verified_claims).toMatchObject({ verification: { trust_framework: 'jplink:mydid' }, claims: { name: '佐藤 太郎', birthdate: '1975-12-24' } });
  });

  it('signs in through a form_post upstream (Apple-like)', async () => {
    const { tokens } = await codeFlow({ upstream: 'apple' });
    expect(tokens.claims()!.sub).toBeTruthy();
  });

  it('rotates refresh tokens, and a reused one is refused', async () => {
    const { tokens } = await codeFlow({ scope: 'openid offline_access', prompt: 'consent' });
    expect(tokens.refresh_token).toBeTruthy();
    const next = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(next.refresh_token).toBeTruthy();
    expect(next.refresh_token).not.toBe(tokens.refresh_token);
    expect(next.claims()!.sub).toBe(tokens.claims()!.sub);
    await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('revokes an access token (introspection then says inactive)', async () => {
    const { tokens } = await codeFlow();
    expect((await client.tokenIntrospection(config, tokens.access_token)).active).toBe(true);
    await client.tokenRevocation(config, tokens.access_token);
    expect((await client.tokenIntrospection(config, tokens.access_token)).active).toBe(false);
  });

  it('issues client-credentials tokens', async () => {
    const tokens = await client.clientCredentialsGrant(config, { scope: 'openid' });
    expect(tokens.access_token).toBeTruthy();
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
  });

  it('authenticates a client registered for private_key_jwt with its key', async () => {
    const { generateKeyPair, exportJWK } = await import('jose');
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'rp-key-1', alg: 'ES256', use: 'sig' };
    const r = await pl.admin('POST', '/api/v1/clients', { memberSubsystem: 'JP-TEST/COM/1234567890123/watch', displayName: { ja: '見守り', en: 'Watch-over' }, grantTypes: ['client_credentials'], authMethod: 'private_key_jwt', jwks: { keys: [jwk] } });
    expect(r.status).toBe(201);
    expect(r.body.clientSecret).toBeUndefined();
    const jwtConfig = await client.discovery(new URL(pl.issuer), r.body.client.clientId, undefined, client.PrivateKeyJwt({ key: privateKey, kid: 'rp-key-1' }), { execute: [client.allowInsecureRequests] });
    expect((await client.clientCredentialsGrant(jwtConfig)).access_token).toBeTruthy();
    const other = (await generateKeyPair('ES256')).privateKey;
    const wrong = await client.discovery(new URL(pl.issuer), r.body.client.clientId, undefined, client.PrivateKeyJwt({ key: other, kid: 'rp-key-1' }), { execute: [client.allowInsecureRequests] });
    await expect(client.clientCredentialsGrant(wrong)).rejects.toMatchObject({ error: 'invalid_client' });
  });

  it('logs out RP-initiated and delivers a verifiable back-channel logout token', async () => {
    logoutTokens = [];
    const { tokens, browser } = await codeFlow();
    const sub = tokens.claims()!.sub;
    const endUrl = client.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: LOGOUT_REDIRECT, state: 'bye' });
    const page = await browser.follow(endUrl);
    expect(page.status).toBe(200);
    const { parseForms } = await import('../src/testing.ts');
    const form = parseForms(page.text).find((f) => f.action.includes('/session/end/confirm'))!;
    const done = await browser.follow(new URL(form.action, page.url), { form: { ...form.fields, logout: 'yes' } }, (u) => u.href.startsWith(LOGOUT_REDIRECT));
    expect(done.stopped).toBe(true);
    expect(done.url.searchParams.get('state')).toBe('bye');
    await expect.poll(() => logoutTokens.length, { timeout: 5000 }).toBeGreaterThan(0);
    const jwks = createRemoteJWKSet(new URL(`${pl.issuer}/jwks`));
    const { payload } = await jwtVerify(logoutTokens[0]!, jwks, { issuer: pl.issuer, audience: rp.clientId, typ: 'logout+jwt' });
    expect(payload.sub).toBe(sub);
    expect(payload.events).toHaveProperty(['http://schemas.openid.net/event/backchannel-logout']);
    expect(payload.sid).toBeTruthy();
  });
});
