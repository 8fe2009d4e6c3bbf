// Field schemas shared by the jpx/1 header, envelope and error schemas.
import { z } from 'zod';

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const BASE64_SHAPE = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Canonical standard base64 (RFC 4648 §4, padded, no whitespace, unused bits zero): exactly the
 * text Buffer#toString('base64') writes for the decoded bytes.
 */
export function isCanonicalBase64(text: string): boolean {
  const n = text.length;
  if (n % 4 !== 0 || !BASE64_SHAPE.test(text)) return false;
  if (n === 0 || text.charCodeAt(n - 1) !== 0x3d /* = */) return true;
  const pad = text.charCodeAt(n - 2) === 0x3d ? 2 : 1;
  const last = BASE64_ALPHABET.indexOf(text.charAt(n - 1 - pad));
  return last >= 0 && (last & (pad === 2 ? 0x0f : 0x03)) === 0;
}

/** Decoded length of canonical base64 text (its length is a multiple of 4). */
const base64ByteLength = (text: string): number => (text.length / 4) * 3 - (text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0);

/** Canonical base64 of minBytes..maxBytes bytes. */
export const base64Bytes = (what: string, minBytes: number, maxBytes: number) =>
  z
    .string()
    .max(Math.ceil(maxBytes / 3) * 4)
    .refine(isCanonicalBase64, { message: `${what}: must be canonical base64 (standard alphabet, padded)` })
    .refine(
      (text) => {
        const n = base64ByteLength(text);
        return n >= minBytes && n <= maxBytes;
      },
      { message: minBytes === maxBytes ? `${what}: must encode exactly ${minBytes} bytes` : `${what}: must encode ${minBytes}..${maxBytes} bytes` },
    );

/** Base64 of a SHA-256 value (32 bytes, 44 characters). */
export const base64Sha256 = (what: string) => base64Bytes(what, 32, 32);

/** ISO 8601 UTC with milliseconds, as Date#toISOString() writes it: 2025-04-01T09:30:00.123Z. */
export const isoMillis = z.iso.datetime({ precision: 3, message: 'must be ISO 8601 UTC with milliseconds (YYYY-MM-DDTHH:mm:ss.sssZ)' });

/** Lower-case canonical UUID version 4. */
export const uuidV4 = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'must be a lower-case UUID v4');

/** Text without control characters other than TAB (safe to put into an HTTP header or a log line). */
export const plainText = (min: number, max: number) =>
  z.string().min(min).max(max).regex(/^[^\x00-\x08\x0a-\x1f\x7f]*$/, 'must not contain control characters');

/** HTTP header field: [name, value], name a lower-case RFC 9110 token, value without CR, LF, NUL or other controls. */
export const httpHeaderField = z.tuple([
  z.string().regex(/^[!#$%&'*+\-.^_`|~0-9a-z]{1,256}$/, 'header names must be lower-case RFC 9110 tokens'),
  plainText(0, 16_384),
]);

// ---------------------------------------------------------------------------------------------
// Hand-written equivalents of the field schemas above, for the fast paths (fastMessageHeader,
// fastEnvelope): each accepts only what its schema accepts.

export const ISO_MILLIS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
export const CANONICAL_SHA256_BASE64 = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

const digits = (text: string, from: number, to: number): number => {
  let n = 0;
  for (let i = from; i < to; i++) n = n * 10 + text.charCodeAt(i) - 0x30;
  return n;
};

/** What `isoMillis` accepts: the exact text Date#toISOString() writes for a valid date (checked field by field). */
export function isoMillisOk(value: unknown): boolean {
  if (typeof value !== 'string' || !ISO_MILLIS.test(value)) return false;
  const year = digits(value, 0, 4);
  const month = digits(value, 5, 7);
  const day = digits(value, 8, 10);
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return day <= days && digits(value, 11, 13) < 24 && digits(value, 14, 16) < 60 && digits(value, 17, 19) < 60;
}

/** What `base64Bytes(what, minBytes, maxBytes)` accepts. */
export function base64BytesOk(value: unknown, minBytes: number, maxBytes: number): boolean {
  if (typeof value !== 'string' || value.length > Math.ceil(maxBytes / 3) * 4 || !isCanonicalBase64(value)) return false;
  const n = base64ByteLength(value);
  return n >= minBytes && n <= maxBytes;
}
