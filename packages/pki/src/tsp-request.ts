import { randomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';
import { pkijs } from './engine.ts';
import { PkiError } from './errors.ts';
import { bigintToInteger, digest, encode, toArrayBuffer } from './der.ts';
import { HASH_LENGTH, hashOid } from './oids.ts';

export type TimeStampHash = 'sha256' | 'sha384' | 'sha512';

export interface CreateTimeStampRequestOptions {
  /** Data to hash; or give `digest`. */
  data?: Uint8Array;
  /** Precomputed imprint of `hashAlgorithm`. */
  digest?: Uint8Array;
  /** Default sha256. */
  hashAlgorithm?: TimeStampHash;
  /** Default true (random 64-bit nonce). */
  nonce?: boolean;
  /** Default true. */
  certReq?: boolean;
  /** reqPolicy OID. */
  policy?: string;
}

export interface ParsedTimeStampRequest {
  /** OID of the imprint hash algorithm (not checked here; see buildTimeStampResponse). */
  hashAlgorithm: string;
  messageImprint: Buffer;
  nonce?: bigint;
  certReq: boolean;
  policy?: string;
  /** OIDs of request extensions (a TSA that supports none should answer unacceptedExtension). */
  extensions?: string[];
  /** How the hash AlgorithmIdentifier carried parameters; echoed in the TSTInfo. */
  hashAlgorithmParameters?: 'absent' | 'null';
}

export function createTimeStampRequest(opts: CreateTimeStampRequestOptions): { der: Uint8Array; nonce?: bigint } {
  const hash = opts.hashAlgorithm ?? 'sha256';
  if (!(hash in HASH_LENGTH) || hash === ('sha1' as TimeStampHash)) throw new PkiError('PKI_INVALID_ARGUMENT', `unsupported hash ${String(hash)}`);
  let imprint: Uint8Array;
  if (opts.digest) {
    if (opts.data) throw new PkiError('PKI_INVALID_ARGUMENT', 'give either data or digest');
    if (opts.digest.length !== HASH_LENGTH[hash]) throw new PkiError('PKI_INVALID_ARGUMENT', `digest must be ${HASH_LENGTH[hash]} bytes for ${hash}`);
    imprint = opts.digest;
  } else if (opts.data) {
    imprint = digest(hash, opts.data);
  } else {
    throw new PkiError('PKI_INVALID_ARGUMENT', 'data or digest is required');
  }
  let nonce: bigint | undefined;
  if (opts.nonce !== false) {
    nonce = BigInt(`0x${randomBytes(8).toString('hex')}`) || 1n;
  }
  const req = new pkijs.TimeStampReq({
    version: 1,
    messageImprint: new pkijs.MessageImprint({
      hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: hashOid(hash), algorithmParams: new asn1js.Null() }),
      hashedMessage: new asn1js.OctetString({ valueHex: toArrayBuffer(imprint) }),
    }),
  });
  if (opts.policy) req.reqPolicy = opts.policy;
  if (nonce !== undefined) req.nonce = bigintToInteger(nonce);
  if (opts.certReq !== false) req.certReq = true;
  const der = encode(req.toSchema());
  return nonce !== undefined ? { der, nonce } : { der };
}
