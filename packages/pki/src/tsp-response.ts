import type { KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import { pkijs } from './engine.ts';
import { PkiError } from './errors.ts';
import { bigintToInteger, bytesEqual, encode, parseAsn1, toArrayBuffer, toDer } from './der.ts';
import { buildSignedData } from './cms-core.ts';
import { signingCertificateV2Attribute } from './ess.ts';
import { HASH_LENGTH, OID, hashNameOf } from './oids.ts';
import { parseCertificate } from './parse-certificate.ts';
import type { ParsedTimeStampRequest } from './tsp-request.ts';
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

function accuracyOf(seconds: number): InstanceType<typeof pkijs.Accuracy> {
  if (!(seconds > 0) || !Number.isFinite(seconds)) throw new PkiError('PKI_INVALID_ARGUMENT', 'accuracySeconds must be positive');
  const whole = Math.floor(seconds);
  const millis = Math.round((seconds - whole) * 1000);
  const acc = new pkijs.Accuracy();
  if (whole > 0) acc.seconds = whole;
  if (millis > 0) acc.millis = millis;
  return acc;
}

/**
 * Granted TimeStampResp: TSTInfo v1 (policy, copied messageImprint, serial,
 * genTime, accuracy, echoed nonce) in SignedData with eContentType
 * id-ct-TSTInfo and signed attributes contentType, messageDigest,
 * signingTime and ESS SigningCertificateV2. Certificates (TSA + chain) are
 * included when the request set certReq.
 * Throws PKI_TSP_UNSUPPORTED_ALGORITHM (hash not SHA-256/384/512 or wrong
 * imprint length), PKI_TSP_UNACCEPTED_POLICY (reqPolicy ≠ policy) and
 * PKI_CERT_USAGE (TSA certificate without sole, critical timeStamping EKU).
 */
export async function buildTimeStampResponse(opts: BuildTimeStampResponseOptions): Promise<Uint8Array> {
  const { request } = opts;
  const hash = hashNameOf(request.hashAlgorithm);
  if (!hash || hash === 'sha1') throw new PkiError('PKI_TSP_UNSUPPORTED_ALGORITHM', `unsupported hash algorithm ${request.hashAlgorithm}`);
  if (request.messageImprint.length !== HASH_LENGTH[hash]) throw new PkiError('PKI_TSP_UNSUPPORTED_ALGORITHM', 'imprint length does not match the hash algorithm');
  if (request.policy !== undefined && request.policy !== opts.policy) throw new PkiError('PKI_TSP_UNACCEPTED_POLICY', `policy ${request.policy} is not served`);
  if (opts.serialNumber <= 0n || opts.serialNumber >= 1n << 160n) throw new PkiError('PKI_INVALID_ARGUMENT', 'serialNumber must be positive and at most 160 bits');
  const tsaDer = toDer(opts.tsa.certificate);
  const tsaCert = parseCertificate(tsaDer);
  if (tsaCert.extendedKeyUsage.length !== 1 || tsaCert.extendedKeyUsage[0] !== 'timeStamping' || !tsaCert.extendedKeyUsageCritical) {
    throw new PkiError('PKI_CERT_USAGE', 'TSA certificate must have timeStamping as its only, critical EKU');
  }

  const tst = new pkijs.TSTInfo({
    version: 1,
    policy: opts.policy,
    messageImprint: new pkijs.MessageImprint({
      hashAlgorithm: request.hashAlgorithmParameters === 'absent'
        ? new pkijs.AlgorithmIdentifier({ algorithmId: request.hashAlgorithm })
        : new pkijs.AlgorithmIdentifier({ algorithmId: request.hashAlgorithm, algorithmParams: new asn1js.Null() }),
      hashedMessage: new asn1js.OctetString({ valueHex: toArrayBuffer(request.messageImprint) }),
    }),
    serialNumber: bigintToInteger(opts.serialNumber),
    genTime: opts.genTime,
  });
  if (opts.accuracySeconds !== undefined) tst.accuracy = accuracyOf(opts.accuracySeconds);
  if (request.nonce !== undefined) tst.nonce = bigintToInteger(request.nonce);
  const tstDer = encode(tst.toSchema());

  const chain = (opts.tsa.chain ?? []).map((c) => toDer(c)).filter((c) => !bytesEqual(c, tsaDer));
  const token = buildSignedData({
    eContentType: OID.tstInfo,
    eContent: tstDer,
    content: tstDer,
    signer: { certificate: tsaDer, privateKey: opts.tsa.privateKey },
    certificates: request.certReq ? [tsaDer, ...chain] : [],
    signingTime: opts.genTime,
    extraSignedAttributes: [signingCertificateV2Attribute(tsaDer)],
  });
  const resp = new pkijs.TimeStampResp({
    status: new pkijs.PKIStatusInfo({ status: 0 }),
    timeStampToken: new pkijs.ContentInfo({ schema: parseAsn1(token, 'PKI_TSP_MALFORMED_RESPONSE', 'token') }),
  });
  return encode(resp.toSchema());
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
