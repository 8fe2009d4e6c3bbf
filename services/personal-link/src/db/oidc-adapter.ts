// oidc-provider's storage on PostgreSQL: one adapter instance per model over the `oidc_models`
// table. Semantics follow oidc-provider's example adapter: `find` returns nothing once the row has
// expired, `consume` marks the row so later finds carry `consumed`, `revokeByGrantId` drops every
// row of the model that belongs to the grant, `findByUid`/`findByUserCode` use the indexed columns.
import { CompiledQuery, sql, type Compilable } from 'kysely';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { PlDb } from './schema.ts';

/** A parameter slot in a statement compiled once (see `compileOnce`). */
const slot = (name: string) => `\u0000slot:${name}`;

/**
 * Compiles a query built with slots once; each call then fills the slots (by name) into the same SQL
 * text, so kysely does not rebuild and recompile the statement on every token request.
 */
function compileOnce<R>(query: Compilable<R>): (values: Record<string, unknown>) => CompiledQuery<R> {
  const compiled = query.compile();
  const fill = compiled.parameters.map((p) => (typeof p === 'string' && p.startsWith('\u0000slot:') ? { name: p.slice(6) } : { fixed: p }));
  return (values) => {
    const parameters = fill.map((f) => {
      if ('fixed' in f) return f.fixed;
      if (!(f.name in values)) throw new Error(`no value for ${f.name}`);
      return values[f.name];
    });
    return CompiledQuery.raw(compiled.sql, parameters) as CompiledQuery<R>;
  };
}

export class PgOidcAdapter implements Adapter {
  private readonly db: PlDb;
  readonly model: string;
  private readonly now: () => Date;
  private readonly statements;

  constructor(db: PlDb, model: string, now: () => Date = () => new Date()) {
    this.db = db;
    this.model = model;
    this.now = now;
    const find = (column: 'id' | 'uid' | 'user_code') =>
      compileOnce(db.selectFrom('oidc_models').select(['payload', 'expires_at', 'consumed_at']).where('model', '=', model).where(column, '=', slot('value')));
    const row = { model, id: slot('id'), payload: slot('payload'), grant_id: slot('grant_id'), uid: slot('uid'), user_code: slot('user_code'), expires_at: slot('expires_at') as unknown as Date };
    this.statements = {
      upsert: compileOnce(
        db
          .insertInto('oidc_models')
          .values(row)
          .onConflict((oc) => oc.columns(['model', 'id']).doUpdateSet({ payload: row.payload, grant_id: row.grant_id, uid: row.uid, user_code: row.user_code, expires_at: row.expires_at })),
      ),
      find: { id: find('id'), uid: find('uid'), user_code: find('user_code') },
      consume: compileOnce(db.updateTable('oidc_models').set({ consumed_at: slot('at') as unknown as Date }).where('model', '=', model).where('id', '=', slot('id'))),
      destroy: compileOnce(db.deleteFrom('oidc_models').where('model', '=', model).where('id', '=', slot('id'))),
      revokeByGrantId: compileOnce(db.deleteFrom('oidc_models').where('model', '=', model).where('grant_id', '=', slot('grantId'))),
    };
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn: number | undefined): Promise<void> {
    const expiresAt = typeof expiresIn === 'number' && expiresIn > 0 ? new Date(this.now().getTime() + expiresIn * 1000) : null;
    await this.db.executeQuery(
      this.statements.upsert({
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
    const row = rows[0];
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
    await this.db.executeQuery(this.statements.consume({ id, at: this.now() }));
  }

  async destroy(id: string): Promise<void> {
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
