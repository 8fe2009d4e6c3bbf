import * as asn1js from 'asn1js';
import { pkijs } from './engine.ts';
import { PkiError } from './errors.ts';
import { encode, integerToBigint, parseAsn1, toDer } from './der.ts';
import { TAG, tryReadTlv } from './der-reader.ts';

export type TimeStampFailure =
  | 'badAlg'
  | 'badRequest'
  | 'badDataFormat'
  | 'timeNotAvailable'
  | 'unacceptedPolicy'
  | 'unacceptedExtension'
  | 'addInfoNotAvailable'
  | 'systemFailure';

/** PKIFailureInfo bit numbers (RFC 3161 §2.4.2). */
export const TIME_STAMP_FAILURE_BITS: Readonly<Record<TimeStampFailure, number>> = {
  badAlg: 0,
  badRequest: 2,
  badDataFormat: 5,
  timeNotAvailable: 14,
  unacceptedPolicy: 15,
  unacceptedExtension: 16,
  addInfoNotAvailable: 17,
  systemFailure: 25,
};

export type TimeStampStatus = 'granted' | 'grantedWithMods' | 'rejection' | 'waiting' | 'revocationWarning' | 'revocationNotification';
const STATUS_NAMES: TimeStampStatus[] = ['granted', 'grantedWithMods', 'rejection', 'waiting', 'revocationWarning', 'revocationNotification'];

export interface ParsedTstInfo {
  version: number;
  policy: string;
  /** OID */
  hashAlgorithm: string;
  messageImprint: Buffer;
  serialNumber: bigint;
  genTime: Date;
  accuracy?: { seconds?: number; millis?: number; micros?: number };
  ordering: boolean;
  nonce?: bigint;
  der: Uint8Array;
}

export interface ParsedTimeStampResponse {
  status: TimeStampStatus;
  statusCode: number;
  statusText?: string[];
  failInfo?: TimeStampFailure[];
  /** ContentInfo DER of the token, when granted. */
  token?: Uint8Array;
}

function malformed(why: string, cause?: unknown): PkiError {
  return new PkiError('PKI_TSP_MALFORMED_RESPONSE', `time-stamp response: ${why}`, cause === undefined ? undefined : { cause });
}

function bitSet(bits: Uint8Array, n: number): boolean {
  const byte = bits[n >> 3];
  return byte !== undefined && (byte & (0x80 >> (n & 7))) !== 0;
}

export function parseTimeStampResponse(der: Uint8Array): ParsedTimeStampResponse {
  const schema = parseAsn1(toDer(der), 'PKI_TSP_MALFORMED_RESPONSE', 'TimeStampResp');
  let resp: InstanceType<typeof pkijs.TimeStampResp>;
  try {
    resp = new pkijs.TimeStampResp({ schema });
  } catch (cause) {
    throw malformed('not a TimeStampResp', cause);
  }
  const statusCode = resp.status.status as number;
  const status = STATUS_NAMES[statusCode];
  if (!status) throw malformed(`unknown status ${statusCode}`);
  const out: ParsedTimeStampResponse = { status, statusCode };
  if (resp.status.statusStrings?.length) out.statusText = resp.status.statusStrings.map((s) => s.valueBlock.value);
  if (resp.status.failInfo) {
    const bits = new Uint8Array(resp.status.failInfo.valueBlock.valueHexView);
    out.failInfo = (Object.keys(TIME_STAMP_FAILURE_BITS) as TimeStampFailure[]).filter((k) => bitSet(bits, TIME_STAMP_FAILURE_BITS[k]));
  }
  if (resp.timeStampToken) out.token = encode(resp.timeStampToken.toSchema());
  if ((status === 'granted' || status === 'grantedWithMods') && !out.token) throw malformed('granted without a token');
  return out;
}

/**
 * The token's bytes exactly as the TSA sent them, found by walking the DER headers of a granted
 * response (status 0 or 1 and a ContentInfo after it); undefined for anything else, which the full
 * parse then words. Parsing the whole response with asn1js only to re-encode the token cost a
 * Security Server about 6 ms per timestamp (docs/performance.md).
 */
