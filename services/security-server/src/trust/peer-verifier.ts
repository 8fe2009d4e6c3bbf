// Decides whether a peer Security Server (TLS auth certificate) or a member (message signing
// certificate) is trusted under the current global configuration: chain to an approved CA,
// registration / member identity, and a good, fresh OCSP response. Runs per message, so results
// are cached by (certificate hash, OCSP response hash) until the OCSP response goes stale, and all
// caches are dropped when the configuration version changes.
import type { GlobalConfSecurityServer } from '@jplink/contracts';
import type { Logger } from '@jplink/kit';
import {
  isPkiError,
  parseOcspResponse,
  verifyCertificateChain,
  verifyOcspResponse,
  type ParsedCertificate,
  type RequiredEku,
} from '@jplink/pki';
import { XRoadError, type XRoadErrorType } from '../errors.ts';
import type { ConfView } from '../conf/conf-view.ts';
import type { ConfSide, GlobalConfClient } from '../conf/global-conf-client.ts';
import { fetchOcspResponse, hostPort, ocspFreshUntilMs } from '../ocsp/ocsp-http.ts';
import { parseJpLinkSubject, authSubjectServerId } from './member-subject.ts';
import { VerificationCache, type VerificationCacheStats } from './verification-cache.ts';
import { sha256HexOf } from './der-memo.ts';

export interface PeerVerifierOptions {
  conf: GlobalConfClient;
  logger: Logger;
  now?: () => Date;
  /** Entries per cache (auth, signer, peer OCSP); default 10,000. */
  cacheSize?: number;
  /** Timeout of a peer OCSP fetch (port 5577); default 5 s. */
  fetchTimeoutMs?: number;
}

export interface AuthVerification {
  server: GlobalConfSecurityServer;
  sha256: string;
}

export interface PeerVerifierStats {
  auth: VerificationCacheStats;
  signer: VerificationCacheStats;
  peerOcsp: VerificationCacheStats;
}

const ERRORS: Record<ConfSide, { auth: XRoadErrorType; cert: XRoadErrorType; signature: XRoadErrorType }> = {
  client: { auth: 'server.clientproxy.ssl_authentication_failed', cert: 'server.clientproxy.cert_validation', signature: 'server.clientproxy.invalid_signature' },
  server: { auth: 'server.serverproxy.ssl_authentication_failed', cert: 'server.serverproxy.cert_validation', signature: 'server.serverproxy.invalid_signature' },
};

const SHA256_HEX = /^[0-9a-f]{64}$/;
// Per buffer object: the proxies pass the same buffers again (per TLS connection, per envelope text).
const hex = sha256HexOf;

/** A safe, client-facing reason why a certificate does not chain (no certificate contents). */
function chainFailure(what: string, error: unknown): string {
  if (isPkiError(error, 'PKI_CERT_EXPIRED') || isPkiError(error, 'PKI_CERT_NOT_YET_VALID')) return `The ${what} (or its issuer) is not valid at this time.`;
  if (isPkiError(error, 'PKI_CERT_USAGE')) return `The ${what} lacks the required extended key usage.`;
  if (isPkiError(error, 'PKI_CERT_MALFORMED') || isPkiError(error, 'PKI_ENCODING_INVALID')) return `The ${what} cannot be parsed.`;
  return `The ${what} is not issued by an approved certification authority.`;
}

export class PeerVerifier {
  readonly #conf: GlobalConfClient;
  readonly #logger: Logger;
  readonly #now: () => Date;
  readonly #fetchTimeoutMs: number;
  readonly #auth: VerificationCache<AuthVerification>;
  readonly #signer: VerificationCache<ParsedCertificate>;
  readonly #peerOcsp: VerificationCache<Buffer>;
  readonly #peerOcspInflight = new Map<string, Promise<Buffer>>();
  #contentHash: string | undefined;

  constructor(options: PeerVerifierOptions) {
    this.#conf = options.conf;
    this.#logger = options.logger;
    this.#now = options.now ?? (() => new Date());
    this.#fetchTimeoutMs = options.fetchTimeoutMs ?? 5_000;
    const size = { maxEntries: options.cacheSize ?? 10_000 };
    this.#auth = new VerificationCache(size);
    this.#signer = new VerificationCache(size);
    this.#peerOcsp = new VerificationCache(size);
  }

