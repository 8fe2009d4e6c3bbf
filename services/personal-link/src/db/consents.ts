// The consent table and its append-only event chain: the only code that touches them.
import { sql, type Insertable, type Kysely, type Selectable } from 'kysely';
import type { PlTables } from './schema.ts';

export type ConsentRow = Selectable<PlTables['consents']>;
export type ConsentEventRow = Selectable<PlTables['consent_events']>;
type Db = Kysely<PlTables>;

export async function insertConsent(db: Db, row: Omit<Insertable<PlTables['consents']>, 'data_items'> & { data_items: string[] }) {
  await db.insertInto('consents').values({ ...row, data_items: JSON.stringify(row.data_items) }).execute();
}

export function findConsent(db: Db, consentId: string) {
  return db.selectFrom('consents').selectAll().where('consent_id', '=', consentId).executeTakeFirst();
}

/** The consent row under a row lock (inside a transaction): one change at a time per consent. */
export function lockConsent(db: Db, consentId: string) {
  return db.selectFrom('consents').selectAll().where('consent_id', '=', consentId).forUpdate().executeTakeFirst();
}

export async function updateConsent(db: Db, consentId: string, values: { status: ConsentRow['status']; version: number; updated_at: Date; receipt_jwt?: string }) {
  await db.updateTable('consents').set(values).where('consent_id', '=', consentId).execute();
}

export function listConsentsOfResident(db: Db, baseId: string) {
  return db.selectFrom('consents').selectAll().where('base_id', '=', baseId).orderBy('created_at', 'desc').limit(500).execute();
}

/** Given consents whose validity ended, and requests nobody answered in time. */
export function listDueForExpiry(db: Db, now: Date, limit: number) {
  return db
    .selectFrom('consents')
    .select(['consent_id'])
    .where((eb) => eb.or([eb.and([eb('status', '=', 'given'), eb('valid_until', '<=', now)]), eb.and([eb('status', '=', 'requested'), eb('request_expires_at', '<=', now)])]))
    .orderBy('valid_until')
    .limit(limit)
    .execute();
}

export function listGivenConsentsWithRp(db: Db, baseId: string, clientId: string) {
  return db
    .selectFrom('consents')
    .select(['consent_id'])
    .where('base_id', '=', baseId)
    .where('status', 'in', ['given', 'requested'])
    .where((eb) => eb.or([eb('consumer_client_id', '=', clientId), eb('provider_client_id', '=', clientId)]))
    .execute();
}

export function lastEvent(db: Db, consentId: string) {
  return db.selectFrom('consent_events').selectAll().where('consent_id', '=', consentId).orderBy('seq', 'desc').limit(1).executeTakeFirst();
}

export async function insertEvent(db: Db, row: Omit<ConsentEventRow, 'details'> & { details: Record<string, unknown> }) {
  await db.insertInto('consent_events').values({ ...row, details: JSON.stringify(row.details) }).execute();
}

export function listEvents(db: Db, consentId: string) {
  return db.selectFrom('consent_events').selectAll().where('consent_id', '=', consentId).orderBy('seq').execute();
}

export function listEventsOfResident(db: Db, baseId: string, types: string[]) {
  return db
    .selectFrom('consent_events')
    .innerJoin('consents', 'consents.consent_id', 'consent_events.consent_id')
    .select(['consent_events.consent_id', 'consent_events.seq', 'consent_events.type', 'consent_events.at', 'consents.consumer_client_id', 'consents.provider_client_id', 'consents.data_items', 'consents.subsystem_code', 'consents.version'])
    .where('consents.base_id', '=', baseId)
    .where('consent_events.type', 'in', types)
    .orderBy('consent_events.at', 'desc')
    .limit(500)
    .execute();
}

/** Takes the transaction-scoped advisory lock of a consent's chain (appends from outside a row lock). */
export async function lockChain(db: Db, consentId: string) {
  await sql`select pg_advisory_xact_lock(hashtext(${`consent-chain:${consentId}`}))`.execute(db);
}
