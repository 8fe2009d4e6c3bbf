// Walks the message log in chain order and checks, for every record: the hash chain link, the
// record hash, the message digest against the logged header and body (or body digest), and the
// signature envelope over that digest. Reports every problem with the record id; stops nothing.
import { createHash } from 'node:crypto';
import { messageDigestFromHashes, signatureEnvelopeSchema, verifyEnvelope } from '@jplink/exchange';
import type { SecurityServerDb } from '../db/database.ts';
import { logRecordsAfter } from '../db/message-log.ts';
import { GENESIS_HASH, recordHash } from './record-hash.ts';

export interface LogProblem {
  id: string;
  messageId: string;
  problem: 'chain-broken' | 'record-hash-mismatch' | 'body-mismatch' | 'digest-mismatch' | 'signature-invalid';
  detail: string;
}

export interface LogCheckResult {
  records: number;
  signaturesVerified: number;
  problems: LogProblem[];
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest();

export async function checkMessageLog(db: SecurityServerDb, options: { pageSize?: number } = {}): Promise<LogCheckResult> {
  const pageSize = options.pageSize ?? 500;
  let prev: Buffer = GENESIS_HASH;
  let after = '0';
  let records = 0;
  let signaturesVerified = 0;
  const problems: LogProblem[] = [];
  for (;;) {
    const page = await logRecordsAfter(db, after, pageSize);
    if (page.length === 0) break;
    for (const row of page) {
      records += 1;
      const problem = (kind: LogProblem['problem'], detail: string) => problems.push({ id: String(row.id), messageId: row.message_id, problem: kind, detail });
      if (!row.prev_hash.equals(prev)) problem('chain-broken', 'prev_hash is not the previous record’s hash (a record was removed, inserted or reordered)');
      const expected = recordHash(row.prev_hash, {
        side: row.side,
        kind: row.kind,
        messageId: row.message_id,
        xRoadId: row.x_road_id,
        client: row.client,
        service: row.service,
        peerServer: row.peer_server,
        header: row.header,
        bodySha256: row.body_sha256,
        bodyLength: Number(row.body_length),
        digest: row.digest,
        signature: row.signature,
      });
      if (!expected.equals(row.record_hash)) problem('record-hash-mismatch', 'the record’s fields do not match its hash');
      if (row.body && !sha256(row.body).equals(row.body_sha256)) problem('body-mismatch', 'the logged body does not match its digest');
      const digest = messageDigestFromHashes(row.kind, sha256(row.header), row.body_sha256);
      if (!digest.equals(row.digest)) problem('digest-mismatch', 'the message digest does not match the logged header and body');
      try {
        const envelope = signatureEnvelopeSchema.parse(JSON.parse(row.signature.toString('utf8')));
        verifyEnvelope({ digest, envelope });
        signaturesVerified += 1;
      } catch (error) {
        problem('signature-invalid', (error as Error).message);
      }
      prev = row.record_hash;
      after = String(row.id);
    }
  }
  return { records, signaturesVerified, problems };
}
