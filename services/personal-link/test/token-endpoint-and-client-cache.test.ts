// The token endpoint's hot path: RP metadata cached in the registry (dropped at once on this
// instance's update, secret rotation and removal; another instance's change seen within the TTL),
// and the token endpoint served without request-log lines while its failures are still logged.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@jplink/kit';
import { CLIENT_METADATA_TTL_MS, RpRegistry } from '../src/oidc/clients.ts';
import { PgOidcAdapter } from '../src/db/oidc-adapter.ts';
import { startTestPersonalLink, type RunningPersonalLink } from '../src/testing.ts';

const REDIRECT = 'http://127.0.0.1:9/rp/callback';
const logLines: Record<string, unknown>[] = [];
let pl: RunningPersonalLink;

const registration = (grantTypes: ('authorization_code' | 'refresh_token' | 'client_credentials')[]) => ({
  memberSubsystem: 'JP-TEST/COM/1234567890123/cache',
  displayName: { ja: 'キャッシュ確認', en: 'Cache check' },
  redirectUris: [REDIRECT],
  grantTypes,
});

/** A client-credentials grant over the real socket (the fast path), as an RP sends it. */
async function clientCredentials(clientId: string, secret: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${pl.issuer}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials&scope=openid',
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) logLines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  pl = await startTestPersonalLink({}, { logger: createLogger({ name: 'personal-link', level: 'info', destination: sink }) });
}, 60_000);

afterAll(async () => {
  await pl?.stop();
});

describe('RP metadata cache (this instance)', () => {
  it('refuses the old secret right after a rotation, and takes the new one', async () => {
    const rp = await pl.registerRp(registration(['authorization_code', 'refresh_token', 'client_credentials']));
    expect((await clientCredentials(rp.clientId, rp.clientSecret)).status).toBe(200); // now cached
    const rotated = await pl.admin('POST', `/api/v1/clients/${rp.clientId}/secret`);
    expect(rotated.status).toBe(200);
    const old = await clientCredentials(rp.clientId, rp.clientSecret);
    expect(old.status).toBe(401);
    expect(old.body.error).toBe('invalid_client');
    expect((await clientCredentials(rp.clientId, rotated.body.clientSecret)).status).toBe(200);
  });

  it('applies an update at once (a grant type taken away is refused on the next request)', async () => {
    const rp = await pl.registerRp(registration(['authorization_code', 'refresh_token', 'client_credentials']));
    expect((await clientCredentials(rp.clientId, rp.clientSecret)).status).toBe(200);
    const updated = await pl.admin('PUT', `/api/v1/clients/${rp.clientId}`, registration(['authorization_code', 'refresh_token']));
    expect(updated.status).toBe(200);
    const refused = await clientCredentials(rp.clientId, rp.clientSecret);
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: 'invalid_request', error_description: 'requested grant type is not allowed for this client' });
  });

  it('refuses a removed RP on the next request', async () => {
    const rp = await pl.registerRp(registration(['authorization_code', 'refresh_token', 'client_credentials']));
    expect((await clientCredentials(rp.clientId, rp.clientSecret)).status).toBe(200);
    expect((await pl.admin('DELETE', `/api/v1/clients/${rp.clientId}`)).status).toBe(204);
    const refused = await clientCredentials(rp.clientId, rp.clientSecret);
    expect(refused.status).toBe(401);
    expect(refused.body.error).toBe('invalid_client');
  });
});

describe('RP metadata cache (another instance on the same database)', () => {
  it('sees a rotation made elsewhere once its TTL has passed, and a new RP at once', async () => {
    let clock = Date.parse('2026-12-07T12:00:00Z');
    const other = new RpRegistry({ db: pl.database.db, passphrase: 'personal-link-test-passphrase', audit: async () => {}, now: () => new Date(clock), signingAlg: 'ES256' });
    const unknownYet = 'rp-registered-later';
    expect(await other.metadata(unknownYet)).toBeUndefined();
    await pl.registerRp({ ...registration(['client_credentials']), clientId: unknownYet });
    // Unknown ids are not remembered: the RP registered on the first instance is known here at once.
    const first = await other.metadata(unknownYet);
    expect(first?.client_secret).toBeTruthy();
    const rotated = await pl.admin('POST', `/api/v1/clients/${unknownYet}/secret`);
    expect(rotated.status).toBe(200);
    // Within the TTL this instance may still answer with what it read (the documented bound)…
    clock += CLIENT_METADATA_TTL_MS - 1;
    expect((await other.metadata(unknownYet))?.client_secret).toBe(first?.client_secret);
    // …and after it, with the rotated secret.
    clock += 2;
    expect((await other.metadata(unknownYet))?.client_secret).toBe(rotated.body.clientSecret);
  });
});

