// evidence.md §4 step 5: the timestamps of one file. Each token of timestamps.json is verified
// once (imprint = SHA-256("jplink-log-timestamp/1\n" ‖ treeRoot), signature by a TSA certificate
// that chains to a given root CA, genTime as listed); each record's proof leads to its tree root.
import { ExchangeError, rootFromProof } from '@jplink/exchange';
import { isPkiError, verifyTimeStampToken } from '@jplink/pki';
import { TIMESTAMP_CLOCK_TOLERANCE_MS, timestampImprint, type RecordLine, type TimestampEntry } from './format.ts';
import type { ProblemCode } from './report.ts';

const SHA256_OID = '2.16.840.1.101.3.4.2.1';

export interface TimestampFinding {
  code: ProblemCode;
  message: string;
}

interface Verified {
  entry: TimestampEntry;
  treeRoot: Buffer;
  /** genTime of a token that verified; undefined when it did not. */
  genTime?: Date;
}

/** Verifies every token of timestamps.json; `report` is called for each one that fails. */
export async function verifyTimestampTokens(
  entries: readonly TimestampEntry[],
  trust: { roots: Uint8Array[]; intermediates: Uint8Array[] },
  report: (timestampId: string, finding: TimestampFinding) => void,
): Promise<Map<string, Verified>> {
  const out = new Map<string, Verified>();
  for (const entry of entries) {
    const treeRoot = Buffer.from(entry.treeRoot, 'base64');
    const verified: Verified = { entry, treeRoot };
    out.set(entry.id, verified);
    let result;
    try {
      result = await verifyTimeStampToken({ token: Buffer.from(entry.token, 'base64'), digest: timestampImprint(treeRoot), trustAnchors: trust.roots, intermediates: trust.intermediates });
    } catch (error) {
      if (isPkiError(error, 'PKI_TSP_IMPRINT_MISMATCH')) {
        report(entry.id, { code: 'timestamp-mismatch', message: 'the token stamps other data than this timestamp’s tree root (its imprint is not SHA-256("jplink-log-timestamp/1\\n" ‖ treeRoot))' });
      } else {
        report(entry.id, { code: 'timestamp-invalid', message: `the token does not verify: ${(error as Error).message}` });
      }
      continue;
    }
    if (result.hashAlgorithm !== SHA256_OID) {
      report(entry.id, { code: 'timestamp-invalid', message: `the token's imprint uses hash ${result.hashAlgorithm}, not SHA-256` });
      continue;
    }
    if (result.genTime.getTime() !== Date.parse(entry.genTime)) {
      report(entry.id, { code: 'timestamp-invalid', message: `genTime ${entry.genTime} differs from the token's ${result.genTime.toISOString()}` });
      continue;
    }
    verified.genTime = result.genTime;
  }
  return out;
}

/**
 * The timestamp checks of one record with a timestamp proof: the timestamp is in the file, the
 * proof fits it (record id in its range, tree size, first and last leaf) and leads from the
 * record hash to its root, and the record was logged before genTime (with clock tolerance).
 */
export function checkRecordTimestamp(record: RecordLine, timestamps: ReadonlyMap<string, Verified>): TimestampFinding[] {
  const proof = record.timestamp;
  if (!proof) return [];
  const stamp = timestamps.get(proof.id);
  if (!stamp) return [{ code: 'timestamp-missing', message: `the record names timestamp ${proof.id}, which timestamps.json does not hold` }];
  const { entry } = stamp;
  const id = BigInt(record.id);
  const findings: TimestampFinding[] = [];
  const mismatch = (message: string) => findings.push({ code: 'timestamp-mismatch', message });
  if (id < BigInt(entry.firstRecordId) || id > BigInt(entry.lastRecordId)) mismatch(`the record is outside timestamp ${entry.id}'s range ${entry.firstRecordId}..${entry.lastRecordId}`);
  if (proof.treeSize !== entry.recordCount) mismatch(`the proof's treeSize ${proof.treeSize} is not timestamp ${entry.id}'s recordCount ${entry.recordCount}`);
  if (proof.leafIndex === 0 && record.id !== entry.firstRecordId) mismatch(`leaf 0 of timestamp ${entry.id} is record ${entry.firstRecordId}, not this one`);
  if (proof.leafIndex === proof.treeSize - 1 && record.id !== entry.lastRecordId) mismatch(`the last leaf of timestamp ${entry.id} is record ${entry.lastRecordId}, not this one`);
  try {
    const root = rootFromProof(Buffer.from(record.recordHash, 'base64'), proof.leafIndex, proof.treeSize, proof.proof.map((p) => Buffer.from(p, 'base64')));
    if (!root.equals(stamp.treeRoot)) mismatch(`the proof does not lead from the record hash to timestamp ${entry.id}'s tree root`);
  } catch (error) {
    if (!(error instanceof ExchangeError)) throw error;
    mismatch(`the proof does not fit leaf ${proof.leafIndex} of a tree of ${proof.treeSize}: ${error.message}`);
  }
  if (stamp.genTime && stamp.genTime.getTime() < Date.parse(record.loggedAt) - TIMESTAMP_CLOCK_TOLERANCE_MS) {
    mismatch(`timestamp ${entry.id}'s genTime ${stamp.genTime.toISOString()} is more than 5 minutes before the record's loggedAt ${record.loggedAt}`);
  }
  return findings;
}
