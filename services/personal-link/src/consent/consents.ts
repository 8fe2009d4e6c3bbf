// Consents (許諾管理): an RP's request, the resident's decision (receipt + reflection), withdrawal,
// expiry, the provider's registration notice, and what residents and RPs may see. Every change
// bumps the version, appends a chained event and is audited.
import { randomBytes } from 'node:crypto';
import { AppError } from '@jplink/kit';
import type { ConsentApiView, ConsentEventType, ConsentRequestBody } from '@jplink/contracts';
import { findConsent, insertConsent, listConsentsOfResident, listDueForExpiry, listEvents, listEventsOfResident, listGivenConsentsWithRp, lockConsent, updateConsent, type ConsentEventRow, type ConsentRow } from '../db/consents.ts';
import { findLink, getApiAccess, setLink } from '../db/links.ts';
import type { PlDb } from '../db/schema.ts';
import { PL_ERRORS } from '../errors.ts';
import type { PlAuditor } from '../audit.ts';
import type { KeyManager } from '../oidc/keys.ts';
import type { RpRegistry } from '../oidc/clients.ts';
import { appendConsentEvent, verifyEvents, type ChainVerification } from './chain.ts';
import { issueReceipt, type ReceiptParty } from './receipt.ts';
import { notifyReflectionWorker, queueReflection } from './reflect.ts';
import { MY_DATA_CLIENT_ID, MY_DATA_NAME, MY_DATA_PERIOD_MS, MY_DATA_PURPOSE } from '../my-data/self-access.ts';
import { isNotifiedEvent, notifyNotificationWorker, queueConsentNotification } from '../notifications/outbox.ts';

/** A request nobody answers expires after this long. */
export const REQUEST_TTL_MS = 7 * 86400_000;
/** The longest consent period an RP may ask for. */
export const MAX_PERIOD_MS = 5 * 366 * 86400_000;

export interface ConsentDeps {
  db: PlDb;
  registry: RpRegistry;
  keys: KeyManager;
  audit: PlAuditor;
  issuer: string;
  baseUrl: string;
  now: () => Date;
}

export interface ConsentDetail {
  row: ConsentRow;
  events: ConsentEventRow[];
  chain: ChainVerification;
}

const newConsentId = () => `pc_${randomBytes(18).toString('base64url')}`;
const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

export class Consents {
  private readonly deps: ConsentDeps;

  constructor(deps: ConsentDeps) {
    this.deps = deps;
  }

  approvalUrl(consentId: string): string {
    return `${this.deps.baseUrl}/my/consents/${consentId}`;
  }

  private async party(clientId: string, subsystem?: string): Promise<ReceiptParty> {
    if (clientId === MY_DATA_CLIENT_ID) return { clientId, subsystem: subsystem ?? 'unknown', name: MY_DATA_NAME };
    const rp = await this.deps.registry.find(clientId);
    return { clientId, subsystem: rp?.memberSubsystem ?? 'unknown', name: rp?.displayName ?? { ja: clientId, en: clientId } };
  }

