import type { CenterDb } from './database.ts';

export async function listMemberClasses(db: CenterDb) {
  return db.selectFrom('member_classes').selectAll().orderBy('code').execute();
}

export async function insertMemberClass(db: CenterDb, row: { code: string; description: string }) {
  await db.insertInto('member_classes').values(row).execute();
}

export async function memberClassExists(db: CenterDb, code: string) {
  return (await db.selectFrom('member_classes').select('code').where('code', '=', code).executeTakeFirst()) !== undefined;
}

export async function listMembers(db: CenterDb) {
  return db.selectFrom('members').selectAll().orderBy('member_class').orderBy('member_code').execute();
}

export async function findMember(db: CenterDb, memberClass: string, memberCode: string) {
  return db
    .selectFrom('members')
    .selectAll()
    .where('member_class', '=', memberClass)
    .where('member_code', '=', memberCode)
    .executeTakeFirst();
}

export async function insertMember(db: CenterDb, row: { memberClass: string; memberCode: string; name: string }) {
  await db.insertInto('members').values({ member_class: row.memberClass, member_code: row.memberCode, name: row.name }).execute();
}

export async function listSubsystems(db: CenterDb) {
  return db.selectFrom('subsystems').selectAll().orderBy('member_class').orderBy('member_code').orderBy('subsystem_code').execute();
}

export async function findSubsystem(db: CenterDb, memberClass: string, memberCode: string, subsystemCode: string) {
  return db
    .selectFrom('subsystems')
    .selectAll()
    .where('member_class', '=', memberClass)
    .where('member_code', '=', memberCode)
    .where('subsystem_code', '=', subsystemCode)
    .executeTakeFirst();
}

export async function insertSubsystem(db: CenterDb, row: { memberClass: string; memberCode: string; subsystemCode: string }) {
  await db
    .insertInto('subsystems')
    .values({ member_class: row.memberClass, member_code: row.memberCode, subsystem_code: row.subsystemCode })
    .execute();
}
