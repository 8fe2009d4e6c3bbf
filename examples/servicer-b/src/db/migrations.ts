// Servicer B's migrations. Date-prefixed and frozen once merged: add a new one, never edit an old one.
import { sql, type Kysely } from 'kysely';
import type { Migration } from '@jplink/db';

export const healthMigrations: Record<string, Migration> = {
  '202612051310-initial': {
    async up(db: Kysely<any>, { schema }) {
      // The clinic's existing patient numbers: H-000001, H-000002, …
      await sql`create sequence ${sql.id(schema, 'user_number')}`.execute(db);
      await db.schema
        .createTable('users')
        .addColumn('user_id', 'text', (c) => c.primaryKey())
        .addColumn('display_name', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .execute();
      // What the Adapter Server publishes (personal data service, user id column `user_id`).
      await db.schema
        .createTable('vitals')
        .addColumn('id', 'serial', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.user_id').onDelete('cascade'))
        .addColumn('measured_on', 'date', (c) => c.notNull())
        .addColumn('systolic', 'integer', (c) => c.notNull())
        .addColumn('diastolic', 'integer', (c) => c.notNull())
        .addColumn('heart_rate', 'integer', (c) => c.notNull())
        .addColumn('body_temperature', sql`numeric(3,1)`, (c) => c.notNull())
        .addColumn('steps', 'integer', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('vitals_user').on('vitals').columns(['user_id', 'measured_on']).execute();
      // B's own ID conversion rows: BaseID ↔ its existing user id.
      await db.schema
        .createTable('id_conversions')
        .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.user_id').onDelete('cascade'))
        .addColumn('base_id', 'text', (c) => c.notNull().unique())
        .addColumn('conversion_notified_at', 'timestamptz')
        .addColumn('linked_at', 'timestamptz')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .execute();
    },
  },
};
