// The RP registry table: the only code that touches `rp_clients`.
import type { Selectable } from 'kysely';
import type { PlDb, PlTables } from './schema.ts';

export type RpClientRow = Selectable<PlTables['rp_clients']>;

export function findRpClient(db: PlDb, clientId: string) {
  return db.selectFrom('rp_clients').selectAll().where('client_id', '=', clientId).executeTakeFirst();
}

/** Client ids of the RPs registered with this X-Road subsystem (at most `limit`). */
export async function rpClientIdsOfSubsystem(db: PlDb, memberSubsystem: string, limit = 2): Promise<string[]> {
  const rows = await db.selectFrom('rp_clients').select('client_id').where('member_subsystem', '=', memberSubsystem).orderBy('client_id').limit(limit).execute();
  return rows.map((r) => r.client_id);
}

export function listRpClients(db: PlDb) {
  return db.selectFrom('rp_clients').selectAll().orderBy('client_id').execute();
}

export interface RpClientValues {
  client_id: string;
  member_subsystem: string;
  display_name_ja: string;
  display_name_en: string;
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  backchannel_logout_uri: string | null;
  consent_notification_uri: string | null;
  grant_types: string[];
  auth_method: RpClientRow['auth_method'];
  secret_sealed: string | null;
  jwks: { keys: Record<string, unknown>[] } | null;
  id_token_signing_alg: 'ES256' | 'RS256' | null;
}

const encode = (v: RpClientValues) => ({
  ...v,
  redirect_uris: JSON.stringify(v.redirect_uris),
  post_logout_redirect_uris: JSON.stringify(v.post_logout_redirect_uris),
  grant_types: JSON.stringify(v.grant_types),
  jwks: JSON.stringify(v.jwks),
});

export async function insertRpClient(db: PlDb, values: RpClientValues) {
  await db.insertInto('rp_clients').values(encode(values)).execute();
}

export async function updateRpClient(db: PlDb, values: RpClientValues, at: Date) {
  const { client_id, ...rest } = encode(values);
  await db.updateTable('rp_clients').set({ ...rest, updated_at: at }).where('client_id', '=', client_id).execute();
}

export async function deleteRpClient(db: PlDb, clientId: string) {
  const r = await db.deleteFrom('rp_clients').where('client_id', '=', clientId).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
