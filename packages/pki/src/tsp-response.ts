import type { KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import { pkijs } from './engine.ts';
import { PkiError } from './errors.ts';
import { encode, toArrayBuffer } from './der.ts';
import { createSignerCache } from './signer-cache.ts';
import type { ParsedTimeStampRequest } from './tsp-request.ts';
import { buildPreparedTimeStampResponse, checkTimeStampRequest, prepareTimeStampSigner, type PreparedTimeStampSigner } from './tsp-signer.ts';
import { TIME_STAMP_FAILURE_BITS, type TimeStampFailure } from './tsp-parse.ts';

export interface BuildTimeStampResponseOptions {
  tsa: { certificate: Uint8Array; privateKey: KeyObject; chain?: Uint8Array[] };
  request: ParsedTimeStampRequest;
  /** Unique per token, positive, at most 160 bits. */
  serialNumber: bigint;
  genTime: Date;
  /** TSA policy OID. */
  policy: string;
  /** Accuracy of genTime; fractions become millis. */
  accuracySeconds?: number;
}

const signers = createSignerCache<PreparedTimeStampSigner>();

/**
 * Granted TimeStampResp: TSTInfo v1 (policy, copied messageImprint, serial,
 * genTime, accuracy, echoed nonce) in SignedData with eContentType
 * id-ct-TSTInfo and signed attributes contentType, messageDigest,
 * signingTime and ESS SigningCertificateV2. Certificates (TSA + chain) are
 * included when the request set certReq.
 * Throws PKI_TSP_UNSUPPORTED_ALGORITHM (hash not SHA-256/384/512 or wrong
 * imprint length), PKI_TSP_UNACCEPTED_POLICY (reqPolicy ≠ policy) and
 * PKI_CERT_USAGE (TSA certificate without sole, critical timeStamping EKU).
 * For many tokens from the same TSA, prepareTimeStampSigner once and use
 * buildPreparedTimeStampResponse (this function does so, reusing a prepared
 * signer while certificate, key, chain, policy and accuracy are the same).
 */
export async function buildTimeStampResponse(opts: BuildTimeStampResponseOptions): Promise<Uint8Array> {
  checkTimeStampRequest(opts.request, opts.policy, opts.serialNumber);
  const { certificate, privateKey } = opts.tsa;
  const chain = opts.tsa.chain ?? [];
  const signer = signers.get(privateKey, [certificate, opts.policy, opts.accuracySeconds, ...chain], () =>
    prepareTimeStampSigner({ certificate, privateKey, chain, policy: opts.policy, ...(opts.accuracySeconds !== undefined ? { accuracySeconds: opts.accuracySeconds } : {}) }),
  );
  return buildPreparedTimeStampResponse(signer, { request: opts.request, serialNumber: opts.serialNumber, genTime: opts.genTime });
}

/** PKIFailureInfo as a DER named BIT STRING with exactly one bit set (trailing zero bits dropped). */
function failureBits(failure: TimeStampFailure): asn1js.BitString {
  const bit = TIME_STAMP_FAILURE_BITS[failure];
  if (bit === undefined) throw new PkiError('PKI_INVALID_ARGUMENT', `unknown failure ${String(failure)}`);
  const bytes = new Uint8Array((bit >> 3) + 1);
  bytes[bit >> 3] = 0x80 >> (bit & 7);
  return new asn1js.BitString({ valueHex: toArrayBuffer(bytes), unusedBits: 7 - (bit & 7) });
}

/** TimeStampResp with PKIStatus rejection(2), optional statusString and failInfo. */
export function buildTimeStampRejection(failInfo: TimeStampFailure, text?: string): Uint8Array {
  const status = new pkijs.PKIStatusInfo({ status: 2, failInfo: failureBits(failInfo) });
  if (text) status.statusStrings = [new asn1js.Utf8String({ value: text })];
  return encode(new pkijs.TimeStampResp({ status }).toSchema());
}
