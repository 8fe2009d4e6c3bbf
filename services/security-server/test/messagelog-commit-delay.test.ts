// The message-log writer's commit delay (SS_LOG_COMMIT_DELAY_MS): under concurrent load a record
// that finds the writer idle waits for others to share its INSERT; a lone record under light load
// is written at once; a full batch does not wait; and the chain stays whole either way. Real
// PostgreSQL (or the embedded database) through the real LogStore; only the envelopes are made up
// (the writer stores them, it does not verify them).
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger } from '@jplink/kit';
import { createTestDatabase, type TestDatabase } from '@jplink/db/testing';
import { securityServerMigrations } from '../src/db/migrations.ts';
import type { SecurityServerTables } from '../src/db/schema.ts';
import { LogStore } from '../src/db/message-log.ts';
import { MessageLogWriter, type ExchangeLogEntry, type LoggedMessage } from '../src/messagelog/writer.ts';
import { checkMessageLog } from '../src/messagelog/check.ts';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest();
const logger = createLogger({ name: 'commit-delay-test', level: 'silent' });
/** Far longer than anything in this test takes, so "waited for the delay" and "did not" cannot be confused. */
const DELAY_MS = 30_000;

let database: TestDatabase<SecurityServerTables>;
/** Sizes of the batches the store was asked to insert, in order. */
let batches: number[] = [];

beforeAll(async () => {
  database = await createTestDatabase<SecurityServerTables>('sslcd', securityServerMigrations);
});

afterAll(async () => {
  await database?.drop();
});

// One certificate and OCSP response for every envelope: after a writer's first batch has stored
// them, a batch's INSERT is the writer's first database call, so "has it started" is observable.
const CERTIFICATE = randomBytes(48).toString('base64');
const OCSP = randomBytes(48).toString('base64');

function message(kind: string): LoggedMessage {
  const header = Buffer.from(JSON.stringify({ kind, at: Date.now() }));
  const body = randomBytes(64);
  return {
    header,
    headerSha256: sha256(header),
    body,
    bodySha256: sha256(body),
    envelope: { algorithm: 'ES256', signerCertificate: CERTIFICATE, signerOcsp: OCSP, treeSize: 1, leafIndex: 0, proof: [], rootSignature: randomBytes(64).toString('base64'), signedAt: new Date().toISOString() },
  };
}

function entry(): ExchangeLogEntry {
  return {
    side: 'server',
    messageId: randomUUID(),
    xRoadId: randomUUID(),
    client: 'JP-TEST/COM/1111111111111/app',
    service: 'JP-TEST/COM/2222222222222/svc/echo',
    peerServer: 'JP-TEST/COM/1111111111111/ss-a',
    logBodies: true,
    request: message('request'),
    response: message('response'),
  };
}

async function startWriter(commitDelayMs: number): Promise<MessageLogWriter> {
  const store = new LogStore(database);
  const insert = store.insertRecords.bind(store);
  store.insertRecords = async (rows) => {
    batches.push(rows.length);
    await insert(rows);
  };
  batches = [];
  const w = new MessageLogWriter({ db: database.db, store, logger }, { commitDelayMs });
  await w.start();
  return w;
}

/** Three appends at once: the first is written alone, the other two wait for it and go together — the last batch held 2. */
async function concurrentBurst(w: MessageLogWriter): Promise<void> {
  await Promise.all([w.append(entry()), w.append(entry()), w.append(entry())]);
  expect(batches.slice(-2)).toEqual([1, 2]);
}

/** The chain over everything the tests wrote (the made-up envelopes do not verify; the chain must). */
async function chainProblems() {
  const check = await checkMessageLog(database.db);
  expect(check.records).toBeGreaterThan(0);
  return check.problems.filter((p) => p.problem === 'chain-broken' || p.problem === 'record-hash-mismatch');
}

it('writes a lone record at once under light load, even with a long commit delay', async () => {
  const w = await startWriter(DELAY_MS);
  for (let i = 0; i < 3; i++) await w.append(entry()); // each would wait 30 s if it waited
  expect(batches).toEqual([1, 1, 1]);
});

it('under concurrent load, records arriving on separate turns wait and share one INSERT; FLUSH_AT of them do not wait', async () => {
  const w = await startWriter(DELAY_MS);
  await concurrentBurst(w);
  const before = batches.length;
  const appended: Array<Promise<void>> = [];
  for (let i = 0; i < 3; i++) {
    appended.push(w.append(entry()));
    await nextTurn();
    await nextTurn();
  }
  expect(batches.length).toBe(before); // without the delay each would have been written on its own by now
  for (let i = 3; i < 16; i++) appended.push(w.append(entry())); // FLUSH_AT (16) reached: written without waiting 30 s
  await Promise.all(appended);
  expect(batches.slice(before)).toEqual([16]);
  expect(await chainProblems()).toEqual([]);
});

it('writes waiting records when the delay ends; after a batch of one, a lone record goes at once', async () => {
  const w = await startWriter(50);
  await concurrentBurst(w);
  const before = batches.length;
  const a = w.append(entry());
  await nextTurn();
  const b = w.append(entry());
  await Promise.all([a, b]); // 2 < FLUSH_AT: only the delay's timer writes them
  expect(batches.slice(before)).toEqual([2]);

  await w.append(entry()); // waits out the delay alone: a batch of one
  expect(batches.at(-1)).toBe(1);
  const lone = batches.length;
  const c = w.append(entry());
  await nextTurn();
  expect(batches.length).toBe(lone + 1); // started at once
  await c;
  expect(await chainProblems()).toEqual([]);
});

it('with no commit delay, writes a record as soon as the writer is free', async () => {
  const w = await startWriter(0);
  await concurrentBurst(w);
  const before = batches.length;
  const a = w.append(entry());
  await nextTurn();
  expect(batches.length).toBe(before + 1);
  await a;
  expect(await chainProblems()).toEqual([]);
});
