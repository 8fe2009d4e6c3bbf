// Both Security Servers log every request and response of an exchange, hash-chained and signed;
// a check walks each chain and verifies every signature, and names any record that was changed,
// removed or reordered.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { http } from '@jplink/testing';
import { CONSUMER_SUBSYSTEM, startTestNetwork, type TestNetwork } from './helpers/network.ts';
import { checkMessageLog } from '../src/messagelog/check.ts';

let net: TestNetwork;

beforeAll(async () => {
  net = await startTestNetwork({ consumerEnv: { SS_LOG_BODIES: 'true' } });
  for (let i = 0; i < 5; i++) {
    const response = await http(net.url('vitals', `/residents/${i}`), { method: 'POST', headers: { 'x-road-client': CONSUMER_SUBSYSTEM }, body: `{"n":${i}}` });
    expect(response.status).toBe(200);
  }
  // Concurrent exchanges share batch signatures and log batches.
  const many = await Promise.all(Array.from({ length: 20 }, (_, i) => http(net.url('vitals', `/batch/${i}`), { headers: { 'x-road-client': CONSUMER_SUBSYSTEM } })));
  expect(many.filter((r) => r.status !== 200).map((r) => r.body.toString())).toEqual([]);
}, 120_000);

afterAll(async () => {
  await net?.stop();
});

const dbOf = (side: 'consumer' | 'provider') => net[side].ss.database.db;

describe('message log', () => {
  it('holds request and response of every exchange on both servers, with a valid chain and signatures', async () => {
    for (const side of ['consumer', 'provider'] as const) {
      const db = dbOf(side);
      const rows = await db.selectFrom('log_records').select(['side', 'message_id', 'response_header']).execute();
      expect(rows.length).toBe(25);
      expect(rows.every((r) => r.side === (side === 'consumer' ? 'client' : 'server') && r.response_header !== null)).toBe(true);
      const result = await checkMessageLog(db);
      expect(result).toEqual({ records: 25, signaturesVerified: 50, problems: [] });
      // The signer certificates and OCSP responses are stored once, not per record.
      const stored = await db.selectFrom('log_certificates').select('kind').execute();
      expect(stored.filter((c) => c.kind === 'certificate').length).toBe(2);
    }
    const consumerIds = new Set((await dbOf('consumer').selectFrom('log_records').select('message_id').execute()).map((r) => r.message_id));
    const providerIds = new Set((await dbOf('provider').selectFrom('log_records').select('message_id').execute()).map((r) => r.message_id));
    expect([...consumerIds].sort()).toEqual([...providerIds].sort());
  });

  it('names a changed body, a changed signature, a removed record and reordered records', async () => {
    const db = dbOf('provider');
    const ids = (await db.selectFrom('log_records').select('id').orderBy('id').execute()).map((r) => r.id);
    await db.updateTable('log_records').set({ request_body: Buffer.from('{"n":9}') }).where('id', '=', ids[2]!).execute();
    let result = await checkMessageLog(db);
    expect(result.problems).toContainEqual(expect.objectContaining({ id: String(ids[2]), problem: 'body-mismatch' }));

    const signature = JSON.parse((await db.selectFrom('log_records').select('response_signature').where('id', '=', ids[3]!).executeTakeFirstOrThrow()).response_signature!.toString());
    signature.signedAt = new Date(0).toISOString();
    await db.updateTable('log_records').set({ response_signature: Buffer.from(JSON.stringify(signature)) }).where('id', '=', ids[3]!).execute();
    result = await checkMessageLog(db);
    expect(result.problems).toContainEqual(expect.objectContaining({ id: String(ids[3]), problem: 'record-hash-mismatch' }));

    await db.deleteFrom('log_records').where('id', '=', ids[5]!).execute();
    result = await checkMessageLog(db);
    expect(result.problems).toContainEqual(expect.objectContaining({ id: String(ids[6]), problem: 'chain-broken' }));

    // Swap two records' contents: the chain breaks at both places.
    await sql`update log_records set id = -1 where id = ${ids[8]}`.execute(db);
    await sql`update log_records set id = ${ids[8]} where id = ${ids[9]}`.execute(db);
    await sql`update log_records set id = ${ids[9]} where id = -1`.execute(db);
    result = await checkMessageLog(db);
    const broken = result.problems.filter((p) => p.problem === 'chain-broken').map((p) => p.id);
    expect(broken).toEqual(expect.arrayContaining([String(ids[8]), String(ids[9])]));
  });
});
