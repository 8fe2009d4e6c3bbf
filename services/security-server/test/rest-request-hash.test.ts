// X-Road-Request-Hash: known answers computed independently with `openssl dgst -sha512 -binary`.
import { readFile, rm } from 'node:fs/promises';
import { openssl, tempDir } from '@jplink/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { computeRequestHash, createRequestHasher, requestHashHeaders, serializeRequestHeaderPart } from '../src/rest/request-hash.ts';

const dir = await tempDir('jplink-request-hash-');
afterAll(() => rm(dir.dir, { recursive: true, force: true }));

async function sha512File(name: string, content: Uint8Array): Promise<Buffer> {
  const input = await dir.file(`${name}.in`, content);
  const output = await dir.file(`${name}.sha512`);
  const result = await openssl(['dgst', '-sha512', '-binary', '-out', output, input]);
  expect(result.code, result.output).toBe(0);
  return readFile(output);
}

const url = '/r1/JP/GOV/2222/juminhyo/getAddress/persons/%E4%BD%8F%E6%89%80?lang=ja';
const headers: Array<[string, string]> = [
  ['content-type', 'application/json'],
  ['x-road-client', 'JP/COM/1111/client-app'],
  ['x-road-request-id', '6f1f2f4e-8d8a-4e55-9a3c-2d7c1f0f7d11'],
  ['x-road-id', 'JP-0b4e0f6c'],
];
// Written out by hand, not by the code under test: "VERB\r\nURL\r\n" then "name:value\r\n" per header.
const headerPart = Buffer.from(
  'POST\r\n' +
    '/r1/JP/GOV/2222/juminhyo/getAddress/persons/%E4%BD%8F%E6%89%80?lang=ja\r\n' +
    'content-type:application/json\r\n' +
    'x-road-client:JP/COM/1111/client-app\r\n' +
    'x-road-request-id:6f1f2f4e-8d8a-4e55-9a3c-2d7c1f0f7d11\r\n' +
    'x-road-id:JP-0b4e0f6c\r\n',
  'utf8',
);
const body = Buffer.from(JSON.stringify({ name: '山田太郎', address: '東京都千代田区' }), 'utf8');

describe('X-Road-Request-Hash', () => {
  it('serialises the header part exactly', () => {
    expect(serializeRequestHeaderPart({ method: 'POST', url, headers }).equals(headerPart)).toBe(true);
  });

  it('without a body is base64(SHA-512(headerPart)) (openssl known answer)', async () => {
    const expected = (await sha512File('nobody', headerPart)).toString('base64');
    expect(computeRequestHash({ method: 'POST', url, headers })).toBe(expected);
    expect(computeRequestHash({ method: 'POST', url, headers, body: new Uint8Array(0) })).toBe(expected);
    expect(computeRequestHash({ method: 'POST', url, headers, body: [] })).toBe(expected);
  });

  it('with a body is base64(SHA-512(SHA-512(headerPart) ‖ SHA-512(body))) (openssl known answer)', async () => {
    const headerDigest = await sha512File('header', headerPart);
    const bodyDigest = await sha512File('body', body);
    const expected = (await sha512File('combined', Buffer.concat([headerDigest, bodyDigest]))).toString('base64');
    expect(computeRequestHash({ method: 'POST', url, headers, body })).toBe(expected);
  });

  it('streaming equals one-shot, whatever the chunking', () => {
    const oneShot = computeRequestHash({ method: 'POST', url, headers, body });
    const hasher = createRequestHasher({ method: 'POST', url, headers });
    hasher.update(new Uint8Array(0));
    for (let offset = 0; offset < body.length; offset += 7) hasher.update(body.subarray(offset, offset + 7));
    expect(hasher.bodyLength).toBe(body.length);
    expect(hasher.digest()).toBe(oneShot);
    expect(computeRequestHash({ method: 'POST', url, headers, body: [body.subarray(0, 3), body.subarray(3)] })).toBe(oneShot);
    expect(() => hasher.digest()).toThrow();
  });

  it('changes with any header, the URL or the body', () => {
    const base = computeRequestHash({ method: 'POST', url, headers, body });
    expect(computeRequestHash({ method: 'PUT', url, headers, body })).not.toBe(base);
    expect(computeRequestHash({ method: 'POST', url: `${url}&x=1`, headers, body })).not.toBe(base);
    expect(computeRequestHash({ method: 'POST', url, headers: headers.slice(1), body })).not.toBe(base);
    expect(computeRequestHash({ method: 'POST', url, headers, body: Buffer.concat([body, Buffer.from(' ')]) })).not.toBe(base);
  });

  it('hashes the forwarded headers plus X-Road-Request-Id, and X-Road-Id when the client sent none', () => {
    const forwarded: Array<[string, string]> = [
      ['accept', 'application/json'],
      ['x-road-client', 'JP/COM/1111/client-app'],
      ['x-road-request-id', 'forged'],
    ];
    expect(requestHashHeaders(forwarded, { requestId: 'rid', xRoadId: 'generated' })).toEqual([
      ['accept', 'application/json'],
      ['x-road-client', 'JP/COM/1111/client-app'],
      ['x-road-request-id', 'rid'],
      ['x-road-id', 'generated'],
    ]);
    const withId: Array<[string, string]> = [['x-road-id', 'from-client'], ['accept', '*/*']];
    expect(requestHashHeaders(withId, { requestId: 'rid', xRoadId: 'from-client' })).toEqual([
      ['x-road-id', 'from-client'],
      ['accept', '*/*'],
      ['x-road-request-id', 'rid'],
    ]);
  });
});
