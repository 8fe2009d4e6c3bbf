import { createPublicKey, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import { x509 } from './engine.ts';
import { PkiError } from './errors.ts';
import { parseAsn1, toBuffer, toDer } from './der.ts';
import { keyAlgorithmOf, sameKey, toWebCryptoPrivateKey, toWebCryptoPublicKey, webSigningAlgorithm, type KeyAlgorithm } from './keys.ts';
import { encodeName, nameFromSchema, type NameInput } from './names.ts';
import { verifySignatureWithOid } from './signature-algorithms.ts';

export interface CreateCsrOptions {
  subject: NameInput;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export interface ParsedCsr {
  subject: NameInput;
  publicKey: KeyObject;
  publicKeyAlgorithm: KeyAlgorithm;
  /** The CSR is signed by the key it contains. */
  signatureValid: boolean;
  der: Uint8Array;
}

/** PKCS#10 request signed with SHA-256 (ECDSA or RSA PKCS#1 v1.5); returns DER. */
export async function createCsr(opts: CreateCsrOptions): Promise<Uint8Array> {
  const alg = keyAlgorithmOf(opts.publicKey);
  if (!sameKey(opts.privateKey, opts.publicKey)) throw new PkiError('PKI_KEY_MISMATCH', 'privateKey does not match publicKey');
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: new x509.Name(toBuffer(encodeName(opts.subject))),
    keys: { privateKey: await toWebCryptoPrivateKey(opts.privateKey), publicKey: await toWebCryptoPublicKey(opts.publicKey) },
    signingAlgorithm: webSigningAlgorithm(alg),
  });
  return new Uint8Array(csr.rawData);
}

/**
 * Parses a PKCS#10 request (DER or PEM). Structure errors → PKI_CSR_MALFORMED;
 * keys other than EC-P256/RSA-2048 → PKI_KEY_UNSUPPORTED. The signature is
 * checked with node:crypto over the exact CertificationRequestInfo bytes.
 */
export async function parseCsr(derOrPem: Uint8Array | string): Promise<ParsedCsr> {
  let der: Uint8Array;
  try {
    der = toDer(derOrPem);
  } catch (cause) {
    throw new PkiError('PKI_CSR_MALFORMED', 'CSR: not DER or PEM', { cause });
  }
  const top = parseAsn1(der, 'PKI_CSR_MALFORMED', 'CSR');
  const bad = (why: string, cause?: unknown) => new PkiError('PKI_CSR_MALFORMED', `CSR: ${why}`, cause === undefined ? undefined : { cause });
  if (!(top instanceof asn1js.Sequence) || top.valueBlock.value.length !== 3) throw bad('not a CertificationRequest');
  const [info, sigAlg, sig] = top.valueBlock.value;
  if (!(info instanceof asn1js.Sequence) || !(sigAlg instanceof asn1js.Sequence) || !(sig instanceof asn1js.BitString)) throw bad('bad structure');
  const [version, subject, spki] = info.valueBlock.value;
  const algOid = sigAlg.valueBlock.value[0];
  if (!(version instanceof asn1js.Integer) || !(subject instanceof asn1js.Sequence) || !(spki instanceof asn1js.Sequence) || !(algOid instanceof asn1js.ObjectIdentifier)) {
    throw bad('bad CertificationRequestInfo');
  }
  // Cross-check with @peculiar/x509's schema parser (attributes, extensions).
  try {
    new x509.Pkcs10CertificateRequest(toBuffer(der));
  } catch (cause) {
    throw bad('rejected by PKCS#10 parser', cause);
  }
  let name: NameInput;
  let publicKey: KeyObject;
  try {
    name = nameFromSchema(subject);
    publicKey = createPublicKey({ key: Buffer.from(spki.valueBeforeDecodeView), format: 'der', type: 'spki' });
  } catch (cause) {
    throw bad('cannot read subject or public key', cause);
  }
  const publicKeyAlgorithm = keyAlgorithmOf(publicKey);
  const signatureValid = verifySignatureWithOid({
    algorithm: algOid.valueBlock.toString(),
    data: new Uint8Array(info.valueBeforeDecodeView),
    signature: new Uint8Array(sig.valueBlock.valueHexView),
    publicKey,
  });
  return { subject: name, publicKey, publicKeyAlgorithm, signatureValid, der };
}

/** parseCsr + throws PKI_CSR_SIGNATURE_INVALID unless the proof of possession verifies. */
export async function verifyCsr(derOrPem: Uint8Array | string): Promise<ParsedCsr> {
  const parsed = await parseCsr(derOrPem);
  if (!parsed.signatureValid) throw new PkiError('PKI_CSR_SIGNATURE_INVALID', 'CSR signature does not verify with its public key');
  return parsed;
}
