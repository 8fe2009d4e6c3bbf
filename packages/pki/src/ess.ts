// ESS signing-certificate attributes (RFC 2634 SigningCertificate, RFC 5035/5816 SigningCertificateV2).
import * as asn1js from 'asn1js';
import { pkijs } from './engine.ts';
import { PkiError } from './errors.ts';
import { certificateFields } from './cert-fields.ts';
import { bigintToInteger, bytesEqual, digest, integerToBigint, octetStringBytes, parseAsn1, toArrayBuffer } from './der.ts';
import { OID, hashNameOf } from './oids.ts';
import { attribute } from './cms-core.ts';

/**
 * SigningCertificateV2 attribute with one ESSCertIDv2: SHA-256 hash of the
 * certificate (hashAlgorithm omitted = DEFAULT sha256, as DER requires) and
 * IssuerSerial { GeneralNames { [4] directoryName issuer }, serialNumber }.
 */
export function signingCertificateV2Attribute(certDer: Uint8Array): InstanceType<typeof pkijs.Attribute> {
  const f = certificateFields(certDer);
  const issuerName = parseAsn1(f.issuer, 'PKI_CERT_MALFORMED', 'issuer name');
  const issuerSerial = new asn1js.Sequence({
    value: [
      new asn1js.Sequence({ value: [new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 4 }, value: [issuerName] })] }),
      bigintToInteger(f.serialNumber),
    ],
  });
  const essCertIdV2 = new asn1js.Sequence({
    value: [new asn1js.OctetString({ valueHex: toArrayBuffer(digest('sha256', f.der)) }), issuerSerial],
  });
  const value = new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [essCertIdV2] })] });
  return attribute(OID.signingCertificateV2, value);
}

function fail(why: string): PkiError {
  return new PkiError('PKI_TSP_ESS_MISMATCH', `ESS signing certificate: ${why}`);
}

function checkIssuerSerial(block: asn1js.BaseBlock, certDer: Uint8Array): void {
  const f = certificateFields(certDer);
  const [names, serial] = block instanceof asn1js.Sequence ? block.valueBlock.value : [];
  if (!(names instanceof asn1js.Sequence) || !(serial instanceof asn1js.Integer)) throw fail('bad IssuerSerial');
  if (integerToBigint(serial) !== f.serialNumber) throw fail('serial number differs from the signer certificate');
  const dirNames = names.valueBlock.value.filter((g) => g.idBlock.tagClass === 3 && g.idBlock.tagNumber === 4);
  const match = dirNames.some((g) => {
    const inner = (g as asn1js.Constructed).valueBlock.value[0];
    return inner !== undefined && bytesEqual(new Uint8Array(inner.valueBeforeDecodeView), f.issuer);
  });
  if (!match) throw fail('issuer name differs from the signer certificate');
}

/**
 * Checks that the first ESSCertID(v2) binds the signer certificate (hash and,
 * when present, IssuerSerial). Prefers V2; accepts V1 (SHA-1). Missing → error.
 */
export function checkSigningCertificate(attributes: Map<string, asn1js.BaseBlock>, signerDer: Uint8Array): void {
  const v2 = attributes.get(OID.signingCertificateV2);
  const v1 = attributes.get(OID.signingCertificate);
  const attr = v2 ?? v1;
  if (!attr) throw fail('attribute missing');
  const certs = attr instanceof asn1js.Sequence ? attr.valueBlock.value[0] : undefined;
  const first = certs instanceof asn1js.Sequence ? certs.valueBlock.value[0] : undefined;
  if (!(first instanceof asn1js.Sequence)) throw fail('no ESSCertID');
  const parts = [...first.valueBlock.value];
  let hash = v2 ? 'sha256' : 'sha1';
  if (v2 && parts[0] instanceof asn1js.Sequence) {
    const alg = new pkijs.AlgorithmIdentifier({ schema: parts.shift() });
    const name = hashNameOf(alg.algorithmId);
    if (!name) throw fail(`unsupported hash ${alg.algorithmId}`);
    hash = name;
  }
  const certHash = parts[0];
  if (!(certHash instanceof asn1js.OctetString)) throw fail('no certHash');
  if (!bytesEqual(octetStringBytes(certHash), digest(hash, signerDer))) throw fail('certificate hash differs from the signer certificate');
  if (parts[1]) checkIssuerSerial(parts[1], signerDer);
}
