// Personal-Link migrations of the consent notifications to the data consumer (RP A): the RP's
// registered endpoint and the durable outbox the notification worker delivers
// (docs/protocols/consent-notifications.md). Merged into plMigrations; frozen once merged.
import { sql, type Kysely, type Migration } from 'kysely';

export const notificationMigrations: Record<string, Migration> = {
  '202612072000-consent-notifications': {
    async up(db: Kysely<any>) {
      // Where the RP receives Security Event Tokens about its consent requests; null → none are sent.
      await db.schema.alterTable('rp_clients').addColumn('consent_notification_uri', 'text').execute();
      // One row per (consent event, receiving RP). The payload holds ids and the event only (no
      // personal data beyond the BaseID); the SET is signed at sending time with the active key.
      await db.schema
        .createTable('consent_notification_outbox')
        .addColumn('id', 'bigserial', (c) => c.primaryKey())
        // The SET's jti: the receiver's idempotency key, the same on every retry.
        .addColumn('event_id', 'text', (c) => c.notNull().unique())
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('consent_id', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('event', 'text', (c) => c.notNull().check(sql`event in ('given', 'declined', 'withdrawn', 'expired')`))
        .addColumn('payload', 'jsonb', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull().defaultTo('pending').check(sql`state in ('pending', 'delivered', 'failed-permanently', 'cancelled')`))
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('last_attempt_at', 'timestamptz')
        // `<HTTP status>` or `network <reason>`: never the token or the receiver's body.
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('delivered_at', 'timestamptz')
        .addUniqueConstraint('consent_notification_outbox_once', ['client_id', 'consent_id', 'version'])
        .execute();
      await sql`create index consent_notification_outbox_due on consent_notification_outbox (next_attempt_at) where state = 'pending'`.execute(db);
    },
  },
};
