// The RP link table, the central ID conversion table and RPs' API access: the only code that touches them.
import { sql, type Kysely, type Selectable } from 'kysely';
import type { PlDb, PlTables } from './schema.ts';

export type RpLinkRow = Selectable<PlTables['rp_links']>;
export type IdConversionRow = Selectable<PlTables['id_conversions']>;
type Db = Kysely<PlTables>;

export function findIdConversionByLocal(db: Db, clientId: string, localUserId: string) {
  return db.selectFrom('id_conversions').selectAll().where('client_id', '=', clientId).where('local_user_id', '=', localUserId).executeTakeFirst();
}

export function findIdConversion(db: Db, clientId: string, baseId: string) {
  return db.selectFrom('id_conversions').selectAll().where('client_id', '=', clientId).where('base_id', '=', baseId).executeTakeFirst();
}

/** Inserts or changes the RP's row for a BaseID; returns what happened. A local id of another BaseID fails (unique). */
export async function upsertIdConversion(db: Db, clientId: string, baseId: string, localUserId: string, at: Date): Promise<'created' | 'updated' | 'unchanged'> {
  const existing = await findIdConversion(db, clientId, baseId);
  if (existing?.local_user_id === localUserId) return 'unchanged';
  if (existing) {
    await db.updateTable('id_conversions').set({ local_user_id: localUserId, updated_at: at }).where('client_id', '=', clientId).where('base_id', '=', baseId).execute();
    return 'updated';
  }
  await db.insertInto('id_conversions').values({ base_id: baseId, client_id: clientId, local_user_id: localUserId, created_at: at, updated_at: at }).execute();
  return 'created';
}

export function findLink(db: Db, clientId: string, baseId: string) {
  return db.selectFrom('rp_links').selectAll().where('client_id', '=', clientId).where('base_id', '=', baseId).executeTakeFirst();
}

export async function setLink(db: Db, clientId: string, baseId: string, status: 'linked' | 'unlinked', at: Date): Promise<RpLinkRow> {
  const row = await db
    .insertInto('rp_links')
    .values({ base_id: baseId, client_id: clientId, status, linked_at: at, unlinked_at: status === 'unlinked' ? at : null, updated_at: at })
    .onConflict((oc) =>
      oc.columns(['base_id', 'client_id']).doUpdateSet({
        status,
        // A re-link starts a new linkage; an unlink keeps when it began.
        linked_at: status === 'linked' ? sql`case when rp_links.status = 'linked' then rp_links.linked_at else excluded.linked_at end` : sql`rp_links.linked_at`,
        unlinked_at: status === 'unlinked' ? sql`case when rp_links.status = 'unlinked' then rp_links.unlinked_at else excluded.unlinked_at end` : null,
        updated_at: at,
      }),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
  return row;
}

export function listLinksOfResident(db: Db, baseId: string) {
  return db.selectFrom('rp_links').selectAll().where('base_id', '=', baseId).orderBy('linked_at', 'desc').execute();
}

export async function insertResidentOnly(db: Db, baseId: string, at: Date) {
  await db.insertInto('residents').values({ base_id: baseId, identity_verified: false, verified_at: null, created_at: at }).execute();
}

export async function getApiAccess(db: Db, clientId: string) {
  return db.selectFrom('rp_api_access').selectAll().where('client_id', '=', clientId).executeTakeFirst();
}

export async function putApiAccess(db: PlDb, clientId: string, scopes: string[], returnUris: string[], at: Date) {
  return db
    .insertInto('rp_api_access')
    .values({ client_id: clientId, scopes: JSON.stringify(scopes), consent_return_uris: JSON.stringify(returnUris), updated_at: at })
    .onConflict((oc) => oc.column('client_id').doUpdateSet({ scopes: JSON.stringify(scopes), consent_return_uris: JSON.stringify(returnUris), updated_at: at }))
    .returningAll()
    .executeTakeFirstOrThrow();
}
