// The RP registry: relying parties are registered by the operator only (no dynamic registration).
// A client secret is generated here, shown once, and stored sealed (oidc-provider needs the
// plaintext to check client_secret_basic/post). oidc-provider reads clients through `adapter()`.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { AppError, openSecret, sealSecret } from '@jplink/kit';
import { subsystemIdText } from '@jplink/contracts';
import { isUniqueViolation } from '@jplink/db';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import { deleteRpClient, findRpClient, insertRpClient, listRpClients, updateRpClient, type RpClientRow, type RpClientValues } from '../db/clients.ts';
import type { PlDb } from '../db/schema.ts';
import { PL_ERRORS } from '../errors.ts';
import type { PlAuditor } from '../audit.ts';

/** Scopes an RP may ask for. */
export const SUPPORTED_SCOPES = ['openid', 'profile', 'email', 'offline_access', 'verified_identity', 'pl:ids', 'pl:consents', 'pl:uax'] as const;

const redirectUri = z.string().url().max(2000).refine((u) => {
  // Runs even when .url() failed (zod 4 checks do not abort): a non-URL is refused here, not thrown.
  const url = URL.parse(u);
  return url !== null && (url.protocol === 'https:' || url.protocol === 'http:') && !url.hash;
}, 'must be an http(s) URL without a fragment');

export const clientRegistration = z
  .object({
    clientId: z.string().regex(/^[A-Za-z0-9._-]{3,64}$/).optional(),
    memberSubsystem: subsystemIdText,
    displayName: z.object({ ja: z.string().min(1).max(80), en: z.string().min(1).max(80) }),
    redirectUris: z.array(redirectUri).max(20).default([]),
    postLogoutRedirectUris: z.array(redirectUri).max(20).default([]),
    backchannelLogoutUri: redirectUri.optional(),
    /** Where the RP receives consent events as signed SETs (docs/protocols/consent-notifications.md); absent → none. */
    consentNotificationUri: redirectUri.optional(),
    grantTypes: z.array(z.enum(['authorization_code', 'refresh_token', 'client_credentials'])).min(1).default(['authorization_code', 'refresh_token']),
    authMethod: z.enum(['client_secret_basic', 'client_secret_post', 'private_key_jwt']).default('client_secret_basic'),
    /** ID token signature algorithm for this RP; default: the service's (PL_SIGNING_ALG). */
    idTokenSigningAlg: z.enum(['ES256', 'RS256']).optional(),
    /** Public keys for private_key_jwt. */
    jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())).min(1) }).optional(),
  })
  .strict();
export type ClientRegistration = z.input<typeof clientRegistration>;

