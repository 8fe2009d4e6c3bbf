// OCSP responder (RFC 6960). Certificates issued by the issuing CA are answered by the delegated
// responder certificate (EKU OCSPSigning, ocsp-nocheck); the issuing CA's own certificate is
// answered by the root itself. Unknown issuers and serials get `unknown`.
import {
  buildOcspErrorResponse,
  buildPreparedOcspResponse,
  certIdMatchesIssuer,
  parseOcspRequest,
  PkiError,
  prepareIssuer,
  prepareOcspSigner,
} from '@jplink/pki';
import type { CaKeys } from '../ca/authority.ts';
import type { CertificateStatusStore } from './status-store.ts';

export interface OcspResponderOptions {
  ca: CaKeys;
  statuses: CertificateStatusStore;
  /** nextUpdate = thisUpdate + validity. */
  validitySeconds: number;
  onError?: (error: unknown) => void;
}

export type OcspOutcome = { der: Uint8Array; kind: 'successful' | 'malformedRequest' | 'internalError' };

export function createOcspResponder(options: OcspResponderOptions) {
  const { ca, statuses } = options;
  // Parsed, checked and encoded once; per request only the ResponseData is encoded and signed.
  const rootIssuer = prepareIssuer(ca.root.certificate);
  const issuingIssuer = prepareIssuer(ca.issuing.certificate);
  const rootSigner = prepareOcspSigner({ certificate: ca.root.certificate, privateKey: ca.root.privateKey });
  const delegatedSigner = prepareOcspSigner({ certificate: ca.ocsp.certificate, privateKey: ca.ocsp.privateKey, includeCertificates: [ca.ocsp.certificate] });
  return async function respond(requestDer: Uint8Array): Promise<OcspOutcome> {
    let request;
    try {
      request = parseOcspRequest(requestDer);
    } catch (error) {
      if (error instanceof PkiError) return { der: buildOcspErrorResponse('malformedRequest'), kind: 'malformedRequest' };
      throw error;
    }
    if (request.requests.length === 0 || request.requests.length > 20) {
      return { der: buildOcspErrorResponse('malformedRequest'), kind: 'malformedRequest' };
    }
    try {
      const thisUpdate = new Date();
      const nextUpdate = new Date(thisUpdate.getTime() + options.validitySeconds * 1000);
      // All CertIDs in one request must be answerable by one signer: the first decides.
      const byRoot = certIdMatchesIssuer(request.requests[0]!, rootIssuer);
      const issuer = byRoot ? rootIssuer : issuingIssuer;
      const responses = request.requests.map((certId) => {
        if (!certIdMatchesIssuer(certId, issuer)) return { certId, status: { type: 'unknown' as const }, thisUpdate, nextUpdate };
        const status = statuses.get(certId.serialNumber.toString(16));
        return { certId, status: status ?? { type: 'unknown' as const }, thisUpdate, nextUpdate };
      });
      const der = buildPreparedOcspResponse(byRoot ? rootSigner : delegatedSigner, {
        responses,
        ...(request.nonce ? { nonce: request.nonce } : {}),
        producedAt: thisUpdate,
      });
      return { der, kind: 'successful' };
    } catch (error) {
      options.onError?.(error);
      return { der: buildOcspErrorResponse('internalError'), kind: 'internalError' };
    }
  };
}
