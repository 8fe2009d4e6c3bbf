// Archives of format jplink-log-archive/2 (docs/protocols/evidence.md §2.3): records in
// PostgreSQL's binary COPY format, without proofs — the verifier derives each record's proof from
// the records of its timestamp's range. Against the same real PKI, signed messages and RFC 3161
// tokens as the /1 tests: an intact chain verifies; each kind of tampering is named; damaged
// framing is a format problem; the writer refuses records.pgcopy that does not match the manifest;
// the codec reads what PostgreSQL itself writes.
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { tempDir } from '@jplink/testing';
import {
  ARCHIVE_FORMAT_PGCOPY,
  EvidenceFormatError,
  PgCopyReader,
  RECORD_COLUMNS,
  encodeRecordTuple,
  encodeRecordsPgCopy,
  openEvidenceZip,
  recordLineOfTuple,
  storedRecordOfLine,
  verifyEvidence,
  writeEvidenceZip,
  type Report,
} from '../src/index.ts';
import { archiveContents, buildLog, createPki, writeArchives, type ArchiveContent, type LogFixture, type Pki } from './support/fixture.ts';

let pki: Pki;
let log: LogFixture;
let roots: Uint8Array[];

beforeAll(async () => {
  pki = await createPki();
  log = await buildLog(pki); // timestamps of 4, 3 and 2 records
  roots = [pki.root.certificate];
});

const dir = async () => (await tempDir('jplink-evidence-v2-')).dir;
const codes = (report: Report) => [...new Set(report.problems.map((p) => p.code))].sort();
/** The log in three archives along its timestamps (a /2 archive holds whole timestamp ranges). */
const contents = () => archiveContents(log, [4, 3, 2]).map((c) => ({ ...c, records: c.records.map(({ timestamp: _, ...r }) => r) }));
const write = async (archives: ArchiveContent[]) => writeArchives(await dir(), archives, { pgcopy: true });

async function zipOf(path: string, entries: Record<string, Buffer | string>): Promise<string> {
  const zip = new yazl.ZipFile();
  for (const [entry, data] of Object.entries(entries)) zip.addBuffer(Buffer.from(data), entry);
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream as AsyncIterable<Buffer>) chunks.push(chunk);
  await writeFile(path, Buffer.concat(chunks));
  return path;
}

describe('an intact chain of /2 archives', () => {
  it('verifies with no problem and no warning, each record checked as in /1', async () => {
    const files = await write(contents());
    const report = await verifyEvidence(files, { roots });
    expect(report.problems).toEqual([]);
    expect(report.warnings).toEqual([]);
    expect(report.files.map((f) => [f.kind, f.sequence, f.records, f.signatures, f.timestamps])).toEqual([
      ['archive', 1, 4, 8, 1],
      ['archive', 2, 3, 6, 1],
      ['archive', 3, 2, 4, 1],
    ]);
    const zip = await openEvidenceZip(files[0]!);
    expect(zip.manifest.format).toBe(ARCHIVE_FORMAT_PGCOPY);
    zip.close();
  });

  it('a chain may mix /1 and /2 archives (written before and after an upgrade)', async () => {
    const files = await writeArchives(await dir(), archiveContents(log, [4, 3, 2]), { pgcopy: (sequence) => sequence > 1 });
    const report = await verifyEvidence(files, { roots });
    expect(report).toMatchObject({ ok: true, problems: [], warnings: [] });
    const formats = await Promise.all(files.map(async (f) => {
      const zip = await openEvidenceZip(f);
      zip.close();
      return zip.manifest.format;
    }));
    expect(formats).toEqual(['jplink-log-archive/1', ARCHIVE_FORMAT_PGCOPY, ARCHIVE_FORMAT_PGCOPY]);
  });
});

