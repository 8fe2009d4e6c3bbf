// Personal-Link migrations of the consent reflection outbox. Merged into plMigrations; frozen once
// merged like every migration.
import { sql, type Kysely, type Migration } from 'kysely';

export const reflectionMigrations: Record<string, Migration> = {
  '202611260200-reflection-outbox': {
    async up(db: Kysely<any>) {
      // One row per (consent, version) to reflect to the data provider's Adapter Server through
      // Personal-Link's own Security Server (docs/protocols/consent-reflection.md). The payload is the
      // ConsentReflection exactly as sent; last_error holds a status and an error code, never the payload.
      await db.schema
        .createTable('reflection_outbox')
        .addColumn('id', 'bigserial', (c) => c.primaryKey())
        .addColumn('consent_id', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull().check(sql`version >= 1`))
        .addColumn('provider_subsystem', 'text', (c) => c.notNull())
        // null: PL_REFLECTION_SERVICE_CODE at the time of sending.
        .addColumn('service_code', 'text')
        .addColumn('payload', 'jsonb', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull().defaultTo('pending').check(sql`state in ('pending', 'acknowledged', 'failed-permanently')`))
        // How it was acknowledged: created / updated (200), stale (409, the provider holds this
        // version or a newer one), superseded (a newer version of the consent was sent instead).
        .addColumn('result', 'text', (c) => c.check(sql`result in ('created', 'updated', 'stale', 'superseded')`))
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('last_attempt_at', 'timestamptz')
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('acknowledged_at', 'timestamptz')
        .addUniqueConstraint('reflection_outbox_consent_version', ['consent_id', 'version'])
        .execute();
      await sql`create index reflection_outbox_due on reflection_outbox (next_attempt_at) where state = 'pending'`.execute(db);
    },
  },
};
