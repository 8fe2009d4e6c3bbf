/**
 * Error catalogue of @jplink/pki. Every expected failure is thrown as a
 * `PkiError` whose `code` is one of the keys below; the value is a short,
 * stable description (safe to show to an operator, never contains secrets).
 */
export const PKI_ERROR_CODES = {
  PKI_INVALID_ARGUMENT: 'An argument is missing, out of range or inconsistent',
  PKI_ENCODING_INVALID: 'Input is not valid PEM/DER',
  PKI_KEY_MALFORMED: 'A key could not be parsed',
  PKI_KEY_DECRYPT_FAILED: 'An encrypted private key could not be decrypted (wrong or missing passphrase)',
  PKI_KEY_UNSUPPORTED: 'Key algorithm is not EC-P256 or RSA-2048',
  PKI_KEY_MISMATCH: 'A private key does not belong to the given public key or certificate',
  PKI_NAME_INVALID: 'A distinguished name is invalid or uses an unsupported attribute',
  PKI_CSR_MALFORMED: 'A PKCS#10 certification request could not be parsed',
  PKI_CSR_SIGNATURE_INVALID: 'A PKCS#10 certification request is not signed by its own key',
  PKI_CERT_MALFORMED: 'A certificate could not be parsed',
  PKI_CERT_EXPIRED: 'A certificate is past its notAfter date',
  PKI_CERT_NOT_YET_VALID: 'A certificate is before its notBefore date',
  PKI_CERT_USAGE: 'A certificate lacks the required (extended) key usage',
  PKI_CERT_UNSUPPORTED_CRITICAL_EXTENSION: 'A certificate carries a critical extension this library does not process',
  PKI_CHAIN_UNTRUSTED: 'No path from the certificate to a trust anchor',
  PKI_CHAIN_SIGNATURE_INVALID: 'A certificate signature in the path does not verify',
  PKI_CHAIN_ISSUER_NOT_CA: 'An issuing certificate in the path is not a CA (basicConstraints/keyUsage)',
  PKI_CHAIN_PATH_LENGTH: 'The path violates a pathLenConstraint or is too long',
  PKI_OCSP_MALFORMED_REQUEST: 'An OCSP request could not be parsed',
  PKI_OCSP_MALFORMED_RESPONSE: 'An OCSP response could not be parsed',
  PKI_OCSP_UNSUCCESSFUL: 'The OCSP responder answered with an error status',
  PKI_OCSP_SIGNATURE_INVALID: 'The OCSP response signature does not verify',
  PKI_OCSP_RESPONDER_UNKNOWN: 'The certificate of the OCSP responder could not be found',
  PKI_OCSP_RESPONDER_UNAUTHORIZED: 'The OCSP responder is neither the issuer nor a delegated OCSPSigning responder of it',
  PKI_OCSP_NONCE_MISMATCH: 'The OCSP response nonce is missing or differs from the request',
  PKI_OCSP_CERT_ID_MISMATCH: 'The OCSP response has no status for the checked certificate',
  PKI_OCSP_STALE: 'The OCSP response thisUpdate is older than the allowed age',
  PKI_OCSP_EXPIRED: 'The OCSP response nextUpdate has passed',
  PKI_OCSP_NOT_YET_VALID: 'The OCSP response thisUpdate is in the future',
  PKI_TSP_MALFORMED_REQUEST: 'A time-stamp request could not be parsed',
  PKI_TSP_UNSUPPORTED_ALGORITHM: 'A time-stamp request uses an unsupported hash algorithm or a wrong imprint length',
  PKI_TSP_UNACCEPTED_POLICY: 'A time-stamp request asks for a policy the TSA does not serve',
  PKI_TSP_MALFORMED_RESPONSE: 'A time-stamp response or token could not be parsed',
  PKI_TSP_REJECTED: 'The TSA rejected the request',
  PKI_TSP_IMPRINT_MISMATCH: 'The time-stamp token covers different data',
  PKI_TSP_NONCE_MISMATCH: 'The time-stamp token nonce differs from the request',
  PKI_TSP_SIGNER_NOT_FOUND: 'The TSA certificate could not be found',
  PKI_TSP_SIGNATURE_INVALID: 'The time-stamp token signature or its signed attributes do not verify',
  PKI_TSP_ESS_MISMATCH: 'The ESS SigningCertificate(V2) attribute is missing or does not match the TSA certificate',
  PKI_CMS_MALFORMED: 'A CMS SignedData structure could not be parsed',
  PKI_CMS_SIGNATURE_INVALID: 'A CMS signature or its signed attributes do not verify',
  PKI_CMS_SIGNER_UNTRUSTED: 'The CMS signer certificate is not trusted',
} as const;

export type PkiErrorCode = keyof typeof PKI_ERROR_CODES;

/** All error codes, in catalogue order. */
export const pkiErrorCodes: readonly PkiErrorCode[] = Object.freeze(Object.keys(PKI_ERROR_CODES) as PkiErrorCode[]);

export class PkiError extends Error {
  readonly code: PkiErrorCode;

  constructor(code: PkiErrorCode, message?: string, options?: { cause?: unknown }) {
    super(message ?? PKI_ERROR_CODES[code], options);
    this.name = 'PkiError';
    this.code = code;
  }
}

export function isPkiError(error: unknown, code?: PkiErrorCode): error is PkiError {
  return error instanceof PkiError && (code === undefined || error.code === code);
}
