import { sql } from 'kysely';
import type { CenterDb } from './database.ts';

/** Reserves the next block of TSA serial numbers (see migrations: tsa_serial_blocks). */
export async function nextTsaSerialBlock(db: CenterDb): Promise<bigint> {
  const result = await sql<{ block: string }>`select nextval('tsa_serial_blocks')::text as block`.execute(db);
  return BigInt(result.rows[0]!.block);
}
