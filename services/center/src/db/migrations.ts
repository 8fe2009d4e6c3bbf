// Center migrations. Date-prefixed and frozen once merged: add a new one, never edit an old one.
import { sql, type Kysely, type Migration } from 'kysely';

export const centerMigrations: Record<string, Migration> = {
  '202611251200-initial': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('ca_keys')
        .addColumn('role', 'text', (c) => c.primaryKey()) // root, issuing, ocsp, tsa, config-signing, tls-server
        .addColumn('certificate', 'bytea', (c) => c.notNull())
        .addColumn('private_key', 'text', (c) => c.notNull()) // encrypted PKCS#8 PEM
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();

      await db.schema
        .createTable('member_classes')
        .addColumn('code', 'text', (c) => c.primaryKey())
        .addColumn('description', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('members')
        .addColumn('member_class', 'text', (c) => c.notNull().references('member_classes.code'))
        .addColumn('member_code', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addPrimaryKeyConstraint('members_pk', ['member_class', 'member_code'])
        .execute();

      await db.schema
        .createTable('subsystems')
        .addColumn('member_class', 'text', (c) => c.notNull())
        .addColumn('member_code', 'text', (c) => c.notNull())
        .addColumn('subsystem_code', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addPrimaryKeyConstraint('subsystems_pk', ['member_class', 'member_code', 'subsystem_code'])
        .addForeignKeyConstraint('subsystems_member_fk', ['member_class', 'member_code'], 'members', ['member_class', 'member_code'])
        .execute();

      await db.schema
        .createTable('security_servers')
        .addColumn('member_class', 'text', (c) => c.notNull())
        .addColumn('member_code', 'text', (c) => c.notNull())
        .addColumn('server_code', 'text', (c) => c.notNull())
        .addColumn('address', 'text', (c) => c.notNull())
        .addColumn('port', 'integer')
        .addColumn('ocsp_port', 'integer')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addPrimaryKeyConstraint('security_servers_pk', ['member_class', 'member_code', 'server_code'])
        .addForeignKeyConstraint('security_servers_member_fk', ['member_class', 'member_code'], 'members', ['member_class', 'member_code'])
        .execute();

      await db.schema
        .createTable('certificates')
        .addColumn('serial_number', 'text', (c) => c.primaryKey()) // lower-case hex
        .addColumn('profile', 'text', (c) => c.notNull())
        .addColumn('member_class', 'text')
        .addColumn('member_code', 'text')
        .addColumn('server_code', 'text')
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('sha256', 'text', (c) => c.notNull().unique())
        .addColumn('der', 'bytea', (c) => c.notNull())
        .addColumn('not_before', 'timestamptz', (c) => c.notNull())
        .addColumn('not_after', 'timestamptz', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('good'))
        .addColumn('revoked_at', 'timestamptz')
        .addColumn('revocation_reason', 'text')
        .addColumn('issued_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema.createIndex('certificates_member_idx').on('certificates').columns(['member_class', 'member_code']).execute();

      await db.schema
        .createTable('server_auth_certs')
        .addColumn('member_class', 'text', (c) => c.notNull())
        .addColumn('member_code', 'text', (c) => c.notNull())
        .addColumn('server_code', 'text', (c) => c.notNull())
        .addColumn('cert_sha256', 'text', (c) => c.notNull().references('certificates.sha256'))
        .addColumn('registered_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addPrimaryKeyConstraint('server_auth_certs_pk', ['cert_sha256'])
        .addForeignKeyConstraint('server_auth_certs_server_fk', ['member_class', 'member_code', 'server_code'], 'security_servers', [
          'member_class',
          'member_code',
          'server_code',
        ])
        .execute();

      await db.schema
        .createTable('server_clients')
        .addColumn('member_class', 'text', (c) => c.notNull())
        .addColumn('member_code', 'text', (c) => c.notNull())
        .addColumn('server_code', 'text', (c) => c.notNull())
        .addColumn('client_class', 'text', (c) => c.notNull())
        .addColumn('client_code', 'text', (c) => c.notNull())
        .addColumn('client_subsystem', 'text', (c) => c.notNull())
        .addColumn('registered_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addPrimaryKeyConstraint('server_clients_pk', ['member_class', 'member_code', 'server_code', 'client_class', 'client_code', 'client_subsystem'])
        .addForeignKeyConstraint('server_clients_server_fk', ['member_class', 'member_code', 'server_code'], 'security_servers', [
          'member_class',
          'member_code',
          'server_code',
        ])
        .addForeignKeyConstraint('server_clients_subsystem_fk', ['client_class', 'client_code', 'client_subsystem'], 'subsystems', [
          'member_class',
          'member_code',
          'subsystem_code',
        ])
        .execute();

      await db.schema
        .createTable('management_requests')
        .addColumn('id', 'uuid', (c) => c.primaryKey())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('submitted_by', 'text', (c) => c.notNull())
        .addColumn('payload', 'jsonb', (c) => c.notNull())
        .addColumn('poll_token_sha256', 'text')
        .addColumn('result', 'jsonb')
        .addColumn('rejection_reason', 'text')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('decided_at', 'timestamptz')
        .addColumn('decided_by', 'text')
        .execute();
      await db.schema.createIndex('management_requests_status_idx').on('management_requests').columns(['status', 'created_at']).execute();

      await db.schema
        .createTable('global_conf_versions')
        .addColumn('version', 'integer', (c) => c.primaryKey())
        .addColumn('document', 'bytea', (c) => c.notNull())
        .addColumn('signature', 'bytea', (c) => c.notNull())
        .addColumn('document_sha256', 'text', (c) => c.notNull())
        .addColumn('generated_at', 'timestamptz', (c) => c.notNull())
        .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
        .execute();

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
      await db.schema.createIndex('audit_events_at_idx').on('audit_events').columns(['at']).execute();

      await db.schema
        .createTable('api_keys')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('key_sha256', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('revoked_at', 'timestamptz')
        .execute();

      // Blocks of TSA serial numbers (hi/lo): one nextval per 2^20 tokens keeps serials unique across restarts.
      await sql`create sequence tsa_serial_blocks`.execute(db);
    },
  },
};
