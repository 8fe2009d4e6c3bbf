// The acknowledgement's trace in the consent's own, hash-chained event history (src/consent/chain.ts):
// a `reflected` event by `personal-link` with the version, the provider and how it was acknowledged.
// Consents unknown to the consent tables (rows enqueued by other code, tests) get no event.
import type { Transaction } from 'kysely';
import type { PlTables } from '../db/schema.ts';
import { appendConsentEvent } from '../consent/chain.ts';
import type { ReflectionRow } from './worker.ts';

export async function recordReflectedEvent(trx: Transaction<PlTables>, row: ReflectionRow, result: 'created' | 'updated' | 'stale'): Promise<void> {
  const known = await trx.selectFrom('consents').select('consent_id').where('consent_id', '=', row.consentId).executeTakeFirst();
  if (!known) return;
  await appendConsentEvent(trx, row.consentId, 'reflected', 'personal-link', { version: row.version, provider: row.provider, result });
}
