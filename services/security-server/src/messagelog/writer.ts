// Writes message-log records (one per exchange and side) with group commit: records that arrive
// while a write is in flight are inserted together in one multi-row statement, so the log costs
// one round trip per batch rather than per exchange. Each append resolves only once its record is
// committed (the exchange answers its client after that). The hash chain is computed here, in
// insertion order, by this one writer.
//
// Commit delay (like PostgreSQL's commit_delay with commit_siblings): a record that finds the
// writer idle waits up to `commitDelayMs` for the records of other exchanges still in progress on
// this server (admitted, not yet appended), and is written as soon as the last of them arrives,
// FLUSH_AT records wait, or the delay ends. Larger batches cost less per record in PostgreSQL and in
// this process (docs/performance.md, 2026-12-08); an exchange alone on the server never waits.
import type { Logger } from '@jplink/kit';
import type { SignatureEnvelope } from '@jplink/exchange';
import type { SecurityServerDb } from '../db/database.ts';
import { lastRecordHash, type LogRow, type LogRowMessage, type LogStore } from '../db/message-log.ts';
import { CertificateCatalog, GENESIS_HASH, recordHash, storedEnvelopeBytes } from '@jplink/evidence';

export interface LoggedMessage {
  /** The HEADER frame payload as signed. */
  header: Buffer;
  headerSha256: Buffer;
  body: Buffer;
  bodySha256: Buffer;
  envelope: SignatureEnvelope;
}

export interface ExchangeLogEntry {
  side: 'client' | 'server';
  messageId: string;
  xRoadId: string;
  client: string;
  service: string;
  peerServer: string;
  /** False when body logging is off for the subsystem: only the bodies' digests and lengths are kept. */
  logBodies: boolean;
  request: LoggedMessage;
  response: LoggedMessage | null;
}

/**
 * Hooks of the timestamper: `admit` refuses new exchanges (throws an XRoadError) while the log
 * cannot be timestamped; `afterCommit` may return a promise the exchange waits for after its
 * record committed (timestamp immediately).
 */
export interface LogGate {
  admit(side: 'client' | 'server'): void;
  afterCommit(entry: ExchangeLogEntry): Promise<void> | undefined;
}

/** A waiting batch this large is written without waiting out the commit delay. */
const FLUSH_AT = 16;

/** An exchange admitted to the log: in progress until its record is appended or it is released. */
export interface LogAdmission {
  /** Idempotent; call when the exchange ends without a record (append releases it too). */
  release(): void;
}

