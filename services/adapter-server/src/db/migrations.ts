// Adapter Server migrations. Date-prefixed and frozen once merged: add a new one, never edit an old one.
import { sql, type Kysely, type Migration } from 'kysely';

export const adapterMigrations: Record<string, Migration> = {
  '202611251800-initial': {
    async up(db: Kysely<any>) {
      // Databases whose tables become data services. The password is encrypted (AES-256-GCM).
      await db.schema
        .createTable('connections')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('dialect', 'text', (c) => c.notNull()) // postgres | mysql
        .addColumn('host', 'text', (c) => c.notNull())
        .addColumn('port', 'integer', (c) => c.notNull())
        .addColumn('database', 'text', (c) => c.notNull())
        .addColumn('username', 'text', (c) => c.notNull())
        .addColumn('password_enc', 'text')
        .addColumn('tls', 'text', (c) => c.notNull())
        .addColumn('pool_max', 'integer', (c) => c.notNull())
        .addColumn('statement_timeout_ms', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();

      // Sub System Codes (data-service categories) and their Data Services (named operations).
      await db.schema
        .createTable('subsystems')
        .addColumn('code', 'text', (c) => c.primaryKey())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema
        .createTable('services')
        .addColumn('subsystem_code', 'text', (c) => c.notNull().references('subsystems.code'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('connection', 'text', (c) => c.notNull().references('connections.name'))
        .addColumn('definition', 'jsonb', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addPrimaryKeyConstraint('services_pk', ['subsystem_code', 'name'])
        .execute();

      // Personal-Link, this member's part: ID conversion (BaseID ↔ own user id) and consents.
      await db.schema
        .createTable('id_conversions')
        .addColumn('base_id', 'text', (c) => c.primaryKey())
        .addColumn('local_user_id', 'text', (c) => c.notNull().unique())
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema
        .createTable('consents')
        .addColumn('consent_id', 'text', (c) => c.primaryKey())
        .addColumn('base_id', 'text', (c) => c.notNull())
        .addColumn('client', 'text', (c) => c.notNull())
        .addColumn('subsystem_code', 'text', (c) => c.notNull())
        .addColumn('data_items', 'jsonb', (c) => c.notNull())
        .addColumn('purpose', 'text', (c) => c.notNull())
        .addColumn('valid_from', 'timestamptz', (c) => c.notNull())
        .addColumn('valid_until', 'timestamptz', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull()) // active | withdrawn
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema.createIndex('consents_lookup').on('consents').columns(['base_id', 'client', 'subsystem_code']).execute();

      // One row per data-service call with the X-Road headers the Security Server passed on.
      await db.schema
        .createTable('calls')
        .addColumn('id', 'bigserial', (c) => c.primaryKey())
        .addColumn('at', 'timestamptz', (c) => c.notNull())
        .addColumn('subsystem_code', 'text', (c) => c.notNull())
        .addColumn('service', 'text', (c) => c.notNull())
        .addColumn('method', 'text', (c) => c.notNull())
        .addColumn('x_road_client', 'text')
        .addColumn('x_road_id', 'text')
        .addColumn('x_road_request_id', 'text')
        .addColumn('x_road_user_id', 'text')
        .addColumn('status', 'integer', (c) => c.notNull())
        .addColumn('error_code', 'text')
        .addColumn('rows', 'integer')
        .addColumn('duration_ms', 'real', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('calls_at').on('calls').column('at').execute();

      await db.schema
        .createTable('audit_events')
        .addColumn('id', 'bigserial', (c) => c.primaryKey())
        .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target', 'text')
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('details', 'jsonb', (c) => c.notNull())
        .execute();
    },
  },
};
