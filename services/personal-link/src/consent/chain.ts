// The consent event chain: append-only (a trigger refuses UPDATE, DELETE and TRUNCATE on
// consent_events) and hash-chained. Each event's hash is SHA-256 over the canonical serialisation of
// (prev hash, consent id, seq, type, at, actor, details): JSON with object keys sorted, no
// whitespace, times as ISO 8601 UTC with milliseconds. The first event's prev hash is 64 zeros.
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { ConsentEventType } from '@jplink/contracts';
import { insertEvent, lastEvent, listEvents, lockChain, type ConsentEventRow } from '../db/consents.ts';
import type { PlDb, PlTables } from '../db/schema.ts';

export const GENESIS_HASH = '0'.repeat(64);

/** Deterministic JSON: sorted keys, no whitespace; undefined members dropped (as JSON.stringify does). */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new Error('canonicalJson: non-finite number');
    return JSON.stringify(value);
  }
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export interface ChainedEvent {
  consentId: string;
  seq: number;
  type: string;
  at: Date;
  actor: string;
  details: Record<string, unknown>;
}

export function eventHash(prevHash: string, e: ChainedEvent): string {
  const text = canonicalJson({ prev: prevHash, consentId: e.consentId, seq: e.seq, type: e.type, at: e.at.toISOString(), actor: e.actor, details: e.details });
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * Appends an event to a consent's chain (seq = last + 1, prev hash = last hash). Safe under
 * concurrency (a per-consent advisory lock for the transaction). Pass a transaction to append
 * together with other changes; otherwise one is opened. Exported for the reflection worker
 * (`reflected`, `acknowledged`). `at` defaults to now (milliseconds).
 */
export async function appendConsentEvent(db: PlDb | Kysely<PlTables>, consentId: string, type: ConsentEventType, actor: string, details: Record<string, unknown>, at: Date = new Date()): Promise<{ seq: number; hash: string }> {
  const run = async (trx: Kysely<PlTables>) => {
    await lockChain(trx, consentId);
    const last = await lastEvent(trx, consentId);
    const seq = last ? last.seq + 1 : 1;
    const prev = last ? last.hash : GENESIS_HASH;
    // Stored as it is hashed: a round trip through jsonb must give back the same canonical text.
    const clean = JSON.parse(canonicalJson(details)) as Record<string, unknown>;
    const when = new Date(Math.floor(at.getTime()));
    const hash = eventHash(prev, { consentId, seq, type, at: when, actor, details: clean });
    await insertEvent(trx, { consent_id: consentId, seq, type, at: when, actor, details: clean, prev_hash: prev, hash });
    return { seq, hash };
  };
  return db.isTransaction ? run(db) : db.transaction().execute(run);
}

export type ChainVerification = { ok: true; events: number; head: string } | { ok: false; events: number; brokenAt: number; reason: 'sequence-gap' | 'prev-hash-mismatch' | 'hash-mismatch' };

/** Checks a list of events (in seq order): names the first broken link. */
export function verifyEvents(consentId: string, rows: readonly ConsentEventRow[]): ChainVerification {
  let prev = GENESIS_HASH;
  for (const [i, row] of rows.entries()) {
    if (row.seq !== i + 1) return { ok: false, events: rows.length, brokenAt: i + 1, reason: 'sequence-gap' };
    if (row.prev_hash !== prev) return { ok: false, events: rows.length, brokenAt: row.seq, reason: 'prev-hash-mismatch' };
    const expected = eventHash(prev, { consentId, seq: row.seq, type: row.type, at: new Date(row.at), actor: row.actor, details: row.details });
    if (expected !== row.hash) return { ok: false, events: rows.length, brokenAt: row.seq, reason: 'hash-mismatch' };
    prev = row.hash;
  }
  return { ok: true, events: rows.length, head: prev };
}

/** Walks a consent's stored chain from the first event. */
export async function verifyConsentChain(db: PlDb, consentId: string): Promise<ChainVerification> {
  return verifyEvents(consentId, await listEvents(db, consentId));
}
