// The user master (BaseID) and linked upstream accounts: the only code that touches their tables.
import { sql, type Selectable } from 'kysely';
import { compileOnce, slot } from '@jplink/db';
import type { PlDb, PlTables } from './schema.ts';

export type UpstreamAccountRow = Selectable<PlTables['upstream_accounts']>;

export function findAccountBySubject(db: PlDb, issuer: string, subject: string) {
  return db.selectFrom('upstream_accounts').selectAll().where('issuer', '=', issuer).where('subject', '=', subject).executeTakeFirst();
}

export function findResident(db: PlDb, baseId: string) {
  return db.selectFrom('residents').selectAll().where('base_id', '=', baseId).executeTakeFirst();
}

const residentWithAccounts = (db: PlDb) =>
  compileOnce(
    db
      .selectFrom('residents as r')
      .leftJoin('upstream_accounts as a', 'a.base_id', 'r.base_id')
      .select(['r.identity_verified', 'r.verified_at', 'a.upstream_id', 'a.verified', 'a.claims', 'a.created_at', 'a.last_sign_in_at'])
      .where('r.base_id', '=', slot('baseId'))
      .orderBy('a.created_at')
      .orderBy('a.id'),
  );
const residentWithAccountsByDb = new WeakMap<PlDb, ReturnType<typeof residentWithAccounts>>();

/**
 * A resident and its linked accounts in one statement (the claims of every ID token and refresh):
 * undefined when there is no such resident; `accounts` in link order.
 */
export async function findResidentWithAccounts(db: PlDb, baseId: string) {
  let statement = residentWithAccountsByDb.get(db);
  if (!statement) residentWithAccountsByDb.set(db, (statement = residentWithAccounts(db)));
  const { rows } = await db.executeQuery(statement({ baseId }));
  const first = rows[0];
  if (!first) return undefined;
  const accounts = rows.flatMap((r) =>
    r.upstream_id === null ? [] : [{ upstream_id: r.upstream_id, verified: r.verified!, claims: r.claims!, created_at: r.created_at!, last_sign_in_at: r.last_sign_in_at! }],
  );
  return { resident: { identity_verified: first.identity_verified, verified_at: first.verified_at }, accounts };
}

export function listAccounts(db: PlDb, baseId: string) {
  return db.selectFrom('upstream_accounts').selectAll().where('base_id', '=', baseId).orderBy('created_at').orderBy('id').execute();
}

export interface NewAccount {
  upstream_id: string;
  issuer: string;
  subject: string;
  verified: boolean;
  acr: string | null;
  claims: Record<string, unknown>;
}

/** Creates a resident and its first linked account in one transaction. */
export async function insertResidentWithAccount(db: PlDb, baseId: string, account: NewAccount, at: Date) {
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('residents').values({ base_id: baseId, identity_verified: account.verified, verified_at: account.verified ? at : null, created_at: at }).execute();
    await trx.insertInto('upstream_accounts').values({ ...account, base_id: baseId, claims: JSON.stringify(account.claims), created_at: at, last_sign_in_at: at }).execute();
  });
}

export async function insertAccount(db: PlDb, baseId: string, account: NewAccount, at: Date) {
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('upstream_accounts').values({ ...account, base_id: baseId, claims: JSON.stringify(account.claims), created_at: at, last_sign_in_at: at }).execute();
    if (account.verified) await trx.updateTable('residents').set({ identity_verified: true, verified_at: at }).where('base_id', '=', baseId).execute();
  });
}

export async function recordSignIn(db: PlDb, accountId: string, claims: Record<string, unknown>, verified: boolean, acr: string | null, at: Date) {
  await db.transaction().execute(async (trx) => {
    const row = await trx.updateTable('upstream_accounts').set({ claims: JSON.stringify(claims), verified, acr, last_sign_in_at: at }).where('id', '=', accountId).returning('base_id').executeTakeFirstOrThrow();
    if (verified) await trx.updateTable('residents').set({ identity_verified: true, verified_at: at }).where('base_id', '=', row.base_id).where('identity_verified', '=', false).execute();
  });
}

/**
 * Removes one linked account unless it is the resident's last one (checked under a row lock on the
 * resident, so two concurrent removals cannot leave none). Returns the removed row, 'last' or undefined.
 */
export async function deleteAccountUnlessLast(db: PlDb, baseId: string, accountId: string): Promise<UpstreamAccountRow | 'last' | undefined> {
  return db.transaction().execute(async (trx) => {
    await sql`select 1 from residents where base_id = ${baseId} for update`.execute(trx);
    const accounts = await trx.selectFrom('upstream_accounts').selectAll().where('base_id', '=', baseId).execute();
    const target = accounts.find((a) => String(a.id) === accountId);
    if (!target) return undefined;
    if (accounts.length <= 1) return 'last';
    await trx.deleteFrom('upstream_accounts').where('id', '=', target.id).execute();
    const stillVerified = accounts.some((a) => a.id !== target.id && a.verified);
    if (!stillVerified) await trx.updateTable('residents').set({ identity_verified: false, verified_at: null }).where('base_id', '=', baseId).execute();
    return target;
  });
}
