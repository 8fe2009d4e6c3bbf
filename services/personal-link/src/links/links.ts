// RP links and the central ID conversion table: BaseID lookup (BaseID照会), ID completion notice
// (ID完了通知), ID linkage completion notice (ID連携完了通知), UAX-Link's registrations (UL-PL …
// TBL登録), the operator's API access of each RP, and the resident's linked services.
import { AppError } from '@jplink/kit';
import { isUniqueViolation } from '@jplink/db';
import type { IdLinkView } from '@jplink/contracts';
import { findIdConversion, findIdConversionByLocal, findLink, getApiAccess, insertResidentOnly, listLinksOfResident, putApiAccess, setLink, upsertIdConversion } from '../db/links.ts';
import { findResident } from '../db/residents.ts';
import type { PlDb } from '../db/schema.ts';
import { PL_ERRORS } from '../errors.ts';
import type { PlAuditor } from '../audit.ts';
import type { RpRegistry } from '../oidc/clients.ts';
import { newBaseId } from '../residents/residents.ts';
import type { Consents } from '../consent/consents.ts';

export interface LinkDeps {
  db: PlDb;
  registry: RpRegistry;
  consents: Consents;
  audit: PlAuditor;
  now: () => Date;
}

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

export interface ResidentService {
  clientId: string;
  name: { ja: string; en: string };
  status: 'linked' | 'unlinked';
  linkedAt: Date;
  unlinkedAt: Date | null;
  hasIdConversion: boolean;
}

export class Links {
  private readonly deps: LinkDeps;

  constructor(deps: LinkDeps) {
    this.deps = deps;
  }

  private async view(clientId: string, baseId: string): Promise<IdLinkView> {
    const [conversion, link] = await Promise.all([findIdConversion(this.deps.db, clientId, baseId), findLink(this.deps.db, clientId, baseId)]);
    return { baseId, localUserId: conversion?.local_user_id ?? null, linked: link?.status === 'linked', linkedAt: link ? iso(link.linked_at) : null, unlinkedAt: link ? iso(link.unlinked_at) : null };
  }

  /** BaseID照会: only the caller's own rows are consulted. */
  async lookup(clientId: string, by: { localUserId: string } | { baseId: string }): Promise<IdLinkView> {
    const { db } = this.deps;
    if ('localUserId' in by) {
      const row = await findIdConversionByLocal(db, clientId, by.localUserId);
      if (!row) throw new AppError(PL_ERRORS.PL_ID_NOT_FOUND);
      return this.view(clientId, row.base_id);
    }
    const [conversion, link] = await Promise.all([findIdConversion(db, clientId, by.baseId), findLink(db, clientId, by.baseId)]);
    if (!conversion && !link) throw new AppError(PL_ERRORS.PL_ID_NOT_FOUND);
    return this.view(clientId, by.baseId);
  }

  /** ID完了通知: the RP's ID conversion row (BaseID ↔ its user id) in the central table. */
  async completeId(clientId: string, baseId: string, localUserId: string, via: 'id-completion' | 'ul-pl' = 'id-completion', db: PlDb = this.deps.db) {
    if (!(await findResident(db, baseId))) throw new AppError(PL_ERRORS.PL_RESIDENT_UNKNOWN);
    const taken = await findIdConversionByLocal(db, clientId, localUserId);
    if (taken && taken.base_id !== baseId) throw new AppError(PL_ERRORS.PL_ID_CONVERSION_CONFLICT);
    let result: 'created' | 'updated' | 'unchanged';
    try {
      result = await upsertIdConversion(db, clientId, baseId, localUserId, this.deps.now());
    } catch (error) {
      if (isUniqueViolation(error)) throw new AppError(PL_ERRORS.PL_ID_CONVERSION_CONFLICT, { cause: error });
      throw error;
    }
    if (result !== 'unchanged') await this.deps.audit({ actor: `rp:${clientId}`, action: 'id-conversion.registered', target: baseId, details: { client: clientId, result, via } });
    return { baseId, localUserId, result };
  }

  /** ID連携完了通知: the RP link table. Linking needs the RP's ID conversion row; unlinking ends the RP's consents. */
  async notifyLink(clientId: string, baseId: string, status: 'linked' | 'unlinked', via: 'link-notice' | 'ul-pl' = 'link-notice'): Promise<IdLinkView> {
    const { db, now } = this.deps;
    if (!(await findResident(db, baseId))) throw new AppError(PL_ERRORS.PL_RESIDENT_UNKNOWN);
    if (status === 'unlinked') {
      await this.deps.consents.unlink(baseId, clientId, 'rp');
      return this.view(clientId, baseId);
    }
    if (!(await findIdConversion(db, clientId, baseId))) throw new AppError(PL_ERRORS.PL_ID_CONVERSION_MISSING);
    const before = await findLink(db, clientId, baseId);
    await setLink(db, clientId, baseId, 'linked', now());
    if (before?.status !== 'linked') await this.deps.audit({ actor: `rp:${clientId}`, action: 'rp-link.linked', target: baseId, details: { client: clientId, via } });
    return this.view(clientId, baseId);
  }

