import type { Kysely } from 'kysely';
import type { CenterTables } from './schema.ts';

export type CenterDb = Kysely<CenterTables>;
