// How the archiver writes records.jsonl: each line built straight from the stored bytes
// (recordLineBytes) is exactly JSON.stringify(toRecordLine(…)); and the entry is deflated or stored
// as asked — `auto` stores what deflate cannot halve (base64 of random bytes) and deflates JSON —
// with the verifier accepting archives written either way.
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '@jplink/testing';
import { archiveFileName, deflateRecords, recordLineBytes, toRecordLine, verifyEvidence, writeEvidenceZip, type RecordCompression, type StoredRecord } from '../src/index.ts';
import { archiveContents, buildLog, createPki, type LogFixture, type Pki } from './support/fixture.ts';

const message = (body: Buffer | null) => ({ header: randomBytes(40), body, bodySha256: randomBytes(32), bodyLength: body?.length ?? 7, signature: randomBytes(90) });

function stored(overrides: Partial<StoredRecord> = {}): StoredRecord {
  return {
    id: '42',
    loggedAt: new Date('2026-12-07T10:11:12.345Z'),
    side: 'server',
    messageId: randomUUID(),
    xRoadId: 'x-"quoted"\\slash/ユーザー',
    client: 'JP/COM/1111111111111/shopping',
    service: 'JP/GOV/2222222222222/healthcare/vitals',
    peerServer: 'JP/COM/1111111111111/ss-a',
    request: message(randomBytes(33)),
    response: message(null),
    prevHash: randomBytes(32),
    recordHash: randomBytes(32),
    ...overrides,
  };
}

describe('recordLineBytes', () => {
  it('is JSON.stringify(toRecordLine(record)) for every shape of record', () => {
    const shapes: StoredRecord[] = [
      stored(),
      stored({ response: null, id: 7n }),
      stored({ timestamp: { id: '3', leafIndex: 2, treeSize: 5, proof: [randomBytes(32), randomBytes(32)] } }),
      stored({ timestamp: { id: 9n, leafIndex: 0, treeSize: 1, proof: [] }, request: message(Buffer.alloc(0)) }),
    ];
    for (const record of shapes) expect(recordLineBytes(record).toString('utf8')).toBe(JSON.stringify(toRecordLine(record)));
  });
});

describe('records.jsonl compression', () => {
  const json = Buffer.from(Array.from({ length: 300 }, (_, i) => JSON.stringify({ id: String(i), body: Buffer.from(JSON.stringify({ pulse: 60 + (i % 30), systolic: 120 })).toString('base64') })).join('\n'));
  const random = Buffer.from(Array.from({ length: 60 }, () => JSON.stringify({ body: randomBytes(768).toString('base64') })).join('\n'));

  it('auto deflates JSON-like lines and stores base64 of random bytes; the explicit modes do as they say', () => {
    expect(deflateRecords('auto', json)).toBe(true);
    expect(deflateRecords('auto', random)).toBe(false);
    expect(deflateRecords('auto', undefined)).toBe(true);
    for (const sample of [json, random]) {
      expect(deflateRecords('deflate', sample)).toBe(true);
      expect(deflateRecords('store', sample)).toBe(false);
    }
  });

  let pki: Pki;
  let log: LogFixture;
  beforeAll(async () => {
    pki = await createPki();
    log = await buildLog(pki, { count: 6, timestampSizes: [6] });
  });

  it.each([
    ['store', 'Stored'],
    ['deflate', 'Defl:N'],
  ] as Array<[RecordCompression, string]>)('an archive written with %s verifies, and unzip lists records.jsonl as %s', async (compression, method) => {
    const { dir } = await tempDir('jplink-evidence-');
    const [content] = archiveContents(log, [6]);
    const file = join(dir, archiveFileName(content!.manifest.securityServer, 'all', 1));
    await writeEvidenceZip(file, { ...content!, compression });
    const listing = execFileSync('unzip', ['-v', file], { encoding: 'utf8' });
    expect(listing.split('\n').find((line) => line.endsWith('records.jsonl'))).toContain(method);
    execFileSync('unzip', ['-tq', file]);
    const report = await verifyEvidence([file], { roots: [pki.root.certificate] });
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
  });
});
