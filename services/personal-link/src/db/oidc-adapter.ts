// oidc-provider's storage on PostgreSQL: one adapter instance per model over the `oidc_models`
// table. Semantics follow oidc-provider's example adapter: `find` returns nothing once the row has
// expired, `consume` marks the row so later finds carry `consumed`, `revokeByGrantId` drops every
// row of the model that belongs to the grant, `findByUid`/`findByUserCode` use the indexed columns.
import { sql } from 'kysely';
import { compileOnce, slot } from '@jplink/db';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { PlDb } from './schema.ts';

/**
 * Grants read together with a refresh token, for the Grant.find that oidc-provider makes right after
 * (refresh_token grant: RefreshToken.find, then Grant.find): one round trip instead of two. Taken
 * out on first use; kept at most PREFETCH_MS (a refresh token refused before its grant is read
 * leaves its entry behind until then) and at most PREFETCH_MAX entries.
 */
const prefetchedGrants = new WeakMap<PlDb, Map<string, { row: OidcRow; until: number }>>();
const PREFETCH_MS = 2_000;
const PREFETCH_MAX = 1_000;
type OidcRow = { model?: string; payload: unknown; expires_at: Date | null; consumed_at: Date | null };

export class PgOidcAdapter implements Adapter {
  private readonly db: PlDb;
  readonly model: string;
  private readonly now: () => Date;
  private readonly statements;
  /** RefreshToken: the grant of each token read here (until it is consumed; bounded). */
  private readonly tokenGrants = new Map<string, string>();
  /** RefreshToken: consumes waiting for their successor's insert, by grant id (see consume()). */
  private readonly pendingConsumes = new Map<string, { id: string; at: Date; flush: NodeJS.Immediate }>();

  constructor(db: PlDb, model: string, now: () => Date = () => new Date()) {
    this.db = db;
    this.model = model;
    this.now = now;
    const find = (column: 'id' | 'uid' | 'user_code') =>
      compileOnce(db.selectFrom('oidc_models').select(['payload', 'expires_at', 'consumed_at']).where('model', '=', model).where(column, '=', slot('value')));
    const row = { model, id: slot('id'), payload: slot('payload'), grant_id: slot('grant_id'), uid: slot('uid'), user_code: slot('user_code'), expires_at: slot('expires_at') as unknown as Date };
    const findWithGrant = compileOnce(
      db
        .selectFrom('oidc_models')
        .select(['model', 'payload', 'expires_at', 'consumed_at'])
        .where('model', '=', model)
        .where('id', '=', slot('value'))
        .unionAll(
          db
            .selectFrom('oidc_models as g')
            .select(['g.model', 'g.payload', 'g.expires_at', 'g.consumed_at'])
            .where('g.model', '=', 'Grant')
            .where('g.id', '=', (eb) => eb.selectFrom('oidc_models as t').select('t.grant_id').where('t.model', '=', model).where('t.id', '=', slot('value'))),
        ),
    );
    this.statements = {
      findWithGrant,
      // A rotated refresh token's consume and its successor's insert, in one statement (see consume()).
      consumeAndUpsert: compileOnce(
        db
          .with('consumed', (w) => w.updateTable('oidc_models').set({ consumed_at: slot('at') as unknown as Date }).where('model', '=', model).where('id', '=', slot('consumedId')).returning('id'))
          .insertInto('oidc_models')
          .values(row)
          .onConflict((oc) => oc.columns(['model', 'id']).doUpdateSet({ payload: row.payload, grant_id: row.grant_id, uid: row.uid, user_code: row.user_code, expires_at: row.expires_at })),
      ),
      upsert: compileOnce(
        db
          .insertInto('oidc_models')
          .values(row)
          .onConflict((oc) => oc.columns(['model', 'id']).doUpdateSet({ payload: row.payload, grant_id: row.grant_id, uid: row.uid, user_code: row.user_code, expires_at: row.expires_at })),
      ),
      find: { id: find('id'), uid: find('uid'), user_code: find('user_code') },
      consume: compileOnce(db.updateTable('oidc_models').set({ consumed_at: slot('at') as unknown as Date }).where('model', '=', model).where('id', '=', slot('id'))),
      destroy: compileOnce(db.deleteFrom('oidc_models').where('model', '=', model).where('id', '=', slot('id'))),
      revokeGrant: compileOnce(db.deleteFrom('oidc_models').where('grant_id', '=', slot('grantId'))),
      revokeByGrantId: compileOnce(db.deleteFrom('oidc_models').where('model', '=', model).where('grant_id', '=', slot('grantId'))),
    };
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn: number | undefined): Promise<void> {
    if (this.model === 'Grant') prefetchedGrants.get(this.db)?.delete(id);
    const expiresAt = typeof expiresIn === 'number' && expiresIn > 0 ? new Date(this.now().getTime() + expiresIn * 1000) : null;
    const pending = typeof payload.grantId === 'string' ? this.pendingConsumes.get(payload.grantId) : undefined;
    if (pending) {
      clearImmediate(pending.flush);
      this.pendingConsumes.delete(payload.grantId as string);
    }
    await this.db.executeQuery(
      (pending ? this.statements.consumeAndUpsert : this.statements.upsert)({
        ...(pending ? { consumedId: pending.id, at: pending.at } : {}),
        id,
        payload: JSON.stringify(payload),
        grant_id: typeof payload.grantId === 'string' ? payload.grantId : null,
        uid: typeof payload.uid === 'string' ? payload.uid : null,
        user_code: typeof payload.userCode === 'string' ? payload.userCode : null,
        expires_at: expiresAt,
      }),
    );
  }