export const clientView = z.object({
  clientId: z.string(),
  memberSubsystem: z.string(),
  displayName: z.object({ ja: z.string(), en: z.string() }),
  redirectUris: z.array(z.string()),
  postLogoutRedirectUris: z.array(z.string()),
  backchannelLogoutUri: z.string().nullable(),
  consentNotificationUri: z.string().nullable(),
  grantTypes: z.array(z.string()),
  authMethod: z.string(),
  idTokenSigningAlg: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type ClientView = z.output<typeof clientView>;

function view(row: RpClientRow): ClientView {
  return {
    clientId: row.client_id,
    memberSubsystem: row.member_subsystem,
    displayName: { ja: row.display_name_ja, en: row.display_name_en },
    redirectUris: row.redirect_uris,
    postLogoutRedirectUris: row.post_logout_redirect_uris,
    backchannelLogoutUri: row.backchannel_logout_uri,
    consentNotificationUri: row.consent_notification_uri,
    grantTypes: row.grant_types,
    authMethod: row.auth_method,
    idTokenSigningAlg: row.id_token_signing_alg,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

const newSecret = () => randomBytes(32).toString('base64url');

/** How long another instance's change to an RP may go unseen here (this instance's own changes: at once). */
export const CLIENT_METADATA_TTL_MS = 5_000;
/** Most RPs kept (a bound, not an expected size: JP-Link members register a few hundred at most). */
const CLIENT_METADATA_MAX = 4_096;

export class RpRegistry {
  private readonly deps: { db: PlDb; passphrase: string; audit: PlAuditor; now: () => Date; signingAlg: 'ES256' | 'RS256'; metadataTtlMs?: number };
  /**
   * oidc-provider's client metadata per RP, with the opened secret, read at most once per TTL (every
   * token request needs it). Registered RPs only: an unknown id is not remembered, so a new RP works
   * at once and unknown ids cannot fill the map. Dropped here on update, secret rotation and removal
   * before the change is answered; another instance's change is seen within the TTL.
   */
  private readonly metadataCache = new Map<string, { payload: AdapterPayload; until: number }>();
  /** Bumped on every change here: a read that began before a change is not cached. */
  private generation = 0;

  constructor(deps: RpRegistry['deps']) {
    this.deps = deps;
  }

  private forget(clientId: string): void {
    this.generation++;
    this.metadataCache.delete(clientId);
  }

  private values(input: z.output<typeof clientRegistration>, clientId: string, secretSealed: string | null): RpClientValues {
    const problems: string[] = [];
    if (input.grantTypes.includes('refresh_token') && !input.grantTypes.includes('authorization_code')) problems.push('refresh_token needs authorization_code');
    if (input.grantTypes.includes('authorization_code') && input.redirectUris.length === 0) problems.push('authorization_code needs at least one redirect URI');
    if (input.authMethod === 'private_key_jwt' && !input.jwks) problems.push('private_key_jwt needs jwks (the RP’s public keys)');
    if (input.jwks?.keys.some((k) => 'd' in k)) problems.push('jwks must hold public keys only');
    if (problems.length) throw new AppError(PL_ERRORS.PL_CLIENT_INVALID, { detail: { problems } });
    return {
      client_id: clientId,
      member_subsystem: input.memberSubsystem,
      display_name_ja: input.displayName.ja,
      display_name_en: input.displayName.en,
      redirect_uris: input.redirectUris,
      post_logout_redirect_uris: input.postLogoutRedirectUris,
      backchannel_logout_uri: input.backchannelLogoutUri ?? null,
      consent_notification_uri: input.consentNotificationUri ?? null,
      grant_types: input.grantTypes,
      auth_method: input.authMethod,
      secret_sealed: secretSealed,
      jwks: input.jwks ?? null,
      id_token_signing_alg: input.idTokenSigningAlg ?? null,
    };
  }

  /** Registers an RP; the secret (for secret-based methods) is returned only here. */
  async register(body: ClientRegistration, actor: string): Promise<{ client: ClientView; clientSecret?: string }> {
    const input = clientRegistration.parse(body);
    const clientId = input.clientId ?? `rp_${randomBytes(12).toString('base64url')}`;
    const secret = input.authMethod === 'private_key_jwt' ? undefined : newSecret();
    const values = this.values(input, clientId, secret ? sealSecret(this.deps.passphrase, secret) : null);
    try {
      await insertRpClient(this.deps.db, values);
    } catch (error) {
      if (isUniqueViolation(error)) throw new AppError(PL_ERRORS.PL_CLIENT_EXISTS, { cause: error });
      throw error;
    }
    await this.deps.audit({ actor, action: 'client.registered', target: clientId, details: { memberSubsystem: input.memberSubsystem, authMethod: input.authMethod, grantTypes: input.grantTypes } });
    return { client: await this.get(clientId), ...(secret ? { clientSecret: secret } : {}) };
  }

  async update(clientId: string, body: ClientRegistration, actor: string): Promise<ClientView> {
    const existing = await findRpClient(this.deps.db, clientId);
    if (!existing) throw new AppError(PL_ERRORS.PL_CLIENT_NOT_FOUND);
    const input = clientRegistration.parse({ ...body, clientId });
    // Keep the secret while the method stays secret-based; switching to a secret method needs rotateSecret.
    const sealed = input.authMethod === 'private_key_jwt' ? null : existing.secret_sealed;
    if (input.authMethod !== 'private_key_jwt' && !sealed) throw new AppError(PL_ERRORS.PL_CLIENT_INVALID, { detail: { problems: ['rotate the secret to switch to a secret-based method'] } });
    await updateRpClient(this.deps.db, this.values(input, clientId, sealed), this.deps.now());
    this.forget(clientId);
    await this.deps.audit({ actor, action: 'client.updated', target: clientId, details: { authMethod: input.authMethod, grantTypes: input.grantTypes } });
    return this.get(clientId);
  }

  async rotateSecret(clientId: string, actor: string): Promise<{ client: ClientView; clientSecret: string }> {
    const existing = await findRpClient(this.deps.db, clientId);
    if (!existing) throw new AppError(PL_ERRORS.PL_CLIENT_NOT_FOUND);
    const secret = newSecret();
    const authMethod = existing.auth_method === 'private_key_jwt' ? 'client_secret_basic' : existing.auth_method;
    await updateRpClient(this.deps.db, { ...existing, auth_method: authMethod, secret_sealed: sealSecret(this.deps.passphrase, secret), jwks: existing.jwks ?? null }, this.deps.now());
    this.forget(clientId);
    await this.deps.audit({ actor, action: 'client.secret-rotated', target: clientId });
    return { client: await this.get(clientId), clientSecret: secret };
  }

  async remove(clientId: string, actor: string): Promise<void> {
    const deleted = await deleteRpClient(this.deps.db, clientId);
    this.forget(clientId);
    if (!deleted) throw new AppError(PL_ERRORS.PL_CLIENT_NOT_FOUND);
    await this.deps.audit({ actor, action: 'client.deleted', target: clientId });
  }

  async get(clientId: string): Promise<ClientView> {
    const row = await findRpClient(this.deps.db, clientId);
    if (!row) throw new AppError(PL_ERRORS.PL_CLIENT_NOT_FOUND);
    return view(row);
  }

  async find(clientId: string): Promise<ClientView | undefined> {
    const row = await findRpClient(this.deps.db, clientId);
    return row ? view(row) : undefined;
  }

  async list(): Promise<ClientView[]> {
    return (await listRpClients(this.deps.db)).map(view);
  }

  /** oidc-provider client metadata for a registered RP (cached, see `metadataCache`). */
  async metadata(clientId: string): Promise<AdapterPayload | undefined> {
    const at = this.deps.now().getTime();
    const hit = this.metadataCache.get(clientId);
    if (hit && hit.until > at) return hit.payload;
    const generation = this.generation;
    const payload = await this.readMetadata(clientId);
    if (!payload || generation !== this.generation) {
      this.metadataCache.delete(clientId);
      return payload;
    }
    if (this.metadataCache.size >= CLIENT_METADATA_MAX && !this.metadataCache.has(clientId)) this.metadataCache.delete(this.metadataCache.keys().next().value!);
    this.metadataCache.set(clientId, { payload, until: at + (this.deps.metadataTtlMs ?? CLIENT_METADATA_TTL_MS) });
    return payload;
  }

  private async readMetadata(clientId: string): Promise<AdapterPayload | undefined> {
    const row = await findRpClient(this.deps.db, clientId);
    if (!row) return undefined;
    const grantTypes = row.grant_types;
    return {
      client_id: row.client_id,
      client_name: row.display_name_ja,
      ...(row.secret_sealed && row.auth_method !== 'private_key_jwt' ? { client_secret: openSecret(this.deps.passphrase, row.secret_sealed) } : {}),
      ...(row.jwks ? { jwks: row.jwks } : {}),
      token_endpoint_auth_method: row.auth_method,
      grant_types: grantTypes,
      response_types: grantTypes.includes('authorization_code') ? ['code'] : [],
      redirect_uris: row.redirect_uris,
      post_logout_redirect_uris: row.post_logout_redirect_uris,
      ...(row.backchannel_logout_uri ? { backchannel_logout_uri: row.backchannel_logout_uri, backchannel_logout_session_required: true } : {}),
      id_token_signed_response_alg: row.id_token_signing_alg ?? this.deps.signingAlg,
      // No default_acr_values: oidc-provider would send them as acr_values and so replace an RP's
      // essential acr request. ID tokens carry acr anyway (the openid scope's claims, provider.ts).
      scope: SUPPORTED_SCOPES.join(' '),
    } as AdapterPayload;
  }

  /** The Client adapter oidc-provider uses: read-only, backed by the registry. */
  adapter(): Adapter {
    const refuse = async () => {
      throw new Error('the RP registry is changed through the admin API only');
    };
    return {
      find: (id: string) => this.metadata(id),
      upsert: refuse,
      destroy: refuse,
      consume: refuse,
      revokeByGrantId: refuse,
      findByUid: async () => undefined,
      findByUserCode: async () => undefined,
    };
  }
}
