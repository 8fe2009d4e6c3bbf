// Certificate profile `jp-link-v1`: how a member certificate's subject maps to its identifier.
// Documented in docs/protocols/certificate-profile.md. The CA builds the subject itself from the
// approved application; whatever subject the CSR asked for is ignored.
import type { NameInput } from '@jplink/pki';

export interface MemberSubject {
  instance: string;
  memberClass: string;
  memberCode: string;
  /** Only auth certificates name the Security Server. */
  serverCode?: string;
}

export function memberSubject(subject: MemberSubject): NameInput {
  const name: NameInput = [
    ['C', 'JP'],
    ['O', subject.instance],
    ['OU', subject.memberClass],
    ['CN', subject.memberCode],
  ];
  if (subject.serverCode !== undefined) name.push(['serialNumber', subject.serverCode]);
  return name;
}

/** Reads a member identity back from a jp-link-v1 subject; undefined when it is not one. */
export function parseMemberSubject(name: NameInput): MemberSubject | undefined {
  const get = (type: string) => name.find(([t]) => t === type)?.[1];
  const instance = get('O');
  const memberClass = get('OU');
  const memberCode = get('CN');
  if (get('C') !== 'JP' || !instance || !memberClass || !memberCode) return undefined;
  const serverCode = get('serialNumber');
  return serverCode === undefined ? { instance, memberClass, memberCode } : { instance, memberClass, memberCode, serverCode };
}
