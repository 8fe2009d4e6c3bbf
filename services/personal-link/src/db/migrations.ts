// Personal-Link migrations. Date-prefixed and frozen once merged: add a new one, never edit an old one.
import { sql, type Kysely, type Migration } from 'kysely';
import { consentMigrations } from './migrations-consent.ts';
import { reflectionMigrations } from './migrations-reflection.ts';
import { notificationMigrations } from './migrations-notifications.ts';
import { myDataMigrations } from './migrations-my-data.ts';
import { dataItemMigrations } from './migrations-data-items.ts';

export const plMigrations: Record<string, Migration> = {
  '202611251900-initial': {
    async up(db: Kysely<any>) {
      // Everything oidc-provider stores (sessions, grants, codes, tokens, interactions, …): one
      // row per model instance, the payload schemaless, the lookups oidc-provider needs indexed.
      await db.schema
        .createTable('oidc_models')
        .addColumn('model', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('payload', 'jsonb', (c) => c.notNull())
        .addColumn('grant_id', 'text')
        .addColumn('uid', 'text')
        .addColumn('user_code', 'text')
        .addColumn('expires_at', 'timestamptz')
        .addColumn('consumed_at', 'timestamptz')
        .addPrimaryKeyConstraint('oidc_models_pk', ['model', 'id'])
        .execute();
      await sql`create index oidc_models_grant_id on oidc_models (grant_id) where grant_id is not null`.execute(db);
      await sql`create unique index oidc_models_uid on oidc_models (model, uid) where uid is not null`.execute(db);
      await sql`create unique index oidc_models_user_code on oidc_models (model, user_code) where user_code is not null`.execute(db);
      await sql`create index oidc_models_expires_at on oidc_models (expires_at) where expires_at is not null`.execute(db);

      // Signing keys (JWKS). The private JWK is sealed with the service passphrase. States:
      // active (signs; one per algorithm) → previous (still published, verifies) → retired (gone).
      await db.schema
        .createTable('signing_keys')
        .addColumn('kid', 'text', (c) => c.primaryKey())
        .addColumn('alg', 'text', (c) => c.notNull())
        .addColumn('public_jwk', 'jsonb', (c) => c.notNull())
        .addColumn('private_jwk_sealed', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('activated_at', 'timestamptz')
        .addColumn('retired_at', 'timestamptz')
        .execute();
      await sql`create unique index signing_keys_one_active on signing_keys (alg) where state = 'active'`.execute(db);

      // Keys that sign oidc-provider's cookies; the newest signs, older ones still verify until retired.
      await db.schema
        .createTable('cookie_keys')
        .addColumn('id', 'bigserial', (c) => c.primaryKey())
        .addColumn('key_sealed', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('retired_at', 'timestamptz')
        .execute();

      // The user master, keyed by BaseID (random, URL-safe). No personal data here.
      await db.schema
        .createTable('residents')
        .addColumn('base_id', 'text', (c) => c.primaryKey())
        .addColumn('identity_verified', 'boolean', (c) => c.notNull().defaultTo(false))
        .addColumn('verified_at', 'timestamptz')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();

      // Upstream accounts linked to a BaseID: (issuer, subject) is unique; one BaseID may hold several.
      // `claims` keeps what the upstream said about the resident (name, e-mail, verified attributes).
      await db.schema
        .createTable('upstream_accounts')
        .addColumn('id', 'bigserial', (c) => c.primaryKey())
        .addColumn('base_id', 'text', (c) => c.notNull().references('residents.base_id').onDelete('cascade'))
        .addColumn('upstream_id', 'text', (c) => c.notNull())
        .addColumn('issuer', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('verified', 'boolean', (c) => c.notNull())
        .addColumn('acr', 'text')
        .addColumn('claims', 'jsonb', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('last_sign_in_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addUniqueConstraint('upstream_accounts_issuer_subject', ['issuer', 'subject'])
        .execute();
      await db.schema.createIndex('upstream_accounts_base_id').on('upstream_accounts').column('base_id').execute();

      // The RP registry: relying parties registered by the operator. The client secret is sealed
      // (oidc-provider needs the plaintext to check client_secret_basic/post).
      await db.schema
        .createTable('rp_clients')
        .addColumn('client_id', 'text', (c) => c.primaryKey())
        .addColumn('member_subsystem', 'text', (c) => c.notNull())
        .addColumn('display_name_ja', 'text', (c) => c.notNull())
        .addColumn('display_name_en', 'text', (c) => c.notNull())
        .addColumn('redirect_uris', 'jsonb', (c) => c.notNull())
        .addColumn('post_logout_redirect_uris', 'jsonb', (c) => c.notNull())
        .addColumn('backchannel_logout_uri', 'text')
        .addColumn('grant_types', 'jsonb', (c) => c.notNull())
        .addColumn('auth_method', 'text', (c) => c.notNull())
        .addColumn('secret_sealed', 'text')
        .addColumn('jwks', 'jsonb')
        .addColumn('id_token_signing_alg', 'text')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();

      // Next slice (RP links, ID conversion, consents) adds its own migrations: rp_links
      // (base_id → client), id_conversions (base_id, sector → pairwise sub), consents + events.

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
  ...consentMigrations,
  ...reflectionMigrations,
  ...notificationMigrations,
  ...myDataMigrations,
  ...dataItemMigrations,
};
