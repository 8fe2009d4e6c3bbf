// Batch timestamping of the message log (docs/protocols/evidence.md §1): at the global
// configuration's interval, one RFC 3161 timestamp from a TSA of the global configuration (tried in
// order) over the hash tree of every record not yet covered. While no TSA answers, exchange goes on
// until timestamping has been failing for longer than the tolerance; then new exchanges are
// refused (`admit`) until timestamping works again. Subsystems set to "timestamp
// immediately" wait for a timestamp covering their record (`afterCommit`).
import { hashTreeRoot } from '@jplink/exchange';
import { MAX_RECORDS_PER_TIMESTAMP, timestampImprint } from '@jplink/evidence';
import { createTimeStampRequest, extractTimeStampToken, verifyTimeStampToken } from '@jplink/pki';
import type { Logger } from '@jplink/kit';
import type { SecurityServerDb } from '../db/database.ts';
import { insertTimestamp, lastTimestampedRecordId, unstampedRecords } from '../db/timestamps.ts';
import type { GlobalConfClient } from '../conf/global-conf-client.ts';
import { fetchDer } from '../http-der.ts';
import { XRoadError } from '../errors.ts';
import type { ExchangeLogEntry, LogGate } from './writer.ts';

const TSA_REQUEST_TYPE = 'application/timestamp-query';
const TSA_RESPONSE_TYPE = 'application/timestamp-reply';
const TSA_MAX_RESPONSE_BYTES = 64 * 1024;

export interface TimestamperOptions {
  db: SecurityServerDb;
  conf: GlobalConfClient;
  logger: Logger;
  now: () => Date;
  /** Overrides the global configuration's acceptableTimestampFailureSeconds. */
  toleranceSeconds?: number;
  /** Overrides the global configuration's timestampingIntervalSeconds (tests, benchmarks). */
  intervalSeconds?: number;
  /** Local subsystems whose exchanges wait for their timestamp. */
  immediate: (subsystem: string) => boolean;
  tsaTimeoutMs?: number;
}

export interface TimestamperStatus {
  lastTimestampedRecordId: string;
  /** Seconds since the oldest record without a timestamp was logged; 0 when all are stamped. */
  unstampedAgeSeconds: number;
  unstampedRecords: number;
  /** Exchanges are being refused: timestamping has failed for longer than the tolerance. */
  refusing: boolean;
  toleranceSeconds: number;
  lastSuccessAt: string | null;
  lastError: string | null;
  timestamps: number;
}

/** The provider subsystem of a service id (inst/class/code/subsystem/serviceCode). */
function providerOf(service: string): string {
  return service.slice(0, service.lastIndexOf('/'));
}

export class Timestamper implements LogGate {
  #o: TimestamperOptions;
  #lastId = '0';
  /** When the oldest record without a timestamp was logged (ms), or undefined when there is none. */
  #unstampedSince: number | undefined;
  /** When timestamping started failing (ms; the first failed attempt since the last success), or undefined. */
  #failingSince: number | undefined;
  #unstampedCount = 0;
  #running: Promise<void> | undefined;
  #again = false;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #lastSuccessAt: Date | undefined;
  #lastError: string | undefined;
  #count = 0;

  constructor(options: TimestamperOptions) {
    this.#o = options;
  }

  async start(): Promise<void> {
    this.#lastId = await lastTimestampedRecordId(this.#o.db);
    const pending = await unstampedRecords(this.#o.db, this.#lastId, 1);
    this.#unstampedSince = pending[0]?.loggedAt.getTime();
    this.#schedule(1000);
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
  }

  #intervalMs(): number {
    if (this.#o.intervalSeconds !== undefined) return this.#o.intervalSeconds * 1000;
    return (this.#o.conf.latest()?.settings.timestampingIntervalSeconds ?? 60) * 1000;
  }

  #toleranceSeconds(): number {
    return this.#o.toleranceSeconds ?? this.#o.conf.latest()?.settings.acceptableTimestampFailureSeconds ?? 14_400;
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      void this.stampNow()
        .catch(() => undefined)
        .finally(() => this.#schedule(this.#intervalMs()));
    }, delayMs);
    this.#timer.unref();
  }

  status(): TimestamperStatus {
    const age = this.#unstampedSince === undefined ? 0 : Math.max(0, (this.#o.now().getTime() - this.#unstampedSince) / 1000);
    return {
      lastTimestampedRecordId: this.#lastId,
      unstampedAgeSeconds: Math.floor(age),
      unstampedRecords: this.#unstampedCount,
      refusing: this.#refusing(),
      toleranceSeconds: this.#toleranceSeconds(),
      lastSuccessAt: this.#lastSuccessAt?.toISOString() ?? null,
      lastError: this.#lastError ?? null,
      timestamps: this.#count,
    };
  }

  /** Refusing: records are waiting and no TSA has answered for longer than the tolerance. */
  #refusing(): boolean {
    if (this.#unstampedSince === undefined || this.#failingSince === undefined) return false;
    return this.#o.now().getTime() - this.#failingSince > this.#toleranceSeconds() * 1000;
  }

