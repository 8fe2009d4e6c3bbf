// Decoding of TimeStampReq (RFC 3161 §2.4.1) straight from the DER bytes, for the TSA's hot path.
import { TAG, booleanOf, childrenOf, contentOf, contextTag, derInput, expectTag, fail, integerOf, oidOf, readTop, smallIntegerOf, type Tlv } from './der-reader.ts';
import { extensionsOf } from './der-reader-common.ts';
import type { ParsedTimeStampRequest } from './tsp-request.ts';

/**
 * Parses a TimeStampReq. Structural errors (and version ≠ 1, and hash
 * parameters other than absent or NULL) throw PKI_TSP_MALFORMED_REQUEST.
 * DER only: indefinite lengths are refused.
 */
export function parseTimeStampRequest(der: Uint8Array): ParsedTimeStampRequest {
  const input = derInput(der, 'PKI_TSP_MALFORMED_REQUEST', 'TimeStampReq');
  const parts = childrenOf(input, expectTag(input, readTop(input), TAG.sequence, 'TimeStampReq'));
  const version = smallIntegerOf(input, expectTag(input, parts[0], TAG.integer, 'version'));

  const imprint = childrenOf(input, expectTag(input, parts[1], TAG.sequence, 'messageImprint'));
  if (imprint.length !== 2) throw fail(input, 'bad messageImprint');
  const algorithm = childrenOf(input, expectTag(input, imprint[0], TAG.sequence, 'hashAlgorithm'));
  if (algorithm.length < 1 || algorithm.length > 2) throw fail(input, 'bad hashAlgorithm');
  const hashAlgorithm = oidOf(input, expectTag(input, algorithm[0], TAG.oid, 'hashAlgorithm'));
  const params = algorithm[1];
  if (params && (params.tag !== TAG.null || params.end !== params.contentStart)) {
    throw fail(input, 'hash algorithm parameters must be absent or NULL');
  }
  const hashedMessage = contentOf(input, expectTag(input, imprint[1], TAG.octetString, 'hashedMessage'));

  const out: ParsedTimeStampRequest = {
    hashAlgorithm,
    messageImprint: Buffer.from(hashedMessage),
    certReq: false,
    hashAlgorithmParameters: params ? 'null' : 'absent',
  };
  let i = 2;
  if (parts[i]?.tag === TAG.oid) out.policy = oidOf(input, parts[i++] as Tlv);
  if (parts[i]?.tag === TAG.integer) out.nonce = integerOf(input, parts[i++] as Tlv);
  if (parts[i]?.tag === TAG.boolean) out.certReq = booleanOf(input, parts[i++] as Tlv);
  if (parts[i]?.tag === contextTag(0, true)) {
    const extensions = extensionsOf(input, parts[i++] as Tlv, contextTag(0, true)).map((e) => e.id);
    if (extensions.length) out.extensions = extensions;
  }
  if (i !== parts.length) throw fail(input, 'unexpected element in TimeStampReq');
  if (version !== 1) throw fail(input, `unsupported TimeStampReq version ${version}`);
  return out;
}
