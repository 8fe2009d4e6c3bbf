import type { CenterDb } from './database.ts';

export interface ServerKey {
  memberClass: string;
  memberCode: string;
  serverCode: string;
}

export async function listSecurityServers(db: CenterDb) {
  return db.selectFrom('security_servers').selectAll().orderBy('member_class').orderBy('member_code').orderBy('server_code').execute();
}

export async function findSecurityServer(db: CenterDb, key: ServerKey) {
  return db
    .selectFrom('security_servers')
    .selectAll()
    .where('member_class', '=', key.memberClass)
    .where('member_code', '=', key.memberCode)
    .where('server_code', '=', key.serverCode)
    .executeTakeFirst();
}

export async function upsertSecurityServer(db: CenterDb, key: ServerKey & { address: string; port: number | null; ocspPort: number | null }) {
  await db
    .insertInto('security_servers')
    .values({
      member_class: key.memberClass,
      member_code: key.memberCode,
      server_code: key.serverCode,
      address: key.address,
      port: key.port,
      ocsp_port: key.ocspPort,
    })
    .onConflict((oc) =>
      oc.columns(['member_class', 'member_code', 'server_code']).doUpdateSet({ address: key.address, port: key.port, ocsp_port: key.ocspPort }),
    )
    .execute();
}

export async function updateServerAddress(db: CenterDb, key: ServerKey & { address: string; port: number | null; ocspPort: number | null }) {
  await db
    .updateTable('security_servers')
    .set({ address: key.address, port: key.port, ocsp_port: key.ocspPort })
    .where('member_class', '=', key.memberClass)
    .where('member_code', '=', key.memberCode)
    .where('server_code', '=', key.serverCode)
    .execute();
}

export async function listAuthCerts(db: CenterDb) {
  return db
    .selectFrom('server_auth_certs')
    .innerJoin('certificates', 'certificates.sha256', 'server_auth_certs.cert_sha256')
    .select([
      'server_auth_certs.member_class',
      'server_auth_certs.member_code',
      'server_auth_certs.server_code',
      'server_auth_certs.cert_sha256',
      'certificates.status',
    ])
    .execute();
}

export async function findAuthCertRegistration(db: CenterDb, certSha256: string) {
  return db.selectFrom('server_auth_certs').selectAll().where('cert_sha256', '=', certSha256).executeTakeFirst();
}

export async function insertAuthCert(db: CenterDb, key: ServerKey & { certSha256: string }) {
  await db
    .insertInto('server_auth_certs')
    .values({ member_class: key.memberClass, member_code: key.memberCode, server_code: key.serverCode, cert_sha256: key.certSha256 })
    .execute();
}

export async function listServerClients(db: CenterDb) {
  return db.selectFrom('server_clients').selectAll().orderBy('client_class').orderBy('client_code').orderBy('client_subsystem').execute();
}

export interface ClientKey {
  clientClass: string;
  clientCode: string;
  clientSubsystem: string;
}

function clientWhere(db: CenterDb, server: ServerKey, client: ClientKey) {
  return db
    .selectFrom('server_clients')
    .selectAll()
    .where('member_class', '=', server.memberClass)
    .where('member_code', '=', server.memberCode)
    .where('server_code', '=', server.serverCode)
    .where('client_class', '=', client.clientClass)
    .where('client_code', '=', client.clientCode)
    .where('client_subsystem', '=', client.clientSubsystem);
}

export async function findServerClient(db: CenterDb, server: ServerKey, client: ClientKey) {
  return clientWhere(db, server, client).executeTakeFirst();
}

export async function insertServerClient(db: CenterDb, server: ServerKey, client: ClientKey) {
  await db
    .insertInto('server_clients')
    .values({
      member_class: server.memberClass,
      member_code: server.memberCode,
      server_code: server.serverCode,
      client_class: client.clientClass,
      client_code: client.clientCode,
      client_subsystem: client.clientSubsystem,
    })
    .execute();
}

export async function deleteServerClient(db: CenterDb, server: ServerKey, client: ClientKey) {
  await db
    .deleteFrom('server_clients')
    .where('member_class', '=', server.memberClass)
    .where('member_code', '=', server.memberCode)
    .where('server_code', '=', server.serverCode)
    .where('client_class', '=', client.clientClass)
    .where('client_code', '=', client.clientCode)
    .where('client_subsystem', '=', client.clientSubsystem)
    .execute();
}
