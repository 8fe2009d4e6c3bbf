// Certificate profile jp-link-v1 (docs/protocols/certificate-profile.md), read strictly:
//   sign: C=JP, O=<instance>, OU=<memberClass>, CN=<memberCode>
//   auth: the same plus serialNumber=<serverCode>
// in exactly this order, each attribute once. Anything else is not a jp-link-v1 subject.
import type { NameInput } from '@jplink/pki';

export interface JpLinkSubject {
  instance: string;
  memberClass: string;
  memberCode: string;
  /** Present on auth certificates only. */
  serverCode?: string;
}

const SIGN_ORDER = ['C', 'O', 'OU', 'CN'];
const AUTH_ORDER = [...SIGN_ORDER, 'serialNumber'];

export function parseJpLinkSubject(name: NameInput): JpLinkSubject | undefined {
  const types = name.map(([type]) => type);
  const isSign = types.length === SIGN_ORDER.length && types.every((t, i) => t === SIGN_ORDER[i]);
  const isAuth = types.length === AUTH_ORDER.length && types.every((t, i) => t === AUTH_ORDER[i]);
  if (!isSign && !isAuth) return undefined;
  const values = name.map(([, value]) => value);
  const [country, instance, memberClass, memberCode, serverCode] = values;
  if (country !== 'JP' || !instance || !memberClass || !memberCode) return undefined;
  return isAuth && serverCode ? { instance, memberClass, memberCode, serverCode } : { instance, memberClass, memberCode };
}

/** `instance/memberClass/memberCode/serverCode` of an auth subject, or undefined. */
export function authSubjectServerId(name: NameInput): string | undefined {
  const s = parseJpLinkSubject(name);
  return s?.serverCode === undefined ? undefined : `${s.instance}/${s.memberClass}/${s.memberCode}/${s.serverCode}`;
}
