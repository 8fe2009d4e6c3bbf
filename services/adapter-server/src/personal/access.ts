// Personal data at the data provider: a request names the resident's BaseID and a purpose; the
// answer comes only when this member's ID conversion table knows the BaseID and an active consent
// (reflected by Personal-Link) lets this client read these data items for this purpose now — and
// then only the consented columns. Every decision is audited (docs/audit-events.md).
import { sql } from 'kysely';
import { AppError } from '@jplink/kit';
import { baseId as baseIdSchema, type ConsentReflection } from '@jplink/contracts';
import type { AdapterDb } from '../db/schema.ts';
import type { AdapterAuditor } from '../audit.ts';
import { ADAPTER_ERRORS as E } from '../errors.ts';
import type { Plan } from '../operations/plan.ts';

export interface PersonalGrant {
  localUserId: string;
  /** Columns of the data service the caller may read. */
  readable: string[];
  consentIds: string[];
}

const PURPOSE = /^[\x21-\x7e]{1,200}$/;

export async function decidePersonalAccess(
  deps: { db: AdapterDb; audit: AdapterAuditor; now: () => Date },
  input: { plan: Plan; client: string; baseId: string | undefined; purpose: string | undefined; xRoadId: string | undefined },
): Promise<PersonalGrant> {
  const { plan, client } = input;
  const target = `${plan.subsystemCode}/${plan.def.name}`;
  if (!input.baseId || !baseIdSchema.safeParse(input.baseId).success || !input.purpose || !PURPOSE.test(input.purpose)) {
    await deps.audit({ actor: client, action: 'personal-data.denied', target, outcome: 'failure', details: { reason: 'base-id-or-purpose-missing', xRoadId: input.xRoadId ?? null } });
    throw new AppError(E.ADAPTER_PERSONAL_BASE_ID_MISSING);
  }
  const now = deps.now();
  const [conversion, consents] = await Promise.all([
    deps.db.selectFrom('id_conversions').select('local_user_id').where('base_id', '=', input.baseId).executeTakeFirst(),
    deps.db
      .selectFrom('consents')
      .select(['consent_id', 'data_items'])
      .where('base_id', '=', input.baseId)
      .where('client', '=', client)
      .where('subsystem_code', '=', plan.subsystemCode)
      .where('purpose', '=', input.purpose)
      .where('status', '=', 'active')
      .where('valid_from', '<=', now)
      .where('valid_until', '>', now)
      .execute(),
  ]);
  const items = new Set(consents.flatMap((c) => c.data_items));
  const readable = plan.def.columns.map((c) => c.name).filter((name) => items.has(name));
  const reason = !conversion ? 'base-id-unknown' : consents.length === 0 ? 'no-active-consent' : readable.length === 0 ? 'no-consented-item-in-service' : undefined;
  const details = { baseId: input.baseId, purpose: input.purpose, xRoadId: input.xRoadId ?? null, consents: consents.map((c) => c.consent_id) };
  if (reason) {
    // The caller learns only "no consent": whether the resident is a user here stays private.
    await deps.audit({ actor: client, action: 'personal-data.denied', target, outcome: 'failure', details: { ...details, reason } });
    throw new AppError(E.ADAPTER_PERSONAL_NO_CONSENT);
  }
  await deps.audit({ actor: client, action: 'personal-data.allowed', target, details: { ...details, columns: readable } });
  return { localUserId: conversion!.local_user_id, readable, consentIds: consents.map((c) => c.consent_id) };
}

/** Stores a consent reflected by Personal-Link; an older version than the stored one is refused. */
export async function storeConsent(db: AdapterDb, consentId: string, consent: ConsentReflection): Promise<'created' | 'updated'> {
  const values = {
    consent_id: consentId,
    base_id: consent.baseId,
    client: consent.client,
    subsystem_code: consent.subsystemCode,
    data_items: JSON.stringify(consent.dataItems),
    purpose: consent.purpose,
    valid_from: consent.validFrom,
    valid_until: consent.validUntil,
    status: consent.status,
    version: consent.version,
  };
  const row = await db
    .insertInto('consents')
    .values(values)
    .onConflict((oc) =>
      oc
        .column('consent_id')
        .doUpdateSet({ ...values, updated_at: sql`now()` })
        .where('consents.version', '<', consent.version),
    )
    .returning(sql<boolean>`(xmax = 0)`.as('inserted'))
    .executeTakeFirst();
  if (!row) throw new AppError(E.ADAPTER_CONSENT_STALE);
  return row.inserted ? 'created' : 'updated';
}