interface Pending {
  row: Omit<LogRow, 'prevHash' | 'recordHash'>;
  headerHashes: [Buffer, Buffer | undefined];
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class MessageLogWriter {
  #db: SecurityServerDb;
  #store: LogStore;
  #logger: Logger;
  #maxBatch: number;
  #commitDelayMs: number;
  /** Exchanges admitted and neither appended nor released: records the commit delay may wait for. */
  #inProgress = 0;
  #delayTimer: NodeJS.Timeout | undefined;
  /** Bodies over this size are logged as digest and length only. */
  #maxBodyBytes: number;
  #catalog = new CertificateCatalog();
  #queue: Pending[] = [];
  #writing = false;
  #lastHash: Buffer = GENESIS_HASH;
  /** False after a failed batch: it may have committed although its answer was lost, so the chain head is read back. */
  #headKnown = true;
  #stats = { records: 0, batches: 0, failedBatches: 0 };
  #gate: LogGate | undefined;

  constructor(deps: { db: SecurityServerDb; store: LogStore; logger: Logger }, options: { maxBatch?: number; maxBodyBytes?: number; commitDelayMs?: number } = {}) {
    this.#commitDelayMs = options.commitDelayMs ?? 0;
    this.#maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
    this.#db = deps.db;
    this.#store = deps.store;
    this.#logger = deps.logger;
    this.#maxBatch = options.maxBatch ?? 256;
  }

  async start(): Promise<void> {
    this.#lastHash = (await lastRecordHash(this.#db)) ?? GENESIS_HASH;
  }

  useGate(gate: LogGate): void {
    this.#gate = gate;
  }

  stats() {
    return { ...this.#stats, queued: this.#queue.length, inProgress: this.#inProgress };
  }

  /**
   * Throws the documented refusal when the log cannot take new exchanges (call before doing the
   * work). The admission counts the exchange as in progress until `append` or `release`.
   */
  admit(side: 'client' | 'server'): LogAdmission {
    this.#gate?.admit(side);
    this.#inProgress += 1;
    let open = true;
    return {
      release: () => {
        if (!open) return;
        open = false;
        this.#inProgress -= 1;
        // The last exchange in progress ended without a record: nobody left to wait for.
        if (this.#inProgress === 0 && this.#delayTimer) this.#writeNow();
      },
    };
  }

  append(entry: ExchangeLogEntry, admission?: LogAdmission): Promise<void> {
    const gate = this.#gate;
    const committed = this.#enqueue(entry, admission);
    if (!gate) return committed;
    return committed.then(() => gate.afterCommit(entry));
  }

  #enqueue(entry: ExchangeLogEntry, admission: LogAdmission | undefined): Promise<void> {
    const message = (m: LoggedMessage): LogRowMessage => ({
      header: m.header,
      body: entry.logBodies && m.body.length <= this.#maxBodyBytes ? m.body : null,
      bodySha256: m.bodySha256,
      bodyLength: m.body.length,
      signature: storedEnvelopeBytes(m.envelope, this.#catalog),
    });
    const row = {
      side: entry.side,
      messageId: entry.messageId,
      xRoadId: entry.xRoadId,
      client: entry.client,
      service: entry.service,
      peerServer: entry.peerServer,
      request: message(entry.request),
      response: entry.response ? message(entry.response) : null,
    };
    return new Promise((resolve, reject) => {
      this.#queue.push({ row, headerHashes: [entry.request.headerSha256, entry.response?.headerSha256], resolve, reject });
      admission?.release(); // may already write the queue: this was the last exchange in progress
      if (this.#writing) return;
      if (this.#commitDelayMs > 0 && this.#inProgress > 0 && this.#queue.length < FLUSH_AT) {
        this.#delayTimer ??= setTimeout(() => this.#writeNow(), this.#commitDelayMs);
        return;
      }
      this.#writeNow();
    });
  }

  /** Ends any commit delay and starts writing the queue (unless a batch is already being written; its loop takes the queue next). */
  #writeNow(): void {
    clearTimeout(this.#delayTimer);
    this.#delayTimer = undefined;
    if (!this.#writing && this.#queue.length > 0) void this.#drain();
  }

  async #drain(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, this.#maxBatch);
        if (!this.#headKnown) {
          try {
            this.#lastHash = (await lastRecordHash(this.#db)) ?? GENESIS_HASH;
            this.#headKnown = true;
          } catch (error) {
            this.#stats.failedBatches += 1;
            this.#logger.error({ err: error, records: batch.length }, 'message log head unreadable; batch refused');
            for (const pending of batch) pending.reject(error);
            continue;
          }
        }
        const before = this.#lastHash;
        let prev = before;
        const rows: LogRow[] = batch.map(({ row, headerHashes }) => {
          const hash = recordHash(prev, {
            ...row,
            request: { ...row.request, headerSha256: headerHashes[0] },
            response: row.response ? { ...row.response, ...(headerHashes[1] ? { headerSha256: headerHashes[1] } : {}) } : null,
          });
          const out = { ...row, prevHash: prev, recordHash: hash };
          prev = hash;
          return out;
        });
        const certificates = this.#catalog.takeUnsaved();
        try {
          await this.#store.insertCertificates(certificates);
          await this.#store.insertRecords(rows);
          this.#lastHash = prev;
          this.#stats.records += batch.length;
          this.#stats.batches += 1;
          for (const pending of batch) pending.resolve();
        } catch (error) {
          // Usually nothing of this batch was stored, but a commit whose answer was lost (connection
          // dropped after COMMIT) did store it: the next batch reads the head back instead of guessing.
          this.#lastHash = before;
          this.#headKnown = false;
          this.#catalog.putBack(certificates);
          this.#stats.failedBatches += 1;
          this.#logger.error({ err: error, records: batch.length }, 'message log write failed');
          for (const pending of batch) pending.reject(error);
        }
      }
    } finally {
      this.#writing = false;
    }
  }
}
