import type { KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import { PkiError } from './errors.ts';
import { encode } from './der.ts';
import { OCSP_RESPONSE_STATUS_CODES, type OcspErrorStatus, type OcspSingleResponseInput } from './ocsp-codes.ts';
import { buildPreparedOcspResponse, prepareOcspSigner, type PreparedOcspSigner } from './ocsp-signer.ts';
import { createSignerCache } from './signer-cache.ts';

export interface BuildOcspResponseOptions {
  /** The issuing CA itself or its delegated responder (EKU OCSPSigning). */
  responder: { certificate: Uint8Array; privateKey: KeyObject };
  responses: OcspSingleResponseInput[];
  /** Echoed as id-pkix-ocsp-nonce. */
  nonce?: Uint8Array;
  /** Default now. */
  producedAt?: Date;
  /** Certificates for BasicOCSPResponse.certs (normally the delegated responder certificate). */
  includeCertificates?: Uint8Array[];
}

const signers = createSignerCache<PreparedOcspSigner>();

/**
 * Signed, successful OCSPResponse (id-pkix-ocsp-basic), responderID byKey.
 * For many responses with the same responder, prepareOcspSigner once and use
 * buildPreparedOcspResponse (this function does so, reusing a prepared
 * signer while the certificate, key and included certificates are the same).
 */
export async function buildOcspResponse(opts: BuildOcspResponseOptions): Promise<Uint8Array> {
  if (!opts.responses.length) throw new PkiError('PKI_INVALID_ARGUMENT', 'at least one response is required');
  const { certificate, privateKey } = opts.responder;
  const include = opts.includeCertificates ?? [];
  const signer = signers.get(privateKey, [certificate, ...include], () => prepareOcspSigner({ certificate, privateKey, includeCertificates: include }));
  const out: Parameters<typeof buildPreparedOcspResponse>[1] = { responses: opts.responses };
  if (opts.nonce) out.nonce = opts.nonce;
  if (opts.producedAt) out.producedAt = opts.producedAt;
  return buildPreparedOcspResponse(signer, out);
}

/** Unsigned error OCSPResponse (responseStatus only, RFC 6960 §2.3). */
export function buildOcspErrorResponse(status: OcspErrorStatus): Uint8Array {
  const code = OCSP_RESPONSE_STATUS_CODES[status];
  if (code === undefined || status === ('successful' as OcspErrorStatus)) throw new PkiError('PKI_INVALID_ARGUMENT', `not an OCSP error status: ${String(status)}`);
  return encode(new asn1js.Sequence({ value: [new asn1js.Enumerated({ value: code })] }));
}
