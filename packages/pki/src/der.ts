import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import { PkiError, type PkiErrorCode } from './errors.ts';

const PEM_RE = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** All PEM blocks in a text, in order. */
export function pemBlocks(pem: string): Array<{ label: string; der: Uint8Array }> {
  const out: Array<{ label: string; der: Uint8Array }> = [];
  for (const m of pem.matchAll(PEM_RE)) {
    const body = (m[2] ?? '').replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) throw new PkiError('PKI_ENCODING_INVALID', 'PEM body is not base64');
    out.push({ label: m[1] ?? '', der: new Uint8Array(Buffer.from(body, 'base64')) });
  }
  return out;
}

/** DER of the first PEM block (any label). */
export function pemToDer(pem: string): Uint8Array {
  const first = pemBlocks(pem)[0];
  if (!first || first.der.length === 0) throw new PkiError('PKI_ENCODING_INVALID', 'no PEM block found');
  return first.der;
}

export function derToPem(der: Uint8Array, label: string): string {
  const b64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** Accepts DER bytes, PEM text, or PEM text held in bytes. */
export function toDer(input: Uint8Array | string): Uint8Array {
  if (typeof input === 'string') return pemToDer(input);
  if (input.length > 10 && Buffer.from(input.subarray(0, 10)).toString('latin1') === '-----BEGIN') {
    return pemToDer(Buffer.from(input).toString('utf8'));
  }
  return input;
}

export function sha256(data: Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

export function digest(algorithm: string, data: Uint8Array): Buffer {
  return createHash(algorithm).update(data).digest();
}

/** Lower-case hex of the hash over the DER certificate. */
export function certificateHash(certDer: Uint8Array | string, algorithm: 'sha256' | 'sha1' = 'sha256'): string {
  return digest(algorithm, toDer(certDer)).toString('hex');
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** An ArrayBuffer holding exactly these bytes (asn1js/pkijs want ArrayBuffers). */
export function toArrayBuffer(data: Uint8Array): ArrayBuffer {
  const out = new ArrayBuffer(data.byteLength);
  new Uint8Array(out).set(data);
  return out;
}

export function toBuffer(data: Uint8Array | ArrayBuffer): Buffer {
  return data instanceof ArrayBuffer ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** Parse BER/DER and require that the whole input is one element. */
export function parseAsn1(data: Uint8Array, code: PkiErrorCode, what: string): asn1js.AsnType {
  if (data.length === 0) throw new PkiError(code, `${what}: empty input`);
  const res = asn1js.fromBER(toArrayBuffer(data));
  if (res.offset === -1) throw new PkiError(code, `${what}: invalid DER (${res.result.error})`);
  if (res.offset !== data.length) throw new PkiError(code, `${what}: trailing data after DER element`);
  return res.result;
}

export function encode(schema: { toBER(sizeOnly?: boolean): ArrayBuffer }): Uint8Array {
  return new Uint8Array(schema.toBER(false));
}

/** Minimal two's-complement big-endian INTEGER content for a non-negative bigint. */
export function bigintToBytes(value: bigint): Uint8Array {
  if (value < 0n) throw new PkiError('PKI_INVALID_ARGUMENT', 'negative integer not supported');
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  if (/^[89a-f]/.test(hex)) hex = `00${hex}`;
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

export function bigintToInteger(value: bigint): asn1js.Integer {
  return new asn1js.Integer({ valueHex: toArrayBuffer(bigintToBytes(value)) });
}

export function bytesToBigint(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  let v = BigInt(`0x${toBuffer(bytes).toString('hex')}`);
  if ((bytes[0] ?? 0) & 0x80) v -= 1n << BigInt(bytes.length * 8);
  return v;
}

export function integerToBigint(int: asn1js.Integer): bigint {
  return bytesToBigint(int.valueBlock.valueHexView);
}

/** Round a date down to whole seconds (DER times used by OCSP/X.509). */
export function wholeSeconds(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

/** Content bytes of an OCTET STRING, joining constructed (BER) segments. */
export function octetStringBytes(os: asn1js.OctetString | asn1js.BaseBlock): Uint8Array {
  const anyOs = os as asn1js.OctetString;
  if (anyOs.idBlock.isConstructed) {
    const parts = (anyOs.valueBlock.value as asn1js.OctetString[]).map((p) => octetStringBytes(p));
    return new Uint8Array(Buffer.concat(parts));
  }
  return new Uint8Array(anyOs.valueBlock.valueHexView);
}
