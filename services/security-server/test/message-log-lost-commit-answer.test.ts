// A log batch whose COMMIT went through but whose answer never reached the Security Server (the
// connection dropped after the commit) is stored although the writer saw an error. The writer must
// not chain the next record to the head it had before that batch: it reads the head back, and the
// chain stays whole.
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { http } from '@jplink/testing';
import { CONSUMER_SUBSYSTEM, startTestNetwork, type TestNetwork } from './helpers/network.ts';
import { checkMessageLog } from '../src/messagelog/check.ts';
import { LogStore } from '../src/db/message-log.ts';

let net: TestNetwork;
const insertRecords = LogStore.prototype.insertRecords;

beforeAll(async () => {
  net = await startTestNetwork();
}, 120_000);

afterEach(() => {
  LogStore.prototype.insertRecords = insertRecords;
});

afterAll(async () => {
  await net?.stop();
});

it('keeps the hash chain whole after a batch that committed but whose answer was lost', async () => {
  const call = (i: number) => http(net.url('vitals', `/lost/${i}`), { headers: { 'x-road-client': CONSUMER_SUBSYSTEM } });
  expect((await call(0)).status).toBe(200);

  // The next insert of either server stores its rows, then reports the connection as lost.
  let failed = 0;
  LogStore.prototype.insertRecords = async function (this: LogStore, ...args: Parameters<typeof insertRecords>) {
    await insertRecords.apply(this, args);
    if (failed++ === 0) throw new Error('Connection terminated unexpectedly');
  };
  const refused = await call(1);
  expect(refused.status).toBe(500); // the exchange is not answered as logged
  expect(failed).toBeGreaterThan(0);
  LogStore.prototype.insertRecords = insertRecords;

  for (let i = 2; i < 5; i++) expect((await call(i)).status).toBe(200);
  for (const side of ['consumer', 'provider'] as const) {
    const result = await checkMessageLog(net[side].ss.database.db);
    expect(result.problems, side).toEqual([]);
  }
}, 120_000);
