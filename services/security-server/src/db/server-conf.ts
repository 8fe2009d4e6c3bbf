// Queries for the local configuration: clients, services, endpoints, local groups, access rights.
import type { SecurityServerDb } from './database.ts';
import type { ConnectionType } from './schema.ts';

export async function loadServerConfRows(db: SecurityServerDb) {
  const [clients, isCerts, services, endpoints, groups, members, rights] = await Promise.all([
    db.selectFrom('clients').selectAll().orderBy('subsystem').execute(),
    db.selectFrom('client_is_certificates').selectAll().execute(),
    db.selectFrom('services').selectAll().orderBy('subsystem').orderBy('service_code').execute(),
    db.selectFrom('service_endpoints').selectAll().execute(),
    db.selectFrom('local_groups').selectAll().orderBy('code').execute(),
    db.selectFrom('local_group_members').selectAll().execute(),
    db.selectFrom('access_rights').selectAll().orderBy('id').execute(),
  ]);
  return { clients, isCerts, services, endpoints, groups, members, rights };
}

export async function upsertClient(db: SecurityServerDb, row: { subsystem: string; connectionType?: ConnectionType; logBodies?: boolean; timestampImmediately?: boolean }) {
  const changes = {
    ...(row.connectionType ? { connection_type: row.connectionType } : {}),
    ...(row.logBodies !== undefined ? { log_bodies: row.logBodies } : {}),
    ...(row.timestampImmediately !== undefined ? { timestamp_immediately: row.timestampImmediately } : {}),
  };
  await db
    .insertInto('clients')
    .values({ subsystem: row.subsystem, ...changes })
    .onConflict((oc) => (Object.keys(changes).length > 0 ? oc.column('subsystem').doUpdateSet(changes) : oc.column('subsystem').doNothing()))
    .execute();
}

export async function setClientStatus(db: SecurityServerDb, subsystem: string, status: 'saved' | 'registration-requested' | 'registered') {
  await db.updateTable('clients').set({ status }).where('subsystem', '=', subsystem).execute();
}

export async function addClientIsCertificate(db: SecurityServerDb, row: { subsystem: string; sha256: string; certificate: Buffer }) {
  await db.insertInto('client_is_certificates').values(row).onConflict((oc) => oc.columns(['subsystem', 'sha256']).doNothing()).execute();
}

export async function upsertService(
  db: SecurityServerDb,
  row: { subsystem: string; serviceCode: string; url: string; timeoutSeconds: number; tlsVerify: boolean; openapi: Record<string, unknown> | null; endpoints: Array<{ method: string; path: string }> },
) {
  await db.transaction().execute(async (tx) => {
    await tx
      .insertInto('services')
      .values({
        subsystem: row.subsystem,
        service_code: row.serviceCode,
        url: row.url,
        timeout_seconds: row.timeoutSeconds,
        tls_verify: row.tlsVerify,
        openapi: row.openapi ? JSON.stringify(row.openapi) : null,
      })
      .onConflict((oc) =>
        oc.columns(['subsystem', 'service_code']).doUpdateSet({
          url: row.url,
          timeout_seconds: row.timeoutSeconds,
          tls_verify: row.tlsVerify,
          openapi: row.openapi ? JSON.stringify(row.openapi) : null,
        }),
      )
      .execute();
    await tx.deleteFrom('service_endpoints').where('subsystem', '=', row.subsystem).where('service_code', '=', row.serviceCode).execute();
    if (row.endpoints.length > 0) {
      await tx
        .insertInto('service_endpoints')
        .values(row.endpoints.map((e) => ({ subsystem: row.subsystem, service_code: row.serviceCode, method: e.method, path: e.path })))
        .execute();
    }
  });
}

export async function deleteService(db: SecurityServerDb, subsystem: string, serviceCode: string) {
  const result = await db.deleteFrom('services').where('subsystem', '=', subsystem).where('service_code', '=', serviceCode).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function upsertLocalGroup(db: SecurityServerDb, row: { code: string; description: string; members: string[] }) {
  await db.transaction().execute(async (tx) => {
    await tx.insertInto('local_groups').values({ code: row.code, description: row.description }).onConflict((oc) => oc.column('code').doUpdateSet({ description: row.description })).execute();
    await tx.deleteFrom('local_group_members').where('group_code', '=', row.code).execute();
    if (row.members.length > 0) await tx.insertInto('local_group_members').values(row.members.map((subsystem) => ({ group_code: row.code, subsystem }))).execute();
  });
}

export interface AccessRightRow {
  subsystem: string;
  serviceCode: string;
  endpoint: { method: string; path: string } | null;
  subjectKind: 'subsystem' | 'local-group';
  subject: string;
}

export async function insertAccessRight(db: SecurityServerDb, row: AccessRightRow) {
  await db
    .insertInto('access_rights')
    .values({
      subsystem: row.subsystem,
      service_code: row.serviceCode,
      endpoint_method: row.endpoint?.method ?? null,
      endpoint_path: row.endpoint?.path ?? null,
      subject_kind: row.subjectKind,
      subject: row.subject,
    })
    .execute();
}

export async function deleteAccessRight(db: SecurityServerDb, row: AccessRightRow) {
  let query = db
    .deleteFrom('access_rights')
    .where('subsystem', '=', row.subsystem)
    .where('service_code', '=', row.serviceCode)
    .where('subject_kind', '=', row.subjectKind)
    .where('subject', '=', row.subject);
  query = row.endpoint
    ? query.where('endpoint_method', '=', row.endpoint.method).where('endpoint_path', '=', row.endpoint.path)
    : query.where('endpoint_method', 'is', null);
  const result = await query.executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
