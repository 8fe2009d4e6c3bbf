import * as asn1js from 'asn1js';
import { PkiError } from './errors.ts';
import { encode, integerToBigint, parseAsn1, toDer } from './der.ts';

/** Raw DER pieces of an X.509 certificate (byte-exact, for hashing and matching). */
export interface CertificateFields {
  der: Uint8Array;
  tbs: Uint8Array;
  serialNumber: bigint;
  /** The serial INTEGER exactly as encoded (content octets). */
  serialBytes: Uint8Array;
  issuer: Uint8Array;
  subject: Uint8Array;
  issuerSchema: asn1js.Sequence;
  subjectSchema: asn1js.Sequence;
  spki: Uint8Array;
  /** Content of the subjectPublicKey BIT STRING (without the unused-bits octet). */
  subjectPublicKey: Uint8Array;
  signatureAlgorithm: string;
  signature: Uint8Array;
}

function raw(block: asn1js.BaseBlock): Uint8Array {
  return new Uint8Array(block.valueBeforeDecodeView);
}

export function certificateFields(input: Uint8Array | string): CertificateFields {
  const der = toDer(input);
  const top = parseAsn1(der, 'PKI_CERT_MALFORMED', 'certificate');
  const bad = (why: string) => new PkiError('PKI_CERT_MALFORMED', `certificate: ${why}`);
  if (!(top instanceof asn1js.Sequence) || top.valueBlock.value.length !== 3) throw bad('not a Certificate SEQUENCE');
  const [tbs, sigAlg, sig] = top.valueBlock.value;
  if (!(tbs instanceof asn1js.Sequence) || !(sigAlg instanceof asn1js.Sequence) || !(sig instanceof asn1js.BitString)) throw bad('bad structure');
  const items = [...tbs.valueBlock.value];
  if (items[0] && items[0].idBlock.tagClass === 3 && items[0].idBlock.tagNumber === 0) items.shift();
  const [serial, , issuer, , subject, spki] = items;
  if (!(serial instanceof asn1js.Integer) || !(issuer instanceof asn1js.Sequence) || !(subject instanceof asn1js.Sequence) || !(spki instanceof asn1js.Sequence)) {
    throw bad('bad TBSCertificate');
  }
  const spk = spki.valueBlock.value[1];
  const algOid = sigAlg.valueBlock.value[0];
  if (!(spk instanceof asn1js.BitString) || !(algOid instanceof asn1js.ObjectIdentifier)) throw bad('bad key or algorithm');
  return {
    der,
    tbs: raw(tbs),
    serialNumber: integerToBigint(serial),
    serialBytes: new Uint8Array(serial.valueBlock.valueHexView),
    issuer: raw(issuer),
    subject: raw(subject),
    issuerSchema: issuer,
    subjectSchema: subject,
    spki: raw(spki),
    subjectPublicKey: new Uint8Array(spk.valueBlock.valueHexView),
    signatureAlgorithm: algOid.valueBlock.toString(),
    signature: new Uint8Array(sig.valueBlock.valueHexView),
  };
}

/** Re-encodes a schema element (used where a copy of a parsed element is needed). */
export function reencode(block: asn1js.BaseBlock): Uint8Array {
  return encode(block as unknown as { toBER(sizeOnly?: boolean): ArrayBuffer });
}

/** Content of the subjectPublicKey BIT STRING of an SPKI DER. */
export function spkiPublicKeyBits(spki: Uint8Array): Uint8Array {
  const top = parseAsn1(spki, 'PKI_KEY_MALFORMED', 'SubjectPublicKeyInfo');
  const bits = top instanceof asn1js.Sequence ? top.valueBlock.value[1] : undefined;
  if (!(bits instanceof asn1js.BitString)) throw new PkiError('PKI_KEY_MALFORMED', 'SubjectPublicKeyInfo: no BIT STRING');
  return new Uint8Array(bits.valueBlock.valueHexView);
}