  /**
   * UL-PL ユーザーマスタTBL登録: UAX-Link registers residents it enrolled (by its own user id). A user
   * id UAX-Link registered before keeps its BaseID; a new one gets a new BaseID with UAX-Link's ID
   * conversion row and link, in one transaction.
   */
  async uaxRegisterUsers(clientId: string, users: readonly { localUserId: string }[]) {
    const { db, now } = this.deps;
    const out: { localUserId: string; baseId: string; created: boolean }[] = [];
    const createdIds: string[] = [];
    await db.transaction().execute(async (trx) => {
      for (const u of users) {
        const existing = await findIdConversionByLocal(trx, clientId, u.localUserId);
        if (existing) {
          out.push({ localUserId: u.localUserId, baseId: existing.base_id, created: false });
          continue;
        }
        const baseId = newBaseId();
        const at = now();
        await insertResidentOnly(trx, baseId, at);
        await upsertIdConversion(trx, clientId, baseId, u.localUserId, at);
        await setLink(trx, clientId, baseId, 'linked', at);
        out.push({ localUserId: u.localUserId, baseId, created: true });
        createdIds.push(baseId);
      }
    });
    for (const baseId of createdIds) {
      await this.deps.audit({ actor: `rp:${clientId}`, action: 'resident.created', target: baseId, details: { via: 'ul-pl', client: clientId } });
      await this.deps.audit({ actor: `rp:${clientId}`, action: 'id-conversion.registered', target: baseId, details: { client: clientId, result: 'created', via: 'ul-pl' } });
      await this.deps.audit({ actor: `rp:${clientId}`, action: 'rp-link.linked', target: baseId, details: { client: clientId, via: 'ul-pl' } });
    }
    return { users: out };
  }

  /** UL-PL ID変換TBL登録: UAX-Link's own ID conversion rows, all or none. */
  async uaxRegisterIdConversions(clientId: string, entries: readonly { baseId: string; localUserId: string }[]) {
    const results = await this.deps.db.transaction().execute(async (trx) => {
      const out = [];
      for (const e of entries) out.push(await this.completeId(clientId, e.baseId, e.localUserId, 'ul-pl', trx));
      return out;
    });
    return { entries: results };
  }

  /** UL-PL ID連携管理TBL登録: UAX-Link's own RP links (each entry like an ID linkage completion notice). */
  async uaxRegisterLinks(clientId: string, entries: readonly { baseId: string; status: 'linked' | 'unlinked' }[]) {
    const out: IdLinkView[] = [];
    for (const e of entries) out.push(await this.notifyLink(clientId, e.baseId, e.status, 'ul-pl'));
    return { entries: out };
  }

  async residentServices(baseId: string): Promise<ResidentService[]> {
    const links = await listLinksOfResident(this.deps.db, baseId);
    const out: ResidentService[] = [];
    for (const l of links) {
      const rp = await this.deps.registry.find(l.client_id);
      const conversion = await findIdConversion(this.deps.db, l.client_id, baseId);
      out.push({ clientId: l.client_id, name: rp?.displayName ?? { ja: l.client_id, en: l.client_id }, status: l.status, linkedAt: new Date(l.linked_at), unlinkedAt: l.unlinked_at ? new Date(l.unlinked_at) : null, hasIdConversion: conversion !== undefined });
    }
    return out;
  }

  async apiAccess(clientId: string) {
    const row = await getApiAccess(this.deps.db, clientId);
    return { clientId, scopes: row?.scopes ?? [], consentReturnUris: row?.consent_return_uris ?? [], updatedAt: row ? new Date(row.updated_at).toISOString() : new Date(0).toISOString() };
  }

  async setApiAccess(clientId: string, scopes: string[], consentReturnUris: string[], actor: string) {
    if (!(await this.deps.registry.find(clientId))) throw new AppError(PL_ERRORS.PL_CLIENT_NOT_FOUND);
    await putApiAccess(this.deps.db, clientId, [...new Set(scopes)], [...new Set(consentReturnUris)], this.deps.now());
    await this.deps.audit({ actor, action: 'client.api-access-changed', target: clientId, details: { scopes, consentReturnUris: consentReturnUris.length } });
    return this.apiAccess(clientId);
  }
}
