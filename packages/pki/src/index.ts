// Public API of @jplink/pki: keys, names, CSR, certificates, chains, OCSP, TSP and CMS.
export { PKI_ERROR_CODES, PkiError, isPkiError, pkiErrorCodes, type PkiErrorCode } from './errors.ts';
export { bytesEqual, certificateHash, derToPem, pemBlocks, pemToDer, sha256, toDer } from './der.ts';
export {
  exportPrivateKeyEncrypted,
  exportPublicKeyDer,
  exportPublicKeyPem,
  generateKeyPair,
  importPrivateKey,
  importPublicKey,
  keyAlgorithmOf,
  sign,
  verify,
  type KeyAlgorithm,
  type KeyPair,
} from './keys.ts';
export { decodeName, encodeName, formatName, parseName, type NameInput } from './names.ts';
export { createCsr, parseCsr, verifyCsr, type CreateCsrOptions, type ParsedCsr } from './csr.ts';
export {
  CERTIFICATE_PROFILES,
  issueCertificate,
  type CertificateProfile,
  type IssueCertificateOptions,
  type SubjectAltNames,
} from './certificates.ts';
export { parseCertificate, type ParsedCertificate } from './parse-certificate.ts';
export { verifyCertificateChain, type RequiredEku, type VerifyChainOptions } from './chain.ts';
export {
  certIdFor,
  certIdMatchesIssuer,
  createOcspRequest,
  type CertId,
  type CertIdHashAlgorithm,
  type ParsedOcspRequest,
} from './ocsp-request.ts';
export { parseOcspRequest } from './ocsp-request-parse.ts';
// Hot path of an OCSP responder: prepare the issuer(s) and the signer once, then per request
// parseOcspRequest → certIdMatchesIssuer(certId, preparedIssuer) → buildPreparedOcspResponse.
export { prepareIssuer, type PreparedIssuer } from './ocsp-issuer.ts';
export {
  buildPreparedOcspResponse,
  prepareOcspSigner,
  type PrepareOcspSignerOptions,
  type PreparedOcspResponseOptions,
  type PreparedOcspSigner,
} from './ocsp-signer.ts';
export {
  OCSP_RESPONSE_STATUS_CODES,
  REVOCATION_REASON_CODES,
  type OcspCertStatus,
  type OcspErrorStatus,
  type OcspSingleResponseInput,
  type RevocationReason,
} from './ocsp-codes.ts';
export { buildOcspErrorResponse, buildOcspResponse, type BuildOcspResponseOptions } from './ocsp-response.ts';
export {
  parseOcspResponse,
  verifyOcspResponse,
  type OcspVerificationResult,
  type ParsedOcspResponse,
  type ParsedOcspSingleResponse,
  type VerifyOcspResponseOptions,
} from './ocsp-verify.ts';
export { createTimeStampRequest, type CreateTimeStampRequestOptions, type ParsedTimeStampRequest, type TimeStampHash } from './tsp-request.ts';
export { parseTimeStampRequest } from './tsp-request-parse.ts';
export { buildTimeStampRejection, buildTimeStampResponse, type BuildTimeStampResponseOptions } from './tsp-response.ts';
// Hot path of a TSA: prepareTimeStampSigner once, then per request
// parseTimeStampRequest → buildPreparedTimeStampResponse.
export {
  buildPreparedTimeStampResponse,
  prepareTimeStampSigner,
  type PrepareTimeStampSignerOptions,
  type PreparedTimeStampResponseOptions,
  type PreparedTimeStampSigner,
} from './tsp-signer.ts';
export {
  TIME_STAMP_FAILURE_BITS,
  extractTimeStampToken,
  parseTimeStampResponse,
  parseTstInfo,
  type ParsedTimeStampResponse,
  type ParsedTstInfo,
  type TimeStampFailure,
  type TimeStampStatus,
} from './tsp-parse.ts';
export { verifyTimeStampToken, type TimeStampVerificationResult, type VerifyTimeStampTokenOptions } from './tsp-verify.ts';
export { signDetached, verifyDetached, type SignDetachedOptions, type VerifyDetachedOptions } from './cms.ts';
