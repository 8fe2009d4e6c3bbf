// Archives and evidence files from real exchanges (docs/protocols/evidence.md §2–§3): timestamped
// records go into a chain of archive files that the offline verifier accepts with only the root CA;
// grouped archives per subsystem; retention removes archived rows; the evidence file of one
// exchange verifies; the configuration API refuses bad evidence queries.
import { readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgCopyReader, archiveFileName, recordLineOfTuple, verifyEvidence } from '@jplink/evidence';
import { recordsPgCopy } from '../src/db/archives.ts';
import { http, tempDir } from '@jplink/testing';
import { CONSUMER_SUBSYSTEM, PROVIDER_SUBSYSTEM, adminClient, startTestNetwork, type RunningSs, type TestNetwork } from './helpers/network.ts';

let net: TestNetwork;

beforeAll(async () => {
  net = await startTestNetwork({
    consumerEnv: { SS_ARCHIVE_INTERVAL_SECONDS: '3600' },
    providerEnv: { SS_ARCHIVE_INTERVAL_SECONDS: '3600', SS_ARCHIVE_GROUPING: 'subsystem', SS_LOG_RETENTION_DAYS: '0' },
  });
}, 120_000);

afterAll(async () => {
  await net?.stop();
});

const call = (path: string) => http(net.url('vitals', path), { method: 'POST', headers: { 'x-road-client': CONSUMER_SUBSYSTEM }, body: `{"path":"${path}"}` });
const roots = (running: RunningSs) => running.ss.context.conf.current('client').approvedCaRoots();

async function exchangeAndArchive(running: RunningSs[], count: number) {
  const answers = await Promise.all(Array.from({ length: count }, (_, i) => call(`/r/${i}`)));
  expect(answers.map((a) => a.status)).toEqual(Array(count).fill(200));
  for (const r of running) await r.ss.timestamper.stampNow();
  return Promise.all(running.map(async (r) => (await (await adminClient(r))("POST", "/api/v1/message-log/archive")).json() as { files: Array<{ fileName: string; sequence: number; records: number; group: string }>; deleted: number }));
}

