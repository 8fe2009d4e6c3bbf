// Structures shared by the DER request parsers: AlgorithmIdentifier, Extensions, EXPLICIT tags.
import { TAG, booleanOf, checkWellFormed, childrenOf, expectTag, fail, oidOf, type DerInput, type Tlv } from './der-reader.ts';

/** AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL } → the OID. */
export function algorithmOid(input: DerInput, tlv: Tlv | undefined, what: string): string {
  const parts = childrenOf(input, expectTag(input, tlv, TAG.sequence, what));
  if (parts.length < 1 || parts.length > 2) throw fail(input, `bad ${what}`);
  const params = parts[1];
  if (params) checkWellFormed(input, params);
  return oidOf(input, expectTag(input, parts[0], TAG.oid, what));
}

export interface ExtensionTlv {
  id: string;
  critical: boolean;
  value: Tlv;
}

/**
 * Extensions ::= SEQUENCE OF SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
 * (`tag` differs from SEQUENCE when the list is IMPLICITly tagged).
 */
export function extensionsOf(input: DerInput, tlv: Tlv, tag: number = TAG.sequence): ExtensionTlv[] {
  return childrenOf(input, expectTag(input, tlv, tag, 'extensions')).map((ext) => {
    const parts = childrenOf(input, expectTag(input, ext, TAG.sequence, 'extension'));
    const id = oidOf(input, expectTag(input, parts[0], TAG.oid, 'extnID'));
    let i = 1;
    let critical = false;
    if (parts[i]?.tag === TAG.boolean) critical = booleanOf(input, parts[i++] as Tlv);
    const value = expectTag(input, parts[i++], TAG.octetString, 'extnValue');
    if (i !== parts.length) throw fail(input, 'bad extension');
    return { id, critical, value };
  });
}

/** The single element inside an EXPLICIT [n] tag. */
export function explicitOf(input: DerInput, tlv: Tlv, what: string): Tlv {
  const inner = childrenOf(input, tlv);
  if (inner.length !== 1) throw fail(input, `bad ${what}`);
  return inner[0] as Tlv;
}
