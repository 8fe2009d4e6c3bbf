// Walks the message log in chain order and checks, for every record: the hash chain link, the
// record hash, each message's digest against the logged header and body (or body digest), and each
// signature envelope over that digest (with the signer certificate and OCSP response from
// log_certificates). Reports every problem with the record id; stops nothing.
import { createHash } from 'node:crypto';
import { GENESIS_HASH, expandEnvelope, parseStoredEnvelope, recordHash, type StoredEnvelope } from '@jplink/evidence';
import { messageDigestFromHashes, verifyEnvelope } from '@jplink/exchange';
import type { SecurityServerDb } from '../db/database.ts';
import { logCertificates, logRecordsAfter, storedRecordOf } from '../db/message-log.ts';

export interface LogProblem {
  id: string;
  messageId: string;
  problem: 'chain-broken' | 'record-hash-mismatch' | 'body-mismatch' | 'signature-invalid';
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
  const certificates = new Map<string, Buffer>();
  for (;;) {
    const page = await logRecordsAfter(db, after, pageSize);
    if (page.length === 0) break;
    // Parse the stored envelopes of the page and load the certificates they name.
    const stored = new Map<string, StoredEnvelope | Error>();
    const wanted = new Set<string>();
    for (const row of page) {
      for (const bytes of [row.request_signature, row.response_signature]) {
        if (!bytes) continue;
        const key = bytes.toString('base64');
        if (stored.has(key)) continue;
        try {
          const envelope = parseStoredEnvelope(bytes);
          stored.set(key, envelope);
          for (const h of [envelope.signerCertificateSha256, envelope.signerOcspSha256]) if (!certificates.has(h)) wanted.add(h);
        } catch (error) {
          stored.set(key, error as Error);
        }
      }
    }
    for (const [h, { der }] of await logCertificates(db, [...wanted].map((h) => Buffer.from(h, 'base64')))) certificates.set(h, der);

    for (const row of page) {
      records += 1;
      const problem = (kind: LogProblem['problem'], detail: string) => problems.push({ id: String(row.id), messageId: row.message_id, problem: kind, detail });
      if (!row.prev_hash.equals(prev)) problem('chain-broken', 'prev_hash is not the previous record’s hash (a record was removed, inserted or reordered)');
      const record = storedRecordOf(row);
      const { request, response } = record;
      const expected = recordHash(row.prev_hash, record);
      if (!expected.equals(row.record_hash)) problem('record-hash-mismatch', 'the record’s fields do not match its hash');
      for (const [kind, m] of [['request', request], ['response', response]] as const) {
        if (!m) continue;
        if (m.body && (!sha256(m.body).equals(m.bodySha256) || m.body.length !== m.bodyLength)) problem('body-mismatch', `the logged ${kind} body does not match its digest`);
        const digest = messageDigestFromHashes(kind, sha256(m.header), m.bodySha256);
        const envelope = stored.get(Buffer.from(m.signature).toString('base64'));
        try {
          if (envelope instanceof Error || envelope === undefined) throw envelope ?? new Error('no signature');
          const certificate = certificates.get(envelope.signerCertificateSha256);
          const ocsp = certificates.get(envelope.signerOcspSha256);
          if (!certificate || !ocsp) throw new Error('the signer certificate or its OCSP response is not in log_certificates');
          verifyEnvelope({ digest, envelope: expandEnvelope(envelope, certificate, ocsp) });
          signaturesVerified += 1;
        } catch (error) {
          problem('signature-invalid', `${kind}: ${(error as Error).message}`);
        }
      }
      prev = row.record_hash;
      after = String(row.id);
    }
  }
  return { records, signaturesVerified, problems };
}
