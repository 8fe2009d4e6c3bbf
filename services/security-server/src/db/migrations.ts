// Security Server migrations. Date-prefixed and frozen once merged: add a new one, never edit an old one.
import { sql, type Kysely, type Migration } from 'kysely';

export const securityServerMigrations: Record<string, Migration> = {
  '202611251300-initial': {
    async up(db: Kysely<any>) {
      // Keys and certificates of this server: one auth key, one sign key per member it hosts.
      await db.schema
        .createTable('keys')
        .addColumn('id', 'text', (c) => c.primaryKey()) // 'auth' or 'sign:<class>/<code>'
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('member_class', 'text', (c) => c.notNull())
        .addColumn('member_code', 'text', (c) => c.notNull())
        .addColumn('private_key', 'text', (c) => c.notNull()) // encrypted PKCS#8 PEM
        .addColumn('certificate', 'bytea')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();

      // Local subsystems (clients of this server) and how their information systems connect.
      await db.schema
        .createTable('clients')
        .addColumn('subsystem', 'text', (c) => c.primaryKey()) // inst/class/code/sub
        .addColumn('connection_type', 'text', (c) => c.notNull().defaultTo('http')) // http | https | https-cert
        .addColumn('log_bodies', 'boolean', (c) => c.notNull().defaultTo(true))
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('saved')) // saved | registration-requested | registered
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema
        .createTable('client_is_certificates')
        .addColumn('subsystem', 'text', (c) => c.notNull().references('clients.subsystem').onDelete('cascade'))
        .addColumn('sha256', 'text', (c) => c.notNull())
        .addColumn('certificate', 'bytea', (c) => c.notNull())
        .addPrimaryKeyConstraint('client_is_certificates_pk', ['subsystem', 'sha256'])
        .execute();

      // Services a local subsystem provides.
      await db.schema
        .createTable('services')
        .addColumn('subsystem', 'text', (c) => c.notNull().references('clients.subsystem').onDelete('cascade'))
        .addColumn('service_code', 'text', (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('timeout_seconds', 'integer', (c) => c.notNull())
        .addColumn('tls_verify', 'boolean', (c) => c.notNull().defaultTo(true))
        .addColumn('openapi', 'jsonb')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addPrimaryKeyConstraint('services_pk', ['subsystem', 'service_code'])
        .execute();
      await db.schema
        .createTable('service_endpoints')
        .addColumn('subsystem', 'text', (c) => c.notNull())
        .addColumn('service_code', 'text', (c) => c.notNull())
        .addColumn('method', 'text', (c) => c.notNull())
        .addColumn('path', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('service_endpoints_pk', ['subsystem', 'service_code', 'method', 'path'])
        .addForeignKeyConstraint('service_endpoints_service_fk', ['subsystem', 'service_code'], 'services', ['subsystem', 'service_code'], (fk) => fk.onDelete('cascade'))
        .execute();

      // Local groups of client subsystems, and access rights (deny by default).
      await db.schema
        .createTable('local_groups')
        .addColumn('code', 'text', (c) => c.primaryKey())
        .addColumn('description', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('local_group_members')
        .addColumn('group_code', 'text', (c) => c.notNull().references('local_groups.code').onDelete('cascade'))
        .addColumn('subsystem', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('local_group_members_pk', ['group_code', 'subsystem'])
        .execute();
      await db.schema
        .createTable('access_rights')
        .addColumn('id', 'bigserial', (c) => c.primaryKey())
        .addColumn('subsystem', 'text', (c) => c.notNull()) // the provider subsystem
        .addColumn('service_code', 'text', (c) => c.notNull())
        .addColumn('endpoint_method', 'text')
        .addColumn('endpoint_path', 'text')
        .addColumn('subject_kind', 'text', (c) => c.notNull()) // subsystem | local-group
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addForeignKeyConstraint('access_rights_service_fk', ['subsystem', 'service_code'], 'services', ['subsystem', 'service_code'], (fk) => fk.onDelete('cascade'))
        .execute();
      await db.schema
        .createIndex('access_rights_unique')
        .on('access_rights')
        .expression(sql`subsystem, service_code, coalesce(endpoint_method, ''), coalesce(endpoint_path, ''), subject_kind, subject`)
        .unique()
        .execute();

      // Message log: one record per request and per response on each side, hash-chained in
      // insertion order (`id`). Timestamping and archiving (a later migration) add their columns.
      await db.schema
        .createTable('message_log')
        .addColumn('id', 'bigserial', (c) => c.primaryKey())
        .addColumn('logged_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('side', 'text', (c) => c.notNull()) // client | server
        .addColumn('kind', 'text', (c) => c.notNull()) // request | response
        .addColumn('message_id', 'uuid', (c) => c.notNull()) // X-Road-Request-Id
        .addColumn('x_road_id', 'text', (c) => c.notNull())
        .addColumn('client', 'text', (c) => c.notNull())
        .addColumn('service', 'text', (c) => c.notNull())
        .addColumn('peer_server', 'text', (c) => c.notNull())
        .addColumn('header', 'bytea', (c) => c.notNull()) // exchange header frame, as signed
        .addColumn('body', 'bytea') // null when body logging is off or the body is over the limit
        .addColumn('body_sha256', 'bytea', (c) => c.notNull())
        .addColumn('body_length', 'bigint', (c) => c.notNull())
        .addColumn('digest', 'bytea', (c) => c.notNull()) // message digest (hash-tree leaf)
        .addColumn('signature', 'bytea', (c) => c.notNull()) // signature envelope JSON
        .addColumn('prev_hash', 'bytea', (c) => c.notNull())
        .addColumn('record_hash', 'bytea', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('message_log_message_idx').on('message_log').columns(['message_id', 'side', 'kind']).unique().execute();

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
  // Message log v2: one record per exchange and side (request and response together); signature
  // envelopes stored without the signer certificate and OCSP response, which are kept once each in
  // log_certificates. v1 rows (pre-release) stay untouched in message_log_v1.
  '202611260900-message-log-v2': {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('message_log').renameTo('message_log_v1').execute();
      await sql`alter index message_log_message_idx rename to message_log_v1_message_idx`.execute(db);
      await db.schema
        .createTable('log_records')
        .addColumn('id', 'bigserial', (c) => c.primaryKey())
        .addColumn('logged_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('side', 'text', (c) => c.notNull()) // client | server
        .addColumn('message_id', 'uuid', (c) => c.notNull()) // X-Road-Request-Id
        .addColumn('x_road_id', 'text', (c) => c.notNull())
        .addColumn('client', 'text', (c) => c.notNull())
        .addColumn('service', 'text', (c) => c.notNull())
        .addColumn('peer_server', 'text', (c) => c.notNull())
        .addColumn('request_header', 'bytea', (c) => c.notNull())
        .addColumn('request_body', 'bytea')
        .addColumn('request_body_sha256', 'bytea', (c) => c.notNull())
        .addColumn('request_body_length', 'bigint', (c) => c.notNull())
        .addColumn('request_signature', 'bytea', (c) => c.notNull())
        .addColumn('response_header', 'bytea')
        .addColumn('response_body', 'bytea')
        .addColumn('response_body_sha256', 'bytea')
        .addColumn('response_body_length', 'bigint')
        .addColumn('response_signature', 'bytea')
        .addColumn('prev_hash', 'bytea', (c) => c.notNull())
        .addColumn('record_hash', 'bytea', (c) => c.notNull())
        .execute();
      // Rows of a few KiB stay in the heap page instead of being compressed and moved to TOAST.
      await sql`alter table log_records set (toast_tuple_target = 8160)`.execute(db);
      await db.schema.createIndex('log_records_message_idx').on('log_records').column('message_id').execute();
      await db.schema.createIndex('log_records_x_road_id_idx').on('log_records').column('x_road_id').execute();
      await db.schema
        .createTable('log_certificates')
        .addColumn('sha256', 'bytea', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull()) // certificate | ocsp
        .addColumn('der', 'bytea', (c) => c.notNull())
        .addColumn('first_logged_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
    },
  },
  // Evidence (docs/protocols/evidence.md): batch timestamps over ranges of log records, the archive
  // chain, and the per-subsystem "timestamp immediately" switch.
  '202611261000-log-timestamps-archives': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('log_timestamps')
        .addColumn('id', 'bigserial', (c) => c.primaryKey())
        .addColumn('first_record_id', 'bigint', (c) => c.notNull())
        .addColumn('last_record_id', 'bigint', (c) => c.notNull())
        .addColumn('record_count', 'integer', (c) => c.notNull())
        .addColumn('tree_root', 'bytea', (c) => c.notNull())
        .addColumn('token', 'bytea', (c) => c.notNull())
        .addColumn('tsa_name', 'text', (c) => c.notNull())
        .addColumn('tsa_url', 'text', (c) => c.notNull())
        .addColumn('gen_time', 'timestamptz', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema.createIndex('log_timestamps_last_idx').on('log_timestamps').column('last_record_id').execute();
      await db.schema
        .createTable('log_archives')
        .addColumn('id', 'bigserial', (c) => c.primaryKey())
        .addColumn('grp', 'text', (c) => c.notNull()) // 'all', a member or a subsystem id
        .addColumn('sequence', 'integer', (c) => c.notNull())
        .addColumn('file_name', 'text', (c) => c.notNull())
        .addColumn('sha256', 'bytea', (c) => c.notNull())
        .addColumn('first_record_id', 'bigint', (c) => c.notNull())
        .addColumn('last_record_id', 'bigint', (c) => c.notNull())
        .addColumn('record_count', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addUniqueConstraint('log_archives_group_sequence', ['grp', 'sequence'])
        .execute();
      // Up to which record id every record has been archived (one row; 0 = none yet).
      await db.schema.createTable('log_archive_state').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('archived_through', 'bigint', (c) => c.notNull()).execute();
      await sql`insert into log_archive_state (id, archived_through) values (1, 0)`.execute(db);
      await db.schema.alterTable('clients').addColumn('timestamp_immediately', 'boolean', (c) => c.notNull().defaultTo(false)).execute();
    },
  },
  // toast_tuple_target = 8160 (v2) kept records of ~4.3 KiB inline, one per 8 KiB page: half of every
  // page unused and no CPU saved (measured: docs/performance.md). Back to PostgreSQL's default, which
  // moves large columns out of line and fills pages.
  '202611261100-log-records-default-toast': {
    async up(db: Kysely<any>) {
      await sql`alter table log_records reset (toast_tuple_target)`.execute(db);
    },
  },
  // Headers and bodies compressed with LZ4 instead of pglz where the server has it (PostgreSQL 14+
  // built with lz4; not the embedded PGlite): for 100 KiB JSON bodies pglz cost ≈ 1 ms each, LZ4
  // ≈ 0.12 ms at nearly the same size, and on incompressible bodies LZ4 gives up sooner
  // (docs/performance.md, 2026-12-08). Rows stored before keep pglz; both read back the same.
  '202612081000-log-records-lz4': {
    async up(db: Kysely<any>) {
      const { rows } = await sql<{ lz4: boolean }>`select 'lz4' = any(enumvals) as lz4 from pg_settings where name = 'default_toast_compression'`.execute(db);
      if (!rows[0]?.lz4) return;
      await sql`alter table log_records
        alter column request_header set compression lz4, alter column request_body set compression lz4,
        alter column response_header set compression lz4, alter column response_body set compression lz4`.execute(db);
    },
  },
};
