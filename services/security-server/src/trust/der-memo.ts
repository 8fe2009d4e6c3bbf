// Certificates and OCSP responses repeat on every message of a peer or signer: their base64 text is
// decoded once per distinct text (the same Buffer object each time), and the SHA-256 of a DER buffer
// is computed once per buffer object. The buffers handed out are shared: never modify them.
import { sha256 } from '@jplink/pki';

const LIMIT = 256;
const decoded = new Map<string, Buffer>();
const hashes = new WeakMap<Uint8Array, string>();

/** The bytes of base64 text (not validated here), one shared Buffer per distinct text. */
export function derOfBase64(text: string): Buffer {
  let der = decoded.get(text);
  if (der === undefined) {
    der = Buffer.from(text, 'base64');
    if (decoded.size >= LIMIT) decoded.delete(decoded.keys().next().value as string);
    decoded.set(text, der);
  }
  return der;
}

/** The bytes of base64 text decoded before by derOfBase64, else undefined. */
export function knownDerOfBase64(text: string): Buffer | undefined {
  return decoded.get(text);
}

/** Lower-case hex SHA-256 of DER bytes, remembered per buffer object. */
export function sha256HexOf(der: Uint8Array): string {
  let hex = hashes.get(der);
  if (hex === undefined) {
    hex = sha256(der).toString('hex');
    hashes.set(der, hex);
  }
  return hex;
}
