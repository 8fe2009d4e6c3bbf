// Resident sessions of the "my IDs" pages in the database (oidc_models, model `ResidentSession`),
// so every instance behind one address sees them. The key is already the SHA-256 of the cookie.
import type { SessionRecord, SessionStore } from '@jplink/ui';
import { PgOidcAdapter } from '../db/oidc-adapter.ts';
import type { PlDb } from '../db/schema.ts';

export function createDbSessionStore<T>(db: PlDb, now: () => Date): SessionStore<T> {
  const rows = new PgOidcAdapter(db, 'ResidentSession', now);
  return {
    async get(key) {
      return (await rows.find(key)) as unknown as SessionRecord<T> | undefined;
    },
    async set(key, record, dropAfter) {
      const seconds = Math.max(1, Math.ceil((dropAfter - now().getTime()) / 1000));
      await rows.upsert(key, record as unknown as Record<string, unknown>, seconds);
    },
    async delete(key) {
      await rows.destroy(key);
    },
  };
}
