import type { Kysely } from 'kysely';
import type { SecurityServerTables } from './schema.ts';

export type SecurityServerDb = Kysely<SecurityServerTables>;
