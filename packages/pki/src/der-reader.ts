// A minimal DER reader for the small structures on the hot path (OCSP and time-stamp requests).
// It walks the bytes in place: no schema comparison and no object per node beyond a small record.
// Only definite lengths and single-octet tags (tag number < 31) are accepted, which is all these
// structures use; anything else is a structural error, thrown as a PkiError with the caller's code.
import { PkiError, type PkiErrorCode } from './errors.ts';

/** One TLV: `tag` is the identifier octet (class, constructed bit, tag number). */
export interface Tlv {
  tag: number;
  /** Offset of the identifier octet. */
  start: number;
  /** Offset of the first content octet. */
  contentStart: number;
  /** Offset after the last content octet. */
  end: number;
}

/** Identifier octets used by the request parsers. */
export const TAG = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  sequence: 0x30,
  set: 0x31,
} as const;

/** Identifier octet of a context-specific tag [n]. */
export function contextTag(n: number, constructed: boolean): number {
  return 0x80 | (constructed ? 0x20 : 0) | n;
}

const MAX_DEPTH = 100;

/** The input being read and how to report its errors. */
export interface DerInput {
  data: Uint8Array;
  code: PkiErrorCode;
  what: string;
}

export function derInput(data: Uint8Array, code: PkiErrorCode, what: string): DerInput {
  return { data, code, what };
}

export function fail(input: DerInput, why: string): PkiError {
  return new PkiError(input.code, `${input.what}: ${why}`);
}

/** Reads one TLV at `offset` that must end by `limit`; null when it is not well-formed. */
export function tryReadTlv(data: Uint8Array, offset: number, limit: number): Tlv | null {
  if (offset + 2 > limit) return null;
  const tag = data[offset] as number;
  const number = tag & 0x1f;
  if (number === 0x1f) return null;
  // Universal class: no end-of-contents or reserved tag 15; SEQUENCE and SET constructed, all others primitive (DER).
  if ((tag & 0xc0) === 0 && (number === 0 || number === 15 || (number === 16 || number === 17) !== ((tag & 0x20) !== 0))) return null;
  let len = data[offset + 1] as number;
  let pos = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    // 0x80 is the indefinite form (BER only); more than 4 length octets cannot fit anyway.
    if (n === 0 || n > 4 || pos + n > limit) return null;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (data[pos + i] as number);
    pos += n;
  }
  const end = pos + len;
  if (end > limit) return null;
  return { tag, start: offset, contentStart: pos, end };
}

export function readTlv(input: DerInput, offset: number, limit: number): Tlv {
  const tlv = tryReadTlv(input.data, offset, limit);
  if (!tlv) throw fail(input, offset >= limit ? 'unexpected end of data' : 'invalid DER');
  return tlv;
}

/** The whole input as exactly one TLV (no trailing bytes). */
export function readTop(input: DerInput): Tlv {
  if (input.data.length === 0) throw fail(input, 'empty input');
  const top = readTlv(input, 0, input.data.length);
  if (top.end !== input.data.length) throw fail(input, 'trailing data after DER element');
  return top;
}

/** The elements inside a constructed TLV; they must fill it exactly. */
export function childrenOf(input: DerInput, parent: Tlv): Tlv[] {
  if (!(parent.tag & 0x20)) throw fail(input, 'expected a constructed element');
  const out: Tlv[] = [];
  let pos = parent.contentStart;
  while (pos < parent.end) {
    const tlv = readTlv(input, pos, parent.end);
    out.push(tlv);
    pos = tlv.end;
  }
  return out;
}

/** Requires `tlv` to be present and to have the identifier octet `tag`. */
export function expectTag(input: DerInput, tlv: Tlv | undefined, tag: number, what: string): Tlv {
  if (!tlv || tlv.tag !== tag) throw fail(input, `${what} missing or of the wrong type`);
  return tlv;
}

/** Checks that every constructed element below `tlv` is well-formed (for parts that are skipped). */
export function checkWellFormed(input: DerInput, tlv: Tlv, depth = 0): void {
  if (depth > MAX_DEPTH) throw fail(input, 'nesting too deep');
  if (!(tlv.tag & 0x20)) return;
  for (const child of childrenOf(input, tlv)) checkWellFormed(input, child, depth + 1);
}

/** Content octets (a view into the input, not a copy). */
export function contentOf(input: DerInput, tlv: Tlv): Uint8Array {
  return input.data.subarray(tlv.contentStart, tlv.end);
}

/** Signed INTEGER content as a bigint (two's complement). */
export function integerOf(input: DerInput, tlv: Tlv): bigint {
  const len = tlv.end - tlv.contentStart;
  if (len === 0) throw fail(input, 'empty INTEGER');
  const d = input.data;
  if (len <= 6) {
    let v = 0;
    for (let i = tlv.contentStart; i < tlv.end; i++) v = v * 256 + (d[i] as number);
    if ((d[tlv.contentStart] as number) & 0x80) v -= 2 ** (8 * len);
    return BigInt(v);
  }
  let v = BigInt(`0x${Buffer.from(d.buffer, d.byteOffset + tlv.contentStart, len).toString('hex')}`);
  if ((d[tlv.contentStart] as number) & 0x80) v -= 1n << BigInt(8 * len);
  return v;
}

/** INTEGER that must fit a safe JavaScript number. */
export function smallIntegerOf(input: DerInput, tlv: Tlv): number {
  if (tlv.end - tlv.contentStart > 6) throw fail(input, 'INTEGER out of range');
  return Number(integerOf(input, tlv));
}

/** BOOLEAN value (BER: any non-zero octet is TRUE). */
export function booleanOf(input: DerInput, tlv: Tlv): boolean {
  if (tlv.end - tlv.contentStart !== 1) throw fail(input, 'BOOLEAN must be one octet');
  return input.data[tlv.contentStart] !== 0;
}

/** Dotted form of an OBJECT IDENTIFIER. */
export function oidOf(input: DerInput, tlv: Tlv): string {
  const d = input.data;
  if (tlv.end === tlv.contentStart || ((d[tlv.end - 1] as number) & 0x80) !== 0) throw fail(input, 'invalid OBJECT IDENTIFIER');
  const arcs: string[] = [];
  let value = 0;
  let big: bigint | undefined;
  let first = true;
  for (let i = tlv.contentStart; i < tlv.end; i++) {
    const byte = d[i] as number;
    if (byte === 0x80 && (i === tlv.contentStart || ((d[i - 1] as number) & 0x80) === 0)) throw fail(input, 'invalid OBJECT IDENTIFIER');
    if (big !== undefined) big = big * 128n + BigInt(byte & 0x7f);
    else if (value >= 2 ** 45) big = BigInt(value) * 128n + BigInt(byte & 0x7f);
    else value = value * 128 + (byte & 0x7f);
    if (byte & 0x80) continue;
    if (first) {
      first = false;
      if (big !== undefined) {
        arcs.push('2', String(big - 80n));
      } else {
        const top = value < 40 ? 0 : value < 80 ? 1 : 2;
        arcs.push(String(top), String(value - top * 40));
      }
    } else {
      arcs.push(big !== undefined ? String(big) : String(value));
    }
    value = 0;
    big = undefined;
  }
  return arcs.join('.');
}