  /** 許諾依頼: RP `consumerId` asks the resident for consent. */
  async request(consumerId: string, body: ConsentRequestBody): Promise<ConsentApiView> {
    const { db, registry, now, audit } = this.deps;
    const at = now();
    const consumer = await registry.find(consumerId);
    if (!consumer) throw new AppError(PL_ERRORS.PL_API_TOKEN_INVALID);
    const provider = await registry.find(body.provider);
    if (!provider) throw new AppError(PL_ERRORS.PL_CONSENT_PROVIDER_UNKNOWN);
    const validFrom = body.validFrom ? new Date(body.validFrom) : at;
    const validUntil = new Date(body.validUntil);
    const problems: string[] = [];
    if (provider.clientId === consumerId) problems.push('the provider is the requester itself');
    if (validUntil <= validFrom) problems.push('validUntil must be after validFrom');
    if (validUntil <= at) problems.push('validUntil is in the past');
    if (validUntil.getTime() - validFrom.getTime() > MAX_PERIOD_MS) problems.push('the period is longer than 5 years');
    if (problems.length) throw new AppError(PL_ERRORS.PL_CONSENT_INVALID, { detail: { problems } });
    const access = await getApiAccess(db, consumerId);
    if (!access?.consent_return_uris.includes(body.returnUri)) throw new AppError(PL_ERRORS.PL_CONSENT_RETURN_URI_NOT_REGISTERED);
    const [consumerLink, providerLink] = await Promise.all([findLink(db, consumerId, body.baseId), findLink(db, provider.clientId, body.baseId)]);
    // One answer whether the BaseID is unknown or a service is not linked.
    if (consumerLink?.status !== 'linked' || providerLink?.status !== 'linked') throw new AppError(PL_ERRORS.PL_CONSENT_SERVICE_NOT_LINKED);

    const consentId = newConsentId();
    const actor = `rp:${consumerId}`;
    await db.transaction().execute(async (trx) => {
      await insertConsent(trx, {
        consent_id: consentId,
        base_id: body.baseId,
        consumer_client_id: consumerId,
        consumer_subsystem: consumer.memberSubsystem,
        provider_client_id: provider.clientId,
        provider_subsystem: provider.memberSubsystem,
        subsystem_code: body.subsystemCode,
        data_items: body.dataItems,
        purpose_code: body.purpose.code,
        purpose_ja: body.purpose.description.ja,
        purpose_en: body.purpose.description.en,
        valid_from: validFrom,
        valid_until: validUntil,
        status: 'requested',
        version: 1,
        return_uri: body.returnUri,
        request_expires_at: new Date(Math.min(at.getTime() + REQUEST_TTL_MS, validUntil.getTime())),
        receipt_jwt: null,
        created_at: at,
        updated_at: at,
      });
      await appendConsentEvent(trx, consentId, 'requested', actor, {
        version: 1,
        consumer: consumerId,
        provider: provider.clientId,
        providerSubsystem: provider.memberSubsystem,
        subsystemCode: body.subsystemCode,
        dataItems: body.dataItems,
        purpose: body.purpose.code,
        validFrom: validFrom.toISOString(),
        validUntil: validUntil.toISOString(),
      }, at);
    });
    await audit({ actor, action: 'consent.requested', target: consentId, details: { baseId: body.baseId, consumer: consumerId, provider: provider.clientId, subsystemCode: body.subsystemCode, dataItems: body.dataItems, purpose: body.purpose.code, validUntil: validUntil.toISOString() } });
    return this.viewForClient(consumerId, consentId);
  }

  /**
   * My Data: the resident lets Personal-Link itself (`consumerSubsystem`, its own X-Road subsystem)
   * read `dataItems` of the provider for the purpose 本人によるデータ閲覧. Recorded like any consent
   * (requested and given by the resident, receipt, reflection to the provider); the resident's
   * click is the decision. The caller checked that the provider is linked and offers My Data.
   */
  async grantSelfAccess(baseId: string, provider: { clientId: string; subsystem: string }, source: { subsystemCode: string; dataItems: string[] }, consumerSubsystem: string): Promise<ConsentRow> {
    const { db, now, audit } = this.deps;
    const at = now();
    const consentId = newConsentId();
    const actor = `resident:${baseId}`;
    const validUntil = new Date(at.getTime() + MY_DATA_PERIOD_MS);
    await db.transaction().execute(async (trx) => {
      await insertConsent(trx, {
        consent_id: consentId,
        base_id: baseId,
        consumer_client_id: MY_DATA_CLIENT_ID,
        consumer_subsystem: consumerSubsystem,
        provider_client_id: provider.clientId,
        provider_subsystem: provider.subsystem,
        subsystem_code: source.subsystemCode,
        data_items: source.dataItems,
        purpose_code: MY_DATA_PURPOSE.code,
        purpose_ja: MY_DATA_PURPOSE.ja,
        purpose_en: MY_DATA_PURPOSE.en,
        valid_from: at,
        valid_until: validUntil,
        status: 'requested',
        version: 1,
        return_uri: `${this.deps.baseUrl}/my/data/${provider.clientId}`,
        request_expires_at: validUntil,
        receipt_jwt: null,
        created_at: at,
        updated_at: at,
      });
      await appendConsentEvent(trx, consentId, 'requested', actor, { version: 1, consumer: MY_DATA_CLIENT_ID, provider: provider.clientId, providerSubsystem: provider.subsystem, subsystemCode: source.subsystemCode, dataItems: source.dataItems, purpose: MY_DATA_PURPOSE.code, validFrom: at.toISOString(), validUntil: validUntil.toISOString() }, at);
    });
    await audit({ actor, action: 'consent.requested', target: consentId, details: { baseId, consumer: MY_DATA_CLIENT_ID, provider: provider.clientId, subsystemCode: source.subsystemCode, dataItems: source.dataItems, purpose: MY_DATA_PURPOSE.code, validUntil: validUntil.toISOString() } });
    return this.decide(baseId, consentId, 'given');
  }

