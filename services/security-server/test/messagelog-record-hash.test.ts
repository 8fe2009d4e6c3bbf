// recordHash must give the documented bytes (docs/protocols/message-log.md, format v2) whether or
// not the headers' SHA-256 is passed in, with and without a response.
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, recordHash, type HashedMessage, type HashedRecord } from '@jplink/evidence';

const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest();

/** The chain formula of docs/protocols/message-log.md, written out field by field. */
function reference(prev: Uint8Array, r: HashedRecord): Buffer {
  const message = (m: HashedMessage) => {
    const length = Buffer.alloc(8);
    length.writeBigUInt64BE(BigInt(m.bodyLength));
    return Buffer.concat([sha256(m.header), m.bodySha256, length, sha256(m.signature)]);
  };
  const inner = createHash('sha256');
  for (const text of [r.side, r.messageId, r.xRoadId, r.client, r.service, r.peerServer]) inner.update(text, 'utf8').update(Buffer.from([0]));
  inner.update(message(r.request));
  if (r.response) inner.update(Buffer.from([1])).update(message(r.response));
  else inner.update(Buffer.from([0]));
  return createHash('sha256').update('jplink-messagelog/2\n', 'utf8').update(prev).update(inner.digest()).digest();
}

describe('recordHash', () => {
  const request: HashedMessage = { header: Buffer.from('{"kind":"request"}'), bodySha256: sha256('body'), bodyLength: 4, signature: Buffer.from('{"algorithm":"ES256"}') };
  const response: HashedMessage = { header: Buffer.from('{"kind":"response"}'), bodySha256: sha256(''), bodyLength: 0, signature: Buffer.from('{"algorithm":"RS256"}') };
  const record: HashedRecord = {
    side: 'client',
    messageId: 'c0ffee00-0000-4000-8000-000000000000',
    xRoadId: 'x-ロード\ud800',
    client: 'JP/COM/1/app',
    service: 'JP/GOV/2/svc/echo',
    peerServer: 'JP/GOV/2/ss1',
    request,
    response,
  };

  it('matches the documented formula, with and without headerSha256', () => {
    const prev = randomBytes(32);
    expect(recordHash(prev, record)).toEqual(reference(prev, record));
    expect(recordHash(prev, { ...record, request: { ...request, headerSha256: sha256(request.header) }, response: { ...response, headerSha256: sha256(response.header) } })).toEqual(reference(prev, record));
    expect(recordHash(GENESIS_HASH, record)).toEqual(reference(GENESIS_HASH, record));
  });

  it('distinguishes a record without a response, and a changed field', () => {
    const prev = randomBytes(32);
    const without = { ...record, response: null };
    expect(recordHash(prev, without)).toEqual(reference(prev, without));
    expect(recordHash(prev, without)).not.toEqual(recordHash(prev, record));
    expect(recordHash(prev, { ...record, peerServer: 'JP/GOV/2/ss2' })).not.toEqual(recordHash(prev, record));
    expect(recordHash(prev, { ...record, response: { ...response, bodyLength: 1 } })).not.toEqual(recordHash(prev, record));
  });
});
