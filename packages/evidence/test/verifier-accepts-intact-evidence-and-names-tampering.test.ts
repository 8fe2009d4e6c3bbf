// The offline verifier (docs/protocols/evidence.md §4) against a real synthetic PKI, real signed
// exchange messages and real RFC 3161 tokens: an intact chain of archives and an evidence file
// verify without problems; each kind of tampering is named with its file, record or timestamp
// and code.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { tempDir } from '@jplink/testing';
import { verifyEvidence, type Problem, type Report } from '../src/index.ts';
import { archiveContents, buildLog, createPki, writeArchives, writeEvidence, type LogFixture, type Pki } from './support/fixture.ts';

let pki: Pki;
let log: LogFixture;
let roots: Uint8Array[];

beforeAll(async () => {
  pki = await createPki();
  log = await buildLog(pki);
  roots = [pki.root.certificate];
});

const dir = async () => (await tempDir('jplink-evidence-')).dir;
const codes = (report: Report) => [...new Set(report.problems.map((p) => p.code))].sort();
const where = (p: Problem) => ({ file: p.file, code: p.code, recordId: p.recordId, timestampId: p.timestampId });

describe('an intact chain of archives and an evidence file', () => {
  it('verify with no problem and no warning', async () => {
    const files = await writeArchives(await dir(), archiveContents(log));
    const report = await verifyEvidence(files, { roots });
    expect(report.problems).toEqual([]);
    expect(report.warnings).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.files.map((f) => [f.kind, f.sequence, f.records, f.signatures])).toEqual([
      ['archive', 1, 3, 6],
      ['archive', 2, 3, 6],
      ['archive', 3, 3, 6],
    ]);
    // Timestamps 1 and 2 each cover records of two archives; each archive carries every timestamp its records name.
    expect(report.files.map((f) => f.timestamps)).toEqual([1, 2, 2]);

    const evidence = await writeEvidence(await dir(), log, { messageId: log.records[4]!.messageId });
    const single = await verifyEvidence([evidence], { roots });
    expect(single).toMatchObject({ ok: true, problems: [], warnings: [] });
    expect(single.files[0]).toMatchObject({ kind: 'evidence', records: 1, signatures: 2, timestamps: 1 });
  });

  it('an evidence file of a record not yet timestamped verifies with a warning', async () => {
    const fresh = await buildLog(pki, { count: 3, timestampSizes: [3], unstamped: 1 });
    const evidence = await writeEvidence(await dir(), fresh, { xRoadId: fresh.records[2]!.xRoadId });
    const report = await verifyEvidence([evidence], { roots });
    expect(report.ok).toBe(true);
    expect(report.warnings).toEqual([expect.objectContaining({ code: 'timestamp-missing', recordId: fresh.records[2]!.id })]);
  });

  it('is not trusted under another root CA', async () => {
    const other = await createPki();
    const files = await writeArchives(await dir(), archiveContents(log));
    const report = await verifyEvidence(files, { roots: [other.root.certificate] });
    expect(report.ok).toBe(false);
    expect(codes(report)).toEqual(['certificate-untrusted', 'timestamp-invalid']);
  });
});

