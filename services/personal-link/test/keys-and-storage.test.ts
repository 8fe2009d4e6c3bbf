// Signing-key rotation (old tokens still verify, new ones use the new kid, retiring removes the old
// key), RP secrets sealed at rest, and the PostgreSQL adapter's semantics used directly.
import * as client from 'openid-client';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@jplink/db/testing';
import { HttpBrowser, startTestPersonalLink, type RunningPersonalLink } from '../src/testing.ts';
import { PgOidcAdapter, sweepExpiredOidcModels } from '../src/db/oidc-adapter.ts';
import { plMigrations } from '../src/db/migrations.ts';
import type { PlTables } from '../src/db/schema.ts';
import { signIn } from './helpers.ts';

const REDIRECT = 'http://127.0.0.1:9/rp/callback';
let pl: RunningPersonalLink;
let rp: { clientId: string; clientSecret: string };
let config: client.Configuration;

async function idToken(): Promise<string> {
  const verifier = client.randomPKCECodeVerifier();
  const url = client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state: 's' });
  const callback = await signIn(new HttpBrowser(), url, REDIRECT);
  return (await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: 's' })).id_token!;
}
const jwks = async () => (await (await fetch(`${pl.issuer}/jwks`)).json()) as JSONWebKeySet;
const verify = async (token: string) => jwtVerify(token, createLocalJWKSet(await jwks()), { issuer: pl.issuer, audience: rp.clientId });

beforeAll(async () => {
  pl = await startTestPersonalLink();
  rp = await pl.registerRp({ memberSubsystem: 'JP-TEST/GOV/1000020273228/uax-link', displayName: { ja: 'とよのんコンシェルジュ', en: 'Toyonon Concierge' }, redirectUris: [REDIRECT] });
  config = await client.discovery(new URL(pl.issuer), rp.clientId, undefined, client.ClientSecretBasic(rp.clientSecret), { execute: [client.allowInsecureRequests] });
});
afterAll(async () => {
  await pl?.stop();
});

describe('signing keys', () => {
  it('publishes one active ES256 and one RS256 key with unique kids, private parts sealed', async () => {
    const set = await jwks();
    expect(set.keys.map((k) => k.alg).sort()).toEqual(['ES256', 'RS256']);
    expect(new Set(set.keys.map((k) => k.kid)).size).toBe(set.keys.length);
    expect(set.keys.every((k) => !('d' in k))).toBe(true);
    const rows = await pl.pl.keys.list();
    expect(rows.filter((k) => k.state === 'active')).toHaveLength(2);
  });

  it('rotates: tokens signed before still verify, new tokens use the new kid, retiring drops the old key', async () => {
    const before = await idToken();
    const oldKid = decodeProtectedHeader(before).kid!;
    const rotated = await pl.admin('POST', '/api/v1/signing-keys/rotate', { alg: 'ES256' });
    expect(rotated.status).toBe(200);
    const newKid = rotated.body.kid as string;
    expect(newKid).not.toBe(oldKid);

    const set = await jwks();
    expect(set.keys.map((k) => k.kid)).toEqual(expect.arrayContaining([oldKid, newKid]));
    await expect(verify(before)).resolves.toBeTruthy();
    const after = await idToken();
    expect(decodeProtectedHeader(after).kid).toBe(newKid);
    await expect(verify(after)).resolves.toBeTruthy();

    expect((await pl.admin('POST', `/api/v1/signing-keys/${newKid}/retire`)).body.error.code).toBe('PL_KEY_ACTIVE');
    expect((await pl.admin('POST', `/api/v1/signing-keys/${oldKid}/retire`)).status).toBe(204);
    expect((await jwks()).keys.map((k) => k.kid)).not.toContain(oldKid);
    await expect(verify(before)).rejects.toThrow();
    await expect(verify(after)).resolves.toBeTruthy();
    const audit = await pl.admin('GET', '/api/v1/audit-events?limit=50');
    expect(audit.body.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(['signing-key.created', 'signing-key.activated', 'signing-key.retired']));
  });

  it('signs RS256 ID tokens for an RP registered with RS256', async () => {
    const rs = await pl.registerRp({ memberSubsystem: 'JP-TEST/COM/1234567890123/legacy', displayName: { ja: '旧システム', en: 'Legacy' }, redirectUris: [REDIRECT], idTokenSigningAlg: 'RS256' });
    const rsConfig = await client.discovery(new URL(pl.issuer), rs.clientId, undefined, client.ClientSecretBasic(rs.clientSecret), { execute: [client.allowInsecureRequests] });
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(rsConfig, { redirect_uri: REDIRECT, scope: 'openid', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state: 's' });
    const callback = await signIn(new HttpBrowser(), url, REDIRECT);
    const token = (await client.authorizationCodeGrant(rsConfig, callback, { pkceCodeVerifier: verifier, expectedState: 's' })).id_token!;
    expect(decodeProtectedHeader(token).alg).toBe('RS256');
    await expect(jwtVerify(token, createLocalJWKSet(await jwks()), { issuer: pl.issuer, audience: rs.clientId })).resolves.toBeTruthy();
  });

  it('keeps sessions working across a cookie-key rotation', async () => {
    expect((await pl.admin('POST', '/api/v1/cookie-keys/rotate')).status).toBe(204);
    await expect(idToken()).resolves.toBeTruthy();
  });

  it('stores RP secrets sealed, never in plain text', async () => {
    const { sql } = await import('kysely');
    const rows = await sql<{ secret_sealed: string }>`select secret_sealed from rp_clients`.execute(pl.database.db);
    expect(rows.rows[0]!.secret_sealed.startsWith('sb1.')).toBe(true);
    expect(rows.rows[0]!.secret_sealed).not.toContain(rp.clientSecret);
  });
});