function grantedTokenBytes(der: Uint8Array): Uint8Array | undefined {
  const top = tryReadTlv(der, 0, der.length);
  if (top?.tag !== TAG.sequence || top.end !== der.length) return undefined;
  const status = tryReadTlv(der, top.contentStart, top.end);
  if (status?.tag !== TAG.sequence) return undefined;
  const code = tryReadTlv(der, status.contentStart, status.end);
  if (code?.tag !== TAG.integer || code.end - code.contentStart !== 1 || der[code.contentStart]! > 1) return undefined;
  const token = tryReadTlv(der, status.end, top.end);
  if (token?.tag !== TAG.sequence || token.end !== top.end) return undefined;
  if (tryReadTlv(der, token.contentStart, token.end)?.tag !== TAG.oid) return undefined;
  return der.slice(token.start, token.end);
}

/** The TimeStampToken (ContentInfo DER) of a granted response; otherwise PKI_TSP_REJECTED. */
export function extractTimeStampToken(responseDer: Uint8Array): Uint8Array {
  const fast = grantedTokenBytes(toDer(responseDer));
  if (fast) return fast;
  const parsed = parseTimeStampResponse(responseDer);
  if (!parsed.token || (parsed.status !== 'granted' && parsed.status !== 'grantedWithMods')) {
    const why = [parsed.status, ...(parsed.failInfo ?? []), ...(parsed.statusText ?? [])].join(', ');
    throw new PkiError('PKI_TSP_REJECTED', `time-stamp request rejected: ${why}`);
  }
  return parsed.token;
}

export function parseTstInfo(der: Uint8Array): ParsedTstInfo {
  const schema = parseAsn1(der, 'PKI_TSP_MALFORMED_RESPONSE', 'TSTInfo');
  let tst: InstanceType<typeof pkijs.TSTInfo>;
  try {
    tst = new pkijs.TSTInfo({ schema });
  } catch (cause) {
    throw malformed('bad TSTInfo', cause);
  }
  const out: ParsedTstInfo = {
    version: tst.version,
    policy: tst.policy,
    hashAlgorithm: tst.messageImprint.hashAlgorithm.algorithmId,
    messageImprint: Buffer.from(tst.messageImprint.hashedMessage.valueBlock.valueHexView),
    serialNumber: integerToBigint(tst.serialNumber),
    genTime: tst.genTime,
    ordering: tst.ordering === true,
    der,
  };
  if (tst.accuracy) {
    const acc: { seconds?: number; millis?: number; micros?: number } = {};
    if (tst.accuracy.seconds !== undefined) acc.seconds = tst.accuracy.seconds;
    if (tst.accuracy.millis !== undefined) acc.millis = tst.accuracy.millis;
    if (tst.accuracy.micros !== undefined) acc.micros = tst.accuracy.micros;
    out.accuracy = acc;
  }
  if (tst.nonce) out.nonce = integerToBigint(tst.nonce);
  return out;
}

/** Top-level shape: TimeStampResp (starts with PKIStatusInfo SEQUENCE) vs ContentInfo (starts with an OID). */
export function isTimeStampResponse(der: Uint8Array): boolean {
  // A response starts with PKIStatusInfo (a SEQUENCE), a token (ContentInfo) with an OID: the
  // headers tell, without parsing the whole structure; malformed input gets the full parse's refusal.
  const outer = tryReadTlv(der, 0, der.length);
  const first = outer?.tag === TAG.sequence && outer.end === der.length ? tryReadTlv(der, outer.contentStart, outer.end) : undefined;
  if (first) return first.tag === TAG.sequence;
  const top = parseAsn1(der, 'PKI_TSP_MALFORMED_RESPONSE', 'time-stamp token');
  return top instanceof asn1js.Sequence && top.valueBlock.value[0] instanceof asn1js.Sequence;
}