describe('tampering with a /2 archive is named', () => {
  it('a byte changed in a body: body-mismatch for that record', async () => {
    const archives = contents();
    const record = archives[1]!.records[1]!;
    const body = Buffer.from(record.response!.body!, 'base64');
    body[3] ^= 0x01;
    record.response!.body = body.toString('base64');
    const files = await write(archives);
    const report = await verifyEvidence(files, { roots });
    expect(report.problems.map((p) => [p.file, p.code, p.recordId])).toEqual([[files[1], 'body-mismatch', record.id]]);
  });

  it('a record removed: chain-broken where it was, and its timestamp no longer covers the range', async () => {
    const archives = contents();
    archives[1]!.records.splice(1, 1);
    const after = archives[1]!.records[1]!;
    const files = await write(archives);
    const report = await verifyEvidence(files, { roots });
    expect(codes(report)).toEqual(['chain-broken', 'timestamp-mismatch']);
    expect(report.problems.every((p) => p.file === files[1])).toBe(true);
    expect(report.problems).toContainEqual(expect.objectContaining({ code: 'chain-broken', recordId: after.id, message: expect.stringContaining('prevHash is not the recordHash') }));
    expect(report.problems).toContainEqual(expect.objectContaining({ code: 'timestamp-mismatch', message: expect.stringContaining('treeSize 2 is not timestamp 2\'s recordCount 3') }));
  });

  it('a record removed and the hash chain rebuilt over the rest: the timestamp tree shows it', async () => {
    const archives = contents();
    const records = archives[2]!.records;
    records.splice(0, 1);
    records[0]!.prevHash = archives[1]!.records[2]!.recordHash;
    const files = await write(archives);
    const report = await verifyEvidence(files, { roots });
    expect(report.problems).toContainEqual(expect.objectContaining({ code: 'record-hash', recordId: records[0]!.id }));
    expect(report.problems).toContainEqual(expect.objectContaining({ code: 'timestamp-mismatch', recordId: records[0]!.id }));
  });

  it('records reordered: chain-broken, and the proofs do not lead to the timestamp', async () => {
    const archives = contents();
    const records = archives[0]!.records;
    const [a, b] = [records[1]!, records[2]!];
    records[1] = { ...b, id: a.id };
    records[2] = { ...a, id: b.id };
    const files = await write(archives);
    const report = await verifyEvidence(files, { roots });
    expect(report.problems.filter((p) => p.code === 'chain-broken').map((p) => p.recordId)).toEqual(expect.arrayContaining([a.id, b.id]));
    expect(report.problems.some((p) => p.code === 'timestamp-mismatch' && p.recordId === a.id)).toBe(true);
    expect(report.problems.every((p) => ['chain-broken', 'timestamp-mismatch'].includes(p.code))).toBe(true);
  });

  it('an archive removed from the chain: archive-sequence-gap', async () => {
    const files = await write(contents());
    const report = await verifyEvidence([files[0]!, files[2]!], { roots });
    expect(report.problems.map((p) => [p.file, p.code])).toEqual([[files[2], 'archive-sequence-gap']]);
  });

  it('a token swapped between archives: timestamp-mismatch for that timestamp', async () => {
    const archives = contents();
    archives[0]!.timestamps[0]!.token = archives[2]!.timestamps[0]!.token;
    const files = await write(archives);
    const report = await verifyEvidence(files, { roots });
    expect(report.problems.map((p) => [p.file, p.code, p.timestampId])).toEqual([[files[0], 'timestamp-mismatch', '1']]);
  });

  it('a changed field: record-hash and signature-invalid for that record', async () => {
    const archives = contents();
    archives[0]!.records[0]!.peerServer = 'JP-TEST/COM/3333333333333/ss-c';
    const files = await write(archives);
    const report = await verifyEvidence(files, { roots });
    const id = archives[0]!.records[0]!.id;
    expect(report.problems).toContainEqual(expect.objectContaining({ code: 'record-hash', recordId: id }));
    expect(report.problems).toContainEqual(expect.objectContaining({ code: 'signature-invalid', recordId: id }));
  });

  it('a signature by a certificate revoked before signing time: certificate-revoked', async () => {
    const revoked = await buildLog(pki, { count: 3, timestampSizes: [3], clientStatus: { type: 'revoked', revokedAt: new Date(Date.now() - 3_600_000), reason: 'keyCompromise' } });
    const files = await writeArchives(await dir(), archiveContents(revoked, [3]), { pgcopy: true });
    const report = await verifyEvidence(files, { roots });
    expect(report.problems.map((p) => [p.code, p.recordId])).toEqual(revoked.records.map((r) => ['certificate-revoked', r.id]));
  });
});

