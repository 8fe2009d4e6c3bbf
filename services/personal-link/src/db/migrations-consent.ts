// Personal-Link migrations of the linkage and consent tables (RP links, ID conversions, consents and
// their hash-chained events). Merged into plMigrations; frozen once merged like every migration.
import { sql, type Kysely, type Migration } from 'kysely';

export const consentMigrations: Record<string, Migration> = {
  '202611260100-links-and-consents': {
    async up(db: Kysely<any>) {
      // The RP link table (リンクRP管理): which RPs a resident has linked, and when it changed.
      await db.schema
        .createTable('rp_links')
        .addColumn('base_id', 'text', (c) => c.notNull().references('residents.base_id'))
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('linked', 'unlinked')`))
        .addColumn('linked_at', 'timestamptz', (c) => c.notNull())
        .addColumn('unlinked_at', 'timestamptz')
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
        .addPrimaryKeyConstraint('rp_links_pk', ['base_id', 'client_id'])
        .execute();
      await db.schema.createIndex('rp_links_client').on('rp_links').columns(['client_id', 'status']).execute();

      // The central ID conversion table: BaseID ↔ each RP's existing user id (one per RP and BaseID,
      // and one BaseID per RP user id).
      await db.schema
        .createTable('id_conversions')
        .addColumn('base_id', 'text', (c) => c.notNull().references('residents.base_id'))
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('local_user_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
        .addPrimaryKeyConstraint('id_conversions_pk', ['base_id', 'client_id'])
        .addUniqueConstraint('id_conversions_local_user', ['client_id', 'local_user_id'])
        .execute();

      // What the operator lets each RP do on Personal-Link's API (scopes) and where residents may be
      // sent back after deciding on its consent requests.
      await db.schema
        .createTable('rp_api_access')
        .addColumn('client_id', 'text', (c) => c.primaryKey())
        .addColumn('scopes', 'jsonb', (c) => c.notNull())
        .addColumn('consent_return_uris', 'jsonb', (c) => c.notNull())
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
        .execute();

      // The consent table (許諾管理, all RPs): who lets which consumer RP receive which data items of
      // which provider RP, for which purpose, until when. `version` grows with every change (it is
      // the version reflected to the provider).
      await db.schema
        .createTable('consents')
        .addColumn('consent_id', 'text', (c) => c.primaryKey())
        .addColumn('base_id', 'text', (c) => c.notNull().references('residents.base_id'))
        .addColumn('consumer_client_id', 'text', (c) => c.notNull())
        .addColumn('consumer_subsystem', 'text', (c) => c.notNull())
        .addColumn('provider_client_id', 'text', (c) => c.notNull())
        .addColumn('provider_subsystem', 'text', (c) => c.notNull())
        .addColumn('subsystem_code', 'text', (c) => c.notNull())
        .addColumn('data_items', 'jsonb', (c) => c.notNull())
        .addColumn('purpose_code', 'text', (c) => c.notNull())
        .addColumn('purpose_ja', 'text', (c) => c.notNull())
        .addColumn('purpose_en', 'text', (c) => c.notNull())
        .addColumn('valid_from', 'timestamptz', (c) => c.notNull())
        .addColumn('valid_until', 'timestamptz', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('requested', 'given', 'declined', 'withdrawn', 'expired')`))
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('return_uri', 'text', (c) => c.notNull())
        .addColumn('request_expires_at', 'timestamptz', (c) => c.notNull())
        .addColumn('receipt_jwt', 'text')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
        .addCheckConstraint('consents_period', sql`valid_from < valid_until`)
        .execute();
      await db.schema.createIndex('consents_base_id').on('consents').columns(['base_id', 'created_at']).execute();
      await db.schema.createIndex('consents_sweep').on('consents').columns(['status', 'valid_until']).execute();
      await db.schema.createIndex('consents_consumer').on('consents').column('consumer_client_id').execute();
      await db.schema.createIndex('consents_provider').on('consents').column('provider_client_id').execute();

      // Consent events: append-only and hash-chained (src/consent/chain.ts). Each row's hash covers
      // the previous row's hash, so changing or removing a row breaks every later link.
      await db.schema
        .createTable('consent_events')
        .addColumn('consent_id', 'text', (c) => c.notNull().references('consents.consent_id'))
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('at', 'timestamptz', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('details', 'jsonb', (c) => c.notNull())
        .addColumn('prev_hash', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('consent_events_pk', ['consent_id', 'seq'])
        .execute();
      await db.schema.createIndex('consent_events_at').on('consent_events').columns(['type', 'at']).execute();
      await sql`create function consent_events_append_only() returns trigger language plpgsql as $$
        begin
          raise exception 'consent_events is append-only (% refused)', tg_op using errcode = 'insufficient_privilege';
        end
        $$`.execute(db);
      await sql`create trigger consent_events_no_update_or_delete before update or delete on consent_events for each row execute function consent_events_append_only()`.execute(db);
      await sql`create trigger consent_events_no_truncate before truncate on consent_events for each statement execute function consent_events_append_only()`.execute(db);
    },
  },
};
