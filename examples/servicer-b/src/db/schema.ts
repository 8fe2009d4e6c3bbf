// Row types of servicer B's own schema (healthcare_app).
import type { Generated, Kysely } from 'kysely';

export interface HealthTables {
  users: { user_id: string; display_name: string; created_at: Date };
  vitals: {
    id: Generated<number>;
    user_id: string;
    measured_on: string;
    systolic: number;
    diastolic: number;
    heart_rate: number;
    /** numeric: pg returns text. */
    body_temperature: string;
    steps: number;
  };
  id_conversions: { user_id: string; base_id: string; conversion_notified_at: Date | null; linked_at: Date | null; created_at: Date };
}

export type HealthDb = Kysely<HealthTables>;
