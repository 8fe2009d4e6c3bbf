// Test fixtures: self-signed jp-link-v1 sign certificates, sample headers and chunked sources.
import { randomUUID, type KeyObject } from 'node:crypto';
import { generateKeyPair, issueCertificate, type KeyAlgorithm } from '@jplink/pki';
import { createBatchSigner, type BatchSigner } from '../../src/index.ts';

export interface SignKey {
  alg: KeyAlgorithm;
  privateKey: KeyObject;
  publicKey: KeyObject;
  certificate: Uint8Array;
}

const DAY = 86_400_000;
/** Stands in for a DER OCSP response (verifyEnvelope does not read it). */
export const FAKE_OCSP = Buffer.from('30030a0100', 'hex');

export async function makeSignKey(alg: KeyAlgorithm, memberCode = '1234567890123'): Promise<SignKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  const now = Date.now();
  const certificate = await issueCertificate({
    subject: [['C', 'JP'], ['O', 'JP-TEST'], ['OU', 'COM'], ['CN', memberCode]],
    publicKey,
    selfSignedPrivateKey: privateKey,
    serialNumber: BigInt(now),
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 365 * DAY),
    profile: 'sign',
  });
  return { alg, privateKey, publicKey, certificate };
}

export function signerFor(key: SignKey, maxBatch?: number): BatchSigner {
  return createBatchSigner({ privateKey: key.privateKey, certificate: key.certificate, ocsp: () => FAKE_OCSP, ...(maxBatch ? { maxBatch } : {}) });
}

export function requestHeader(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    protocol: 'jpx/1',
    kind: 'request',
    messageId: randomUUID(),
    xRoadId: `JP-TEST-${randomUUID()}`,
    createdAt: new Date().toISOString(),
    senderServer: 'JP-TEST/COM/1234567890123/ss1',
    targetServer: 'JP-TEST/GOV/0000000000001/ss1',
    client: 'JP-TEST/COM/1234567890123/app',
    service: 'JP-TEST/GOV/0000000000001/juminhyo/getCertificate',
    method: 'POST',
    path: '/v1/requests/%E4%BD%8F%E6%B0%91',
    query: 'lang=ja&q=%E6%9D%B1%E4%BA%AC',
    headers: [['content-type', 'application/json; charset=utf-8'], ['accept', 'application/json'], ['x-note', 'テスト']],
    userId: '山田太郎',
    issue: '住民票の写し請求 #42',
    representedParty: 'COM/1234567890123',
    ...overrides,
  };
}

export function responseHeader(requestDigest: Buffer, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    protocol: 'jpx/1',
    kind: 'response',
    messageId: randomUUID(),
    requestDigest: requestDigest.toString('base64'),
    createdAt: new Date().toISOString(),
    senderServer: 'JP-TEST/GOV/0000000000001/ss1',
    status: 200,
    headers: [['content-type', 'application/json']],
    requestHash: 'n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=',
    ...overrides,
  };
}

/** Deterministic PRNG (mulberry32) so random splits are reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The bytes as an async source cut at the given chunk sizes (the last chunk takes the rest). */
export async function* chunked(bytes: Uint8Array, next: () => number): AsyncGenerator<Uint8Array> {
  let offset = 0;
  while (offset < bytes.length) {
    const size = Math.max(1, Math.min(bytes.length - offset, next()));
    // Alternate Buffer and plain Uint8Array chunks.
    const part = bytes.slice(offset, offset + size);
    yield offset % 2 ? new Uint8Array(part) : Buffer.from(part);
    offset += size;
  }
}

export function oneChunk(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  return chunked(bytes, () => bytes.length);
}
