// Writes message-log records with group commit: records that arrive while a write is in flight are
// inserted together in one multi-row statement, so the log costs one round trip per batch rather
// than per message. Each append resolves only once its record is committed (the exchange answers
// its client after that). The hash chain is computed here, in insertion order, by this one writer.
import type { Logger } from '@jplink/kit';
import type { SecurityServerDb } from '../db/database.ts';
import { insertLogRecords, lastRecordHash } from '../db/message-log.ts';
import { GENESIS_HASH, recordHash, type HashedFields } from './record-hash.ts';

export interface NewLogRecord extends HashedFields {
  side: 'client' | 'server';
  kind: 'request' | 'response';
  /** Null when body logging is off for the subsystem or the body is over the logging limit. */
  body: Buffer | null;
}

interface Pending {
  record: NewLogRecord;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class MessageLogWriter {
  #db: SecurityServerDb;
  #logger: Logger;
  #maxBatch: number;
  #queue: Pending[] = [];
  #writing = false;
  #lastHash: Buffer = GENESIS_HASH;
  #stats = { records: 0, batches: 0 };

  constructor(deps: { db: SecurityServerDb; logger: Logger }, options: { maxBatch?: number } = {}) {
    this.#db = deps.db;
    this.#logger = deps.logger;
    this.#maxBatch = options.maxBatch ?? 500;
  }

  async start(): Promise<void> {
    this.#lastHash = (await lastRecordHash(this.#db)) ?? GENESIS_HASH;
  }

  stats() {
    return { ...this.#stats };
  }

  append(record: NewLogRecord): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ record, resolve, reject });
      if (!this.#writing) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, this.#maxBatch);
        const before = this.#lastHash;
        let prev = before;
        const rows = batch.map(({ record }) => {
          const hash = recordHash(prev, record);
          const row = { ...record, prevHash: prev, recordHash: hash };
          prev = hash;
          return row;
        });
        try {
          await insertLogRecords(this.#db, rows);
          this.#lastHash = prev;
          this.#stats.records += batch.length;
          this.#stats.batches += 1;
          for (const pending of batch) pending.resolve();
        } catch (error) {
          this.#lastHash = before; // nothing of this batch was stored
          this.#logger.error({ err: error, records: batch.length }, 'message log write failed');
          for (const pending of batch) pending.reject(error);
        }
      }
    } finally {
      this.#writing = false;
    }
  }
}
