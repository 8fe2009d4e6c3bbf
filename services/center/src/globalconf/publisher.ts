// Publishes the global configuration: a new signed version on every change, and a fresh one every
// refresh interval so the published copy never expires while the Center runs.
import { createHash } from 'node:crypto';
import type { GlobalConfiguration } from '@jplink/contracts';
import { GLOBAL_CONF_FORMAT_VERSION } from '@jplink/contracts';
import { signGlobalConf } from '@jplink/globalconf';
import type { Logger } from '@jplink/kit';
import type { CenterDb } from '../db/database.ts';
import { insertGlobalConf, latestGlobalConf, pruneGlobalConf } from '../db/global-conf.ts';
import type { CaKeys } from '../ca/authority.ts';
import type { Auditor } from '../audit/events.ts';
import { buildGlobalConfContent, type BuildOptions, type GlobalConfContent } from './builder.ts';

export interface PublishedGlobalConf {
  version: number;
  document: Buffer;
  signature: Buffer;
  documentSha256: string;
  generatedAt: Date;
  expiresAt: Date;
  conf: GlobalConfiguration;
}

export interface PublisherOptions extends BuildOptions {
  expirySeconds: number;
  refreshSeconds: number;
}

const contentHash = (content: GlobalConfContent) => createHash('sha256').update(JSON.stringify(content)).digest('hex');

export class GlobalConfPublisher {
  #db: CenterDb;
  #ca: CaKeys;
  #options: PublisherOptions;
  #audit: Auditor;
  #logger: Logger;
  #current: PublishedGlobalConf | undefined;
  #currentContentHash: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(deps: { db: CenterDb; ca: CaKeys; audit: Auditor; logger: Logger }, options: PublisherOptions) {
    this.#db = deps.db;
    this.#ca = deps.ca;
    this.#audit = deps.audit;
    this.#logger = deps.logger;
    this.#options = options;
  }

  get current(): PublishedGlobalConf | undefined {
    return this.#current;
  }

  /** Loads the newest stored version, publishes a fresh one, and starts the refresh timer. */
  async start(): Promise<void> {
    const stored = await latestGlobalConf(this.#db);
    if (stored) {
      const conf = JSON.parse(stored.document.toString('utf8')) as GlobalConfiguration;
      this.#current = {
        version: stored.version,
        document: stored.document,
        signature: stored.signature,
        documentSha256: stored.document_sha256,
        generatedAt: new Date(stored.generated_at),
        expiresAt: new Date(stored.expires_at),
        conf,
      };
      const { formatVersion: _f, version: _v, generatedAt: _g, expiresAt: _e, ...content } = conf;
      this.#currentContentHash = contentHash(content);
    }
    await this.publish('system');
    this.#timer = setInterval(() => {
      this.publish('system').catch((error: unknown) => this.#logger.error({ err: error }, 'global configuration refresh failed'));
    }, this.#options.refreshSeconds * 1000);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Builds, signs and stores a new version. Calls are serialised so versions never collide. */
  publish(actor: string): Promise<PublishedGlobalConf> {
    const run = this.#chain.then(() => this.#publishNow(actor));
    this.#chain = run.catch(() => undefined);
    return run;
  }

  async #publishNow(actor: string): Promise<PublishedGlobalConf> {
    const content = await buildGlobalConfContent(this.#db, this.#ca, this.#options);
    const hash = contentHash(content);
    const generatedAt = new Date();
    const expiresAt = new Date(generatedAt.getTime() + this.#options.expirySeconds * 1000);
    const version = (this.#current?.version ?? 0) + 1;
    const conf: GlobalConfiguration = {
      formatVersion: GLOBAL_CONF_FORMAT_VERSION,
      version,
      generatedAt: generatedAt.toISOString(),
      expiresAt: expiresAt.toISOString(),
      ...content,
    };
    const signed = await signGlobalConf(conf, { certificate: this.#ca['config-signing'].certificate, privateKey: this.#ca['config-signing'].privateKey });
    const documentSha256 = createHash('sha256').update(signed.document).digest('hex');
    const changed = hash !== this.#currentContentHash;
    await this.#db.transaction().execute(async (trx) => {
      await insertGlobalConf(trx, { version, document: signed.document, signature: signed.signature, documentSha256, generatedAt, expiresAt });
      if (changed) {
        await this.#audit({ actor, action: 'global-conf.changed', target: `version ${version}`, details: { version, documentSha256 } }, trx);
      }
    });
    await pruneGlobalConf(this.#db, new Date(generatedAt.getTime() - 86_400_000), 10);
    this.#current = { version, document: signed.document, signature: signed.signature, documentSha256, generatedAt, expiresAt, conf };
    this.#currentContentHash = hash;
    if (changed) this.#logger.info({ version, documentSha256 }, 'global configuration changed and published');
    return this.#current;
  }
}
