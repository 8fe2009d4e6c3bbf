// The only code of servicer A that touches kysely.
import { sql, type Kysely } from 'kysely';
import type { ShopTables } from './schema.ts';

type Db = Kysely<ShopTables>;

export interface ShopUser {
  userId: string;
  displayName: string;
  baseId: string;
  conversionNotified: boolean;
  linked: boolean;
}

export async function findUserByBaseId(db: Db, baseId: string): Promise<ShopUser | undefined> {
  const row = await db
    .selectFrom('id_conversions as c')
    .innerJoin('users as u', 'u.user_id', 'c.user_id')
    .select(['u.user_id', 'u.display_name', 'c.base_id', 'c.conversion_notified_at', 'c.linked_at'])
    .where('c.base_id', '=', baseId)
    .executeTakeFirst();
  return row && { userId: row.user_id, displayName: row.display_name, baseId: row.base_id, conversionNotified: row.conversion_notified_at !== null, linked: row.linked_at !== null };
}

/** First sign-in: a new member number and the ID conversion row, in one transaction. */
export async function createUserWithConversion(db: Db, schema: string, v: { baseId: string; displayName: string; at: Date }): Promise<ShopUser> {
  return db.transaction().execute(async (tx) => {
    const seq = `${schema}.user_number`;
    const { rows } = await sql<{ n: string }>`select nextval(${seq}::regclass) as n`.execute(tx);
    const userId = `S-${String(rows[0]!.n).padStart(6, '0')}`;
    await tx.insertInto('users').values({ user_id: userId, display_name: v.displayName, created_at: v.at }).execute();
    await tx.insertInto('id_conversions').values({ user_id: userId, base_id: v.baseId, conversion_notified_at: null, linked_at: null, created_at: v.at }).execute();
    return { userId, displayName: v.displayName, baseId: v.baseId, conversionNotified: false, linked: false };
  });
}

export async function markNotified(db: Db, userId: string, what: 'conversion' | 'linked', at: Date): Promise<void> {
  await db
    .updateTable('id_conversions')
    .set(what === 'conversion' ? { conversion_notified_at: at } : { linked_at: at })
    .where('user_id', '=', userId)
    .execute();
}

export interface ConsentRequestRow {
  consentId: string;
  status: string;
  version: number;
  approvalUrl: string;
}

export async function insertConsentRequest(db: Db, v: { consentId: string; userId: string; status: string; version: number; approvalUrl: string; at: Date }): Promise<void> {
  await db.insertInto('consent_requests').values({ consent_id: v.consentId, user_id: v.userId, status: v.status, version: v.version, approval_url: v.approvalUrl, requested_at: v.at, checked_at: v.at }).execute();
}

/** The user's newest consent request (the one the pages are about). */
export async function latestConsentRequest(db: Db, userId: string): Promise<ConsentRequestRow | undefined> {
  const row = await db
    .selectFrom('consent_requests')
    .select(['consent_id', 'status', 'version', 'approval_url'])
    .where('user_id', '=', userId)
    .orderBy('requested_at', 'desc')
    .orderBy('consent_id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row && { consentId: row.consent_id, status: row.status, version: row.version, approvalUrl: row.approval_url };
}

export async function updateConsentStatus(db: Db, consentId: string, v: { status: string; version: number; at: Date }): Promise<void> {
  await db.updateTable('consent_requests').set({ status: v.status, version: v.version, checked_at: v.at }).where('consent_id', '=', consentId).execute();
}

/**
 * A consent notification from Personal-Link, once per event id: the id is recorded and the stored
 * request takes the event's status only when its version is newer (retries may arrive out of order).
 * Returns false for an event id seen before (nothing is changed).
 */
export async function applyConsentEvent(db: Db, v: { eventId: string; consentId: string; status: string; version: number; at: Date }): Promise<boolean> {
  return db.transaction().execute(async (tx) => {
    const recorded = await tx
      .insertInto('consent_events')
      .values({ event_id: v.eventId, consent_id: v.consentId, version: v.version, status: v.status, received_at: v.at })
      .onConflict((oc) => oc.column('event_id').doNothing())
      .returning('event_id')
      .executeTakeFirst();
    if (!recorded) return false;
    await tx.updateTable('consent_requests').set({ status: v.status, version: v.version, checked_at: v.at }).where('consent_id', '=', v.consentId).where('version', '<', v.version).execute();
    return true;
  });
}