describe('damaged records.pgcopy is a format problem', () => {
  it('names a truncated stream, a tuple of the wrong size and a field that does not fit its type', async () => {
    const d = await dir();
    const good = contents()[1]!;
    const json = (v: unknown) => JSON.stringify(v);
    const common = { 'manifest.json': json({ ...good.manifest, format: ARCHIVE_FORMAT_PGCOPY }), 'timestamps.json': json(good.timestamps), 'certificates.json': json(good.certificates) };
    const stream = encodeRecordsPgCopy(good.records.map(storedRecordOfLine));
    const truncated = await zipOf(join(d, 'truncated.zip'), { ...common, 'records.pgcopy': stream.subarray(0, stream.length - 100) });
    const header = stream.subarray(0, 19);
    const tuples = good.records.map((r) => encodeRecordTuple(storedRecordOfLine(r)));
    const shortTuple = Buffer.concat([Buffer.from([0, 3]), tuples[1]!.subarray(2)]);
    const wrongCount = await zipOf(join(d, 'wrong-count.zip'), { ...common, 'records.pgcopy': Buffer.concat([header, tuples[0]!, shortTuple, Buffer.from([0xff, 0xff])]) });
    const badUuid = Buffer.from(tuples[1]!);
    // message_id is the 4th field: skip count (2), id (4+8), logged_at (4+8), side (4+6 'server').
    const at = 2 + 12 + 12 + 10;
    expect(badUuid.readInt32BE(at)).toBe(16);
    badUuid.writeInt32BE(15, at);
    const badField = await zipOf(join(d, 'bad-field.zip'), { ...common, 'records.pgcopy': Buffer.concat([header, tuples[0]!, badUuid.subarray(0, at + 4 + 15), badUuid.subarray(at + 4 + 16), tuples[2]!, Buffer.from([0xff, 0xff])]) });
    const notCopy = await zipOf(join(d, 'not-copy.zip'), { ...common, 'records.pgcopy': 'PGCOPY? no' });
    const both = await zipOf(join(d, 'both.zip'), { ...common, 'records.pgcopy': stream, 'records.jsonl': good.records.map((r) => json(r)).join('\n') });
    const report = await verifyEvidence([truncated, wrongCount, badField, notCopy, both], { roots });
    const of = (file: string) => report.problems.filter((p) => p.file === file && p.code === 'format');
    expect(of(truncated)).toEqual([expect.objectContaining({ entry: 'records.pgcopy', message: expect.stringMatching(/line 3: the stream ends inside a record/) })]);
    expect(of(wrongCount)).toEqual([expect.objectContaining({ entry: 'records.pgcopy', message: expect.stringMatching(/line 2: a tuple of 3 fields, records have 20/) })]);
    expect(of(badField)).toEqual([expect.objectContaining({ entry: 'records.pgcopy', recordId: good.records[1]!.id, message: expect.stringMatching(/line 2: message_id is not a uuid/) })]);
    expect(of(notCopy)).toEqual([expect.objectContaining({ entry: 'records.pgcopy', message: expect.stringMatching(/no PGCOPY signature|ends before its header/) })]);
    expect(of(both)).toEqual([expect.objectContaining({ entry: 'records.jsonl', message: expect.stringContaining('unexpected entry in a jplink-log-archive/2 file') })]);
    // Records the damaged streams still hold before the damage are read and checked.
    expect(report.files.find((f) => f.file === truncated)!.records).toBe(2);
  });

  it('the writer refuses records.pgcopy that does not match the manifest or its timestamps, and leaves nothing', async () => {
    const d = await dir();
    const good = { ...contents()[0]!, manifest: { ...contents()[0]!.manifest, format: ARCHIVE_FORMAT_PGCOPY as typeof ARCHIVE_FORMAT_PGCOPY } };
    const bytes = (records: typeof good.records) => ({
      pgcopy: (async function* () {
        yield encodeRecordsPgCopy(records.map(storedRecordOfLine));
      })(),
    });
    const file = join(d, 'archive.zip');
    await expect(writeEvidenceZip(file, { ...good, records: bytes(good.records.slice(0, 3)) })).rejects.toThrow(/records.count is 4, but 3 records were given/);
    await expect(writeEvidenceZip(file, { ...good, records: bytes([good.records[1]!, good.records[0]!, ...good.records.slice(2)]) })).rejects.toThrow(/increasing id order/);
    await expect(writeEvidenceZip(file, { ...good, timestamps: [], records: bytes(good.records) })).rejects.toThrow(/in the range of a timestamp/);
    await expect(writeEvidenceZip(file, { ...good, certificates: good.certificates.filter((c) => c.kind === 'ca'), records: bytes(good.records) })).rejects.toThrow(/is not in certificates.json/);
    await expect(writeEvidenceZip(file, { ...good, records: good.records })).rejects.toThrow(/takes its records as records.pgcopy/);
    const truncated = encodeRecordsPgCopy(good.records.map(storedRecordOfLine));
    await expect(
      writeEvidenceZip(file, {
        ...good,
        records: {
          pgcopy: (async function* () {
            yield truncated.subarray(0, truncated.length - 1);
          })(),
        },
      }),
    ).rejects.toThrow(EvidenceFormatError);
    expect(await readdir(d)).toEqual([]);
  });
});