describe('archives', () => {
  it('writes a chain of archives that the offline verifier accepts with only the root CA', async () => {
    const [first] = await exchangeAndArchive([net.consumer], 8);
    expect(first!.files).toEqual([expect.objectContaining({ sequence: 1, records: 8, group: 'all' })]);
    const [second] = await exchangeAndArchive([net.consumer], 5);
    expect(second!.files).toEqual([expect.objectContaining({ sequence: 2, records: 5, group: 'all' })]);
    // Nothing new: no file.
    const [none] = await Promise.all([(await (await adminClient(net.consumer))('POST', '/api/v1/message-log/archive')).json() as { files: unknown[] }]);
    expect(none!.files).toEqual([]);

    const dir = join(net.consumer.dataDir, 'archives');
    const files = (await readdir(dir)).filter((f) => f.endsWith('.zip')).sort().map((f) => join(dir, f));
    expect(files).toHaveLength(2);
    const report = await verifyEvidence(files, { roots: roots(net.consumer) });
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    // Retention 30 days (default): the archived rows stay in the database.
    const rows = await net.consumer.ss.database.db.selectFrom('log_records').select('id').execute();
    expect(rows.length).toBe(13);
  });

  it('reads the log for records.pgcopy in pages of ids, joined under one header and trailer', async () => {
    const { database } = net.consumer.ss;
    const ids = (await database.db.selectFrom('log_records').select('id').orderBy('id').execute()).map((r) => r.id);
    expect(ids.length).toBeGreaterThan(7);
    for (const pageIds of [1n, 3n, 2000n]) {
      const chunks: Buffer[] = [];
      for await (const chunk of recordsPgCopy(database, '0', ids[ids.length - 1]!, pageIds)) chunks.push(chunk);
      const reader = new PgCopyReader({ maxTupleBytes: 1 << 24 });
      const tuples = reader.push(Buffer.concat(chunks));
      reader.end();
      expect(tuples.map((t) => recordLineOfTuple(t).id)).toEqual(ids);
    }
  });

  it('a reader that stops in the middle of records.pgcopy leaves no connection in a COPY behind', async () => {
    const { database } = net.consumer.ss;
    const last = (await database.db.selectFrom('log_records').select('id').orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow()).id;
    for (let i = 0; i < 3; i++) {
      const reading = recordsPgCopy(database, '0', last, 1n);
      await reading.next();
      await reading.next();
      await reading.return(undefined);
    }
    // Every connection the pool hands out still answers plain queries.
    const answers = await Promise.all(Array.from({ length: 12 }, () => database.pool.query('select 1 as one')));
    expect(answers.map((a) => a.rows[0].one)).toEqual(Array(12).fill(1));
  });

  it('moves aside a file left by a run that stopped before recording it, and continues the chain', async () => {
    const dir = join(net.consumer.dataDir, 'archives');
    const leftover = join(dir, archiveFileName('JP-TEST/COM/1111111111111/ss-a', 'all', 3));
    await writeFile(leftover, 'half-written');
    const [run] = await exchangeAndArchive([net.consumer], 3);
    expect(run!.files).toEqual([expect.objectContaining({ sequence: 3, records: 3 })]);
    const names = await readdir(dir);
    expect(names.filter((n) => n.includes('.unrecorded-'))).toHaveLength(1);
    const files = names.filter((f) => f.endsWith('.zip')).sort().map((f) => join(dir, f));
    expect(files).toHaveLength(3);
    const report = await verifyEvidence(files, { roots: roots(net.consumer) });
    expect(report.problems).toEqual([]);
  });

  it('a run that fails is reported with its cause, and the next run archives what it left', async () => {
    const dir = join(net.consumer.dataDir, 'archives');
    const before = (await readdir(dir)).filter((f) => f.endsWith('.zip')).length;
    await rename(dir, `${dir}.away`);
    await writeFile(dir, 'not a folder');
    try {
      await Promise.all(Array.from({ length: 2 }, (_, i) => call(`/fail/${i}`)));
      await net.consumer.ss.timestamper.stampNow();
      await expect(net.consumer.ss.archiver.archiveNow()).rejects.toThrow(/EEXIST|ENOTDIR|not a directory|file already exists/);
      expect(net.consumer.ss.archiver.status().lastError).toMatch(/EEXIST|ENOTDIR|not a directory|file already exists/);
    } finally {
      await rm(dir);
      await rename(`${dir}.away`, dir);
    }
    const run = await net.consumer.ss.archiver.archiveNow();
    expect(run.files).toEqual([expect.objectContaining({ sequence: before + 1, records: 2 })]);
    expect(net.consumer.ss.archiver.status().lastError).toBeNull();
    const files = (await readdir(dir)).filter((f) => f.endsWith('.zip')).sort().map((f) => join(dir, f));
    expect(files).toHaveLength(before + 1);
    expect((await verifyEvidence(files, { roots: roots(net.consumer) })).problems).toEqual([]);
  });

  it('groups archives per local subsystem and deletes archived rows past the retention', async () => {
    const [run] = await exchangeAndArchive([net.provider], 4);
    expect(run!.files.length).toBe(1);
    expect(run!.files[0]!.group).toBe(PROVIDER_SUBSYSTEM);
    expect(run!.deleted).toBeGreaterThan(0);
    const rows = await net.provider.ss.database.db.selectFrom('log_records').select('id').execute();
    expect(rows).toEqual([]);
    const dir = join(net.provider.dataDir, 'archives');
    const files = (await readdir(dir)).filter((f) => f.endsWith('.zip')).map((f) => join(dir, f));
    expect(files[0]).toContain(PROVIDER_SUBSYSTEM.replaceAll('/', '_'));
    const report = await verifyEvidence(files, { roots: roots(net.provider) });
    expect(report.problems).toEqual([]);
  });
});

describe('evidence export', () => {
  it('exports the evidence of one exchange, which verifies offline', async () => {
    const answer = await call('/evidence');
    expect(answer.status).toBe(200);
    const requestId = answer.headers['x-road-request-id'] as string;
    await net.consumer.ss.timestamper.stampNow();
    const admin = await adminClient(net.consumer);
    const response = await admin('GET', `/api/v1/evidence?messageId=${requestId}`);
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/zip');
    const files = await tempDir('jplink-evidence-test-');
    const path = await files.file('evidence.zip', response.body);
    const report = await verifyEvidence([path], { roots: roots(net.consumer) });
    expect(report.problems).toEqual([]);
    expect(report.warnings).toEqual([]);
    expect(report.files[0]).toMatchObject({ records: 1 });

    // By X-Road-Id as well.
    const byXRoadId = await admin('GET', `/api/v1/evidence?xRoadId=${encodeURIComponent(answer.headers['x-road-id'] as string)}`);
    expect(byXRoadId.status).toBe(200);
  });

  it('refuses bad evidence queries with catalogue errors', async () => {
    const admin = await adminClient(net.consumer);
    expect((await admin('GET', '/api/v1/evidence?messageId=6f1c1c1e-0000-4000-8000-000000000000')).json()).toMatchObject({ error: { code: 'SS_EVIDENCE_NOT_FOUND' } });
    expect((await admin('GET', '/api/v1/evidence?messageId=not-a-uuid')).status).toBe(400);
    expect((await admin('GET', '/api/v1/evidence')).status).toBe(400);
    expect((await admin('GET', '/api/v1/evidence?messageId=6f1c1c1e-0000-4000-8000-000000000000&xRoadId=x')).status).toBe(400);
    expect((await http(`http://127.0.0.1:${net.consumer.ports.admin}/api/v1/evidence?xRoadId=x`)).status).toBe(401);
  });
});
