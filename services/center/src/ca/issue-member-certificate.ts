// Issues a member's auth or sign certificate from a PKCS#10 request, under profile jp-link-v1.
import { AppError } from '@jplink/kit';
import { formatName, issueCertificate, parseCertificate, parseCsr, PkiError, type ParsedCertificate } from '@jplink/pki';
import type { CertificateProfileName } from '@jplink/contracts';
import type { CenterDb } from '../db/database.ts';
import { insertCertificate } from '../db/certificates.ts';
import { CENTER_ERRORS } from '../errors.ts';
import { randomSerial, serialHex, type CaKeys } from './authority.ts';
import { memberSubject } from './profile.ts';

export interface MemberCertificateInput {
  csrPem: string;
  profile: CertificateProfileName;
  instance: string;
  memberClass: string;
  memberCode: string;
  serverCode?: string;
  validityDays: number;
  ocspUrl: string;
}

/** Parses and verifies the CSR; throws a catalogue error when it is unusable. */
export async function checkCsr(csrPem: string) {
  try {
    const csr = await parseCsr(csrPem);
    if (!csr.signatureValid) throw new AppError(CENTER_ERRORS.CENTER_CSR_INVALID, { message: 'The certificate request signature does not verify.' });
    return csr;
  } catch (cause) {
    if (cause instanceof AppError) throw cause;
    if (cause instanceof PkiError && cause.code === 'PKI_KEY_UNSUPPORTED') throw new AppError(CENTER_ERRORS.CENTER_CSR_KEY_UNSUPPORTED, { cause });
    throw new AppError(CENTER_ERRORS.CENTER_CSR_INVALID, { cause });
  }
}

export async function issueMemberCertificate(
  db: CenterDb,
  ca: CaKeys,
  input: MemberCertificateInput,
): Promise<{ der: Buffer; parsed: ParsedCertificate; serialNumber: string }> {
  const csr = await checkCsr(input.csrPem);
  const subject = memberSubject({
    instance: input.instance,
    memberClass: input.memberClass,
    memberCode: input.memberCode,
    ...(input.profile === 'auth' && input.serverCode !== undefined ? { serverCode: input.serverCode } : {}),
  });
  const serial = randomSerial();
  const now = Date.now();
  const der = Buffer.from(
    await issueCertificate({
      subject,
      publicKey: csr.publicKey,
      issuer: { certificate: ca.issuing.certificate, privateKey: ca.issuing.privateKey },
      serialNumber: serial,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + input.validityDays * 86_400_000),
      profile: input.profile,
      ocspUrl: input.ocspUrl,
    }),
  );
  const parsed = parseCertificate(der);
  await insertCertificate(db, {
    serialNumber: serialHex(serial),
    profile: input.profile,
    memberClass: input.memberClass,
    memberCode: input.memberCode,
    serverCode: input.profile === 'auth' ? (input.serverCode ?? null) : null,
    subject: formatName(subject),
    sha256: parsed.sha256,
    der,
    notBefore: parsed.notBefore,
    notAfter: parsed.notAfter,
  });
  return { der, parsed, serialNumber: serialHex(serial) };
}
