// One batch signer per member whose sign key this server holds: messages waiting for the same key
// share one signature over a hash tree (@jplink/exchange createBatchSigner).
import { createBatchSigner, type BatchSigner, type SignatureEnvelope } from '@jplink/exchange';
import { signKeyId, type KeyStore } from '../keys/key-store.ts';
import type { OwnOcspManager } from '../ocsp/own-ocsp.ts';
import { XRoadError, type XRoadErrorType } from '../errors.ts';

export class SignerRegistry {
  #keys: KeyStore;
  #ocsp: OwnOcspManager;
  #signers = new Map<string, { signer: BatchSigner; sha256: string }>();

  constructor(keys: KeyStore, ocsp: OwnOcspManager) {
    this.#keys = keys;
    this.#ocsp = ocsp;
  }

  /** Signs a message digest with the member's key; errors name the side that failed. */
  async sign(memberClass: string, memberCode: string, digest: Buffer, side: 'client' | 'server'): Promise<SignatureEnvelope> {
    const id = signKeyId(memberClass, memberCode);
    const certValidation: XRoadErrorType = side === 'client' ? 'server.clientproxy.cert_validation' : 'server.serverproxy.cert_validation';
    let entry = this.#signers.get(id);
    const key = this.#keys.get(id);
    if (!key?.certificate) throw new XRoadError(certValidation, `this Security Server has no signing certificate for ${memberClass}/${memberCode}`);
    if (!entry || entry.sha256 !== key.certificate.parsed.sha256) {
      const sha256 = key.certificate.parsed.sha256;
      const signer = createBatchSigner({
        privateKey: key.privateKey,
        certificate: key.certificate.der,
        ocsp: () => {
          const response = this.#ocsp.responseFor(sha256);
          if (!response) throw new XRoadError(certValidation, 'no fresh OCSP response for this Security Server’s signing certificate');
          return response;
        },
      });
      entry = { signer, sha256 };
      this.#signers.set(id, entry);
    }
    if (!this.#ocsp.responseFor(entry.sha256)) throw new XRoadError(certValidation, 'no fresh OCSP response for this Security Server’s signing certificate');
    return entry.signer.sign(digest);
  }

  stats() {
    return [...this.#signers.entries()].map(([id, { signer }]) => ({ id, ...signer.stats() }));
  }
}
