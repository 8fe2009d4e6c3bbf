// The message log's hash chain. Each record's hash covers the previous record's hash and every
// field that matters as evidence, so removing, reordering or changing a record breaks the chain.
//
//   record_hash = SHA-256( "jplink-messagelog/1\n" ‖ prev_hash ‖ SHA-256(fields) )
//   fields      = side ‖ 0x00 ‖ kind ‖ 0x00 ‖ message_id ‖ 0x00 ‖ x_road_id ‖ 0x00 ‖ client ‖ 0x00 ‖
//                 service ‖ 0x00 ‖ peer_server ‖ 0x00 ‖ SHA-256(header) ‖ body_sha256 ‖
//                 body_length (8 bytes BE) ‖ digest ‖ SHA-256(signature)
// The first record of a log has prev_hash = 32 zero bytes. Documented in docs/protocols/message-log.md.
import { createHash } from 'node:crypto';

export const GENESIS_HASH = Buffer.alloc(32);

export interface HashedFields {
  side: string;
  kind: string;
  messageId: string;
  xRoadId: string;
  client: string;
  service: string;
  peerServer: string;
  header: Uint8Array;
  bodySha256: Uint8Array;
  bodyLength: number;
  digest: Uint8Array;
  signature: Uint8Array;
  /** SHA-256 of header when already known (not stored; saves hashing it again). */
  headerSha256?: Uint8Array;
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest();

export function recordHash(prevHash: Uint8Array, fields: HashedFields): Buffer {
  const length = Buffer.alloc(8);
  length.writeBigUInt64BE(BigInt(fields.bodyLength));
  const inner = createHash('sha256');
  // The seven texts, each followed by 0x00, in one update (the same bytes as one update per text and separator).
  inner.update(`${fields.side}\0${fields.kind}\0${fields.messageId}\0${fields.xRoadId}\0${fields.client}\0${fields.service}\0${fields.peerServer}\0`, 'utf8');
  inner.update(fields.headerSha256 ?? sha256(fields.header)).update(fields.bodySha256).update(length).update(fields.digest).update(sha256(fields.signature));
  return createHash('sha256').update('jplink-messagelog/1\n', 'utf8').update(prevHash).update(inner.digest()).digest();
}