  // LogGate: called by the message-log writer.
  admit(side: 'client' | 'server'): void {
    if (!this.#refusing()) return;
    const type = side === 'client' ? 'server.clientproxy.timestamping_failed' : 'server.serverproxy.timestamping_failed';
    throw new XRoadError(type, `the message log has not been timestamped for more than ${this.#toleranceSeconds()} s (${this.#lastError ?? 'no TSA answered'})`);
  }

  afterCommit(entry: ExchangeLogEntry): Promise<void> | undefined {
    if (this.#unstampedSince === undefined) this.#unstampedSince = this.#o.now().getTime();
    this.#unstampedCount += 1;
    const local = entry.side === 'client' ? entry.client : providerOf(entry.service);
    if (!this.#o.immediate(local)) return undefined;
    return this.stampNow().catch((cause: unknown) => {
      const type = entry.side === 'client' ? 'server.clientproxy.timestamping_failed' : 'server.serverproxy.timestamping_failed';
      throw new XRoadError(type, `the exchange must be timestamped immediately, and no TSA answered (${(cause as Error).message})`, { cause });
    });
  }

  /**
   * Stamps every record committed before this call. Concurrent callers share runs: a caller that
   * arrives during a run waits for it and for one more run (which covers its record).
   */
  stampNow(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running.then(
        () => this.#followUp(),
        () => this.#followUp(),
      );
    }
    this.#running = this.#stampAll().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  #followUp(): Promise<void> {
    if (this.#running) return this.#running;
    if (!this.#again) return Promise.resolve();
    this.#again = false;
    return this.stampNow();
  }

  async #stampAll(): Promise<void> {
    try {
      for (;;) {
        const records = await unstampedRecords(this.#o.db, this.#lastId, MAX_RECORDS_PER_TIMESTAMP);
        if (records.length === 0) {
          this.#unstampedSince = undefined;
          this.#unstampedCount = 0;
          return;
        }
        await this.#stamp(records);
        this.#lastId = records[records.length - 1]!.id;
        this.#unstampedCount = Math.max(0, this.#unstampedCount - records.length);
        if (records.length < MAX_RECORDS_PER_TIMESTAMP) {
          const next = await unstampedRecords(this.#o.db, this.#lastId, 1);
          this.#unstampedSince = next[0]?.loggedAt.getTime();
          if (!next[0]) this.#unstampedCount = 0;
          return;
        }
      }
    } catch (error) {
      this.#lastError = (error as Error).message;
      this.#failingSince ??= this.#o.now().getTime();
      this.#o.logger.warn({ err: error }, 'message log timestamping failed');
      throw error;
    }
  }

  async #stamp(records: Array<{ id: string; recordHash: Buffer }>): Promise<void> {
    const view = this.#o.conf.current('client');
    if (view.tsas.length === 0) throw new Error('the global configuration names no TSA');
    const root = hashTreeRoot(records.map((r) => r.recordHash));
    const imprint = timestampImprint(root);
    const failures: string[] = [];
    for (const tsa of view.tsas) {
      try {
        const request = createTimeStampRequest({ digest: imprint, certReq: true, nonce: true });
        const response = await fetchDer(tsa.url, {
          body: request.der,
          requestType: TSA_REQUEST_TYPE,
          responseType: TSA_RESPONSE_TYPE,
          timeoutMs: this.#o.tsaTimeoutMs ?? 10_000,
          maxBytes: TSA_MAX_RESPONSE_BYTES,
        });
        const token = extractTimeStampToken(response);
        const tsaCertificate = Buffer.from(tsa.certificate, 'base64');
        // The TSA certificate is trusted as the verified global configuration lists it (as X-Road
        // does); the offline verifier checks its chain to the root CA. Parsing the CA chain on every
        // stamp would stall the event loop for tens of milliseconds.
        const verified = await verifyTimeStampToken({
          token,
          digest: imprint,
          trustAnchors: [tsaCertificate],
          intermediates: [],
          ...(request.nonce !== undefined ? { nonce: request.nonce } : {}),
        });
        if (!Buffer.from(verified.signer.der).equals(tsaCertificate)) throw new Error('the token is not signed by the TSA certificate of the global configuration');
        await insertTimestamp(this.#o.db, {
          firstRecordId: records[0]!.id,
          lastRecordId: records[records.length - 1]!.id,
          recordCount: records.length,
          treeRoot: root,
          token: Buffer.from(token),
          tsaName: tsa.name,
          tsaUrl: tsa.url,
          genTime: verified.genTime,
        });
        this.#count += 1;
        this.#lastSuccessAt = this.#o.now();
        this.#lastError = undefined;
        this.#failingSince = undefined;
        return;
      } catch (error) {
        failures.push(`${tsa.name}: ${(error as Error).message}`);
      }
    }
    throw new Error(`no TSA answered: ${failures.join('; ')}`);
  }
}
