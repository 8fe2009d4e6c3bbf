// Residents: find or create the BaseID behind an upstream sign-in, link further upstream accounts
// to the same BaseID, unlink (never the last), and the claims Personal-Link states about a resident.
import { randomBytes } from 'node:crypto';
import { AppError } from '@jplink/kit';
import { isUniqueViolation } from '@jplink/db';
import { deleteAccountUnlessLast, findAccountBySubject, findResident, findResidentWithAccounts, insertAccount, insertResidentWithAccount, listAccounts, recordSignIn, type UpstreamAccountRow } from '../db/residents.ts';
import type { PlDb } from '../db/schema.ts';
import { PL_ERRORS } from '../errors.ts';
import type { PlAuditor } from '../audit.ts';

/** A BaseID: 24 random bytes, base64url (32 URL-safe characters). */
export function newBaseId(): string {
  return randomBytes(24).toString('base64url');
}
export const BASE_ID_PATTERN = /^[A-Za-z0-9_-]{22,64}$/;

/** What an upstream sign-in established about the person. */
export interface UpstreamIdentity {
  upstreamId: string;
  issuer: string;
  subject: string;
  verified: boolean;
  acr: string | null;
  /** Claims kept for the resident (profile, e-mail, verified attributes); never tokens. */
  claims: Record<string, unknown>;
}

export interface LinkedAccount {
  id: string;
  upstreamId: string;
  issuer: string;
  verified: boolean;
  createdAt: Date;
  lastSignInAt: Date;
  /** A label for the resident's own page (e-mail or name, if the upstream gave one). */
  label: string | null;
}

const account = (r: UpstreamAccountRow): LinkedAccount => ({
  id: String(r.id),
  upstreamId: r.upstream_id,
  issuer: r.issuer,
  verified: r.verified,
  createdAt: r.created_at,
  lastSignInAt: r.last_sign_in_at,
  label: typeof r.claims.email === 'string' ? r.claims.email : typeof r.claims.name === 'string' ? r.claims.name : null,
});

/** Later sign-ins keep what only an earlier one said (Apple sends the name only the first time). */
const mergeClaims = (before: Record<string, unknown>, now: Record<string, unknown>) => ({ ...before, ...Object.fromEntries(Object.entries(now).filter(([, v]) => v !== undefined && v !== null && v !== '')) });

export class Residents {
  private readonly deps: { db: PlDb; audit: PlAuditor; now: () => Date };

  constructor(deps: Residents['deps']) {
    this.deps = deps;
  }

  /** The BaseID of this upstream account, created on first sign-in. */
  async findOrCreate(identity: UpstreamIdentity): Promise<{ baseId: string; created: boolean }> {
    const { db, now } = this.deps;
    const existing = await findAccountBySubject(db, identity.issuer, identity.subject);
    if (existing) {
      await recordSignIn(db, String(existing.id), mergeClaims(existing.claims, identity.claims), existing.verified || identity.verified, identity.acr, now());
      return { baseId: existing.base_id, created: false };
    }
    const baseId = newBaseId();
    try {
      await insertResidentWithAccount(db, baseId, this.newAccount(identity), now());
    } catch (error) {
      // Two first sign-ins of the same person at once: the other one created the BaseID.
      if (!isUniqueViolation(error)) throw error;
      const winner = await findAccountBySubject(db, identity.issuer, identity.subject);
      if (!winner) throw error;
      return { baseId: winner.base_id, created: false };
    }
    await this.deps.audit({ actor: `resident:${baseId}`, action: 'resident.created', target: baseId, details: { upstream: identity.upstreamId, verified: identity.verified } });
    await this.deps.audit({ actor: `resident:${baseId}`, action: 'upstream.linked', target: baseId, details: { upstream: identity.upstreamId, verified: identity.verified } });
    return { baseId, created: true };
  }

  /** Adds another upstream account to a signed-in resident's BaseID. */
  async link(baseId: string, identity: UpstreamIdentity): Promise<void> {
    const { db, now } = this.deps;
    const existing = await findAccountBySubject(db, identity.issuer, identity.subject);
    if (existing && existing.base_id !== baseId) throw new AppError(PL_ERRORS.PL_UPSTREAM_ALREADY_LINKED);
    if (existing) {
      await recordSignIn(db, String(existing.id), mergeClaims(existing.claims, identity.claims), existing.verified || identity.verified, identity.acr, now());
      return;
    }
    try {
      await insertAccount(db, baseId, this.newAccount(identity), now());
    } catch (error) {
      if (isUniqueViolation(error)) throw new AppError(PL_ERRORS.PL_UPSTREAM_ALREADY_LINKED, { cause: error });
      throw error;
    }
    await this.deps.audit({ actor: `resident:${baseId}`, action: 'upstream.linked', target: baseId, details: { upstream: identity.upstreamId, verified: identity.verified } });
  }

  async unlink(baseId: string, accountId: string): Promise<void> {
    const removed = await deleteAccountUnlessLast(this.deps.db, baseId, accountId);
    if (removed === undefined) throw new AppError(PL_ERRORS.PL_UPSTREAM_ACCOUNT_NOT_FOUND);
    if (removed === 'last') throw new AppError(PL_ERRORS.PL_UPSTREAM_LAST_ACCOUNT);
    await this.deps.audit({ actor: `resident:${baseId}`, action: 'upstream.unlinked', target: baseId, details: { upstream: removed.upstream_id } });
  }

  async accounts(baseId: string): Promise<LinkedAccount[]> {
    return (await listAccounts(this.deps.db, baseId)).map(account);
  }

  async exists(baseId: string): Promise<boolean> {
    return (await findResident(this.deps.db, baseId)) !== undefined;
  }

  /**
   * OIDC claims about a resident. `sub` is the BaseID in this slice (the RP-link slice replaces it
   * with a per-RP pseudonym from the ID conversion table, see docs/operations/personal-link.md).
   */
  async claims(baseId: string): Promise<Record<string, unknown> | undefined> {
    const found = await findResidentWithAccounts(this.deps.db, baseId);
    if (!found) return undefined;
    const { resident, accounts } = found;
    // Prefer verified accounts' attributes, then the most recent sign-in.
    const ordered = [...accounts].sort((a, b) => Number(b.verified) - Number(a.verified) || b.last_sign_in_at.getTime() - a.last_sign_in_at.getTime());
    const pick = (name: string) => ordered.map((a) => a.claims[name]).find((v) => v !== undefined && v !== null && v !== '');
    const withEmail = ordered.find((a) => typeof a.claims.email === 'string');
    const verifiedAccount = ordered.find((a) => a.verified);
    const verifiedAttrs = verifiedAccount?.claims.verified_attributes as Record<string, unknown> | undefined;
    return {
      sub: baseId,
      base_id: baseId,
      name: pick('name'),
      given_name: pick('given_name'),
      family_name: pick('family_name'),
      email: withEmail?.claims.email,
      email_verified: withEmail ? withEmail.claims.email_verified === true || withEmail.claims.email_verified === 'true' : undefined,
      identity_verified: resident.identity_verified,
      ...(verifiedAccount && verifiedAttrs
        ? { verified_claims: { verification: { trust_framework: `jplink:${verifiedAccount.upstream_id}`, time: (resident.verified_at ?? verifiedAccount.created_at).toISOString() }, claims: verifiedAttrs } }
        : {}),
    };
  }

  private newAccount(identity: UpstreamIdentity) {
    return { upstream_id: identity.upstreamId, issuer: identity.issuer, subject: identity.subject, verified: identity.verified, acr: identity.acr, claims: identity.claims };
  }
}
