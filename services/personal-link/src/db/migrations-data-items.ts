// Personal-Link migrations of data item descriptions: the labels a data provider RP gives the data
// items (columns) of one of its Sub System Codes (RP API PUT /api/pl/v1/data-items/{subsystemCode}).
// Merged into plMigrations; frozen once merged.
import { sql, type Kysely, type Migration } from 'kysely';

export const dataItemMigrations: Record<string, Migration> = {
  '202612072200-rp-data-items': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('rp_data_items')
        .addColumn('client_id', 'text', (c) => c.notNull().references('rp_clients.client_id').onDelete('cascade'))
        .addColumn('subsystem_code', 'text', (c) => c.notNull())
        .addColumn('items', 'jsonb', (c) => c.notNull())
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addPrimaryKeyConstraint('rp_data_items_pk', ['client_id', 'subsystem_code'])
        .execute();
    },
  },
};
