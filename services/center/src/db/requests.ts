import { sql } from 'kysely';
import type { CenterDb } from './database.ts';

export async function insertRequest(
  db: CenterDb,
  row: { id: string; type: string; submittedBy: string; payload: Record<string, unknown>; pollTokenSha256: string | null },
) {
  await db
    .insertInto('management_requests')
    .values({
      id: row.id,
      type: row.type,
      status: 'pending',
      submitted_by: row.submittedBy,
      payload: JSON.stringify(row.payload),
      poll_token_sha256: row.pollTokenSha256,
    })
    .execute();
}

export async function findRequest(db: CenterDb, id: string) {
  return db.selectFrom('management_requests').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Locks the row for the rest of the transaction, so two approvals cannot both apply it. */
export async function findRequestForUpdate(db: CenterDb, id: string) {
  return db.selectFrom('management_requests').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

export async function listRequests(db: CenterDb, filter: { status?: string; type?: string; limit: number }) {
  let query = db.selectFrom('management_requests').selectAll().orderBy('created_at', 'desc').limit(filter.limit);
  if (filter.status !== undefined) query = query.where('status', '=', filter.status as 'pending');
  if (filter.type !== undefined) query = query.where('type', '=', filter.type);
  return query.execute();
}

export async function findPendingDuplicate(db: CenterDb, type: string, payloadKey: Record<string, unknown>) {
  return db
    .selectFrom('management_requests')
    .select('id')
    .where('status', '=', 'pending')
    .where('type', '=', type)
    .where(sql<boolean>`payload @> ${JSON.stringify(payloadKey)}::jsonb`)
    .executeTakeFirst();
}

export async function decideRequest(
  db: CenterDb,
  id: string,
  decision: { status: 'approved' | 'rejected'; decidedBy: string; result?: Record<string, unknown>; rejectionReason?: string },
) {
  await db
    .updateTable('management_requests')
    .set({
      status: decision.status,
      decided_by: decision.decidedBy,
      decided_at: new Date(),
      result: decision.result ? JSON.stringify(decision.result) : null,
      rejection_reason: decision.rejectionReason ?? null,
    })
    .where('id', '=', id)
    .execute();
}
