// Which member a sign certificate belongs to, under certificate profile jp-link-v1
// (docs/protocols/certificate-profile.md): subject exactly C=JP, O=<instance>, OU=<memberClass>, CN=<memberCode>.
import { IDENTIFIER_PART } from '@jplink/contracts';
import type { ParsedCertificate } from '@jplink/pki';

/** The member id (`instance/memberClass/memberCode`) of a jp-link-v1 sign certificate, or undefined if the subject has another shape. */
export function memberIdOfSigner(signer: Pick<ParsedCertificate, 'subject'>): string | undefined {
  const subject = signer.subject;
  if (!Array.isArray(subject) || subject.length !== 4) return undefined;
  const [c, o, ou, cn] = subject;
  if (c?.[0] !== 'C' || c[1] !== 'JP' || o?.[0] !== 'O' || ou?.[0] !== 'OU' || cn?.[0] !== 'CN') return undefined;
  const parts = [o[1], ou[1], cn[1]];
  return parts.every((part) => IDENTIFIER_PART.test(part)) ? parts.join('/') : undefined;
}