  /** A consent as the consumer or the provider RP sees it (404 for any other RP). */
  async viewForClient(clientId: string, consentId: string): Promise<ConsentApiView> {
    const row = await findConsent(this.deps.db, consentId);
    if (!row || (row.consumer_client_id !== clientId && row.provider_client_id !== clientId)) throw new AppError(PL_ERRORS.PL_CONSENT_NOT_FOUND);
    const events = await listEvents(this.deps.db, consentId);
    return {
      consentId: row.consent_id,
      baseId: row.base_id,
      consumer: { clientId: row.consumer_client_id, subsystem: row.consumer_subsystem },
      provider: { clientId: row.provider_client_id, subsystem: row.provider_subsystem },
      subsystemCode: row.subsystem_code,
      dataItems: row.data_items,
      purpose: { code: row.purpose_code, description: { ja: row.purpose_ja, en: row.purpose_en } },
      validFrom: iso(row.valid_from)!,
      validUntil: iso(row.valid_until)!,
      status: row.status,
      version: row.version,
      approvalUrl: row.status === 'requested' ? this.approvalUrl(row.consent_id) : null,
      requestExpiresAt: iso(row.request_expires_at)!,
      receipt: row.receipt_jwt,
      createdAt: iso(row.created_at)!,
      updatedAt: iso(row.updated_at)!,
      events: events.map((e) => ({ seq: e.seq, type: e.type, at: iso(e.at)!, actor: e.actor, details: e.details, hash: e.hash })),
    };
  }

  /** The resident's own consent with its events and the chain's verification (404 for another resident's). */
  async detailForResident(baseId: string, consentId: string): Promise<ConsentDetail> {
    const row = await findConsent(this.deps.db, consentId);
    if (!row || row.base_id !== baseId) throw new AppError(PL_ERRORS.PL_CONSENT_NOT_FOUND);
    const events = await listEvents(this.deps.db, consentId);
    return { row, events, chain: verifyEvents(consentId, events) };
  }

  async listForResident(baseId: string): Promise<ConsentRow[]> {
    return listConsentsOfResident(this.deps.db, baseId);
  }

  /** Provision history: when which consumer was given (and the provider was told about) which items. */
  async provisionHistory(baseId: string) {
    return listEventsOfResident(this.deps.db, baseId, ['given', 'reflected', 'acknowledged', 'registered', 'withdrawn', 'expired']);
  }

