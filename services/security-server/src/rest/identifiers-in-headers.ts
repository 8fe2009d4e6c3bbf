// Identifiers in PR-REST headers (`X-Road-Client`, `X-Road-Service`, `X-Road-Security-Server`,
// `X-Road-Represented-Party`): parts joined with '/', each part percent-encoded as a URI path segment,
// as X-Road does (`RestMessage.decodeClientId`, `encodeXRoadId`). Parsing throws `client.bad_request`.
import {
  IDENTIFIER_PART,
  type SecurityServerId,
  type ServiceId,
  type SubsystemId,
} from '@jplink/contracts';
import { XRoadError } from '../errors.ts';

const CHARSET = "A-Z a-z 0-9 ' ( ) + , - . = ?";

/** Characters a URI path segment may carry unencoded (RFC 3986 pchar minus '%'). */
const PCHAR = /[A-Za-z0-9\-._~!$&'()*+,;=:@]/;

/** Percent-encodes one identifier part for a header or a URI path segment (only '?' is affected in practice). */
export function encodeIdentifierPart(part: string): string {
  let out = '';
  for (const char of part) {
    if (PCHAR.test(char)) out += char;
    else for (const byte of new TextEncoder().encode(char)) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Strict percent-decoding of one segment: `%` must start a `%XX` escape and the bytes must be UTF-8. `undefined` if not. */
export function percentDecodeSegment(segment: string): string | undefined {
  if (!segment.includes('%')) return segment;
  if (/%(?![0-9A-Fa-f]{2})/.test(segment)) return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function decodePart(raw: string, header: string, label: string): string {
  const decoded = percentDecodeSegment(raw);
  if (decoded === undefined) throw new XRoadError('client.bad_request', `${header}: ${label} has bad percent-encoding`);
  if (!IDENTIFIER_PART.test(decoded)) {
    throw new XRoadError('client.bad_request', `${header}: ${label} must be 1–255 characters from ${CHARSET}`);
  }
  return decoded;
}

/**
 * The effective value of an identifier header: the last one when repeated. Node joins repeated headers
 * with ", "; identifiers never contain whitespace, so ", " can only separate repetitions.
 */
export function lastIdentifierValue(value: string | readonly string[]): string {
  const last = typeof value === 'string' ? value : (value[value.length - 1] ?? '');
  const pieces = last.split(/,[ \t]+/);
  return (pieces[pieces.length - 1] ?? '').trim();
}

function split(value: string, header: string, shape: string, labels: readonly string[]): string[] {
  const parts = value.split('/');
  if (parts.length !== labels.length) {
    throw new XRoadError('client.bad_request', `${header} must be ${shape} (${labels.length} parts, got ${parts.length})`);
  }
  return parts.map((part, index) => decodePart(part, header, labels[index]!));
}

/** `X-Road-Client: instance/memberClass/memberCode/subsystemCode` (only subsystems are clients). */
export function parseClientHeader(value: string, header = 'X-Road-Client'): SubsystemId {
  const [instance, memberClass, memberCode, subsystemCode] = split(value, header, 'instance/memberClass/memberCode/subsystemCode', [
    'instance',
    'member class',
    'member code',
    'subsystem code',
  ]) as [string, string, string, string];
  return { instance, memberClass, memberCode, subsystemCode };
}

/** `X-Road-Security-Server: instance/memberClass/memberCode/serverCode`. */
export function parseSecurityServerHeader(value: string, header = 'X-Road-Security-Server'): SecurityServerId {
  const [instance, memberClass, memberCode, serverCode] = split(value, header, 'instance/memberClass/memberCode/serverCode', [
    'instance',
    'member class',
    'member code',
    'server code',
  ]) as [string, string, string, string];
  return { instance, memberClass, memberCode, serverCode };
}

/** `X-Road-Represented-Party: [memberClass/]memberCode`. */
export function parseRepresentedPartyHeader(value: string, header = 'X-Road-Represented-Party'): { memberClass?: string; memberCode: string } {
  const parts = value.split('/');
  if (parts.length === 1) return { memberCode: decodePart(parts[0]!, header, 'member code') };
  if (parts.length === 2) {
    return { memberClass: decodePart(parts[0]!, header, 'member class'), memberCode: decodePart(parts[1]!, header, 'member code') };
  }
  throw new XRoadError('client.bad_request', `${header} must be [memberClass/]memberCode`);
}

/** Header form of a client subsystem (`X-Road-Client`). */
export function formatClientHeader(id: SubsystemId): string {
  return [id.instance, id.memberClass, id.memberCode, id.subsystemCode].map(encodeIdentifierPart).join('/');
}

/** Header form of a service (`X-Road-Service`): `instance/memberClass/memberCode/subsystemCode/serviceCode`. */
export function formatServiceHeader(id: ServiceId): string {
  return `${formatClientHeader(id)}/${encodeIdentifierPart(id.serviceCode)}`;
}

/** Header form of a Security Server (`X-Road-Security-Server`). */
export function formatSecurityServerHeader(id: SecurityServerId): string {
  return [id.instance, id.memberClass, id.memberCode, id.serverCode].map(encodeIdentifierPart).join('/');
}
