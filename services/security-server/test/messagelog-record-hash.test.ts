// recordHash must give the documented bytes whether or not the header's SHA-256 is passed in.
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, recordHash, type HashedFields } from '../src/messagelog/record-hash.ts';

const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest();

/** The chain formula of docs/protocols/message-log.md, written out field by field. */
function reference(prev: Uint8Array, f: HashedFields): Buffer {
  const length = Buffer.alloc(8);
  length.writeBigUInt64BE(BigInt(f.bodyLength));
  const inner = createHash('sha256');
  for (const text of [f.side, f.kind, f.messageId, f.xRoadId, f.client, f.service, f.peerServer]) inner.update(text, 'utf8').update(Buffer.from([0]));
  inner.update(sha256(f.header)).update(f.bodySha256).update(length).update(f.digest).update(sha256(f.signature));
  return createHash('sha256').update('jplink-messagelog/1\n', 'utf8').update(prev).update(inner.digest()).digest();
}

describe('recordHash', () => {
  it('matches the documented formula, with and without headerSha256', () => {
    const header = Buffer.from('{"kind":"request"}');
    const fields: HashedFields = {
      side: 'client',
      kind: 'request',
      messageId: 'c0ffee00-0000-4000-8000-000000000000',
      xRoadId: 'x-ロード\ud800',
      client: 'JP/COM/1/app',
      service: 'JP/GOV/2/svc/echo',
      peerServer: 'JP/GOV/2/ss1',
      header,
      bodySha256: sha256('body'),
      bodyLength: 4,
      digest: randomBytes(32),
      signature: Buffer.from('{"algorithm":"ES256"}'),
    };
    const prev = randomBytes(32);
    expect(recordHash(prev, fields)).toEqual(reference(prev, fields));
    expect(recordHash(prev, { ...fields, headerSha256: sha256(header) })).toEqual(reference(prev, fields));
    expect(recordHash(GENESIS_HASH, fields)).toEqual(reference(GENESIS_HASH, fields));
  });
});