describe('tampering is named', () => {
  it('a byte changed in a body: body-mismatch for that record', async () => {
    const contents = archiveContents(log);
    const record = contents[1]!.records[1]!;
    const body = Buffer.from(record.response!.body!, 'base64');
    body[3] ^= 0x01;
    record.response!.body = body.toString('base64');
    const files = await writeArchives(await dir(), contents);
    const report = await verifyEvidence(files, { roots });
    expect(report.problems.map(where)).toEqual([{ file: files[1], code: 'body-mismatch', recordId: record.id, timestampId: undefined }]);
  });

  it('a record removed: chain-broken where it was', async () => {
    const contents = archiveContents(log);
    const [removed] = contents[1]!.records.splice(1, 1);
    const after = contents[1]!.records[1]!;
    const files = await writeArchives(await dir(), contents);
    const report = await verifyEvidence(files, { roots });
    expect(report.ok).toBe(false);
    expect(codes(report)).toEqual(['chain-broken']);
    expect(report.problems.every((p) => p.file === files[1] && p.recordId === after.id)).toBe(true);
    expect(report.problems.map((p) => p.message).join('\n')).toContain(`prevHash is not the recordHash of record`);
    expect(removed).toBeDefined();
  });

  it('a record removed and the hash chain rebuilt over the rest: the timestamp leaves show the gap', async () => {
    const contents = archiveContents(log);
    const records = contents[2]!.records;
    records.splice(0, 1);
    records[0]!.prevHash = contents[1]!.records[2]!.recordHash; // an attacker relinks the next record…
    const files = await writeArchives(await dir(), contents);
    const report = await verifyEvidence(files, { roots });
    // …which changes its hash (record-hash), and the timestamp tree still has a leaf for the removed record.
    expect(report.problems).toContainEqual(expect.objectContaining({ code: 'record-hash', recordId: records[0]!.id }));
    expect(report.problems).toContainEqual(expect.objectContaining({ code: 'chain-broken', recordId: records[0]!.id, message: expect.stringContaining('records are missing') }));
  });

  it('records reordered: chain-broken at both places', async () => {
    const contents = archiveContents(log);
    const records = contents[1]!.records;
    const [a, b] = [records[0]!, records[1]!];
    records[0] = { ...b, id: a.id };
    records[1] = { ...a, id: b.id };
    const files = await writeArchives(await dir(), contents);
    const report = await verifyEvidence(files, { roots });
    const broken = report.problems.filter((p) => p.code === 'chain-broken').map((p) => p.recordId);
    expect(broken).toEqual(expect.arrayContaining([a.id, b.id, records[2]!.id]));
    expect(report.problems.every((p) => ['chain-broken', 'timestamp-mismatch'].includes(p.code))).toBe(true);
  });

  it('an archive removed from the chain: archive-sequence-gap', async () => {
    const files = await writeArchives(await dir(), archiveContents(log));
    const report = await verifyEvidence([files[0]!, files[2]!], { roots });
    expect(report.problems.map((p) => [p.file, p.code])).toEqual([[files[2], 'archive-sequence-gap']]);
  });

  it('an archive replaced by a changed copy: archive-chain-broken on the next one', async () => {
    const files = await writeArchives(await dir(), archiveContents(log));
    const changed = archiveContents(log);
    changed[0]!.manifest.createdAt = new Date(Date.now() + 1000).toISOString();
    const [replacement] = await writeArchives(await dir(), changed.slice(0, 1));
    const report = await verifyEvidence([replacement!, files[1]!, files[2]!], { roots });
    expect(report.problems.map((p) => [p.file, p.code])).toEqual([[files[1], 'archive-chain-broken']]);
  });

  it('a token swapped between archives: timestamp-mismatch for that timestamp', async () => {
    const contents = archiveContents(log);
    const first = contents[0]!.timestamps.find((t) => t.id === '1')!;
    first.token = contents[2]!.timestamps.find((t) => t.id === '3')!.token;
    const files = await writeArchives(await dir(), contents);
    const report = await verifyEvidence(files, { roots });
    expect(report.problems.map(where)).toEqual([{ file: files[0], code: 'timestamp-mismatch', recordId: undefined, timestampId: '1' }]);
  });

  it('a signature by a certificate revoked before signing time: certificate-revoked for every request it signed', async () => {
    const revoked = await buildLog(pki, { count: 3, timestampSizes: [3], clientStatus: { type: 'revoked', revokedAt: new Date(Date.now() - 3_600_000), reason: 'keyCompromise' } });
    const files = await writeArchives(await dir(), archiveContents(revoked, [3]));
    const report = await verifyEvidence(files, { roots });
    expect(report.problems.map((p) => [p.code, p.recordId])).toEqual(revoked.records.map((r) => ['certificate-revoked', r.id]));
    expect(report.problems[0]!.message).toMatch(/^request: the signer certificate was revoked at .* \(keyCompromise\), before signedAt /);
  });

  it('a certificate revoked only after signing time is a warning', async () => {
    const later = await buildLog(pki, { count: 1, timestampSizes: [1], clientStatus: { type: 'revoked', revokedAt: new Date(Date.now() + 120_000) } });
    const files = await writeArchives(await dir(), archiveContents(later, [1]));
    const report = await verifyEvidence(files, { roots });
    expect(report.ok).toBe(true);
    expect(report.warnings).toEqual([expect.objectContaining({ code: 'certificate-revoked', recordId: later.records[0]!.id })]);
  });

  it('a changed field: record-hash; a changed header: signature-invalid', async () => {
    const contents = archiveContents(log);
    contents[0]!.records[0]!.peerServer = 'JP-TEST/COM/3333333333333/ss-c';
    const header = JSON.parse(Buffer.from(contents[0]!.records[2]!.request.header, 'base64').toString('utf8'));
    header.path = '/residents/999';
    contents[0]!.records[2]!.request.header = Buffer.from(JSON.stringify(header)).toString('base64');
    const files = await writeArchives(await dir(), contents);
    const report = await verifyEvidence(files, { roots });
    const first = contents[0]!.records[0]!.id;
    const third = contents[0]!.records[2]!.id;
    expect(report.problems).toContainEqual(expect.objectContaining({ code: 'record-hash', recordId: first }));
    expect(report.problems).toContainEqual(expect.objectContaining({ code: 'signature-invalid', recordId: first, message: expect.stringContaining('senderServer') }));
    expect(report.problems).toContainEqual(expect.objectContaining({ code: 'record-hash', recordId: third }));
    expect(report.problems).toContainEqual(expect.objectContaining({ code: 'signature-invalid', recordId: third, message: expect.stringContaining('root signature does not verify') }));
  });
});

