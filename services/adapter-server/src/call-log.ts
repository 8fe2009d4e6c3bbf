// One row per data-service call with the X-Road headers the Security Server passed on (client,
// X-Road-Id, request id, user id). Written in batches off the request path; a failed batch is
// retried once, then counted and logged (the call itself has been answered already).
import type { Logger } from '@jplink/kit';
import type { AdapterDb, AdapterTables } from './db/schema.ts';

export type CallRecord = Omit<AdapterTables['calls'], 'id' | 'at'> & { at: Date };

const MAX_BATCH = 500;
const MAX_BUFFER = 50_000;

export class CallLog {
  readonly #db: AdapterDb;
  readonly #logger: Logger;
  #buffer: CallRecord[] = [];
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
    if (this.#buffer.length >= MAX_BUFFER) {
      this.dropped++;
      return;
    }
    this.#buffer.push(call);
    if (this.#buffer.length >= MAX_BATCH) void this.flush();
    else this.#timer ??= setTimeout(() => void this.flush(), this.#flushMs).unref();
  }

  /** Writes everything buffered so far. */
  async flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#flushing) await this.#flushing;
    if (this.#buffer.length === 0) return;
    const batch = this.#buffer.splice(0, MAX_BATCH);
    this.#flushing = this.#write(batch).finally(() => {
      this.#flushing = undefined;
    });
    await this.#flushing;
    if (this.#buffer.length) await this.flush();
  }

  async #write(batch: CallRecord[]) {
    for (let attempt = 1; attempt <= 2; attempt++) {
      try {
        await this.#db.insertInto('calls').values(batch).execute();
        return;
      } catch (error) {
        if (attempt === 2) {
          this.dropped += batch.length;
          this.#logger.error({ err: error, calls: batch.length }, 'call log batch could not be written');
        }
      }
    }
  }
}
