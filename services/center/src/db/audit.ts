import type { CenterDb } from './database.ts';

export async function insertAuditEvent(
  db: CenterDb,
  row: { actor: string; action: string; target: string | null; outcome: 'success' | 'failure'; details: Record<string, unknown> },
) {
  await db.insertInto('audit_events').values({ ...row, details: JSON.stringify(row.details) }).execute();
}

export async function listAuditEvents(db: CenterDb, filter: { action?: string; limit: number }) {
  let query = db.selectFrom('audit_events').selectAll().orderBy('id', 'desc').limit(filter.limit);
  if (filter.action !== undefined) query = query.where('action', '=', filter.action);
  return query.execute();
}
