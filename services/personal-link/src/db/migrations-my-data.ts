// Personal-Link migrations of My Data: what each data provider RP offers residents to see about
// themselves (docs/protocols/my-data.md). Merged into plMigrations; frozen once merged.
import { sql, type Kysely, type Migration } from 'kysely';

export const myDataMigrations: Record<string, Migration> = {
  '202612072100-my-data-sources': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('my_data_sources')
        .addColumn('client_id', 'text', (c) => c.primaryKey().references('rp_clients.client_id').onDelete('cascade'))
        .addColumn('subsystem_code', 'text', (c) => c.notNull())
        .addColumn('data_items', 'jsonb', (c) => c.notNull())
        .addColumn('services', 'jsonb', (c) => c.notNull())
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
    },
  },
};
