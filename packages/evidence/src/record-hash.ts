// The message log's hash chain (record format v2, docs/protocols/message-log.md). Each record's hash
// covers the previous record's hash and every field that matters as evidence, so removing,
// reordering or changing a record breaks the chain.
//
//   record_hash = SHA-256( "jplink-messagelog/2\n" ‖ prev_hash ‖ SHA-256(fields) )
//   fields      = side 0x00 message_id 0x00 x_road_id 0x00 client 0x00 service 0x00 peer_server 0x00
//                 ‖ message(request) ‖ ( 0x01 ‖ message(response)  |  0x00 when there is no response )
//   message(m)  = SHA-256(header) ‖ body_sha256 ‖ body_length (uint64 BE) ‖ SHA-256(signature)
// The first record of a log has prev_hash = 32 zero bytes.
import { createHash } from 'node:crypto';

export const GENESIS_HASH = Buffer.alloc(32);
export const RECORD_HASH_PREFIX = 'jplink-messagelog/2\n';

export interface HashedMessage {
  /** The exchange HEADER frame payload as signed. */
  header: Uint8Array;
  /** SHA-256 of header when already known (not stored; saves hashing it again). */
  headerSha256?: Uint8Array;
  bodySha256: Uint8Array;
  bodyLength: number;
  /** The stored (compact) signature envelope bytes. */
  signature: Uint8Array;
}

export interface HashedRecord {
  side: string;
  messageId: string;
  xRoadId: string;
  client: string;
  service: string;
  peerServer: string;
  request: HashedMessage;
  response: HashedMessage | null;
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest();

function addMessage(hash: ReturnType<typeof createHash>, m: HashedMessage): void {
  const length = Buffer.allocUnsafe(8);
  length.writeBigUInt64BE(BigInt(m.bodyLength));
  hash.update(m.headerSha256 ?? sha256(m.header)).update(m.bodySha256).update(length).update(sha256(m.signature));
}

const NO_RESPONSE = Buffer.from([0]);
const HAS_RESPONSE = Buffer.from([1]);

export function recordHash(prevHash: Uint8Array, r: HashedRecord): Buffer {
  const inner = createHash('sha256');
  inner.update(`${r.side}\0${r.messageId}\0${r.xRoadId}\0${r.client}\0${r.service}\0${r.peerServer}\0`, 'utf8');
  addMessage(inner, r.request);
  if (r.response) {
    inner.update(HAS_RESPONSE);
    addMessage(inner, r.response);
  } else {
    inner.update(NO_RESPONSE);
  }
  return createHash('sha256').update(RECORD_HASH_PREFIX, 'utf8').update(prevHash).update(inner.digest()).digest();
}
