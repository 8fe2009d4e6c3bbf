// Who is calling the registration service: the TLS client certificate, checked against this CA.
import type { TLSSocket } from 'node:tls';
import { AppError } from '@jplink/kit';
import { parseCertificate, PkiError, verifyCertificateChain, type ParsedCertificate } from '@jplink/pki';
import type { FastifyRequest } from 'fastify';
import { CENTER_ERRORS } from '../errors.ts';
import type { CaKeys } from '../ca/authority.ts';
import type { CertificateStatusStore } from '../ocsp/status-store.ts';
import { parseMemberSubject, type MemberSubject } from '../ca/profile.ts';

export interface ClientCertificate {
  der: Buffer;
  parsed: ParsedCertificate;
  member: MemberSubject;
}

/**
 * Returns the caller's auth certificate after checking that it chains to this CA, is valid now,
 * is not revoked, is an auth certificate (clientAuth) and names a member under profile jp-link-v1.
 */
export async function requireClientCertificate(request: FastifyRequest, ca: CaKeys, statuses: CertificateStatusStore): Promise<ClientCertificate> {
  const socket = request.raw.socket as TLSSocket;
  const peer = typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate(false) : undefined;
  if (!peer || !peer.raw) throw new AppError(CENTER_ERRORS.CENTER_TLS_CLIENT_CERT_REQUIRED);
  const der = Buffer.from(peer.raw);
  try {
    await verifyCertificateChain({ leaf: der, intermediates: [ca.issuing.certificate], trustAnchors: [ca.root.certificate] });
  } catch (cause) {
    if (cause instanceof PkiError) throw new AppError(CENTER_ERRORS.CENTER_CERTIFICATE_NOT_VALID, { cause });
    throw cause;
  }
  const parsed = parseCertificate(der);
  const status = statuses.get(parsed.serialNumber.toString(16));
  if (status?.type !== 'good') throw new AppError(CENTER_ERRORS.CENTER_CERTIFICATE_NOT_VALID, { message: 'The TLS client certificate is revoked or unknown to this CA.' });
  const member = parseMemberSubject(parsed.subject);
  if (!parsed.extendedKeyUsage.includes('clientAuth') || !member || member.serverCode === undefined) throw new AppError(CENTER_ERRORS.CENTER_CERTIFICATE_NOT_AUTH);
  return { der, parsed, member };
}