describe('grant read with its refresh token (one round trip)', () => {
  it('answers Grant.find from the refresh token read, but never a grant removed or changed since', async () => {
    const db = pl.database.db;
    const tokens = new PgOidcAdapter(db, 'RefreshToken');
    const grants = new PgOidcAdapter(db, 'Grant');
    await grants.upsert('g-prefetch-1', { accountId: 'a', clientId: 'c', kind: 'Grant', jti: 'g-prefetch-1' }, 600);
    await tokens.upsert('rt-prefetch-1', { grantId: 'g-prefetch-1', kind: 'RefreshToken', jti: 'rt-prefetch-1' }, 600);
    expect(await tokens.find('rt-prefetch-1')).toMatchObject({ grantId: 'g-prefetch-1' });
    expect(await grants.find('g-prefetch-1')).toMatchObject({ accountId: 'a' });

    // Removed between the two reads: not found.
    await tokens.find('rt-prefetch-1');
    await grants.destroy('g-prefetch-1');
    expect(await grants.find('g-prefetch-1')).toBeUndefined();

    // Changed between the two reads: the new version.
    await grants.upsert('g-prefetch-2', { accountId: 'a', clientId: 'c', kind: 'Grant', jti: 'g-prefetch-2', openid: { scope: 'openid' } }, 600);
    await tokens.upsert('rt-prefetch-2', { grantId: 'g-prefetch-2', kind: 'RefreshToken', jti: 'rt-prefetch-2' }, 600);
    await tokens.find('rt-prefetch-2');
    await grants.upsert('g-prefetch-2', { accountId: 'a', clientId: 'c', kind: 'Grant', jti: 'g-prefetch-2', openid: { scope: 'openid email' } }, 600);
    expect(await grants.find('g-prefetch-2')).toMatchObject({ openid: { scope: 'openid email' } });

    // Removed by another instance (straight in the table) after the refresh token read: the
    // prefetched copy is used once at most, then the table answers.
    await tokens.find('rt-prefetch-2');
    await db.deleteFrom('oidc_models').where('model', '=', 'Grant').where('id', '=', 'g-prefetch-2').execute();
    await grants.find('g-prefetch-2');
    expect(await grants.find('g-prefetch-2')).toBeUndefined();
  });
});

describe('refresh token rotation in one statement', () => {
  const consumedAt = async (id: string) =>
    (await pl.database.db.selectFrom('oidc_models').select('consumed_at').where('model', '=', 'RefreshToken').where('id', '=', id).executeTakeFirst())?.consumed_at;

  it('marks the old token used together with the insert of its successor of the same grant', async () => {
    const tokens = new PgOidcAdapter(pl.database.db, 'RefreshToken');
    await tokens.upsert('rt-rotate-old', { grantId: 'g-rotate', kind: 'RefreshToken', jti: 'rt-rotate-old' }, 600);
    await tokens.find('rt-rotate-old');
    await tokens.consume('rt-rotate-old');
    await tokens.upsert('rt-rotate-new', { grantId: 'g-rotate', kind: 'RefreshToken', jti: 'rt-rotate-new' }, 600);
    // Written by the insert's statement: already there, before any later turn of the event loop.
    expect(await consumedAt('rt-rotate-old')).toBeInstanceOf(Date);
    expect(await consumedAt('rt-rotate-new')).toBeNull();
    expect(await tokens.find('rt-rotate-old')).toMatchObject({ consumed: expect.any(Number) });
  });

  it('writes the mark on its own when no successor follows, and at once for a token not read here', async () => {
    const tokens = new PgOidcAdapter(pl.database.db, 'RefreshToken');
    await tokens.upsert('rt-alone', { grantId: 'g-alone', kind: 'RefreshToken', jti: 'rt-alone' }, 600);
    await tokens.find('rt-alone');
    await tokens.consume('rt-alone');
    // An insert of another grant does not take it along.
    await tokens.upsert('rt-other-grant', { grantId: 'g-other', kind: 'RefreshToken', jti: 'rt-other-grant' }, 600);
    await expect.poll(() => consumedAt('rt-alone'), { timeout: 30_000 }).toBeInstanceOf(Date);
    const fresh = new PgOidcAdapter(pl.database.db, 'RefreshToken');
    await fresh.upsert('rt-unread', { grantId: 'g-unread', kind: 'RefreshToken', jti: 'rt-unread' }, 600);
    await fresh.consume('rt-unread');
    expect(await consumedAt('rt-unread')).toBeInstanceOf(Date);
  });
});

describe('token endpoint logging', () => {
  it('writes no request-log lines for /oidc/token, but logs a failed grant (without the secret)', async () => {
    const rp = await pl.registerRp(registration(['client_credentials', 'authorization_code']));
    logLines.length = 0;
    expect((await clientCredentials(rp.clientId, rp.clientSecret)).status).toBe(200);
    const wrongSecret = 'not-the-secret-0123456789';
    expect((await clientCredentials(rp.clientId, wrongSecret)).status).toBe(401);
    // Other paths still get Fastify's request lines.
    expect((await fetch(`${pl.issuer}/.well-known/openid-configuration`)).status).toBe(200);
    const requestLines = logLines.filter((l) => l.msg === 'incoming request' || l.msg === 'request completed');
    expect(requestLines.some((l) => JSON.stringify(l).includes('/oidc/token'))).toBe(false);
    expect(requestLines.some((l) => JSON.stringify(l).includes('openid-configuration'))).toBe(true);
    const failures = logLines.filter((l) => l.event === 'grant.error');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ error: 'InvalidClientAuth' });
    expect(JSON.stringify(logLines)).not.toContain(wrongSecret);
    expect(JSON.stringify(logLines)).not.toContain(rp.clientSecret);
  });
});
