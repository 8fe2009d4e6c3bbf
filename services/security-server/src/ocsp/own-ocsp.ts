// OCSP responses for this Security Server's own auth and sign certificates. They are fetched from
// the responder the global configuration names for the issuing approved CA, verified (issuer from
// the configuration, nonce, freshness), kept in memory and on disk, and shipped by the proxies with
// every message (and served on port 5577 for peers that authenticate us over TLS).
import { createOcspRequest, parseCertificate, sha256, verifyCertificateChain, verifyOcspResponse, type OcspVerificationResult } from '@jplink/pki';
import type { Logger } from '@jplink/kit';
import type { ConfView } from '../conf/conf-view.ts';
import type { GlobalConfClient } from '../conf/global-conf-client.ts';
import { fetchOcspResponse, ocspFreshUntilMs } from './ocsp-http.ts';
import { OcspResponseStore } from './ocsp-response-store.ts';

export interface OwnOcspManagerOptions {
  /** This Security Server's own auth and sign certificates (called at every refresh). */
  certificates: () => Array<{ der: Uint8Array }>;
  conf: GlobalConfClient;
  logger: Logger;
  now?: () => Date;
  /** Where `ocsp/<sha256>.der` lives; default the configuration client's data folder. */
  dataDir?: string;
  fetchTimeoutMs?: number;
}

export type OcspCertStatus = OcspVerificationResult['status'];

export interface OwnOcspResult {
  sha256: string;
  status?: OcspCertStatus;
  error?: string;
}

export interface OwnOcspCertificateStatus {
  sha256: string;
  status: OcspCertStatus | null;
  thisUpdate: string | null;
  nextUpdate: string | null;
  fresh: boolean;
  lastError: string | null;
  lastAttemptAt: string | null;
}

interface Entry {
  der: Buffer;
  status: OcspCertStatus;
  thisUpdate: Date;
  nextUpdate: Date | undefined;
}

const MIN_DELAY_MS = 5_000;
const RETRY_DELAY_MS = 30_000;

export class OwnOcspManager {
  readonly #certificates: () => Array<{ der: Uint8Array }>;
  readonly #conf: GlobalConfClient;
  readonly #logger: Logger;
  readonly #now: () => Date;
  readonly #store: OcspResponseStore;
  readonly #fetchTimeoutMs: number;
  readonly #entries = new Map<string, Entry>();
  readonly #errors = new Map<string, string>();
  readonly #attempts = new Map<string, Date>();
  #inflight: Promise<OwnOcspResult[]> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #loaded = false;
  #lastRefreshAt: Date | undefined;

  constructor(options: OwnOcspManagerOptions) {
    this.#certificates = options.certificates;
    this.#conf = options.conf;
    this.#logger = options.logger;
    this.#now = options.now ?? (() => new Date());
    this.#store = new OcspResponseStore(options.dataDir ?? options.conf.dataDir);
    this.#fetchTimeoutMs = options.fetchTimeoutMs ?? 10_000;
  }

