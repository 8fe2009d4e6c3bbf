// evidence.md §4 step 4: the signer certificate at signing time. The certificate chains to a given
// root CA (through the file's `ca` certificates) and is valid at the envelope's signedAt; the OCSP
// response shipped with the signature is signed by the issuing CA (or a responder it certified),
// names this certificate, is current at signedAt and says `good` — or `revoked` only after signedAt.
import { isPkiError, verifyCertificateChain, verifyOcspResponse, type OcspVerificationResult, type ParsedCertificate } from '@jplink/pki';
import type { ProblemCode, WarningCode } from './report.ts';

export type SignerFinding = { level: 'problem'; code: ProblemCode; message: string } | { level: 'warning'; code: WarningCode; message: string };

export interface SignerCheckInput {
  certificate: Uint8Array;
  certificateSha256: string;
  ocsp: Uint8Array;
  ocspSha256: string;
  /** The envelope's signedAt (ISO text, already validated). */
  signedAt: string;
}

/** Tolerance for an OCSP response's thisUpdate after, and nextUpdate before, signedAt (as OpenSSL). */
const OCSP_CLOCK_SKEW_SECONDS = 300;

const within = (cert: ParsedCertificate, at: Date) => at >= cert.notBefore && at <= cert.notAfter;

/** The time checks verifyOcspResponse makes, for a response that verified at another time. */
function ocspHoldsAt(result: OcspVerificationResult, at: Date): boolean {
  const skew = OCSP_CLOCK_SKEW_SECONDS * 1000;
  if (result.thisUpdate.getTime() > at.getTime() + skew) return false;
  if (result.nextUpdate && result.nextUpdate.getTime() < at.getTime() - skew) return false;
  return !result.delegated || within(result.responder, at);
}

/** Checks signer certificates of one file, remembering results (batches share certificate, OCSP response and signedAt). */
export class SignerChecks {
  #roots: Uint8Array[];
  #intermediates: Uint8Array[];
  /** certificate SHA-256 → a path to a root that verified at some time (the path does not depend on the time). */
  #chains = new Map<string, ParsedCertificate[]>();
  /** OCSP response and certificate SHA-256 → the result of a verification at some time (signature, responder and CertID do not depend on the time). */
  #ocsp = new Map<string, OcspVerificationResult>();
  #results = new Map<string, Promise<SignerFinding[]>>();

  constructor(roots: Uint8Array[], intermediates: Uint8Array[]) {
    this.#roots = roots;
    this.#intermediates = intermediates;
  }

  check(input: SignerCheckInput): Promise<SignerFinding[]> {
    const key = `${input.certificateSha256}|${input.ocspSha256}|${input.signedAt}`;
    let result = this.#results.get(key);
    if (!result) {
      result = this.#check(input);
      this.#results.set(key, result);
    }
    return result;
  }

  async #chainAt(input: SignerCheckInput, at: Date): Promise<ParsedCertificate[]> {
    const known = this.#chains.get(input.certificateSha256);
    if (known && known.every((cert) => within(cert, at))) return known;
    const { chain } = await verifyCertificateChain({ leaf: input.certificate, intermediates: this.#intermediates, trustAnchors: this.#roots, at });
    this.#chains.set(input.certificateSha256, chain);
    return chain;
  }

  async #ocspAt(input: SignerCheckInput, leaf: ParsedCertificate, issuer: ParsedCertificate, at: Date): Promise<OcspVerificationResult> {
    const key = `${input.ocspSha256}|${input.certificateSha256}`;
    const known = this.#ocsp.get(key);
    if (known && ocspHoldsAt(known, at)) return known;
    const result = await verifyOcspResponse({ response: input.ocsp, issuer: issuer.der, certificate: leaf.der, at, clockSkewSeconds: OCSP_CLOCK_SKEW_SECONDS });
    this.#ocsp.set(key, result);
    return result;
  }

  async #check(input: SignerCheckInput): Promise<SignerFinding[]> {
    const at = new Date(input.signedAt);
    const findings: SignerFinding[] = [];
    let chain: ParsedCertificate[];
    try {
      chain = await this.#chainAt(input, at);
    } catch (error) {
      return [{ level: 'problem', code: 'certificate-untrusted', message: `the signer certificate is not trusted at signedAt ${input.signedAt}: ${(error as Error).message}` }];
    }
    const [leaf, issuer] = chain as [ParsedCertificate, ParsedCertificate | undefined];
    if (!issuer) return [{ level: 'problem', code: 'certificate-untrusted', message: 'the signer certificate is a root CA certificate' }];
    if (!leaf.keyUsage.includes('nonRepudiation')) {
      findings.push({ level: 'problem', code: 'certificate-untrusted', message: 'the signer certificate is not a signing certificate (its key usage lacks nonRepudiation)' });
    }
    let status;
    try {
      status = await this.#ocspAt(input, leaf, issuer, at);
    } catch (error) {
      const why = isPkiError(error) ? error.message : `cannot be read (${(error as Error).message})`;
      findings.push({ level: 'problem', code: 'ocsp-invalid', message: `the OCSP response shipped with the signature does not hold at signedAt ${input.signedAt}: ${why}` });
      return findings;
    }
    if (status.status === 'unknown') {
      findings.push({ level: 'problem', code: 'certificate-untrusted', message: 'the OCSP response says the signer certificate is unknown to its CA' });
    } else if (status.status === 'revoked') {
      const revokedAt = status.revokedAt as Date;
      const reason = status.reason ? ` (${status.reason})` : '';
      if (revokedAt.getTime() <= at.getTime()) {
        findings.push({ level: 'problem', code: 'certificate-revoked', message: `the signer certificate was revoked at ${revokedAt.toISOString()}${reason}, before signedAt ${input.signedAt}` });
      } else {
        findings.push({ level: 'warning', code: 'certificate-revoked', message: `the signer certificate was revoked at ${revokedAt.toISOString()}${reason}, after signedAt ${input.signedAt}` });
      }
    }
    return findings;
  }
}