  /**
   * The current configuration (throws outdated_globalconf); drops every cache when its content
   * changed (a republication with the same content keeps them).
   */
  #view(side: ConfSide): ConfView {
    const view = this.#conf.current(side);
    if (view.contentHash !== this.#contentHash) {
      this.#auth.clear();
      this.#signer.clear();
      this.#peerOcsp.clear();
      this.#contentHash = view.contentHash;
    }
    return view;
  }

  async #chain(view: ConfView, side: ConfSide, certDer: Uint8Array, what: string, errorType: XRoadErrorType, requiredEku?: RequiredEku) {
    try {
      const { chain } = await verifyCertificateChain({
        leaf: certDer,
        intermediates: view.approvedCaIntermediates(),
        trustAnchors: view.approvedCaRoots(),
        at: this.#now(),
        ...(requiredEku ? { requiredEku } : {}),
      });
      const [leaf, issuer] = chain;
      if (!leaf || !issuer) throw new XRoadError(errorType, `The ${what} is a CA certificate.`);
      return { leaf, issuer };
    } catch (error) {
      if (error instanceof XRoadError) throw error;
      this.#logger.info({ err: error, side }, `${what} refused`);
      throw new XRoadError(errorType, chainFailure(what, error), { cause: error });
    }
  }

  /** Good, fresh, properly signed OCSP for `leaf`; returns until when (epoch ms) the answer may be used. */
  async #ocsp(view: ConfView, side: ConfSide, leaf: ParsedCertificate, issuer: ParsedCertificate, ocspDer: Uint8Array | undefined, what: string): Promise<number> {
    const type = ERRORS[side].cert;
    if (!ocspDer || ocspDer.length === 0) throw new XRoadError(type, `No OCSP response was given for the ${what}.`);
    const freshness = view.settings.ocspFreshnessSeconds;
    let result;
    try {
      result = await verifyOcspResponse({ response: ocspDer, issuer: issuer.der, certificate: leaf.der, at: this.#now(), maxAgeSeconds: freshness });
    } catch (error) {
      this.#logger.info({ err: error, side }, `OCSP response for the ${what} refused`);
      const message =
        isPkiError(error, 'PKI_OCSP_STALE') || isPkiError(error, 'PKI_OCSP_EXPIRED')
          ? `The OCSP response for the ${what} is not fresh.`
          : isPkiError(error, 'PKI_OCSP_CERT_ID_MISMATCH')
            ? `The OCSP response does not cover the ${what}.`
            : `The OCSP response for the ${what} is not valid.`;
      throw new XRoadError(type, message, { cause: error });
    }
    if (result.status === 'revoked') throw new XRoadError(type, `The ${what} has been revoked.`);
    if (result.status !== 'good') throw new XRoadError(type, `The OCSP responder does not know the ${what}.`);
    return Math.min(ocspFreshUntilMs(result.thisUpdate, result.nextUpdate, freshness), leaf.notAfter.getTime());
  }

  /**
   * A peer Security Server's TLS certificate. `side` is who asks: 'client' (client proxy checking
   * the provider's server; EKU serverAuth) or 'server' (server proxy checking the client's; clientAuth).
   */
  async verifyAuthCertificate(side: ConfSide, certDer: Uint8Array, ocspDer: Uint8Array | undefined): Promise<AuthVerification> {
    const view = this.#view(side);
    const certSha = hex(certDer);
    const key = `${side}|${certSha}|${ocspDer ? hex(ocspDer) : '-'}`;
    const cached = this.#auth.get(key, this.#now().getTime());
    if (cached) return cached;

    const what = 'authentication certificate';
    const type = ERRORS[side].auth;
    const { leaf, issuer } = await this.#chain(view, side, certDer, what, type, side === 'client' ? 'serverAuth' : 'clientAuth');
    const server = view.serverByAuthCertHash(certSha);
    if (!server) throw new XRoadError(type, 'The authentication certificate is not registered to any Security Server in the global configuration.');
    if (authSubjectServerId(leaf.subject) !== server.id) {
      throw new XRoadError(type, 'The authentication certificate does not name the Security Server it is registered for.');
    }
    const freshUntil = await this.#ocsp(view, side, leaf, issuer, ocspDer, what);
    const verified: AuthVerification = { server, sha256: certSha };
    this.#auth.set(key, verified, freshUntil);
    return verified;
  }

  /** A member's message-signing certificate (profile `sign`), which must belong to `expectedMember`. */
  async verifySignerCertificate(
    side: ConfSide,
    certDer: Uint8Array,
    ocspDer: Uint8Array | undefined,
    expectedMember: { memberClass: string; memberCode: string },
  ): Promise<ParsedCertificate> {
    const view = this.#view(side);
    const key = `${side}|${hex(certDer)}|${ocspDer ? hex(ocspDer) : '-'}|${expectedMember.memberClass}/${expectedMember.memberCode}`;
    const cached = this.#signer.get(key, this.#now().getTime());
    if (cached) return cached;

    const what = 'signing certificate';
    const type = ERRORS[side].signature;
    const { leaf, issuer } = await this.#chain(view, side, certDer, what, type);
    if (!leaf.keyUsage.includes('nonRepudiation')) throw new XRoadError(type, 'The signer’s certificate is not a signing certificate.');
    const memberId = `${view.instance}/${expectedMember.memberClass}/${expectedMember.memberCode}`;
    const subject = parseJpLinkSubject(leaf.subject);
    if (
      !subject ||
      subject.serverCode !== undefined ||
      subject.instance !== view.instance ||
      subject.memberClass !== expectedMember.memberClass ||
      subject.memberCode !== expectedMember.memberCode
    ) {
      throw new XRoadError(type, `The signing certificate does not belong to member ${memberId}.`);
    }
    if (!view.memberExists(memberId)) throw new XRoadError(type, `Member ${memberId} is not in the global configuration.`);
    const freshUntil = await this.#ocsp(view, side, leaf, issuer, ocspDer, what);
    this.#signer.set(key, leaf, freshUntil);
    return leaf;
  }

  /**
   * The OCSP response of a provider Security Server's auth certificate, from its port 5577
   * (client side only). Cached until it goes stale; verified by verifyAuthCertificate, not here.
   */
  async fetchPeerOcsp(server: GlobalConfSecurityServer, certSha256: string): Promise<Buffer> {
    const view = this.#view('client');
    const type = ERRORS.client.cert;
    const sha = certSha256.toLowerCase();
    if (!SHA256_HEX.test(sha)) throw new XRoadError(type, 'Invalid certificate hash.');
    const key = `${server.id}|${sha}`;
    const cached = this.#peerOcsp.get(key, this.#now().getTime());
    if (cached) return cached;
    const running = this.#peerOcspInflight.get(key);
    if (running) return running;
    const fetching = this.#fetchPeerOcspNow(view, server, sha, key).finally(() => this.#peerOcspInflight.delete(key));
    this.#peerOcspInflight.set(key, fetching);
    return fetching;
  }

  async #fetchPeerOcspNow(view: ConfView, server: GlobalConfSecurityServer, sha: string, key: string): Promise<Buffer> {
    const type = ERRORS.client.cert;
    const { host, ocspPort } = view.exchangeAddress(server);
    let der: Buffer;
    let freshUntil: number;
    try {
      der = await fetchOcspResponse(`http://${hostPort(host, ocspPort)}/ocsp?cert=${sha}`, { timeoutMs: this.#fetchTimeoutMs });
      const parsed = parseOcspResponse(der);
      const single = parsed.responses[0];
      if (parsed.responseStatus !== 'successful' || !single) throw new Error(`OCSP response status ${parsed.responseStatus}`);
      freshUntil = ocspFreshUntilMs(single.thisUpdate, single.nextUpdate, view.settings.ocspFreshnessSeconds);
    } catch (error) {
      this.#logger.warn({ err: error, server: server.id }, 'could not fetch the OCSP response of a peer Security Server');
      throw new XRoadError(type, 'The OCSP response of the service provider’s Security Server could not be obtained.', { cause: error });
    }
    if (freshUntil <= this.#now().getTime()) throw new XRoadError(type, 'The service provider’s Security Server has no fresh OCSP response.');
    this.#peerOcsp.set(key, der, freshUntil);
    return der;
  }

  stats(): PeerVerifierStats {
    return { auth: this.#auth.stats(), signer: this.#signer.stats(), peerOcsp: this.#peerOcsp.stats() };
  }
}
