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

/** Canonical base64 of minBytes..maxBytes bytes. */
export const base64Bytes = (what: string, minBytes: number, maxBytes: number) =>
  z
    .string()
    .max(Math.ceil(maxBytes / 3) * 4)
    .refine(isCanonicalBase64, { message: `${what}: must be canonical base64 (standard alphabet, padded)` })
    .refine(
      (text) => {
        const n = (text.length / 4) * 3 - (text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0);
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