  /**
   * Runs one change of a consent under its row lock: checks, bumps the version, appends the event,
   * queues the reflection when the provider must learn of it, and audits afterwards.
   */
  private async change(
    consentId: string,
    check: (row: ConsentRow) => void,
    next: { status: ConsentRow['status']; event: ConsentEventType; actor: string; details: Record<string, unknown>; reflect?: 'active' | 'withdrawn'; receipt?: boolean },
  ): Promise<ConsentRow> {
    const { db, now } = this.deps;
    const at = now();
    // Everything the receipt needs from outside the consent row is read BEFORE the transaction: inside
    // it, every query must go through `trx` (the embedded database runs one transaction at a time, so a
    // query on another connection would wait for this transaction for ever). The parties never change.
    let forReceipt: { consumer: ReceiptParty; provider: ReceiptParty; keys: Pick<KeyManager, 'load'> } | undefined;
    if (next.receipt) {
      const before = await findConsent(db, consentId);
      if (!before) throw new AppError(PL_ERRORS.PL_CONSENT_NOT_FOUND);
      const [consumer, provider, material] = await Promise.all([this.party(before.consumer_client_id, before.consumer_subsystem), this.party(before.provider_client_id), this.deps.keys.load()]);
      forReceipt = { consumer, provider, keys: { load: async () => material } };
    }
    const changed = await db.transaction().execute(async (trx) => {
      const row = await lockConsent(trx, consentId);
      if (!row) throw new AppError(PL_ERRORS.PL_CONSENT_NOT_FOUND);
      check(row);
      const version = row.version + 1;
      let receipt: string | undefined;
      if (forReceipt) {
        receipt = await issueReceipt(forReceipt.keys, {
          issuer: this.deps.issuer,
          baseUrl: this.deps.baseUrl,
          consent: row,
          consumer: forReceipt.consumer,
          provider: forReceipt.provider,
          givenAt: at,
          version,
        });
      }
      await updateConsent(trx, consentId, { status: next.status, version, updated_at: at, ...(receipt ? { receipt_jwt: receipt } : {}) });
      await appendConsentEvent(trx, consentId, next.event, next.actor, { ...next.details, version, ...(receipt ? { receiptId: consentId } : {}) }, at);
      if (next.reflect) await queueReflection(trx, row, next.reflect, version);
      // RP A (the consumer) hears of the decision or the end, when it registered an endpoint.
      const notified = isNotifiedEvent(next.event) && (await queueConsentNotification(trx, row, next.event, version, at));
      return { changed: { ...row, status: next.status, version, updated_at: at, receipt_jwt: receipt ?? row.receipt_jwt }, notified };
    });
    // The outbox rows are committed now: wake this process's workers.
    if (next.reflect) notifyReflectionWorker();
    if (changed.notified) notifyNotificationWorker();
    return changed.changed;
  }

  private mine(baseId: string) {
    return (row: ConsentRow) => {
      if (row.base_id !== baseId) throw new AppError(PL_ERRORS.PL_CONSENT_NOT_FOUND);
    };
  }

  private pending(row: ConsentRow) {
    const t = this.deps.now();
    if (row.status !== 'requested' || new Date(row.request_expires_at) <= t || new Date(row.valid_until) <= t) throw new AppError(PL_ERRORS.PL_CONSENT_NOT_PENDING);
  }

  /** The resident approves (given) or declines a request of their own. */
  async decide(baseId: string, consentId: string, decision: 'given' | 'declined', reason: 'resident' | 'service-unlinked' = 'resident'): Promise<ConsentRow> {
    const actor = `resident:${baseId}`;
    const row = await this.change(
      consentId,
      (r) => {
        this.mine(baseId)(r);
        this.pending(r);
      },
      decision === 'given' ? { status: 'given', event: 'given', actor, details: {}, reflect: 'active', receipt: true } : { status: 'declined', event: 'declined', actor, details: { reason } },
    );
    await this.deps.audit({ actor, action: decision === 'given' ? 'consent.given' : 'consent.declined', target: consentId, details: { baseId, consumer: row.consumer_client_id, provider: row.provider_client_id, version: row.version, ...(decision === 'declined' ? { reason } : {}) } });
    return row;
  }

  /** The resident withdraws a given consent of their own: version+1, reflected as withdrawn. */
  async withdraw(baseId: string, consentId: string, reason: 'resident' | 'service-unlinked' = 'resident'): Promise<ConsentRow> {
    const actor = `resident:${baseId}`;
    const row = await this.change(
      consentId,
      (r) => {
        this.mine(baseId)(r);
        if (r.status !== 'given') throw new AppError(PL_ERRORS.PL_CONSENT_NOT_ACTIVE);
      },
      { status: 'withdrawn', event: 'withdrawn', actor, details: { reason }, reflect: 'withdrawn' },
    );
    await this.deps.audit({ actor, action: 'consent.withdrawn', target: consentId, details: { baseId, consumer: row.consumer_client_id, provider: row.provider_client_id, version: row.version, reason } });
    return row;
  }

