// Keeps this Security Server's copy of the global configuration: verified with the anchor on every
// download and on every load from disk, never rolled back, refreshed on a timer. The proxies ask
// `current(side)` per message; it throws the X-Road "outdated globalconf" error when there is no
// valid configuration, so no exchange happens on an expired one.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { ConfigurationAnchor } from '@jplink/contracts';
import { downloadGlobalConf, GlobalConfError, parseAnchor, verifyGlobalConf } from '@jplink/globalconf';
import type { Logger } from '@jplink/kit';
import { XRoadError } from '../errors.ts';
import { ConfView } from './conf-view.ts';
import { GlobalConfStore } from './conf-store.ts';

export type ConfSide = 'client' | 'server';

export interface GlobalConfClientOptions {
  anchorPath: string;
  dataDir: string;
  logger: Logger;
  now?: () => Date;
  fetchTimeoutMs?: number;
}

export interface GlobalConfStatus {
  instance: string;
  version: number | null;
  generatedAt: string | null;
  expiresAt: string | null;
  /** No configuration, or the one held has expired: exchange is refused. */
  outdated: boolean;
  lastError: string | null;
  lastAttemptAt: string | null;
  lastSuccessAt: string | null;
}

export type ConfChangeListener = (view: ConfView, previous: ConfView | undefined) => void;

const DEFAULT_REFRESH_SECONDS = 60;

function errorText(error: unknown): string {
  if (error instanceof GlobalConfError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

const sha256Hex = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

export class GlobalConfClient {
  readonly anchor: ConfigurationAnchor;
  readonly dataDir: string;
  readonly #store: GlobalConfStore;
  readonly #logger: Logger;
  readonly #now: () => Date;
  readonly #fetchTimeoutMs: number;
  readonly #listeners = new Set<ConfChangeListener>();
  #view: ConfView | undefined;
  #inflight: Promise<{ changed: boolean; version: number }> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #lastError: string | undefined;
  #lastAttemptAt: Date | undefined;
  #lastSuccessAt: Date | undefined;

  private constructor(anchor: ConfigurationAnchor, options: GlobalConfClientOptions) {
    this.anchor = anchor;
    this.dataDir = options.dataDir;
    this.#store = new GlobalConfStore(options.dataDir);
    this.#logger = options.logger;
    this.#now = options.now ?? (() => new Date());
    this.#fetchTimeoutMs = options.fetchTimeoutMs ?? 10_000;
  }

  /** Reads the anchor (throws GlobalConfError GCONF_ANCHOR_INVALID when it is bad) and the stored copy. */
  static async open(options: GlobalConfClientOptions): Promise<GlobalConfClient> {
    const anchor = parseAnchor(await readFile(options.anchorPath, 'utf8'));
    const client = new GlobalConfClient(anchor, options);
    await client.#loadStored();
    return client;
  }

  async #loadStored(): Promise<void> {
    let stored;
    try {
      stored = await this.#store.read();
    } catch (error) {
      this.#lastError = `stored configuration unreadable: ${errorText(error)}`;
      this.#logger.error({ err: error }, 'stored global configuration is unreadable; waiting for a download');
      return;
    }
    if (!stored) {
      this.#logger.info('no stored global configuration; waiting for the first download');
      return;
    }
    try {
      let conf;
      try {
        conf = await verifyGlobalConf({ anchor: this.anchor, document: stored.document, signature: stored.signature, now: this.#now() });
      } catch (error) {
        if (!(error instanceof GlobalConfError && error.code === 'GCONF_EXPIRED')) throw error;
        // Keep an expired copy (signature, instance and schema still verified): it is the rollback
        // floor and shows in status(), but current() refuses it.
        conf = await verifyGlobalConf({ anchor: this.anchor, document: stored.document, signature: stored.signature, now: new Date(0) });
        this.#logger.warn({ version: conf.version, expiresAt: conf.expiresAt }, 'stored global configuration has expired');
      }
      this.#view = new ConfView(conf, { documentSha256: sha256Hex(stored.document) });
      this.#logger.info({ version: conf.version, expiresAt: conf.expiresAt }, 'loaded the stored global configuration');
    } catch (error) {
      this.#lastError = `stored configuration refused: ${errorText(error)}`;
      this.#logger.error({ err: error }, 'stored global configuration refused; waiting for a download');
    }
  }

  /** Downloads and verifies the latest configuration; stores and publishes it when it is newer. */
  refresh(): Promise<{ changed: boolean; version: number }> {
    this.#inflight ??= this.#refreshNow().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  async #refreshNow(): Promise<{ changed: boolean; version: number }> {
    const now = this.#now();
    this.#lastAttemptAt = now;
    try {
      const previous = this.#view;
      const downloaded = await downloadGlobalConf(this.anchor, {
        now,
        timeoutMs: this.#fetchTimeoutMs,
        ...(previous ? { minVersion: previous.version } : {}),
      });
      const { conf } = downloaded;
      this.#lastSuccessAt = now;
      this.#lastError = undefined;
      if (previous && conf.version === previous.version) return { changed: false, version: conf.version };
      await this.#store.write({ version: conf.version, document: downloaded.document, signature: downloaded.signature });
      const view = new ConfView(conf, { documentSha256: sha256Hex(downloaded.document) });
      this.#view = view;
      this.#logger.debug({ version: conf.version, expiresAt: conf.expiresAt }, 'accepted a new global configuration');
      for (const listener of this.#listeners) {
        try {
          listener(view, previous);
        } catch (error) {
          this.#logger.error({ err: error }, 'global configuration change listener failed');
        }
      }
      return { changed: true, version: conf.version };
    } catch (error) {
      this.#lastError = errorText(error);
      throw error;
    }
  }

  /** Refreshes now and then every `configurationRefreshSeconds`; failures are logged and retried. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#schedule(0);
  }

  #schedule(delayMs: number): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.refresh()
        .catch((error: unknown) => {
          this.#logger.warn({ err: error, version: this.#view?.version ?? null }, 'global configuration refresh failed; will retry');
        })
        .finally(() => {
          if (this.#running) this.#schedule((this.#view?.settings.configurationRefreshSeconds ?? DEFAULT_REFRESH_SECONDS) * 1000);
        });
    }, delayMs);
    this.#timer.unref();
  }

  /** Stops the timer and waits for a running refresh to settle. */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#inflight?.catch(() => undefined);
  }

  /** The configuration to use for a message; throws the side's outdated_globalconf error without a valid one. */
  current(side: ConfSide): ConfView {
    const view = this.#view;
    if (view === undefined || view.isExpired(this.#now())) {
      const type = side === 'client' ? 'server.clientproxy.outdated_globalconf' : 'server.serverproxy.outdated_globalconf';
      throw new XRoadError(type, view === undefined ? 'No global configuration has been loaded.' : 'The global configuration has expired.');
    }
    return view;
  }

  /** The last accepted configuration even when expired (for status pages and background jobs). */
  latest(): ConfView | undefined {
    return this.#view;
  }

  status(): GlobalConfStatus {
    const view = this.#view;
    return {
      instance: this.anchor.instance,
      version: view?.version ?? null,
      generatedAt: view?.generatedAt.toISOString() ?? null,
      expiresAt: view?.expiresAt.toISOString() ?? null,
      outdated: view === undefined || view.isExpired(this.#now()),
      lastError: this.#lastError ?? null,
      lastAttemptAt: this.#lastAttemptAt?.toISOString() ?? null,
      lastSuccessAt: this.#lastSuccessAt?.toISOString() ?? null,
    };
  }

  /** Called with every newly accepted configuration; returns an unsubscribe function. */
  onChange(listener: ConfChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
