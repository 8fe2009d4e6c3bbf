// One row per data-service call with the X-Road headers the Security Server passed on (client,
// X-Road-Id, request id, user id). Written in batches off the request path; a failed batch is
// retried once, then counted and logged (the call itself has been answered already).
//
// The buffer is kept by column and a batch is written as one INSERT … SELECT FROM unnest() of one
// array per column: 13 bound parameters per batch instead of 13 per row. Building and binding
// thousands of parameters (kysely's multi-row VALUES) was half of the call log's cost on the
// data path (docs/performance.md, "Adapter Server: get by key").
import { sql } from 'kysely';
import type { Logger } from '@jplink/kit';
import type { AdapterDb, AdapterTables } from './db/schema.ts';

export type CallRecord = Omit<AdapterTables['calls'], 'id' | 'at'> & { at: Date };

const MAX_BATCH = 500;
const MAX_BUFFER = 50_000;

/** The calls table's columns (all but id) with their PostgreSQL types, in one order for the arrays and the INSERT. */
const COLUMNS = [
  ['at', 'timestamptz'],
  ['subsystem_code', 'text'],
  ['service', 'text'],
  ['method', 'text'],
  ['x_road_client', 'text'],
  ['x_road_id', 'text'],
  ['x_road_request_id', 'text'],
  ['x_road_user_id', 'text'],
  ['status', 'int4'],
  ['error_code', 'text'],
  ['rows', 'int4'],
  ['duration_ms', 'float4'],
] as const satisfies ReadonlyArray<readonly [keyof CallRecord, string]>;

type Columns = unknown[][];
const emptyColumns = (): Columns => COLUMNS.map(() => []);

const INSERT_HEAD = sql.raw(`insert into calls (${COLUMNS.map(([name]) => name).join(', ')}) select * from unnest(`);

export class CallLog {
  readonly #db: AdapterDb;
  readonly #logger: Logger;
  #columns: Columns = emptyColumns();
  #length = 0;
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;
  dropped = 0;

  readonly #flushMs: number;

  constructor(deps: { db: AdapterDb; logger: Logger }, options: { flushMs?: number } = {}) {
    this.#flushMs = options.flushMs ?? 200;
    this.#db = deps.db;
    this.#logger = deps.logger;
  }

  record(call: CallRecord) {
    if (this.#length >= MAX_BUFFER) {
      this.dropped++;
      return;
    }
    for (let i = 0; i < COLUMNS.length; i++) this.#columns[i]!.push(call[COLUMNS[i]![0]]);
    this.#length++;
    if (this.#length < MAX_BATCH) this.#timer ??= setTimeout(() => void this.flush(), this.#flushMs).unref();
    // A running flush goes on until the buffer is empty. When the store falls behind, starting one
    // more per call queued thousands of flushes that all woke after every batch (measured: 75 µs of
    // CPU per call instead of 8).
    else if (!this.#flushing) void this.flush();
  }

  /** Writes everything buffered so far. */
  async flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#flushing) await this.#flushing;
    if (this.#length === 0) return;
    const count = Math.min(this.#length, MAX_BATCH);
    const batch = this.#columns.map((column) => column.splice(0, count));
    this.#length -= count;
    this.#flushing = this.#write(batch, count).finally(() => {
      this.#flushing = undefined;
    });
    await this.#flushing;
    if (this.#length) await this.flush();
  }

  async #write(batch: Columns, count: number) {
    const arrays = sql.join(batch.map((values, i) => sql`${values}::${sql.raw(COLUMNS[i]![1])}[]`));
    for (let attempt = 1; attempt <= 2; attempt++) {
      try {
        await sql`${INSERT_HEAD}${arrays})`.execute(this.#db);
        return;
      } catch (error) {
        if (attempt === 2) {
          this.dropped += count;
          this.#logger.error({ err: error, calls: count }, 'call log batch could not be written');
        }
      }
    }
  }
}