  #freshnessSeconds(): number | undefined {
    return this.#conf.latest()?.settings.ocspFreshnessSeconds;
  }

  /** The cached response (DER) for an own certificate, only while it is fresh. Any status: a revoked answer is the truth. */
  responseFor(certSha256: string): Buffer | undefined {
    const entry = this.#entries.get(certSha256);
    const freshness = this.#freshnessSeconds();
    if (entry === undefined || freshness === undefined) return undefined;
    return this.#now().getTime() <= ocspFreshUntilMs(entry.thisUpdate, entry.nextUpdate, freshness) ? entry.der : undefined;
  }

  /** Verifies `response` for `certDer` against the current configuration (issuer from the conf, chain to an approved root). */
  async #verify(view: ConfView, certDer: Uint8Array, response: Uint8Array, nonce?: Uint8Array): Promise<OcspVerificationResult> {
    const at = this.#now();
    // The chain (built only from the configuration's approved roots and intermediates) gives the
    // issuer; verifyOcspResponse then checks the responder is that issuer or its delegate.
    const { chain } = await verifyCertificateChain({ leaf: certDer, intermediates: view.approvedCaIntermediates(), trustAnchors: view.approvedCaRoots(), at });
    const issuer = chain[1];
    if (!issuer) throw new Error('the certificate is itself a trust anchor');
    return verifyOcspResponse({
      response,
      issuer: issuer.der,
      certificate: certDer,
      at,
      maxAgeSeconds: view.settings.ocspFreshnessSeconds,
      ...(nonce ? { nonce } : {}),
    });
  }

  #remember(sha: string, der: Buffer, result: OcspVerificationResult): void {
    this.#entries.set(sha, { der, status: result.status, thisUpdate: result.thisUpdate, nextUpdate: result.nextUpdate });
  }

  /** Loads fresh responses stored by an earlier run (each re-verified). */
  async loadStored(): Promise<number> {
    this.#loaded = true;
    const view = this.#conf.latest();
    if (!view) return 0;
    let loaded = 0;
    for (const { der } of this.#certificates()) {
      const sha = sha256(der).toString('hex');
      if (this.#entries.has(sha)) continue;
      try {
        const stored = await this.#store.read(sha);
        if (!stored) continue;
        this.#remember(sha, stored, await this.#verify(view, der, stored));
        loaded++;
      } catch (error) {
        this.#logger.debug({ err: error, certSha256: sha }, 'stored OCSP response not usable');
      }
    }
    return loaded;
  }

  async #fetchOne(view: ConfView, certDer: Uint8Array, sha: string): Promise<OcspCertStatus> {
    const cert = parseCertificate(certDer);
    const responder = view.ocspResponderFor(cert);
    if (!responder) throw new Error('no approved CA in the global configuration issued this certificate');
    // Prefer the configuration's responders; an AIA URL is used only if it points at one of them.
    const urls = [...new Set([...responder.urls, ...cert.ocspUrls.filter((u) => view.isApprovedOcspHost(u))])];
    if (!urls.length) throw new Error('the global configuration names no OCSP responder for the issuing CA');
    const request = await createOcspRequest({ certificate: cert.der, issuer: responder.issuer, nonce: true });
    let lastError: unknown;
    for (const url of urls) {
      try {
        const der = await fetchOcspResponse(url, { body: request.der, timeoutMs: this.#fetchTimeoutMs });
        const result = await this.#verify(view, cert.der, der, request.nonce);
        this.#remember(sha, der, result);
        await this.#store.write(sha, der).catch((error: unknown) => this.#logger.warn({ err: error, certSha256: sha }, 'could not store OCSP response'));
        if (result.status !== 'good') this.#logger.warn({ certSha256: sha, status: result.status }, 'OCSP responder reports an own certificate as not good');
        return result.status;
      } catch (error) {
        lastError = error;
        this.#logger.warn({ err: error, certSha256: sha, url }, 'OCSP fetch for an own certificate failed');
      }
    }
    throw lastError;
  }

  /** Fetches a fresh response for every own certificate. Per-certificate failures are reported, not thrown. */
  refresh(): Promise<OwnOcspResult[]> {
    this.#inflight ??= this.#refreshNow().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  async #refreshNow(): Promise<OwnOcspResult[]> {
    if (!this.#loaded) await this.loadStored();
    const certificates = this.#certificates().map(({ der }) => ({ der, sha: sha256(der).toString('hex') }));
    const wanted = new Set(certificates.map((c) => c.sha));
    for (const map of [this.#entries, this.#errors, this.#attempts]) for (const key of map.keys()) if (!wanted.has(key)) map.delete(key);
    this.#lastRefreshAt = this.#now();
    let view: ConfView;
    try {
      view = this.#conf.current('server');
    } catch (error) {
      const message = (error as Error).message;
      for (const { sha } of certificates) this.#errors.set(sha, message);
      return certificates.map(({ sha }) => ({ sha256: sha, error: message }));
    }
    return Promise.all(
      certificates.map(async ({ der, sha }): Promise<OwnOcspResult> => {
        this.#attempts.set(sha, this.#now());
        try {
          const status = await this.#fetchOne(view, der, sha);
          this.#errors.delete(sha);
          return { sha256: sha, status };
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          this.#errors.set(sha, message);
          return { sha256: sha, error: message };
        }
      }),
    );
  }

  /** Delay to the next fetch: the interval, or sooner when a response reaches half its freshness; soon after failures. */
  #nextDelayMs(results: OwnOcspResult[]): number {
    const view = this.#conf.latest();
    const intervalMs = (view?.settings.ocspFetchIntervalSeconds ?? 1200) * 1000;
    let delay = intervalMs;
    const freshness = view?.settings.ocspFreshnessSeconds;
    if (freshness !== undefined) {
      const now = this.#now().getTime();
      for (const entry of this.#entries.values()) {
        delay = Math.min(delay, entry.thisUpdate.getTime() + (freshness * 1000) / 2 - now);
      }
    }
    if (results.some((r) => r.error !== undefined)) delay = Math.min(delay, RETRY_DELAY_MS);
    return Math.min(intervalMs, Math.max(MIN_DELAY_MS, delay));
  }

  /** Fetches now and then on schedule; never throws. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#schedule(0);
  }

  #schedule(delayMs: number): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.refresh()
        .catch((error: unknown): OwnOcspResult[] => {
          this.#logger.error({ err: error }, 'OCSP refresh failed');
          return [{ sha256: '', error: String(error) }];
        })
        .then((results) => {
          if (this.#running) this.#schedule(this.#nextDelayMs(results));
        });
    }, delayMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#inflight?.catch(() => undefined);
  }

  status(): { lastRefreshAt: string | null; certificates: OwnOcspCertificateStatus[] } {
    const freshness = this.#freshnessSeconds();
    const now = this.#now().getTime();
    const shas = new Set([...this.#entries.keys(), ...this.#errors.keys()]);
    return {
      lastRefreshAt: this.#lastRefreshAt?.toISOString() ?? null,
      certificates: [...shas].map((sha) => {
        const entry = this.#entries.get(sha);
        return {
          sha256: sha,
          status: entry?.status ?? null,
          thisUpdate: entry?.thisUpdate.toISOString() ?? null,
          nextUpdate: entry?.nextUpdate?.toISOString() ?? null,
          fresh: entry !== undefined && freshness !== undefined && now <= ocspFreshUntilMs(entry.thisUpdate, entry.nextUpdate, freshness),
          lastError: this.#errors.get(sha) ?? null,
          lastAttemptAt: this.#attempts.get(sha)?.toISOString() ?? null,
        };
      }),
    };
  }
}
