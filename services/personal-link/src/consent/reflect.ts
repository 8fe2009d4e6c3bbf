// Hands a consent change to the reflection outbox (src/reflection/outbox.ts, owned by the reflection
// worker), inside the transaction that made the change: the provider's Adapter Server gets it through
// JP-Link (docs/protocols/consent-reflection.md).
import type { ConsentReflection } from '@jplink/contracts';
import type { ConsentRow } from '../db/consents.ts';
import type { PlDb } from '../db/schema.ts';
import { enqueueReflection, notifyReflectionWorker } from '../reflection/outbox.ts';

export { notifyReflectionWorker };

export function reflectionOf(row: ConsentRow, status: ConsentReflection['status'], version: number): ConsentReflection {
  return {
    baseId: row.base_id,
    client: row.consumer_subsystem,
    subsystemCode: row.subsystem_code,
    dataItems: row.data_items,
    purpose: row.purpose_code,
    validFrom: new Date(row.valid_from).toISOString(),
    validUntil: new Date(row.valid_until).toISOString(),
    status,
    version,
  };
}

export async function queueReflection(trx: PlDb, row: ConsentRow, status: ConsentReflection['status'], version: number): Promise<void> {
  await enqueueReflection(trx, { consentId: row.consent_id, providerSubsystem: row.provider_subsystem, payload: reflectionOf(row, status, version) });
}
