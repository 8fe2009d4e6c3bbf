// JP-Link identifiers, after X-Road's model (pr-mess §2.1, pr-rest §4.8):
//   member     instance/memberClass/memberCode
//   subsystem  instance/memberClass/memberCode/subsystemCode   (the only kind of Security Server client)
//   service    instance/memberClass/memberCode/subsystemCode/serviceCode
//   server     instance/memberClass/memberCode/serverCode
// Each part uses X-Road's character set: A-Z a-z 0-9 and ' ( ) + , - . = ?
// Parts are joined with '/'; X-Road's admin UIs also accept ':' and so does parseIdentifier.
import { z } from 'zod';

export const IDENTIFIER_PART = /^[A-Za-z0-9'()+,\-.=?]{1,255}$/;

/** One identifier part (instance, member class, member code, subsystem, service or server code). */
export const identifierPart = (what: string) =>
  z.string().regex(IDENTIFIER_PART, `${what}: 1–255 characters from A-Z a-z 0-9 ' ( ) + , - . = ?`);

export const instanceCode = identifierPart('instance');
/** Member classes are configured in the global configuration; by convention upper case (COM, GOV, ORG). */
export const memberClassCode = identifierPart('member class');
export const memberCode = identifierPart('member code');
export const subsystemCode = identifierPart('subsystem code');
export const serviceCode = identifierPart('service code');
export const serverCode = identifierPart('server code');

export const memberIdSchema = z.object({ instance: instanceCode, memberClass: memberClassCode, memberCode });
export const subsystemIdSchema = memberIdSchema.extend({ subsystemCode });
export const serviceIdSchema = subsystemIdSchema.extend({ serviceCode });
export const securityServerIdSchema = memberIdSchema.extend({ serverCode });

export type MemberId = z.infer<typeof memberIdSchema>;
export type SubsystemId = z.infer<typeof subsystemIdSchema>;
export type ServiceId = z.infer<typeof serviceIdSchema>;
export type SecurityServerId = z.infer<typeof securityServerIdSchema>;

export type IdentifierKind = 'member' | 'subsystem' | 'service' | 'server';

export class IdentifierError extends Error {
  readonly code = 'IDENTIFIER_INVALID';
  override name = 'IdentifierError';
}

function split(text: string, kind: string, parts: number): string[] {
  if (typeof text !== 'string' || text.length === 0 || text.length > 1024) {
    throw new IdentifierError(`${kind} identifier must be a non-empty string`);
  }
  const separator = text.includes('/') ? '/' : ':';
  const fields = text.split(separator);
  if (fields.length !== parts) {
    throw new IdentifierError(`${kind} identifier must have ${parts} parts separated by '/' (got ${fields.length})`);
  }
  fields.forEach((field, index) => {
    if (!IDENTIFIER_PART.test(field)) {
      throw new IdentifierError(`${kind} identifier part ${index + 1} has characters outside A-Z a-z 0-9 ' ( ) + , - . = ?`);
    }
  });
  return fields;
}

export function parseMemberId(text: string): MemberId {
  const [instance, memberClass, code] = split(text, 'member', 3) as [string, string, string];
  return { instance, memberClass, memberCode: code };
}

export function parseSubsystemId(text: string): SubsystemId {
  const [instance, memberClass, code, subsystem] = split(text, 'subsystem', 4) as [string, string, string, string];
  return { instance, memberClass, memberCode: code, subsystemCode: subsystem };
}

export function parseServiceId(text: string): ServiceId {
  const [instance, memberClass, code, subsystem, service] = split(text, 'service', 5) as [string, string, string, string, string];
  return { instance, memberClass, memberCode: code, subsystemCode: subsystem, serviceCode: service };
}

export function parseSecurityServerId(text: string): SecurityServerId {
  const [instance, memberClass, code, server] = split(text, 'security server', 4) as [string, string, string, string];
  return { instance, memberClass, memberCode: code, serverCode: server };
}

export function formatMemberId(id: MemberId): string {
  return `${id.instance}/${id.memberClass}/${id.memberCode}`;
}

export function formatSubsystemId(id: SubsystemId): string {
  return `${formatMemberId(id)}/${id.subsystemCode}`;
}

export function formatServiceId(id: ServiceId): string {
  return `${formatSubsystemId(id)}/${id.serviceCode}`;
}

export function formatSecurityServerId(id: SecurityServerId): string {
  return `${formatMemberId(id)}/${id.serverCode}`;
}

/** zod schemas for the string forms, parsing into the object forms. */
const stringForm = <T>(parse: (text: string) => T, kind: string) =>
  z.string().transform((text, ctx) => {
    try {
      return parse(text);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : `invalid ${kind} identifier` });
      return z.NEVER;
    }
  });

export const memberIdString = stringForm(parseMemberId, 'member');
export const subsystemIdString = stringForm(parseSubsystemId, 'subsystem');
export const serviceIdString = stringForm(parseServiceId, 'service');
export const securityServerIdString = stringForm(parseSecurityServerId, 'security server');

/** Canonical string schemas (validated, kept as strings) for documents that store identifiers as text. */
const canonical = (parse: (text: string) => unknown, format: (id: never) => string, kind: string) =>
  z.string().refine(
    (text) => {
      try {
        return format(parse(text) as never) === text;
      } catch {
        return false;
      }
    },
    { message: `must be a canonical ${kind} identifier (parts joined with '/')` },
  );

export const memberIdText = canonical(parseMemberId, formatMemberId, 'member');
export const subsystemIdText = canonical(parseSubsystemId, formatSubsystemId, 'subsystem');
export const serviceIdText = canonical(parseServiceId, formatServiceId, 'service');
export const securityServerIdText = canonical(parseSecurityServerId, formatSecurityServerId, 'security server');
