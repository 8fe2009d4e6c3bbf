// Signing keys (JWKS) and cookie keys, kept in the database with their secrets sealed under the
// service passphrase. Rotation: a new key becomes active (signs from now on), the one before stays
// in the JWKS as `previous` (tokens it signed still verify) until an operator retires it.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { AppError, openSecret, sealSecret } from '@jplink/kit';
import { activateSigningKey, insertCookieKey, insertSigningKey, listCookieKeys, listSigningKeys, retireOldCookieKeys, retireSigningKey } from '../db/keys.ts';
import type { PlDb } from '../db/schema.ts';
import { PL_ERRORS } from '../errors.ts';
import type { PlAuditor } from '../audit.ts';

export type SigningAlg = 'ES256' | 'RS256';

export interface SigningKeyView {
  kid: string;
  alg: SigningAlg;
  state: 'active' | 'previous' | 'retired';
  createdAt: string;
  activatedAt: string | null;
  retiredAt: string | null;
}

export interface KeyMaterial {
  /** Private JWKs for oidc-provider's `jwks`: active keys first (they sign), then previous ones (verify only). */
  jwks: { keys: JWK[] };
  /** Cookie signing keys, newest first. */
  cookieKeys: string[];
  /** Changes whenever a key is added, activated or retired (instances compare it to reload). */
  version: string;
}

export class KeyManager {
  private readonly deps: { db: PlDb; passphrase: string; audit: PlAuditor; now: () => Date; defaultAlg: SigningAlg };

  constructor(deps: KeyManager['deps']) {
    this.deps = deps;
  }

  /** First start: an active key for ES256 and RS256 (the default algorithm first), and a cookie key. */
  async ensureKeys(): Promise<void> {
    const keys = await listSigningKeys(this.deps.db);
    for (const alg of [this.deps.defaultAlg, this.deps.defaultAlg === 'ES256' ? 'RS256' : 'ES256'] as const) {
      if (!keys.some((k) => k.alg === alg && k.state === 'active')) await this.rotate(alg, 'system');
    }
    if ((await listCookieKeys(this.deps.db)).length === 0) await this.rotateCookieKey('system');
  }

  /** Creates a new key of `alg` and makes it the active one; returns its kid. */
  async rotate(alg: SigningAlg, actor: string): Promise<string> {
    const { privateKey } = alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
    const privateJwk = privateKey.export({ format: 'jwk' }) as JWK;
    const kid = await calculateJwkThumbprint(privateJwk, 'sha256');
    const full: JWK = { ...privateJwk, kid, alg, use: 'sig' };
    const publicJwk: JWK = alg === 'ES256' ? { kty: 'EC', crv: full.crv!, x: full.x!, y: full.y!, kid, alg, use: 'sig' } : { kty: 'RSA', n: full.n!, e: full.e!, kid, alg, use: 'sig' };
    await insertSigningKey(this.deps.db, { kid, alg, publicJwk: publicJwk as Record<string, unknown>, privateJwkSealed: sealSecret(this.deps.passphrase, JSON.stringify(full)) });
    await this.deps.audit({ actor, action: 'signing-key.created', target: kid, details: { alg } });
    await activateSigningKey(this.deps.db, kid, this.deps.now());
    await this.deps.audit({ actor, action: 'signing-key.activated', target: kid, details: { alg } });
    return kid;
  }

  /** Removes a previous key from the JWKS: tokens it signed no longer verify. */
  async retire(kid: string, actor: string): Promise<void> {
    const key = (await listSigningKeys(this.deps.db, { includeRetired: true })).find((k) => k.kid === kid);
    if (!key || key.state === 'retired') throw new AppError(PL_ERRORS.PL_KEY_NOT_FOUND);
    if (key.state === 'active') throw new AppError(PL_ERRORS.PL_KEY_ACTIVE);
    await retireSigningKey(this.deps.db, kid, this.deps.now());
    await this.deps.audit({ actor, action: 'signing-key.retired', target: kid, details: { alg: key.alg } });
  }

  /** A new cookie key signs from now on; the previous one still verifies, older ones are retired. */
  async rotateCookieKey(actor: string): Promise<void> {
    await insertCookieKey(this.deps.db, sealSecret(this.deps.passphrase, randomBytes(32).toString('base64url')));
    const retired = await retireOldCookieKeys(this.deps.db, 2, this.deps.now());
    await this.deps.audit({ actor, action: 'cookie-key.rotated', details: { retired } });
  }

  async list(): Promise<SigningKeyView[]> {
    const iso = (d: Date | null) => (d ? d.toISOString() : null);
    return (await listSigningKeys(this.deps.db, { includeRetired: true })).map((k) => ({
      kid: k.kid,
      alg: k.alg,
      state: k.state,
      createdAt: k.created_at.toISOString(),
      activatedAt: iso(k.activated_at),
      retiredAt: iso(k.retired_at),
    }));
  }

  /** Cheap fingerprint of the key tables, to notice changes made by another instance. */
  async version(): Promise<string> {
    const [signing, cookies] = await Promise.all([listSigningKeys(this.deps.db), listCookieKeys(this.deps.db)]);
    return [...signing.map((k) => `${k.kid}:${k.state}`), ...cookies.map((c) => `c${c.id}`)].join(',');
  }

  async load(): Promise<KeyMaterial> {
    const [signing, cookies] = await Promise.all([listSigningKeys(this.deps.db), listCookieKeys(this.deps.db)]);
    // Active keys first (oidc-provider signs with the first key of an algorithm), default algorithm first.
    const rank = (k: (typeof signing)[number]) => (k.state === 'active' ? 0 : 2) + (k.alg === this.deps.defaultAlg ? 0 : 1);
    const ordered = [...signing].sort((a, b) => rank(a) - rank(b) || b.created_at.getTime() - a.created_at.getTime());
    return {
      jwks: { keys: ordered.map((k) => JSON.parse(openSecret(this.deps.passphrase, k.private_jwk_sealed)) as JWK) },
      cookieKeys: cookies.map((c) => openSecret(this.deps.passphrase, c.key_sealed)),
      version: [...signing.map((k) => `${k.kid}:${k.state}`), ...cookies.map((c) => `c${c.id}`)].join(','),
    };
  }
}
