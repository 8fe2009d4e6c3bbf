// Decoding of OCSPRequest (RFC 6960 §4.1.1) straight from the DER bytes, for the responder's hot path.
import { TAG, checkWellFormed, childrenOf, contentOf, contextTag, derInput, expectTag, fail, integerOf, readTop, tryReadTlv, type DerInput, type Tlv } from './der-reader.ts';
import { algorithmOid, explicitOf, extensionsOf } from './der-reader-common.ts';
import { OID } from './oids.ts';
import type { CertId, CertIdHashAlgorithm, ParsedOcspRequest } from './ocsp-request.ts';

const CERT_ID_HASH: Record<string, { name: CertIdHashAlgorithm; length: number }> = {
  [OID.sha1]: { name: 'sha1', length: 20 },
  [OID.sha256]: { name: 'sha256', length: 32 },
};

function certIdOf(input: DerInput, tlv: Tlv | undefined): CertId {
  const parts = childrenOf(input, expectTag(input, tlv, TAG.sequence, 'CertID'));
  if (parts.length !== 4) throw fail(input, 'bad CertID');
  const hash = CERT_ID_HASH[algorithmOid(input, parts[0], 'CertID hashAlgorithm')];
  if (!hash) throw fail(input, 'unsupported CertID hash algorithm');
  const nameHash = contentOf(input, expectTag(input, parts[1], TAG.octetString, 'issuerNameHash'));
  const keyHash = contentOf(input, expectTag(input, parts[2], TAG.octetString, 'issuerKeyHash'));
  if (nameHash.length !== hash.length || keyHash.length !== hash.length) throw fail(input, 'unsupported CertID hash algorithm');
  return {
    hashAlgorithm: hash.name,
    issuerNameHash: Buffer.from(nameHash),
    issuerKeyHash: Buffer.from(keyHash),
    serialNumber: integerOf(input, expectTag(input, parts[3], TAG.integer, 'serialNumber')),
  };
}

/** Request ::= SEQUENCE { reqCert CertID, singleRequestExtensions [0] EXPLICIT Extensions OPTIONAL }. */
function requestOf(input: DerInput, tlv: Tlv): CertId {
  const parts = childrenOf(input, expectTag(input, tlv, TAG.sequence, 'Request'));
  const certId = certIdOf(input, parts[0]);
  if (parts.length > 2) throw fail(input, 'bad Request');
  const exts = parts[1];
  if (exts) {
    const inner = childrenOf(input, expectTag(input, exts, contextTag(0, true), 'singleRequestExtensions'));
    if (inner.length !== 1) throw fail(input, 'bad singleRequestExtensions');
    extensionsOf(input, inner[0] as Tlv);
  }
  return certId;
}

/** Nonce extension value: the inner OCTET STRING content (RFC 8954), or the raw extnValue if it is not one. */
function nonceOf(value: Uint8Array): Uint8Array {
  const inner = tryReadTlv(value, 0, value.length);
  if (inner && inner.tag === TAG.octetString && inner.end === value.length) return new Uint8Array(value.subarray(inner.contentStart, inner.end));
  return new Uint8Array(value);
}

/** Signature ::= SEQUENCE { signatureAlgorithm, signature BIT STRING, certs [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL }. */
function checkSignature(input: DerInput, tlv: Tlv): void {
  const parts = childrenOf(input, expectTag(input, explicitOf(input, tlv, 'optionalSignature'), TAG.sequence, 'optionalSignature'));
  algorithmOid(input, parts[0], 'signatureAlgorithm');
  expectTag(input, parts[1], TAG.bitString, 'signature');
  if (parts.length > 3) throw fail(input, 'bad optionalSignature');
  if (parts[2]) {
    const certs = expectTag(input, explicitOf(input, expectTag(input, parts[2], contextTag(0, true), 'certs'), 'certs'), TAG.sequence, 'certs');
    checkWellFormed(input, certs);
  }
}

/**
 * Parses an OCSPRequest. Any structural error, or a CertID with an
 * unsupported hash (not SHA-1/SHA-256), throws PKI_OCSP_MALFORMED_REQUEST.
 * The optional requestor signature is ignored (its structure is checked).
 * DER only: indefinite lengths are refused.
 */
export function parseOcspRequest(der: Uint8Array): ParsedOcspRequest {
  const input = derInput(der, 'PKI_OCSP_MALFORMED_REQUEST', 'OCSP request');
  const top = childrenOf(input, expectTag(input, readTop(input), TAG.sequence, 'OCSPRequest'));
  if (top.length < 1 || top.length > 2) throw fail(input, 'not an OCSPRequest');
  if (top[1]) checkSignature(input, expectTag(input, top[1], contextTag(0, true), 'optionalSignature'));

  const tbs = childrenOf(input, expectTag(input, top[0], TAG.sequence, 'tbsRequest'));
  let i = 0;
  if (tbs[i]?.tag === contextTag(0, true)) expectTag(input, explicitOf(input, tbs[i++] as Tlv, 'version'), TAG.integer, 'version');
  if (tbs[i]?.tag === contextTag(1, true)) checkWellFormed(input, explicitOf(input, tbs[i++] as Tlv, 'requestorName'));
  const list = childrenOf(input, expectTag(input, tbs[i++], TAG.sequence, 'requestList'));
  let nonce: Uint8Array | undefined;
  if (tbs[i]?.tag === contextTag(2, true)) {
    const ext = extensionsOf(input, explicitOf(input, tbs[i++] as Tlv, 'requestExtensions')).find((e) => e.id === OID.ocspNonce);
    if (ext) nonce = nonceOf(contentOf(input, ext.value));
  }
  if (i !== tbs.length) throw fail(input, 'unexpected element in tbsRequest');

  const requests = list.map((r) => requestOf(input, r));
  if (!requests.length) throw fail(input, 'empty requestList');
  return nonce ? { requests, nonce } : { requests };
}