  /** Marks consents past validUntil (reflected as withdrawn) and unanswered requests as expired. */
  async expireDue(limit = 500): Promise<number> {
    const now = this.deps.now();
    let count = 0;
    for (const { consent_id } of await listDueForExpiry(this.deps.db, now, limit)) {
      const due = await findConsent(this.deps.db, consent_id);
      if (!due) continue;
      const was = due.status;
      let row: ConsentRow;
      try {
        row = await this.change(
          consent_id,
          (r) => {
            const still = r.status === was && ((r.status === 'given' && new Date(r.valid_until) <= now) || (r.status === 'requested' && new Date(r.request_expires_at) <= now));
            if (!still) throw new AppError(PL_ERRORS.PL_CONSENT_NOT_ACTIVE); // changed meanwhile
          },
          { status: 'expired', event: 'expired', actor: 'system', details: { was }, ...(was === 'given' ? { reflect: 'withdrawn' as const } : {}) },
        );
      } catch (error) {
        if (error instanceof AppError) continue;
        throw error;
      }
      count++;
      await this.deps.audit({ actor: 'system', action: 'consent.expired', target: consent_id, details: { baseId: row.base_id, version: row.version, was } });
    }
    return count;
  }

  /** 許諾情報登録: the provider stored version `version` in its own consent table. */
  async registerAtProvider(providerId: string, consentId: string, version: number): Promise<{ consentId: string; version: number; result: 'registered' | 'already-registered' }> {
    const { db } = this.deps;
    const row = await findConsent(db, consentId);
    if (!row || row.provider_client_id !== providerId) throw new AppError(PL_ERRORS.PL_CONSENT_NOT_FOUND);
    const events = await listEvents(db, consentId);
    const reflectedVersions = new Set(events.filter((e) => e.type === 'given' || e.type === 'withdrawn' || e.type === 'expired').map((e) => Number(e.details.version)));
    if (version > row.version || !reflectedVersions.has(version)) throw new AppError(PL_ERRORS.PL_CONSENT_VERSION_UNKNOWN);
    if (events.some((e) => e.type === 'registered' && Number(e.details.version) === version)) return { consentId, version, result: 'already-registered' };
    await appendConsentEvent(db, consentId, 'registered', `rp:${providerId}`, { version }, this.deps.now());
    await this.deps.audit({ actor: `rp:${providerId}`, action: 'consent.registered', target: consentId, details: { provider: providerId, version } });
    return { consentId, version, result: 'registered' };
  }

  /**
   * Ends an RP link (by the RP or the resident): the link is marked unlinked, the resident's given
   * consents naming that RP are withdrawn and its pending requests declined.
   */
  async unlink(baseId: string, clientId: string, by: 'rp' | 'resident'): Promise<number> {
    const { db, now } = this.deps;
    const link = await findLink(db, clientId, baseId);
    if (!link || link.status !== 'linked') {
      if (by === 'resident') throw new AppError(PL_ERRORS.PL_LINK_NOT_FOUND);
      if (!link) await setLink(db, clientId, baseId, 'unlinked', now());
      return 0;
    }
    await setLink(db, clientId, baseId, 'unlinked', now());
    let ended = 0;
    for (const { consent_id } of await listGivenConsentsWithRp(db, baseId, clientId)) {
      const row = await findConsent(db, consent_id);
      try {
        if (row?.status === 'given') await this.withdraw(baseId, consent_id, 'service-unlinked');
        else if (row?.status === 'requested') await this.decide(baseId, consent_id, 'declined', 'service-unlinked');
        ended++;
      } catch {
        // Changed meanwhile (decided, expired): nothing left to end.
      }
    }
    await this.deps.audit({ actor: by === 'rp' ? `rp:${clientId}` : `resident:${baseId}`, action: 'rp-link.unlinked', target: baseId, details: { client: clientId, by, consentsEnded: ended } });
    return ended;
  }
}
