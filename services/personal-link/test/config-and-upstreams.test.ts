// Configuration problems are all listed; upstream presets fill in what is known; Apple's client
// secret is an ES256 JWT an independent verifier (jose) accepts with Apple's claims.
import { generateKeyPairSync } from 'node:crypto';
import { decodeProtectedHeader, importSPKI, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '@jplink/kit';
import { plConfigSchema } from '../src/config.ts';
import { resolveUpstreams } from '../src/upstream/definitions.ts';
import { APPLE_AUDIENCE, appleClientSecret, parseAppleUser } from '../src/upstream/apple.ts';

const problems = (env: Record<string, string>) => {
  try {
    loadConfig(plConfigSchema, env);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.issues.map((i) => `${i.variable}: ${i.message}`);
  }
};

describe('configuration', () => {
  it('lists every problem at once: issuer path, http in production, no database, bad upstreams', () => {
    const found = problems({
      PL_DATA_DIR: '/tmp/pl',
      PL_SECRET_FILE: '/tmp/pl/secret',
      PL_ISSUER: 'http://id.example.jp/idp',
      PL_UPSTREAMS: JSON.stringify([{ id: 'apple', preset: 'apple', clientId: 'jp.example.pl' }, { id: 'corp', clientId: 'x', issuer: 'http://idp.example', clientSecret: 's', displayName: { ja: '社内', en: 'Corp' } }]),
    });
    expect(found).toEqual(
      expect.arrayContaining([
        'PL_DATABASE_URL: required in production (the embedded database is for development only)',
        'PL_ISSUER: the path must be /oidc (for example https://id.example.jp/oidc)',
        'PL_ISSUER: must be https:// in production',
        'PL_UPSTREAMS: upstream apple: Apple needs apple.teamId, apple.keyId and apple.privateKeyFile',
        'PL_UPSTREAMS: upstream corp: the issuer must be https:// (allowInsecure is for the local dev upstream only)',
      ]),
    );
  });

  it('accepts a development configuration with defaults written in the schema', () => {
    const config = loadConfig(plConfigSchema, { JPLINK_MODE: 'development', PL_DATA_DIR: '/tmp/pl', PL_SECRET_FILE: '/tmp/s', PL_ISSUER: 'http://127.0.0.1:8600/oidc' });
    expect(config.PL_SIGNING_ALG).toBe('ES256');
    expect(config.PL_AUTHORIZATION_CODE_TTL).toBe(60);
    expect(config.PL_PORT).toBe(8600);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('wants the Security Server listener’s TLS certificate and key together, and its port with them', () => {
    const base = { JPLINK_MODE: 'development', PL_DATA_DIR: '/x', PL_SECRET_FILE: '/x', PL_ISSUER: 'http://127.0.0.1:8600/oidc' };
    expect(problems({ ...base, PL_SS_API_PORT: '8602', PL_SS_API_TLS_CERT_FILE: '/x/tls.crt' })).toEqual(['PL_SS_API_TLS_KEY_FILE: set PL_SS_API_TLS_CERT_FILE and PL_SS_API_TLS_KEY_FILE together']);
    expect(problems({ ...base, PL_SS_API_TLS_CERT_FILE: '/x/tls.crt', PL_SS_API_TLS_KEY_FILE: '/x/tls.key' })).toEqual(['PL_SS_API_PORT: required with PL_SS_API_TLS_CERT_FILE']);
    const config = loadConfig(plConfigSchema, { ...base, PL_SS_API_PORT: '8602' });
    expect([config.PL_SS_API_PORT, config.PL_SS_API_HOST]).toEqual([8602, '127.0.0.1']);
    expect(loadConfig(plConfigSchema, base).PL_SS_API_PORT).toBeUndefined();
  });

  it('refuses the dev upstream in production', () => {
    expect(problems({ PL_DATA_DIR: '/x', PL_SECRET_FILE: '/x', PL_ISSUER: 'https://id.example.jp/oidc', PL_DATABASE_URL: 'postgres://db/pl', PL_DEV_UPSTREAM: 'true' })).toEqual(['PL_DEV_UPSTREAM: the dev upstream is for development only']);
  });
});

describe('upstream presets', () => {
  it('fills in Google, Apple, d-account, MyDID and TRUSTDOCK', () => {
    const { upstreams, problems: p } = resolveUpstreams([
      { id: 'google', preset: 'google', clientId: 'g', clientSecretFile: '/run/secrets/google' },
      { id: 'apple', preset: 'apple', clientId: 'jp.example.pl', apple: { teamId: 'TEAM123456', keyId: 'KEY1234567', privateKeyFile: '/run/secrets/apple.p8' } },
      { id: 'docomo', preset: 'd-account', issuer: 'https://id.smt.docomo.ne.jp', clientId: 'd', clientSecret: 's' },
      { id: 'mydid', preset: 'mydid', issuer: 'https://mydid.example.jp', clientId: 'm', clientSecret: 's' },
      { id: 'trustdock', preset: 'trustdock', issuer: 'https://oidc.trustdock.example', clientId: 't', clientSecret: 's' },
    ]);
    expect(p).toEqual([]);
    const byId = Object.fromEntries(upstreams.map((u) => [u.id, u]));
    expect(byId.google).toMatchObject({ issuer: 'https://accounts.google.com', verified: false, responseMode: 'query', authMethod: 'client_secret_basic' });
    expect(byId.apple).toMatchObject({ issuer: 'https://appleid.apple.com', responseMode: 'form_post', authMethod: 'client_secret_post', scopes: ['openid', 'name', 'email'] });
    expect(byId.docomo!.displayName.ja).toBe('dアカウント');
    for (const id of ['mydid', 'trustdock']) expect(byId[id]).toMatchObject({ verified: true, acr: 'urn:jplink:acr:identity-verified', verifiedClaims: ['name', 'birthdate', 'address'] });
  });
});

describe('Apple', () => {
  it('makes an ES256 client-secret JWT with Apple’s claims, at most ~6 months long', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const now = new Date('2026-11-25T00:00:00Z');
    const jwt = await appleClientSecret({ teamId: 'TEAM123456', keyId: 'KEY1234567', clientId: 'jp.example.pl', privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, now, ttlSeconds: 10 ** 9 });
    expect(decodeProtectedHeader(jwt)).toEqual({ alg: 'ES256', kid: 'KEY1234567' });
    const { payload } = await jwtVerify(jwt, await importSPKI(publicKey.export({ type: 'spki', format: 'pem' }) as string, 'ES256'), { issuer: 'TEAM123456', audience: APPLE_AUDIENCE, subject: 'jp.example.pl', currentDate: now });
    expect(payload.exp! - payload.iat!).toBe(15_777_000);
  });

  it('reads the name Apple sends only on the first authorization', () => {
    expect(parseAppleUser('{"name":{"firstName":"花子","lastName":"山田"},"email":"x@privaterelay.appleid.com"}')).toEqual({ given_name: '花子', family_name: '山田', name: '山田 花子' });
    expect(parseAppleUser(undefined)).toEqual({});
    expect(parseAppleUser('not json')).toEqual({});
  });
});