  private async findWhere(column: 'id' | 'uid' | 'user_code', value: string): Promise<AdapterPayload | undefined> {
    const { rows } = await this.db.executeQuery(this.statements.find[column]({ value }));
    return this.fromRow(rows[0]);
  }

  private fromRow(row: OidcRow | undefined): AdapterPayload | undefined {
    if (!row) return undefined;
    if (row.expires_at && row.expires_at.getTime() <= this.now().getTime()) return undefined;
    const payload = row.payload as AdapterPayload;
    return row.consumed_at ? { ...payload, consumed: Math.floor(row.consumed_at.getTime() / 1000) } : payload;
  }

  async find(id: string) {
    if (this.model === 'Grant') {
      const cache = prefetchedGrants.get(this.db);
      const hit = cache?.get(id);
      if (hit) {
        cache!.delete(id);
        if (hit.until > Date.now()) return this.fromRow(hit.row);
      }
    }
    if (this.model !== 'RefreshToken') return this.findWhere('id', id);
    const { rows } = await this.db.executeQuery(this.statements.findWithGrant({ value: id }));
    const token = rows.find((r) => r.model === this.model);
    const grant = rows.find((r) => r.model === 'Grant');
    const payload = this.fromRow(token);
    if (payload && typeof payload.grantId === 'string') {
      if (this.tokenGrants.size >= PREFETCH_MAX) this.tokenGrants.delete(this.tokenGrants.keys().next().value!);
      this.tokenGrants.set(id, payload.grantId);
    }
    if (payload && grant && typeof payload.grantId === 'string') {
      let cache = prefetchedGrants.get(this.db);
      if (!cache) prefetchedGrants.set(this.db, (cache = new Map()));
      if (cache.size >= PREFETCH_MAX) cache.delete(cache.keys().next().value!);
      cache.set(payload.grantId, { row: grant, until: Date.now() + PREFETCH_MS });
    }
    return payload;
  }

  findByUid(uid: string) {
    return this.findWhere('uid', uid);
  }

  findByUserCode(userCode: string) {
    return this.findWhere('user_code', userCode);
  }

  /**
   * Marks a row used. A refresh token being rotated (read here, so its grant is known) is marked in
   * the same statement that inserts its successor: oidc-provider consumes the old token and saves
   * the new one of the same grant right after, with no I/O in between, and answers only after the
   * save. So the old token is used up exactly when the new one exists (one round trip, and no
   * window where the old one is spent but the new one missing). Should no insert of that grant
   * follow before the event loop's next turn, the mark is written on its own then.
   */
  async consume(id: string): Promise<void> {
    const grantId = this.model === 'RefreshToken' ? this.tokenGrants.get(id) : undefined;
    if (grantId === undefined) {
      await this.db.executeQuery(this.statements.consume({ id, at: this.now() }));
      return;
    }
    this.tokenGrants.delete(id);
    const earlier = this.pendingConsumes.get(grantId);
    if (earlier) {
      // Two rotations of one grant at once (a replayed token): mark the earlier one now.
      clearImmediate(earlier.flush);
      this.pendingConsumes.delete(grantId);
      await this.db.executeQuery(this.statements.consume({ id: earlier.id, at: earlier.at }));
    }
    const at = this.now();
    const flush = setImmediate(() => {
      if (this.pendingConsumes.get(grantId)?.id !== id) return;
      this.pendingConsumes.delete(grantId);
      void this.db.executeQuery(this.statements.consume({ id, at })).catch(() => {
        // Nothing to report to: the grant whose token this was is revoked instead, so the token
        // cannot be used again either way.
        void this.db.executeQuery(this.statements.revokeGrant({ grantId })).catch(() => {});
      });
    });
    this.pendingConsumes.set(grantId, { id, at, flush });
  }

  async destroy(id: string): Promise<void> {
    if (this.model === 'Grant') prefetchedGrants.get(this.db)?.delete(id);
    await this.db.executeQuery(this.statements.destroy({ id }));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.db.executeQuery(this.statements.revokeByGrantId({ grantId }));
  }
}

/** Deletes rows that expired more than `graceSeconds` ago; returns how many. */
export async function sweepExpiredOidcModels(db: PlDb, now: Date, graceSeconds = 60): Promise<number> {
  const cutoff = new Date(now.getTime() - graceSeconds * 1000);
  const result = await db.deleteFrom('oidc_models').where('expires_at', 'is not', null).where('expires_at', '<', cutoff).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Rows per model (diagnostics and tests). */
export async function countOidcModels(db: PlDb): Promise<Record<string, number>> {
  const rows = await db.selectFrom('oidc_models').select(['model', sql<string>`count(*)`.as('n')]).groupBy('model').execute();
  return Object.fromEntries(rows.map((r) => [r.model, Number(r.n)]));
}
