// Row types of the consent reflection outbox (see migrations-reflection.ts).
import type { ColumnType, Generated } from 'kysely';
import type { ConsentReflection } from '@jplink/contracts';

export type ReflectionState = 'pending' | 'acknowledged' | 'failed-permanently';
export type ReflectionResult = 'created' | 'updated' | 'stale' | 'superseded';

export interface ReflectionTables {
  reflection_outbox: {
    id: Generated<string>;
    consent_id: string;
    version: number;
    provider_subsystem: string;
    service_code: string | null;
    payload: ColumnType<ConsentReflection, string, string>;
    state: ColumnType<ReflectionState, ReflectionState | undefined, ReflectionState>;
    result: ReflectionResult | null;
    attempts: ColumnType<number, number | undefined, number>;
    next_attempt_at: ColumnType<Date, Date | string | undefined, Date | string>;
    last_attempt_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
    last_error: string | null;
    created_at: ColumnType<Date, Date | string | undefined, Date | string>;
    acknowledged_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  };
}