describe('the records.pgcopy codec', () => {
  it('reads what PostgreSQL writes for the log_records columns, and writes the same bytes', async () => {
    const client = new pg.Client(process.env.JPLINK_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
    await client.connect();
    try {
      const records = log.records.slice(0, 3).map(storedRecordOfLine);
      // The same values through PostgreSQL's own binary output: decode(…) of every column, cast to its type.
      const lit = (b: Uint8Array | null) => (b === null ? 'null::bytea' : `'\\x${Buffer.from(b).toString('hex')}'::bytea`);
      const rows = records.map(
        (r) =>
          `select ${r.id}::int8 as id, '${r.loggedAt.toISOString()}'::timestamptz as logged_at, '${r.side}'::text as side, '${r.messageId}'::uuid as message_id, ` +
          `'${r.xRoadId}'::text as x_road_id, '${r.client}'::text as client, '${r.service}'::text as service, '${r.peerServer}'::text as peer_server, ` +
          `${lit(r.request.header)} as request_header, ${lit(r.request.body)} as request_body, ${lit(r.request.bodySha256)} as request_body_sha256, ${r.request.bodyLength}::int8 as request_body_length, ${lit(r.request.signature)} as request_signature, ` +
          `${lit(r.response!.header)} as response_header, ${lit(r.response!.body)} as response_body, ${lit(r.response!.bodySha256)} as response_body_sha256, ${r.response!.bodyLength}::int8 as response_body_length, ${lit(r.response!.signature)} as response_signature, ` +
          `${lit(r.prevHash)} as prev_hash, ${lit(r.recordHash)} as record_hash`,
      );
      const { to: copyTo } = await import('pg-copy-streams');
      const stream = client.query(copyTo(`copy (select ${RECORD_COLUMNS} from (${rows.join(' union all ')}) r order by id) to stdout (format binary)`));
      const chunks: Buffer[] = [];
      for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
      const fromPostgres = Buffer.concat(chunks);
      expect(fromPostgres.equals(encodeRecordsPgCopy(records))).toBe(true);
      const reader = new PgCopyReader({ maxTupleBytes: 1 << 20 });
      const tuples = reader.push(fromPostgres);
      reader.end();
      expect(tuples.map(recordLineOfTuple)).toEqual(log.records.slice(0, 3).map(({ timestamp: _, ...r }) => r));
    } finally {
      await client.end();
    }
  });

  it('reads a stream split anywhere, and refuses a record over the size limit before gathering it', () => {
    const stream = encodeRecordsPgCopy(log.records.map(storedRecordOfLine));
    for (const step of [1, 7, 64, 1000]) {
      const reader = new PgCopyReader({ maxTupleBytes: 1 << 20 });
      const ids: string[] = [];
      for (let at = 0; at < stream.length; at += step) for (const t of reader.push(stream.subarray(at, at + step))) ids.push(recordLineOfTuple(t).id);
      reader.end();
      expect(ids).toEqual(log.records.map((r) => r.id));
    }
    const small = new PgCopyReader({ maxTupleBytes: 500 });
    expect(() => small.push(stream)).toThrow(/a record of more than 500 bytes/);
  });
});