describe('PostgreSQL adapter', () => {
  let database: TestDatabase<PlTables>;
  let clock = new Date('2026-11-25T00:00:00Z');
  beforeAll(async () => {
    database = await createTestDatabase<PlTables>('pl_adapter', plMigrations);
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('finds, consumes, finds by uid and user code, and expires', async () => {
    const codes = new PgOidcAdapter(database.db, 'AuthorizationCode', () => clock);
    await codes.upsert('c1', { grantId: 'g1', accountId: 'a' }, 60);
    expect(await codes.find('c1')).toEqual({ grantId: 'g1', accountId: 'a' });
    await codes.consume('c1');
    expect((await codes.find('c1'))!.consumed).toBeTypeOf('number');
    const sessions = new PgOidcAdapter(database.db, 'Session', () => clock);
    await sessions.upsert('s1', { uid: 'u1', accountId: 'a' }, 60);
    expect(await sessions.findByUid('u1')).toMatchObject({ accountId: 'a' });
    expect(await codes.findByUid('u1')).toBeUndefined();
    const devices = new PgOidcAdapter(database.db, 'DeviceCode', () => clock);
    await devices.upsert('d1', { userCode: 'ABCD-EFGH' }, 60);
    expect(await devices.findByUserCode('ABCD-EFGH')).toMatchObject({ userCode: 'ABCD-EFGH' });
    clock = new Date(clock.getTime() + 61_000);
    expect(await codes.find('c1')).toBeUndefined();
    expect(await sessions.findByUid('u1')).toBeUndefined();
    clock = new Date(clock.getTime() + 120_000);
    expect(await sweepExpiredOidcModels(database.db, clock)).toBe(3);
  });

  it('revokes every token of a grant, and only of that grant', async () => {
    const access = new PgOidcAdapter(database.db, 'AccessToken', () => clock);
    const refresh = new PgOidcAdapter(database.db, 'RefreshToken', () => clock);
    await access.upsert('at1', { grantId: 'g2' }, 3600);
    await access.upsert('at2', { grantId: 'g2' }, 3600);
    await access.upsert('at3', { grantId: 'other' }, 3600);
    await refresh.upsert('rt1', { grantId: 'g2' }, 3600);
    await access.revokeByGrantId('g2');
    await refresh.revokeByGrantId('g2');
    expect(await access.find('at1')).toBeUndefined();
    expect(await access.find('at2')).toBeUndefined();
    expect(await refresh.find('rt1')).toBeUndefined();
    expect(await access.find('at3')).toEqual({ grantId: 'other' });
    await access.destroy('at3');
    expect(await access.find('at3')).toBeUndefined();
  });

  it('keeps the same id apart per model', async () => {
    const a = new PgOidcAdapter(database.db, 'Grant', () => clock);
    const b = new PgOidcAdapter(database.db, 'Interaction', () => clock);
    await a.upsert('same', { kind: 'Grant' }, 60);
    await b.upsert('same', { kind: 'Interaction' }, 60);
    expect(await a.find('same')).toEqual({ kind: 'Grant' });
    expect(await b.find('same')).toEqual({ kind: 'Interaction' });
  });
});
