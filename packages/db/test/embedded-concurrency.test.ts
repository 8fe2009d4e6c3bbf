// The embedded database under concurrent connections: each connection's extended-protocol batches (Parse … Sync)
// stay whole although PGlite is one session for all of them (src/embedded-queue.ts), and a failing statement
// does not stall the others.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedHandle } from '../src/index.ts';

describe('embedded database with several connections at once', () => {
  let dir: string;
  let handle: EmbeddedHandle;
  const clients: pg.Client[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jplink-db-concurrency-'));
    handle = await startEmbeddedPostgres({ dataDir: dir, logger: { debug() {}, info() {}, warn() {}, error() {} } });
    for (let i = 0; i < 2; i++) {
      const client = new pg.Client({ connectionString: handle.url });
      await client.connect();
      clients.push(client);
    }
  }, 60_000);
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => {})));
    await handle?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers every connection its own statements while others run transactions, without mixing or stalling', async () => {
    // Ten pooled connections: each sends unnamed statements of its own shape, and every third call is a short
    // transaction. With pglite-socket's own scheduler this load stalls for good within a second (a batch of one
    // connection waits behind another's open transaction that waits behind it); mixed batches would fail
    // ("unnamed prepared statement does not exist", wrong parameter count) or return the other's columns.
    const pool = new pg.Pool({ connectionString: handle.url, max: 10 });
    try {
      await pool.query('create table if not exists concurrency_notes (id serial primary key, v text not null)');
      const problems: string[] = [];
      await Promise.all(
        Array.from({ length: 10 }, async (_, i) => {
          for (let r = 0; r < 120; r++) {
            try {
              if (r % 3 === 0) {
                const c = await pool.connect();
                try {
                  await c.query('begin');
                  await c.query('insert into concurrency_notes (v) values ($1)', [`${i}/${r}`]);
                  await c.query('commit');
                } finally {
                  c.release();
                }
              } else {
                const params = Array.from({ length: i + 1 }, (_, k) => String(r + k));
                const res = await pool.query(`select ${params.map((_, k) => `$${k + 1}::int`).join(' + ')} as sum_${i}`, params);
                const expected = params.reduce((a, p) => a + Number(p), 0);
                if ((res.rows[0] as Record<string, unknown>)[`sum_${i}`] !== expected) problems.push(`${i}/${r}: ${JSON.stringify(res.rows[0])}`);
              }
            } catch (error) {
              problems.push(`${i}/${r}: ${(error as Error).message}`);
            }
          }
        }),
      );
      expect(problems).toEqual([]);
      expect((await pool.query('select count(*)::int as n from concurrency_notes')).rows[0]).toEqual({ n: 400 });
    } finally {
      await pool.end();
    }
  }, 120_000);

  it('goes on serving the others after one connection’s statement fails in the middle of its batch', async () => {
    const [a, b] = clients;
    const failing = a!.query('select 1 / $1::int as x', ['0']).then(
      () => 'no error',
      (e: Error) => e.message,
    );
    const fine = (async () => {
      const answers: pg.QueryResult[] = [];
      for (let k = 0; k < 20; k++) answers.push(await b!.query('select $1::int * 2 as y', [k]));
      return answers;
    })();
    expect(await failing).toMatch(/division by zero/);
    expect((await fine).map((r) => (r.rows[0] as { y: number }).y)).toEqual(Array.from({ length: 20 }, (_, k) => k * 2));
    // The failed connection is usable again.
    expect((await a!.query('select $1::text as t', ['ok'])).rows[0]).toEqual({ t: 'ok' });
  }, 60_000);
});
