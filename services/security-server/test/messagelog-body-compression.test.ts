// Message-log bodies and headers are compressed with LZ4 where PostgreSQL has it (migration
// 202612081000-log-records-lz4) and read back byte for byte; without LZ4 (the embedded PGlite, a
// server built without it) the migration leaves PostgreSQL's default and the log works the same.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@jplink/db/testing';
import { securityServerMigrations } from '../src/db/migrations.ts';
import type { SecurityServerTables } from '../src/db/schema.ts';
import { LogStore } from '../src/db/message-log.ts';

let database: TestDatabase<SecurityServerTables>;
let lz4: boolean;

beforeAll(async () => {
  database = await createTestDatabase<SecurityServerTables>('sslz', securityServerMigrations);
  const { rows } = await sql<{ lz4: boolean }>`select 'lz4' = any(enumvals) as lz4 from pg_settings where name = 'default_toast_compression'`.execute(database.db);
  lz4 = rows[0]?.lz4 ?? false;
});

afterAll(async () => {
  await database?.drop();
});

/** A 100 KiB JSON body that compresses well, as real API answers do. */
function jsonBody(seed: number): Buffer {
  const items = Array.from({ length: 1800 }, (_, i) => ({ id: i, name: `item-${(i * seed) % 97}`, price: (i * 7) % 1000, tags: ['a', 'b'] }));
  return Buffer.from(JSON.stringify(items));
}

it('stores large headers and bodies compressed (LZ4 where available) and reads them back unchanged', async () => {
  const sha256 = (b: Buffer) => createHash('sha256').update(b).digest();
  const message = (body: Buffer) => ({ header: Buffer.from(JSON.stringify({ kind: 'x', pad: 'h'.repeat(3000) })), body, bodySha256: sha256(body), bodyLength: body.length, signature: randomBytes(300) });
  const request = message(jsonBody(3));
  const response = message(jsonBody(5));
  await new LogStore(database).insertRecords([
    {
      side: 'server', messageId: randomUUID(), xRoadId: 'x-1', client: 'JP-TEST/COM/1/app', service: 'JP-TEST/COM/2/svc/echo', peerServer: 'JP-TEST/COM/1/ss',
      request, response, prevHash: Buffer.alloc(32), recordHash: randomBytes(32),
    },
  ]);
  const { rows } = await sql<{ request_body: Buffer; response_body: Buffer; request_header: Buffer; method: string | null; header_method: string | null; stored: number }>`
    select request_body, response_body, request_header, pg_column_compression(request_body) as method,
           pg_column_compression(request_header) as header_method, pg_column_size(request_body) as stored
    from log_records`.execute(database.db);
  const row = rows[0]!;
  expect(row.request_body.equals(request.body)).toBe(true);
  expect(row.response_body.equals(response.body)).toBe(true);
  expect(row.request_header.equals(request.header)).toBe(true);
  expect(row.stored).toBeLessThan(request.body.length / 2); // compressed, whichever method
  expect(row.method).toBe(lz4 ? 'lz4' : 'pglz');
  if (lz4) expect(row.header_method).toBe('lz4');
});
