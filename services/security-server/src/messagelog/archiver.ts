// Archives of the message log and evidence files (docs/protocols/evidence.md §2–§3). At its
// interval the archiver writes every timestamped record not yet archived into zip files (one chain
// per server, or per local member or subsystem), each carrying the SHA-256 of the previous file of
// its chain, records the files, and then deletes the archived records older than the retention.
// The evidence export builds the same kind of file for one exchange, on request.
import { access, mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { buildHashTree } from '@jplink/exchange';
import {
  ARCHIVE_FORMAT,
  ARCHIVE_FORMAT_PGCOPY,
  EVIDENCE_FORMAT,
  NO_PREVIOUS_ARCHIVE,
  archiveFileName,
  storedEnvelopeHashes,
  recordLineBytes,
  toCertificateEntry,
  toRecordLine,
  toTimestampEntry,
  writeEvidenceZip,
  type CertificateFileEntry,
  type RecordCompression,
  type RecordLine,
  type SerializedRecordLine,
  type StoredRecord,
  type TimestampEntry,
} from '@jplink/evidence';
import type { Database } from '@jplink/db';
import type { Logger } from '@jplink/kit';
import type { SecurityServerDb } from '../db/database.ts';
import {
  archiveState,
  deleteArchivedRecords,
  groupsInRange,
  lastArchiveOf,
  recordArchives,
  recordHashesInRange,
  recordsForEvidence,
  recordsInRange,
  recordsPgCopy,
  rangeSummary,
  type ArchiveGrouping,
} from '../db/archives.ts';
import { logCertificates, storedRecordOf, type LogRecordRow } from '../db/message-log.ts';
import { lastTimestampedRecordId, timestampsCovering } from '../db/timestamps.ts';
import type { GlobalConfClient } from '../conf/global-conf-client.ts';

const PAGE = 200;

const exists = (path: string) => access(path).then(() => true, () => false);

export interface ArchiverOptions {
  db: SecurityServerDb;
  /** The pool and schema behind `db`, for the COPY of ungrouped archives. */
  database: Pick<Database, 'pool' | 'schema'>;
  conf: GlobalConfClient;
  logger: Logger;
  now: () => Date;
  serverId: string;
  dir: string;
  intervalSeconds: number;
  grouping: ArchiveGrouping;
  /** How records.jsonl is stored in each archive (writeEvidenceZip). */
  compression: RecordCompression;
  retentionDays: number;
}

export interface ArchiveRun {
  files: Array<{ fileName: string; group: string; sequence: number; records: number; sha256: string }>;
  deleted: number;
}

type TimestampRow = Awaited<ReturnType<typeof timestampsCovering>>[number];

/** Proofs of records in their timestamps' trees, computed once per timestamp. */
class ProofCache {
  #db: SecurityServerDb;
  #trees = new Map<string, Map<string, { leafIndex: number; treeSize: number; proof: Buffer[] }>>();
  constructor(db: SecurityServerDb) {
    this.#db = db;
  }
  async proofOf(stamp: TimestampRow, recordId: string) {
    let tree = this.#trees.get(stamp.id);
    if (!tree) {
      const leaves = await recordHashesInRange(this.#db, stamp.first_record_id, stamp.last_record_id);
      if (leaves.length !== stamp.record_count) {
        throw new Error(`timestamp ${stamp.id} covers ${stamp.record_count} records but ${leaves.length} remain in the database (older records were deleted after archiving; use the archive files)`);
      }
      const { proofs } = buildHashTree(leaves.map((l) => l.hash));
      tree = new Map(leaves.map((l, i) => [l.id, { leafIndex: i, treeSize: leaves.length, proof: proofs[i]! }]));
      if (this.#trees.size > 64) this.#trees.clear();
      this.#trees.set(stamp.id, tree);
    }
    return tree.get(recordId);
  }
}

function stampOf(stamps: TimestampRow[], id: string): TimestampRow | undefined {
  const n = BigInt(id);
  return stamps.find((t) => BigInt(t.first_record_id) <= n && n <= BigInt(t.last_record_id));
}

/** A log row as a stored record, with its timestamp proof once it is timestamped. */
async function storedWithProof(row: LogRecordRow, stamps: TimestampRow[], proofs: ProofCache): Promise<StoredRecord> {
  const stamp = stampOf(stamps, row.id);
  const proof = stamp ? await proofs.proofOf(stamp, row.id) : undefined;
  return { ...storedRecordOf(row), ...(stamp && proof ? { timestamp: { id: stamp.id, ...proof } } : {}) };
}

/** Adds the certificate and OCSP hashes the stored envelopes name to `wanted`. */
function collectNamed(wanted: Set<string>, signatures: Iterable<Buffer | null>): void {
  for (const bytes of signatures) {
    if (!bytes) continue;
    const hashes = storedEnvelopeHashes(bytes);
    if (!hashes) throw new Error('a stored signature envelope of the log is not readable');
    wanted.add(hashes.certificate);
    wanted.add(hashes.ocsp);
  }
}

/** The certificates an evidence file needs: those the envelopes name (`wanted`), and the CA, OCSP responder and TSA certificates of the configuration. */
async function certificatesFor(db: SecurityServerDb, conf: GlobalConfClient, wanted: ReadonlySet<string>): Promise<CertificateFileEntry[]> {
  const stored = await logCertificates(db, [...wanted].map((h) => Buffer.from(h, 'base64')));
  const missing = [...wanted].filter((h) => !stored.has(h));
  if (missing.length > 0) throw new Error(`log_certificates lacks ${missing.length} certificate(s) named by stored envelopes`);
  const entries = [...stored.values()].map(({ der, kind }) => toCertificateEntry(kind, der));
  const view = conf.latest();
  if (view) {
    const ca: Uint8Array[] = [
      ...view.approvedCaIntermediates(),
      ...view.tsas.map((t) => Buffer.from(t.certificate, 'base64')),
      ...view.conf.approvedCas.flatMap((c) => c.ocsp.flatMap((o) => (o.responderCertificate ? [Buffer.from(o.responderCertificate, 'base64')] : []))),
    ];
    const seen = new Set(entries.map((e) => e.sha256));
    for (const der of ca) {
      const entry = toCertificateEntry('ca', der);
      if (!seen.has(entry.sha256)) {
        seen.add(entry.sha256);
        entries.push(entry);
      }
    }
  }
  return entries;
}

export class Archiver {
  #o: ArchiverOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<ArchiveRun> | undefined;
  #stopped = false;
  #last: { at: Date; run: ArchiveRun } | undefined;
  #lastError: string | undefined;

  constructor(options: ArchiverOptions) {
    this.#o = options;
  }

  start(): void {
    this.#schedule();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
  }

  status() {
    return { lastRunAt: this.#last?.at.toISOString() ?? null, lastFiles: this.#last?.run.files.length ?? 0, lastError: this.#lastError ?? null, dir: this.#o.dir };
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      void this.archiveNow()
        .catch(() => undefined)
        .finally(() => this.#schedule());
    }, this.#o.intervalSeconds * 1000);
    this.#timer.unref();
  }

  /** Archives every timestamped record not yet archived, then applies the retention. One run at a time. */
  archiveNow(): Promise<ArchiveRun> {
    this.#running ??= this.#run()
      .then(
        (run) => {
          this.#last = { at: this.#o.now(), run };
          this.#lastError = undefined;
          return run;
        },
        (error: unknown) => {
          this.#lastError = (error as Error).message;
          this.#o.logger.error({ err: error }, 'message log archiving failed');
          throw error;
        },
      )
      .finally(() => {
        this.#running = undefined;
      });
    return this.#running;
  }

  async #run(): Promise<ArchiveRun> {
    const { db, grouping } = this.#o;
    const after = await archiveState(db);
    const through = await lastTimestampedRecordId(db);
    const run: ArchiveRun = { files: [], deleted: 0 };
    if (BigInt(through) > BigInt(after)) {
      await mkdir(this.#o.dir, { recursive: true, mode: 0o750 });
      const stamps = await timestampsCovering(db, String(BigInt(after) + 1n), through);
      const proofs = new ProofCache(db);
      const rows: Parameters<typeof recordArchives>[1] = [];
      for (const group of await groupsInRange(db, grouping, after, through)) {
        const previous = await lastArchiveOf(db, group);
        const sequence = (previous?.sequence ?? 0) + 1;
        const fileName = archiveFileName(this.#o.serverId, group, sequence);
        const range = { grouping, group, afterId: after, throughId: through };
        const summary = await rangeSummary(db, range);
        if (!summary) continue;
        // One pass over the records, streamed (an archive at the default hourly interval may cover
        // millions); certificates.json, which the zip takes after them, gets what they name.
        // Without grouping (jplink-log-archive/2) PostgreSQL encodes the records (binary COPY) and
        // the bytes go into the zip untouched; the writer reads their framing to check them and to
        // name their certificates. Grouped archives (jplink-log-archive/1) are written here record
        // by record, page by page, each with its timestamp proof.
        const pgcopy = grouping === 'none';
        const named = new Set<string>();
        let count = 0;
        let lastId = summary.firstId;
        async function* lines(): AsyncGenerator<SerializedRecordLine> {
          let cursor = after;
          for (;;) {
            const page = await recordsInRange(db, { ...range, afterId: cursor, limit: PAGE });
            if (page.length === 0) return;
            for (const row of page) {
              collectNamed(named, [row.request_signature, row.response_signature]);
              const record = await storedWithProof(row, stamps, proofs);
              count += 1;
              lastId = row.id;
              const timestampId = record.timestamp ? String(record.timestamp.id) : undefined;
              yield { serialized: recordLineBytes(record), id: row.id, prevHash: row.prev_hash.toString('base64'), ...(timestampId ? { timestampId } : {}) };
            }
            cursor = page[page.length - 1]!.id;
          }
        }
        const path = join(this.#o.dir, fileName);
        // A file of this name that log_archives does not know is left from a run that stopped before
        // recording it: keep it aside (it is complete or not; the new file replaces it in the chain).
        if (await exists(path)) {
          const aside = `${path}.unrecorded-${this.#o.now().getTime()}`;
          await rename(path, aside);
          this.#o.logger.warn({ file: fileName, movedTo: aside }, 'archive file from an interrupted run moved aside');
        }
        const sha256 = await writeEvidenceZip(path, {
          manifest: {
            format: pgcopy ? ARCHIVE_FORMAT_PGCOPY : ARCHIVE_FORMAT,
            securityServer: this.#o.serverId,
            group,
            sequence,
            previousArchiveSha256: previous ? previous.sha256.toString('hex') : NO_PREVIOUS_ARCHIVE,
            createdAt: this.#o.now().toISOString(),
            records: { count: summary.count, firstId: summary.firstId, lastId: summary.lastId, firstPrevHash: summary.firstPrevHash.toString('base64') },
            chainComplete: pgcopy,
          },
          records: pgcopy ? { pgcopy: recordsPgCopy(this.#o.database, after, through) } : lines(),
          timestamps: stamps.map(timestampEntry),
          // The writer names what it read in records.pgcopy; record lines are collected above.
          certificates: (read) => certificatesFor(db, this.#o.conf, pgcopy ? read : named),
          compression: this.#o.compression,
        });
        // (The writer refuses a records.pgcopy that does not match the manifest's count and ids.)
        if (!pgcopy && (count !== summary.count || lastId !== summary.lastId)) throw new Error(`archive ${fileName}: the records changed while it was written`);
        rows.push({ grp: group, sequence, file_name: fileName, sha256: Buffer.from(sha256, 'hex'), first_record_id: summary.firstId, last_record_id: summary.lastId, record_count: summary.count });
        run.files.push({ fileName, group, sequence, records: summary.count, sha256 });
      }
      await recordArchives(db, rows, through);
      this.#o.logger.info({ files: run.files.map((f) => f.fileName), through }, 'message log archived');
    }
    const cutoff = new Date(this.#o.now().getTime() - this.#o.retentionDays * 86_400_000);
    run.deleted = await deleteArchivedRecords(db, BigInt(through) > BigInt(after) ? through : after, cutoff);
    return run;
  }

  /** An evidence file for one exchange (by X-Road-Request-Id) or every exchange with an X-Road-Id; undefined when nothing matches. */
  async exportEvidence(query: { messageId: string } | { xRoadId: string }, outPath: string): Promise<{ records: number; sha256: string } | undefined> {
    const { db } = this.#o;
    const rows = await recordsForEvidence(db, query);
    if (rows.length === 0) return undefined;
    const stamps = await timestampsCovering(db, rows[0]!.id, rows[rows.length - 1]!.id);
    const proofs = new ProofCache(db);
    const lines: RecordLine[] = [];
    for (const row of rows) lines.push(toRecordLine(await storedWithProof(row, stamps, proofs)));
    const used = new Set(lines.flatMap((l) => (l.timestamp ? [l.timestamp.id] : [])));
    const named = new Set<string>();
    collectNamed(named, rows.flatMap((r) => [r.request_signature, r.response_signature]));
    const sha256 = await writeEvidenceZip(outPath, {
      manifest: { format: EVIDENCE_FORMAT, securityServer: this.#o.serverId, createdAt: this.#o.now().toISOString(), query, records: { count: lines.length } },
      records: lines,
      timestamps: stamps.filter((t) => used.has(t.id)).map(timestampEntry),
      certificates: await certificatesFor(db, this.#o.conf, named),
    });
    return { records: lines.length, sha256 };
  }
}

function timestampEntry(t: TimestampRow): TimestampEntry {
  return toTimestampEntry({
    id: t.id,
    firstRecordId: t.first_record_id,
    lastRecordId: t.last_record_id,
    recordCount: t.record_count,
    treeRoot: t.tree_root,
    tsaName: t.tsa_name,
    genTime: t.gen_time,
    token: t.token,
  });
}
