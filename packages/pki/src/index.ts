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
  parseOcspRequest,
  type CertId,
  type CertIdHashAlgorithm,
  type ParsedOcspRequest,
} from './ocsp-request.ts';
export {
  OCSP_RESPONSE_STATUS_CODES,
  REVOCATION_REASON_CODES,
  buildOcspErrorResponse,
  buildOcspResponse,
  type BuildOcspResponseOptions,
  type OcspCertStatus,
  type OcspErrorStatus,
  type OcspSingleResponseInput,
  type RevocationReason,
} from './ocsp-response.ts';
export {
  parseOcspResponse,
  verifyOcspResponse,
  type OcspVerificationResult,
  type ParsedOcspResponse,
  type ParsedOcspSingleResponse,
  type VerifyOcspResponseOptions,
} from './ocsp-verify.ts';
export {
  createTimeStampRequest,
  parseTimeStampRequest,
  type CreateTimeStampRequestOptions,
  type ParsedTimeStampRequest,
  type TimeStampHash,
} from './tsp-request.ts';
export { buildTimeStampRejection, buildTimeStampResponse, type BuildTimeStampResponseOptions } from './tsp-response.ts';
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
