// The PR-REST request target: `/r1/{instance}/{class}/{code}/{subsystem}/{serviceCode}[/path][?query]`.
// Identifier segments are percent-decoded one by one (RestRequest.decodeIdentifiers); the service path
// is screened for every path trick that could make the provider's backend see another resource than the
// one the access check saw (encoded slashes/backslashes, NUL, dot segments in any encoding, double
// encoding, empty segments), so that its once-decoded form (`normalizedPath`) can be matched safely.
import { IDENTIFIER_PART, type ServiceId } from '@jplink/contracts';
import { XRoadError } from '../errors.ts';
import { percentDecodeSegment } from './identifiers-in-headers.ts';

export interface PrRestTarget {
  service: ServiceId;
  /** After the service code, still percent-encoded: '' or starting with '/'. */
  path: string;
  /** Once-decoded service path, '/' when empty; the input of access checks. */
  normalizedPath: string;
  /** Without '?'; '' when absent. */
  query: string;
}

const SHAPE = '/r1/{instance}/{memberClass}/{memberCode}/{subsystemCode}/{serviceCode}[/path]';
const SEGMENT_NAMES = ['instance', 'member class', 'member code', 'subsystem code', 'service code'] as const;

/** Characters a path segment may carry unencoded (RFC 3986 pchar, '%' for escapes). */
const RAW_SEGMENT = /^[A-Za-z0-9\-._~!$&'()*+,;=:@%]*$/;
/** After one decoding, an escape that a second decoding would turn into '.', '/', '\', NUL, '%' or an overlong UTF-8 lead. */
const DOUBLE_ENCODED = /%(?:2e|2f|5c|00|25|c0|c1)|%u[0-9a-f]{4}/i;
const CONTROL = /[\x00-\x1f\x7f]/;

function bad(message: string): never {
  throw new XRoadError('client.bad_request', message);
}

/** Splits and validates the request target as on the wire (percent-encoded, origin-form). */
export function parsePrRestTarget(rawUrl: string): PrRestTarget {
  if (typeof rawUrl !== 'string' || !rawUrl.startsWith('/')) bad(`request path must be ${SHAPE}`);
  // Space, controls and non-ASCII must be percent-encoded; '#' never appears in a request target.
  if (/[^\x21-\x7e]|#/.test(rawUrl)) bad('request target contains characters that must be percent-encoded');
  const mark = rawUrl.indexOf('?');
  const rawPath = mark < 0 ? rawUrl : rawUrl.slice(0, mark);
  const query = mark < 0 ? '' : rawUrl.slice(mark + 1);

  const parts = rawPath.split('/');
  const version = parts[1] ?? '';
  if (version !== 'r1') bad(/^r\d+$/.test(version) ? 'unsupported PR-REST protocol version; use /r1/' : `request path must be ${SHAPE}`);
  if (parts.length < 7) bad(`request path must be ${SHAPE} (all identifier segments are required)`);

  const ids = SEGMENT_NAMES.map((name, index) => {
    const raw = parts[index + 2]!;
    if (raw === '') bad(`${name} segment of the request path is empty`);
    const decoded = percentDecodeSegment(raw);
    if (decoded === undefined) bad(`${name} segment of the request path has bad percent-encoding`);
    if (!IDENTIFIER_PART.test(decoded)) bad(`${name} segment of the request path must be 1–255 characters from A-Z a-z 0-9 ' ( ) + , - . = ?`);
    return decoded;
  }) as [string, string, string, string, string];
  const [instance, memberClass, memberCode, subsystemCode, serviceCode] = ids;

  const rest = parts.slice(7);
  const path = rest.length === 0 ? '' : `/${rest.join('/')}`;
  return { service: { instance, memberClass, memberCode, subsystemCode, serviceCode }, path, normalizedPath: normalizeServicePath(rest), query };
}

/** Validates the service-path segments (raw) and returns the once-decoded path. */
function normalizeServicePath(segments: readonly string[]): string {
  // '' and '/' both address the service root; one trailing '/' is kept ("/items/"), other empty segments are refused.
  if (segments.length === 0 || (segments.length === 1 && segments[0] === '')) return '/';
  const decoded = segments.map((raw, index) => {
    const last = index === segments.length - 1;
    if (raw === '') {
      if (last) return '';
      bad('service path has an empty segment (//)');
    }
    return screenSegment(raw);
  });
  return `/${decoded.join('/')}`;
}

function screenSegment(raw: string): string {
  if (raw.includes('\\')) bad('service path contains a backslash');
  if (!RAW_SEGMENT.test(raw)) bad('service path contains characters that must be percent-encoded');
  if (/%(?:2f|5c)/i.test(raw)) bad('service path contains an encoded slash or backslash (%2F, %5C)');
  if (/%00/.test(raw)) bad('service path contains an encoded NUL (%00)');
  const decoded = percentDecodeSegment(raw);
  if (decoded === undefined) bad('service path has bad percent-encoding (escapes must be %XX and decode to UTF-8)');
  if (CONTROL.test(decoded)) bad('service path contains an encoded control character');
  if (DOUBLE_ENCODED.test(decoded)) bad('service path contains a double-encoded character (%25…)');
  if (isDotSegment(decoded)) bad('service path contains a dot segment (. or ..), possibly percent-encoded');
  // A backend that applies Unicode compatibility normalisation would turn these into '/', '\' or '..'.
  const compat = decoded.normalize('NFKC');
  if (compat.includes('/') || compat.includes('\\') || isDotSegment(compat)) bad('service path contains a character equivalent to a slash, backslash or dot segment');
  return decoded;
}

/** '.', '..', any all-dots segment, also with trailing whitespace or a `;parameter` (Tomcat's "..;/"). */
function isDotSegment(segment: string): boolean {
  const head = segment.split(';', 1)[0]!.replace(/\s+$/, '');
  return /^\.+$/.test(head);
}
