// A small DER writer for the hot path (OCSP responses, time-stamp tokens). A structure is built as
// a tree of nodes whose content lengths are known up front, then written into one buffer, so each
// byte is copied once. Pre-encoded DER (certificates, cached attributes) is embedded as is.
import { PkiError } from './errors.ts';
import { bigintToBytes } from './der.ts';

/** Complete DER (a TLV, or several concatenated) or a node still to be written. */
export type DerPart = Uint8Array | DerNode;

export interface DerNode {
  tag: number;
  parts: DerPart[];
  /** Content length in octets. */
  length: number;
}

function headerLength(length: number): number {
  return length < 0x80 ? 2 : length < 0x100 ? 3 : length < 0x10000 ? 4 : length < 0x1000000 ? 5 : 6;
}

function partLength(part: DerPart): number {
  return part instanceof Uint8Array ? part.length : headerLength(part.length) + part.length;
}

/** A TLV with identifier octet `tag` around `parts`. */
export function node(tag: number, parts: DerPart[]): DerNode {
  let length = 0;
  for (const p of parts) length += partLength(p);
  return { tag, parts, length };
}

export function sequence(...parts: DerPart[]): DerNode {
  return node(0x30, parts);
}

export function set(...parts: DerPart[]): DerNode {
  return node(0x31, parts);
}

/** Context-specific [n]: constructed (EXPLICIT, or IMPLICIT of a constructed type) around `parts`. */
export function context(n: number, ...parts: DerPart[]): DerNode {
  return node(0xa0 | n, parts);
}

/** Primitive TLV with the given content octets. */
export function primitive(tag: number, content: Uint8Array): DerNode {
  return { tag, parts: [content], length: content.length };
}

export function octetString(content: Uint8Array): DerNode {
  return primitive(0x04, content);
}

/** BIT STRING with no unused bits. */
export function bitString(content: Uint8Array): DerNode {
  return node(0x03, [ZERO_OCTET, content]);
}

const ZERO_OCTET = new Uint8Array([0]);

export const NULL_DER: Uint8Array = new Uint8Array([0x05, 0x00]);

/** Non-negative INTEGER (tag 0x02, or `tag` for IMPLICIT tagging). */
export function integer(value: bigint | number, tag = 0x02): DerNode {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new PkiError('PKI_INVALID_ARGUMENT', `not an integer: ${value}`);
    value = BigInt(value);
  }
  return primitive(tag, bigintToBytes(value));
}

const OID_CACHE = new Map<string, Uint8Array>();
const OID_CACHE_MAX = 256;
const OID_RE = /^[0-2](\.(0|[1-9][0-9]*))+$/;

/** DER OBJECT IDENTIFIER (whole TLV) for a dotted OID; invalid input throws PKI_INVALID_ARGUMENT. */
export function oid(dotted: string): Uint8Array {
  const cached = OID_CACHE.get(dotted);
  if (cached) return cached;
  if (typeof dotted !== 'string' || !OID_RE.test(dotted)) throw new PkiError('PKI_INVALID_ARGUMENT', `invalid OID ${String(dotted)}`);
  const arcs = dotted.split('.').map((a) => BigInt(a));
  const [a0, a1] = arcs as [bigint, bigint];
  if (a0 < 2n && a1 >= 40n) throw new PkiError('PKI_INVALID_ARGUMENT', `invalid OID ${dotted}`);
  const bytes: number[] = [];
  for (const arc of [a0 * 40n + a1, ...arcs.slice(2)]) {
    const groups = [Number(arc & 0x7fn)];
    for (let v = arc >> 7n; v > 0n; v >>= 7n) groups.unshift(Number(v & 0x7fn) | 0x80);
    bytes.push(...groups);
  }
  const der = encodeDer(primitive(0x06, new Uint8Array(bytes)));
  if (OID_CACHE.size < OID_CACHE_MAX) OID_CACHE.set(dotted, der);
  return der;
}

function isoString(date: Date): string {
  const t = date instanceof Date ? date.getTime() : Number.NaN;
  if (!Number.isFinite(t)) throw new PkiError('PKI_INVALID_ARGUMENT', 'invalid date');
  const iso = date.toISOString();
  if (iso.length !== 24) throw new PkiError('PKI_INVALID_ARGUMENT', 'date out of range for ASN.1 time');
  return iso;
}

function ascii(tag: number, text: string): DerNode {
  return primitive(tag, Buffer.from(text, 'latin1'));
}

/**
 * GeneralizedTime YYYYMMDDHHMMSS[.fff]Z; milliseconds only when `withMillis` and non-zero,
 * without trailing zeros (X.690 §11.7).
 */
export function generalizedTime(date: Date, withMillis = false): DerNode {
  const iso = isoString(date);
  let text = iso.slice(0, 4) + iso.slice(5, 7) + iso.slice(8, 10) + iso.slice(11, 13) + iso.slice(14, 16) + iso.slice(17, 19);
  if (withMillis && date.getUTCMilliseconds() !== 0) text += `.${iso.slice(20, 23).replace(/0+$/, '')}`;
  return ascii(0x18, `${text}Z`);
}

/** UTCTime YYMMDDHHMMSSZ (whole seconds); only for 1950–2049. */
export function utcTime(date: Date): DerNode {
  const iso = isoString(date);
  const year = date.getUTCFullYear();
  if (year < 1950 || year > 2049) throw new PkiError('PKI_INVALID_ARGUMENT', 'UTCTime covers 1950–2049 only');
  return ascii(0x17, `${iso.slice(2, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`);
}

function writeHeader(out: Uint8Array, pos: number, tag: number, length: number): number {
  out[pos++] = tag;
  if (length < 0x80) {
    out[pos++] = length;
    return pos;
  }
  const n = headerLength(length) - 2;
  out[pos++] = 0x80 | n;
  for (let i = n - 1; i >= 0; i--) out[pos++] = Math.floor(length / 256 ** i) & 0xff;
  return pos;
}

function write(out: Uint8Array, pos: number, part: DerPart): number {
  if (part instanceof Uint8Array) {
    out.set(part, pos);
    return pos + part.length;
  }
  pos = writeHeader(out, pos, part.tag, part.length);
  for (const p of part.parts) pos = write(out, pos, p);
  return pos;
}

/** The DER bytes of a part, in a buffer of their own. */
export function encodeDer(part: DerPart): Uint8Array {
  const out = new Uint8Array(partLength(part));
  write(out, 0, part);
  return out;
}
