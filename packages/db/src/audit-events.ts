// Audit events are stored by every service in its own `audit_events` table (created by the
// service's own, frozen migration). This is the one row type and the one way to write and read them.
import type { ColumnType, Generated, Kysely } from 'kysely';

export interface AuditEventsTable {
  audit_events: {
    id: Generated<string>;
    at: ColumnType<Date, Date | string | undefined, Date | string>;
    actor: string;
    action: string;
    target: string | null;
    outcome: 'success' | 'failure';
    details: ColumnType<Record<string, unknown>, string, string>;
  };
}

export interface AuditEventInput {
  actor: string;
  action: string;
  target?: string | null;
  outcome?: 'success' | 'failure';
  details?: Record<string, unknown>;
}

export async function insertAuditEvent<DB extends AuditEventsTable>(db: Kysely<DB>, event: AuditEventInput): Promise<void> {
  await (db as unknown as Kysely<AuditEventsTable>)
    .insertInto('audit_events')
    .values({
      actor: event.actor,
      action: event.action,
      target: event.target ?? null,
      outcome: event.outcome ?? 'success',
      details: JSON.stringify(event.details ?? {}),
    })
    .execute();
}

export async function listAuditEvents<DB extends AuditEventsTable>(db: Kysely<DB>, filter: { action?: string; limit: number }) {
  let query = (db as unknown as Kysely<AuditEventsTable>).selectFrom('audit_events').selectAll().orderBy('id', 'desc').limit(filter.limit);
  if (filter.action !== undefined) query = query.where('action', '=', filter.action);
  return query.execute();
}
