// The message-log writer's commit delay (SS_LOG_COMMIT_DELAY_MS): a record waits for the records of
// other exchanges in progress on the server and is written when the last of them arrives (or ends
// without one), when FLUSH_AT records wait, or when the delay ends; an exchange alone never waits;
// the chain stays whole. Real PostgreSQL (or the embedded database) through the real LogStore;
// only the envelopes are made up (the writer stores them, it does not verify them).
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
  const w = new MessageLogWriter({ db: database.db, store, logger }, { commitDelayMs });
  await w.start();
  await w.append(entry()); // stores the certificate and OCSP response: later batches start with their INSERT
  batches = [];
  return w;
}

/** The chain over everything the tests wrote (the made-up envelopes do not verify; the chain must). */
async function chainProblems() {
  const check = await checkMessageLog(database.db);
  expect(check.records).toBeGreaterThan(0);
  return check.problems.filter((p) => p.problem === 'chain-broken' || p.problem === 'record-hash-mismatch');
}

/** Lets pending I/O callbacks and timers due now run (a batch that started has called the store by then). */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await nextTurn();
}

it('writes the record of an exchange alone on the server at once, even with a long commit delay', async () => {
  const w = await startWriter(DELAY_MS);
  for (let i = 0; i < 3; i++) await w.append(entry(), w.admit('server')); // each would wait 30 s if it waited
  await w.append(entry()); // appended without an admission: nothing in progress either
  expect(batches).toEqual([1, 1, 1, 1]);
  expect(w.stats().inProgress).toBe(0);
});

it('waits for the exchanges in progress and writes their records together when the last arrives', async () => {
  const w = await startWriter(DELAY_MS);
  const [a, b, c] = [w.admit('server'), w.admit('server'), w.admit('client')];
  const first = w.append(entry(), a);
  await settle();
  const second = w.append(entry(), b);
  await settle();
  expect(batches).toEqual([]); // without the delay the first would have been written by now
  await Promise.all([first, second, w.append(entry(), c)]); // c was the last in progress: no 30 s wait
  expect(batches).toEqual([3]);
  expect(w.stats().inProgress).toBe(0);
  expect(await chainProblems()).toEqual([]);
});

it('stops waiting when the last exchange in progress ends without a record', async () => {
  const w = await startWriter(DELAY_MS);
  const [a, b] = [w.admit('server'), w.admit('server')];
  const first = w.append(entry(), a);
  await settle();
  expect(batches).toEqual([]);
  b.release(); // e.g. refused by access control
  b.release(); // idempotent
  await first;
  expect(batches).toEqual([1]);
  expect(w.stats().inProgress).toBe(0);
});

it('writes FLUSH_AT waiting records without waiting for the rest', async () => {
  const w = await startWriter(DELAY_MS);
  const admissions = Array.from({ length: 20 }, () => w.admit('server'));
  await Promise.all(admissions.slice(0, 16).map((admission) => w.append(entry(), admission))); // 4 still in progress
  expect(batches).toEqual([16]);
  for (const admission of admissions) admission.release();
  expect(w.stats().inProgress).toBe(0);
  expect(await chainProblems()).toEqual([]);
});

it('writes a waiting record when the delay ends although others are still in progress', async () => {
  const w = await startWriter(50);
  const [a, b] = [w.admit('server'), w.admit('server')];
  await w.append(entry(), a); // only the 50 ms timer can write it: b never arrives
  expect(batches).toEqual([1]);
  b.release();
  expect(w.stats().inProgress).toBe(0);
});

it('with no commit delay, writes a record as soon as the writer is free', async () => {
  const w = await startWriter(0);
  const [a, b] = [w.admit('server'), w.admit('server')];
  const first = w.append(entry(), a);
  await settle();
  expect(batches).toEqual([1]);
  await first;
  b.release();
  expect(await chainProblems()).toEqual([]);
});
