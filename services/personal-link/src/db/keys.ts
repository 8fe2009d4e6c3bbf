// Signing keys and cookie keys: the only code that touches their tables.
import type { Selectable } from 'kysely';
import type { PlDb, PlTables } from './schema.ts';

export type SigningKeyRow = Selectable<PlTables['signing_keys']>;

export function listSigningKeys(db: PlDb, opts: { includeRetired?: boolean } = {}) {
  let q = db.selectFrom('signing_keys').selectAll().orderBy('created_at', 'desc').orderBy('kid');
  if (!opts.includeRetired) q = q.where('state', '!=', 'retired');
  return q.execute();
}

export async function insertSigningKey(db: PlDb, key: { kid: string; alg: 'ES256' | 'RS256'; publicJwk: Record<string, unknown>; privateJwkSealed: string }) {
  await db.insertInto('signing_keys').values({ kid: key.kid, alg: key.alg, public_jwk: JSON.stringify(key.publicJwk), private_jwk_sealed: key.privateJwkSealed, state: 'previous' }).execute();
}

/** Makes `kid` the active key of its algorithm; the one active before stays published as `previous`. */
export async function activateSigningKey(db: PlDb, kid: string, at: Date) {
  await db.transaction().execute(async (trx) => {
    const key = await trx.selectFrom('signing_keys').select(['alg']).where('kid', '=', kid).executeTakeFirstOrThrow();
    await trx.updateTable('signing_keys').set({ state: 'previous' }).where('alg', '=', key.alg).where('state', '=', 'active').execute();
    await trx.updateTable('signing_keys').set({ state: 'active', activated_at: at }).where('kid', '=', kid).execute();
  });
}

export async function retireSigningKey(db: PlDb, kid: string, at: Date) {
  await db.updateTable('signing_keys').set({ state: 'retired', retired_at: at }).where('kid', '=', kid).execute();
}

export function listCookieKeys(db: PlDb) {
  return db.selectFrom('cookie_keys').selectAll().where('retired_at', 'is', null).orderBy('id', 'desc').execute();
}

export async function insertCookieKey(db: PlDb, keySealed: string) {
  await db.insertInto('cookie_keys').values({ key_sealed: keySealed }).execute();
}

/** Retires all but the newest `keep` cookie keys. */
export async function retireOldCookieKeys(db: PlDb, keep: number, at: Date) {
  const live = await listCookieKeys(db);
  const old = live.slice(keep).map((k) => k.id);
  if (old.length) await db.updateTable('cookie_keys').set({ retired_at: at }).where('id', 'in', old).execute();
  return old.length;
}
