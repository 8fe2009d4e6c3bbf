// Time-stamping authority (RFC 3161 + RFC 5816). Serial numbers come from blocks reserved in the
// database (hi/lo), so they are unique across restarts without a database write per token.
import { buildPreparedTimeStampResponse, buildTimeStampRejection, parseTimeStampRequest, PkiError, prepareTimeStampSigner } from '@jplink/pki';
import type { CaKeys } from '../ca/authority.ts';

const BLOCK_BITS = 20n;
const SUPPORTED_HASHES = new Map([
  ['2.16.840.1.101.3.4.2.1', 32], // SHA-256
  ['2.16.840.1.101.3.4.2.2', 48], // SHA-384
  ['2.16.840.1.101.3.4.2.3', 64], // SHA-512
]);

export interface TimestamperOptions {
  ca: CaKeys;
  policyOid: string;
  /** Reserves a new block number; each block holds 2^20 serials. */
  nextBlock: () => Promise<bigint>;
  onError?: (error: unknown) => void;
}

export type TsaOutcome = { der: Uint8Array; kind: 'granted' | 'rejected' };

export function createTimestamper(options: TimestamperOptions) {
  // Certificate checks, key match and the fixed DER of the token are done once, not per request.
  const signer = prepareTimeStampSigner({
    certificate: options.ca.tsa.certificate,
    privateKey: options.ca.tsa.privateKey,
    chain: [options.ca.issuing.certificate],
    policy: options.policyOid,
    accuracySeconds: 1,
  });
  let block = -1n;
  let next = 0n;
  let reserving: Promise<void> | undefined;

  async function nextSerial(): Promise<bigint> {
    while (block < 0n || next >= 1n << BLOCK_BITS) {
      reserving ??= options.nextBlock().then(
        (b) => {
          block = b;
          next = 0n;
          reserving = undefined;
        },
        (error) => {
          reserving = undefined;
          throw error;
        },
      );
      await reserving;
    }
    const serial = (block << BLOCK_BITS) | next;
    next += 1n;
    return serial;
  }

  return async function timestamp(requestDer: Uint8Array): Promise<TsaOutcome> {
    let request;
    try {
      request = parseTimeStampRequest(requestDer);
    } catch (error) {
      if (error instanceof PkiError) return { der: buildTimeStampRejection('badDataFormat', 'malformed TimeStampReq'), kind: 'rejected' };
      throw error;
    }
    const length = SUPPORTED_HASHES.get(request.hashAlgorithm);
    if (length === undefined) return { der: buildTimeStampRejection('badAlg', 'unsupported hash algorithm'), kind: 'rejected' };
    if (request.messageImprint.length !== length) {
      return { der: buildTimeStampRejection('badDataFormat', 'message imprint length does not match its hash algorithm'), kind: 'rejected' };
    }
    if (request.policy !== undefined && request.policy !== options.policyOid) {
      return { der: buildTimeStampRejection('unacceptedPolicy', 'unsupported policy'), kind: 'rejected' };
    }
    try {
      const der = buildPreparedTimeStampResponse(signer, { request, serialNumber: await nextSerial(), genTime: new Date() });
      return { der, kind: 'granted' };
    } catch (error) {
      options.onError?.(error);
      return { der: buildTimeStampRejection('systemFailure', 'the TSA could not sign'), kind: 'rejected' };
    }
  };
}
