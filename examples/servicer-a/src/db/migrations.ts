// Servicer A's migrations. Date-prefixed and frozen once merged: add a new one, never edit an old one.
import { sql, type Kysely } from 'kysely';
import type { Migration } from '@jplink/db';

export const shopMigrations: Record<string, Migration> = {
  '202612051300-initial': {
    async up(db: Kysely<any>, { schema }) {
      // The shop's existing member numbers: S-000001, S-000002, …
      await sql`create sequence ${sql.id(schema, 'user_number')}`.execute(db);
      await db.schema
        .createTable('users')
        .addColumn('user_id', 'text', (c) => c.primaryKey())
        .addColumn('display_name', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('id_conversions')
        .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.user_id').onDelete('cascade'))
        .addColumn('base_id', 'text', (c) => c.notNull().unique())
        .addColumn('conversion_notified_at', 'timestamptz')
        .addColumn('linked_at', 'timestamptz')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('consent_requests')
        .addColumn('consent_id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.user_id').onDelete('cascade'))
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('approval_url', 'text', (c) => c.notNull())
        .addColumn('requested_at', 'timestamptz', (c) => c.notNull())
        .addColumn('checked_at', 'timestamptz', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('consent_requests_user').on('consent_requests').columns(['user_id', 'requested_at']).execute();
    },
  },
  '202612072200-consent-events': {
    async up(db: Kysely<any>) {
      // Personal-Link's consent notifications already applied, by event id (the SET's jti): a retry is answered, not applied twice.
      await db.schema
        .createTable('consent_events')
        .addColumn('event_id', 'text', (c) => c.primaryKey())
        .addColumn('consent_id', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('received_at', 'timestamptz', (c) => c.notNull())
        .execute();
    },
  },
};
