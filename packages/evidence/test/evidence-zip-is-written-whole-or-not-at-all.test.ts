// writeEvidenceZip writes a complete, validated file or nothing (temporary name, fsync, rename),
// returns the file's SHA-256 and never replaces a file; openEvidenceZip reads back exactly what was
// written and bounds what it reads.
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '@jplink/testing';
import { EvidenceFormatError, openEvidenceZip, writeEvidenceZip, type RecordLine } from '../src/index.ts';
import { archiveContents, buildLog, createPki, type ArchiveContent, type LogFixture } from './support/fixture.ts';

let log: LogFixture;
let content: ArchiveContent;

beforeAll(async () => {
  log = await buildLog(await createPki(), { count: 3, timestampSizes: [3] });
  content = archiveContents(log, [3])[0]!;
});

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('writeEvidenceZip', () => {
  it('returns the SHA-256 of the file, and the file reads back as written', async () => {
    const dir = await tempDir('jplink-evidence-zip-');
    const file = join(dir.dir, 'archive.zip');
    async function* records(): AsyncGenerator<RecordLine> {
      yield* content.records;
    }
    const sha256 = await writeEvidenceZip(file, { ...content, records: records() });
    expect(sha256).toBe(createHash('sha256').update(await readFile(file)).digest('hex'));
    expect(await readdir(dir.dir)).toEqual(['archive.zip']);

    const zip = await openEvidenceZip(file);
    expect(zip.manifest).toEqual(content.manifest);
    expect(zip.timestamps).toEqual(content.timestamps);
    expect(zip.certificates).toEqual(content.certificates);
    expect(await collect(zip.records())).toEqual(content.records.map((record, i) => ({ line: i + 1, record })));
  });

  it('takes lines already serialised (text or bytes) and certificates given after the records, and reads back the same', async () => {
    const dir = await tempDir('jplink-evidence-zip-');
    const file = join(dir.dir, 'archive.zip');
    let recordsRead = 0;
    async function* serialised() {
      for (const [i, r] of content.records.entries()) {
        recordsRead += 1;
        const text = JSON.stringify(r);
        yield { serialized: i % 2 === 0 ? Buffer.from(text, 'utf8') : text, id: r.id, prevHash: r.prevHash, ...(r.timestamp ? { timestampId: r.timestamp.id } : {}) };
      }
    }
    const certificates = async () => {
      expect(recordsRead).toBe(content.records.length);
      return content.certificates;
    };
    await writeEvidenceZip(file, { ...content, records: serialised(), certificates });
    const zip = await openEvidenceZip(file);
    expect(zip.certificates).toEqual(content.certificates);
    expect(await collect(zip.records())).toEqual(content.records.map((record, i) => ({ line: i + 1, record })));
  });

  it('refuses to replace a file', async () => {
    const dir = await tempDir('jplink-evidence-zip-');
    const file = await dir.file('archive.zip', 'already here');
    await expect(writeEvidenceZip(file, content)).rejects.toThrow(/already exists/);
    expect(await readFile(file, 'utf8')).toBe('already here');
  });

  it('refuses invalid content and leaves nothing behind, even when the records fail half-way', async () => {
    const dir = await tempDir('jplink-evidence-zip-');
    const file = join(dir.dir, 'archive.zip');
    const wrongCount = { ...content, manifest: { ...content.manifest, records: { ...content.manifest.records, count: 4 } } };
    await expect(writeEvidenceZip(file, wrongCount)).rejects.toThrow(/records.count is 4, but 3 records were given/);
    const noCertificates = { ...content, certificates: content.certificates.filter((c) => c.kind === 'ca') };
    await expect(writeEvidenceZip(file, noCertificates)).rejects.toThrow(/line 1, record .*: the signer certificate .* is not in certificates.json/);
    // Certificates given once the records are read (the archiver's one pass): checked the same way.
    await expect(writeEvidenceZip(file, { ...noCertificates, certificates: async () => noCertificates.certificates })).rejects.toThrow(/line 1, record .*: the signer certificate .* is not in certificates.json/);
    await expect(writeEvidenceZip(file, { ...content, certificates: async () => [{ sha256: 'x', kind: 'ca' as const, der: '' }] })).rejects.toThrow(/certificates.json/);
    await expect(writeEvidenceZip(file, { ...content, certificates: async () => Promise.reject(new Error('log_certificates unreadable')) })).rejects.toThrow('log_certificates unreadable');
    const badRecord = { ...content, records: [content.records[0]!, { ...content.records[1]!, loggedAt: 'yesterday' }, content.records[2]!] };
    await expect(writeEvidenceZip(file, badRecord)).rejects.toThrow(/records.jsonl, line 2: loggedAt/);
    async function* failing(): AsyncGenerator<RecordLine> {
      yield content.records[0]!;
      throw new Error('database connection lost');
    }
    await expect(writeEvidenceZip(file, { ...content, records: failing() })).rejects.toThrow('database connection lost');
    expect(await readdir(dir.dir)).toEqual([]);
  });
});

describe('openEvidenceZip', () => {
  it('reports a record line longer than the limit and reads on', async () => {
    const dir = await tempDir('jplink-evidence-zip-');
    const file = join(dir.dir, 'archive.zip');
    await writeEvidenceZip(file, content);
    const longest = Math.max(...content.records.map((r) => JSON.stringify(r).length));
    const shortest = Math.min(...content.records.map((r) => JSON.stringify(r).length));
    const limit = Math.floor((longest + shortest) / 2);
    const zip = await openEvidenceZip(file, { limits: { recordLineBytes: limit } });
    const lines = await collect(zip.records());
    expect(lines).toHaveLength(3);
    for (const [i, line] of lines.entries()) {
      if (JSON.stringify(content.records[i]).length > limit) expect(line).toEqual({ line: i + 1, issue: expect.objectContaining({ message: `the line is longer than the limit of ${limit} bytes` }) });
      else expect(line).toEqual({ line: i + 1, record: content.records[i] });
    }
  });

  it('names every structural problem of a file that is not an evidence zip', async () => {
    const dir = await tempDir('jplink-evidence-zip-');
    const error = await openEvidenceZip(await dir.file('x.zip', Buffer.from('PK\x03\x04 truncated'))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EvidenceFormatError);
    expect((error as EvidenceFormatError).issues[0]!.message).toMatch(/^not a readable zip file/);
    await writeFile(join(dir.dir, 'empty.zip'), Buffer.from('504b0506000000000000000000000000000000000000', 'hex'));
    const empty = (await openEvidenceZip(join(dir.dir, 'empty.zip')).catch((e: unknown) => e)) as EvidenceFormatError;
    expect(empty.issues.map((i) => [i.entry, i.message])).toEqual([
      ['manifest.json', 'the entry is missing'],
      ['records.jsonl', 'the entry is missing (records.pgcopy in a jplink-log-archive/2 archive)'],
      ['timestamps.json', 'the entry is missing'],
      ['certificates.json', 'the entry is missing'],
    ]);
  });
});
