// oidc-provider's storage on PostgreSQL: one adapter instance per model over the `oidc_models`
// table. Semantics follow oidc-provider's example adapter: `find` returns nothing once the row has
// expired, `consume` marks the row so later finds carry `consumed`, `revokeByGrantId` drops every
// row of the model that belongs to the grant, `findByUid`/`findByUserCode` use the indexed columns.
import { sql } from 'kysely';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { PlDb } from './schema.ts';

export class PgOidcAdapter implements Adapter {
  private readonly db: PlDb;
  readonly model: string;
  private readonly now: () => Date;

  constructor(db: PlDb, model: string, now: () => Date = () => new Date()) {
    this.db = db;
    this.model = model;
    this.now = now;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn: number | undefined): Promise<void> {
    const expiresAt = typeof expiresIn === 'number' && expiresIn > 0 ? new Date(this.now().getTime() + expiresIn * 1000) : null;
    const row = {
      model: this.model,
      id,
      payload: JSON.stringify(payload),
      grant_id: typeof payload.grantId === 'string' ? payload.grantId : null,
      uid: typeof payload.uid === 'string' ? payload.uid : null,
      user_code: typeof payload.userCode === 'string' ? payload.userCode : null,
      expires_at: expiresAt,
    };
    await this.db
      .insertInto('oidc_models')
      .values(row)
      .onConflict((oc) => oc.columns(['model', 'id']).doUpdateSet({ payload: row.payload, grant_id: row.grant_id, uid: row.uid, user_code: row.user_code, expires_at: row.expires_at }))
      .execute();
  }

  private async findWhere(column: 'id' | 'uid' | 'user_code', value: string): Promise<AdapterPayload | undefined> {
    const row = await this.db
      .selectFrom('oidc_models')
      .select(['payload', 'expires_at', 'consumed_at'])
      .where('model', '=', this.model)
      .where(column, '=', value)
      .executeTakeFirst();
    if (!row) return undefined;
    if (row.expires_at && row.expires_at.getTime() <= this.now().getTime()) return undefined;
    const payload = row.payload as AdapterPayload;
    return row.consumed_at ? { ...payload, consumed: Math.floor(row.consumed_at.getTime() / 1000) } : payload;
  }

  find(id: string) {
    return this.findWhere('id', id);
  }

  findByUid(uid: string) {
    return this.findWhere('uid', uid);
  }

  findByUserCode(userCode: string) {
    return this.findWhere('user_code', userCode);
  }

  async consume(id: string): Promise<void> {
    await this.db.updateTable('oidc_models').set({ consumed_at: this.now() }).where('model', '=', this.model).where('id', '=', id).execute();
  }

  async destroy(id: string): Promise<void> {
    await this.db.deleteFrom('oidc_models').where('model', '=', this.model).where('id', '=', id).execute();
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.db.deleteFrom('oidc_models').where('model', '=', this.model).where('grant_id', '=', grantId).execute();
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