describe('malformed files are format problems', () => {
  it('not a zip, a truncated zip, a missing file', async () => {
    const d = await dir();
    const garbage = join(d, 'garbage.zip');
    await writeFile(garbage, 'this is not a zip file at all');
    const [archive] = await writeArchives(d, archiveContents(log, [3]));
    const truncated = join(d, 'truncated.zip');
    const bytes = await readFile(archive!);
    await writeFile(truncated, bytes.subarray(0, bytes.length - 200));
    const report = await verifyEvidence([garbage, truncated, join(d, 'missing.zip')], { roots });
    expect(report.problems.map((p) => [p.file, p.code])).toEqual([
      [garbage, 'format'],
      [truncated, 'format'],
      [join(d, 'missing.zip'), 'format'],
    ]);
    expect(report.files.map((f) => f.kind)).toEqual([null, null, null]);
  });

  it('a manifest that is not valid, an unexpected entry, a record line that is not a record', async () => {
    const d = await dir();
    const zipOf = async (name: string, entries: Record<string, string>) => {
      const zip = new yazl.ZipFile();
      for (const [entry, text] of Object.entries(entries)) zip.addBuffer(Buffer.from(text), entry);
      zip.end();
      const chunks: Buffer[] = [];
      for await (const chunk of zip.outputStream as AsyncIterable<Buffer>) chunks.push(chunk);
      await writeFile(join(d, name), Buffer.concat(chunks));
      return join(d, name);
    };
    const good = archiveContents(log, [3])[0]!;
    const json = (v: unknown) => JSON.stringify(v);
    const records = good.records.map((r) => json(r)).join('\n');
    const badManifest = await zipOf('bad-manifest.zip', {
      'manifest.json': json({ ...good.manifest, sequence: 0 }),
      'records.jsonl': records,
      'timestamps.json': json(good.timestamps),
      'certificates.json': json(good.certificates),
    });
    const extraEntry = await zipOf('extra-entry.zip', {
      'manifest.json': json(good.manifest),
      'records.jsonl': records,
      'timestamps.json': json(good.timestamps),
      'certificates.json': json(good.certificates),
      'notes.txt': 'hello',
    });
    const badLine = await zipOf('bad-line.zip', {
      'manifest.json': json(good.manifest),
      'records.jsonl': [json(good.records[0]), json({ ...good.records[1], bodyLength: 'x' }), json(good.records[2])].join('\n'),
      'timestamps.json': json(good.timestamps),
      'certificates.json': json(good.certificates),
    });
    const report = await verifyEvidence([badManifest, extraEntry, badLine], { roots });
    expect(report.problems.filter((p) => p.file === badManifest)).toEqual([expect.objectContaining({ code: 'format', entry: 'manifest.json', message: expect.stringContaining('sequence') })]);
    expect(report.problems.filter((p) => p.file === extraEntry)).toEqual([expect.objectContaining({ code: 'format', entry: 'notes.txt' })]);
    expect(report.problems.filter((p) => p.file === badLine)).toEqual([
      expect.objectContaining({ code: 'format', entry: 'records.jsonl', recordId: good.records[1]!.id, message: expect.stringContaining('line 2') }),
    ]);
  });

  it('an entry larger than its limit is refused before it is read', async () => {
    const [archive] = await writeArchives(await dir(), archiveContents(log, [3]));
    const report = await verifyEvidence([archive!], { roots, limits: { certificatesBytes: 1000 } });
    expect(report.problems).toEqual([expect.objectContaining({ code: 'format', entry: 'certificates.json', message: expect.stringMatching(/bytes uncompressed, more than the limit of 1000/) })]);
  });
});
