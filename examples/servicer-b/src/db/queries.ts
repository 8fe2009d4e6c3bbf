// Servicer B's queries: its user master keyed by its own patient number, the vitals, and its ID
// conversion rows (BaseID ↔ patient number). The only code that touches kysely.
import { sql } from 'kysely';
import type { HealthDb, HealthTables } from './schema.ts';

export type User = HealthTables['users'];
export type Vital = Omit<HealthTables['vitals'], 'id'> & { id: number };

export async function userByBaseId(db: HealthDb, baseId: string): Promise<User | undefined> {
  return db.selectFrom('id_conversions').innerJoin('users', 'users.user_id', 'id_conversions.user_id').selectAll('users').where('id_conversions.base_id', '=', baseId).executeTakeFirst();
}

/** A new patient with the next number and the sample measurements, in one transaction. */
export async function createUser(db: HealthDb, schema: string, input: { displayName: string; now: Date; vitals: (userId: string) => Omit<Vital, 'id'>[] }): Promise<User> {
  return db.transaction().execute(async (tx) => {
    const seq = `${schema}.user_number`;
    const { n } = (await sql<{ n: string }>`select nextval(${seq}::regclass)::text as n`.execute(tx)).rows[0]!;
    const user: User = { user_id: `H-${n.padStart(6, '0')}`, display_name: input.displayName, created_at: input.now };
    await tx.insertInto('users').values(user).execute();
    const rows = input.vitals(user.user_id);
    if (rows.length) await tx.insertInto('vitals').values(rows).execute();
    return user;
  });
}

/** Writes (or keeps) the ID conversion row; a BaseID already mapped to another user is refused by the unique key. */
export async function saveIdConversion(db: HealthDb, row: { userId: string; baseId: string; now: Date }): Promise<void> {
  await db
    .insertInto('id_conversions')
    .values({ user_id: row.userId, base_id: row.baseId, created_at: row.now, conversion_notified_at: null, linked_at: null })
    .onConflict((oc) => oc.column('user_id').doUpdateSet({ base_id: row.baseId }))
    .execute();
}

export async function markNotified(db: HealthDb, userId: string, field: 'conversion_notified_at' | 'linked_at', at: Date): Promise<void> {
  await db.updateTable('id_conversions').set({ [field]: at }).where('user_id', '=', userId).execute();
}

export async function idConversionOf(db: HealthDb, userId: string): Promise<HealthTables['id_conversions'] | undefined> {
  return db.selectFrom('id_conversions').selectAll().where('user_id', '=', userId).executeTakeFirst();
}

const vitalColumns = ['id', 'user_id', 'systolic', 'diastolic', 'heart_rate', 'body_temperature', 'steps'] as const;
/** `date` as text (YYYY-MM-DD): no time zone games. */
const measuredOn = sql<string>`to_char(measured_on, 'YYYY-MM-DD')`.as('measured_on');

export async function vitalsOf(db: HealthDb, userId: string, limit = 30): Promise<Vital[]> {
  return db.selectFrom('vitals').select([...vitalColumns, measuredOn]).where('user_id', '=', userId).orderBy('vitals.measured_on', 'desc').limit(limit).execute();
}

/** One measurement, only when it belongs to the user (another user's id is "not found"). */
export async function vitalOf(db: HealthDb, userId: string, id: number): Promise<Vital | undefined> {
  return db.selectFrom('vitals').select([...vitalColumns, measuredOn]).where('user_id', '=', userId).where('id', '=', id).executeTakeFirst();
}
