// The Personal-Link ID provider: oidc-provider v9 configured for JP-Link and rebuilt whenever the
// signing or cookie keys change (oidc-provider reads keys only at construction). Everything it
// stores is in PostgreSQL, so swapping the instance loses nothing; `handle` always serves with the
// current one.
import type { IncomingMessage, ServerResponse } from 'node:http';
import Provider, { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from '@jplink/kit';
import { PgOidcAdapter } from '../db/oidc-adapter.ts';
import type { PlDb } from '../db/schema.ts';
import type { Residents } from '../residents/residents.ts';
import type { RpRegistry } from './clients.ts';
import { SUPPORTED_SCOPES } from './clients.ts';
import type { KeyManager, KeyMaterial } from './keys.ts';
import { renderOidcError, renderLogoutPage, renderLogoutSuccess } from '../pages/oidc-pages.ts';

export const ACR_VERIFIED = 'urn:jplink:acr:identity-verified';
export const ACR_BASIC = 'urn:jplink:acr:basic';
export const ACR_VALUES = [ACR_BASIC, ACR_VERIFIED] as const;

/**
 * The acr Personal-Link states for a sign-in through an upstream: identity-verified upstreams
 * (MyDID, TRUSTDOCK) their configured acr (default identity-verified); any other upstream basic,
 * whatever acr it claims itself.
 */
export function statedAcr(upstream: { verified: boolean; acr?: string }): string {
  return upstream.verified ? (upstream.acr ?? ACR_VERIFIED) : ACR_BASIC;
}

/**
 * The acr values a login prompt insists on: oidc-provider's `essential_acr` / `essential_acrs`
 * checks put the RP's `claims.id_token.acr` request (essential: true) into `prompt.details.acr`.
 * Undefined when the RP did not make acr essential.
 */
export function essentialAcrs(promptDetails: unknown): string[] | undefined {
  const acr = (promptDetails as { acr?: { essential?: unknown; value?: unknown; values?: unknown } } | undefined)?.acr;
  if (!acr || acr.essential !== true) return undefined;
  if (typeof acr.value === 'string') return [acr.value];
  if (Array.isArray(acr.values)) return acr.values.filter((v): v is string => typeof v === 'string');
  return undefined;
}

/**
 * The claims parameter is accepted for `id_token.acr` only (the way an RP makes the
 * identity-verified acr essential): other claims would be granted without showing on the consent
 * page, which lists scopes. acr values must be ours, and `acr_values` may not be sent alongside
 * (oidc-provider would let it replace the claims request, dropping `essential`).
 */
async function assertClaimsParameter(ctx: KoaContextWithOIDC, claims: Record<string, unknown>): Promise<void> {
  if (claims.userinfo !== undefined) throw new errors.InvalidRequest('claims.userinfo is not supported; request claims with scopes');
  const idToken = (claims.id_token ?? {}) as Record<string, unknown>;
  const others = Object.keys(idToken).filter((k) => k !== 'acr');
  if (others.length) throw new errors.InvalidRequest('only claims.id_token.acr may be requested with the claims parameter; request other claims with scopes');
  const acr = idToken.acr as { value?: unknown; values?: unknown } | null | undefined;
  if (!acr) return;
  const requested = [...(acr.value !== undefined ? [acr.value] : []), ...(Array.isArray(acr.values) ? acr.values : acr.values !== undefined ? [acr.values] : [])];
  if (!requested.length || requested.some((v) => !(ACR_VALUES as readonly unknown[]).includes(v))) throw new errors.InvalidRequest(`claims.id_token.acr must name ${ACR_VALUES.join(' or ')}`);
  if (ctx.oidc.params?.acr_values !== undefined) throw new errors.InvalidRequest('send either acr_values or claims.id_token.acr, not both');
}

export interface ProviderSettings {
  issuer: string;
  signingAlg: 'ES256' | 'RS256';
  trustProxy: boolean;
  /** Let back-channel logout calls reach loopback/private addresses (oidc-provider blocks them by default). */
  allowPrivateNetwork: boolean;
  ttl: { authorizationCode: number; accessToken: number; idToken: number; refreshToken: number; session: number; interaction: number };
}

export interface ProviderDeps {
  db: PlDb;
  keys: KeyManager;
  registry: RpRegistry;
  residents: Residents;
  logger: Logger;
  now: () => Date;
}

export class OpenIdProvider {
  private provider!: Provider;
  private handler!: (req: IncomingMessage, res: ServerResponse) => void;
  private version = '';
  private listeners: ((p: Provider) => void)[] = [];

  private readonly settings: ProviderSettings;
  private readonly deps: ProviderDeps;

  constructor(settings: ProviderSettings, deps: ProviderDeps) {
    this.settings = settings;
    this.deps = deps;
  }

  get current(): Provider {
    return this.provider;
  }

  /** Called with every new instance (to attach event listeners). */
  onBuild(listener: (p: Provider) => void): void {
    this.listeners.push(listener);
    if (this.provider) listener(this.provider);
  }

  async start(): Promise<void> {
    this.build(await this.deps.keys.load());
  }

  /** Rebuilds the provider when keys changed (here or on another instance); returns whether it did. */
  async reloadIfChanged(): Promise<boolean> {
    if ((await this.deps.keys.version()) === this.version) return false;
    this.build(await this.deps.keys.load());
    return true;
  }

  /** For `app.use('/oidc', …)`: serves the request with the current instance. */
  handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.handler(req, res);
  };

  private build(material: KeyMaterial): void {
    const provider = new Provider(this.settings.issuer, this.configuration(material));
    provider.proxy = this.settings.trustProxy;
    const log = this.deps.logger;
    // Diagnostics only: error names and descriptions, never tokens or claims.
    for (const event of ['server_error', 'authorization.error', 'grant.error', 'introspection.error', 'revocation.error', 'end_session.error', 'backchannel.error', 'userinfo.error'] as const) {
      provider.on(event as 'server_error', (_ctx: unknown, err: Error & { error_description?: string }) => {
        log[event === 'server_error' ? 'error' : 'info']({ event, error: err?.name, description: err?.error_description ?? err?.message }, 'oidc-provider');
      });
    }
    this.provider = provider;
    this.handler = provider.callback() as unknown as (req: IncomingMessage, res: ServerResponse) => void;
    this.version = material.version;
    for (const l of this.listeners) l(provider);
  }

  private configuration(material: KeyMaterial): Configuration {
    const { db, registry, residents, now } = this.deps;
    const { ttl, signingAlg } = this.settings;
    return {
      adapter: ((name: string) => (name === 'Client' ? registry.adapter() : new PgOidcAdapter(db, name, now))) as unknown as Configuration['adapter'],
      clients: [],
      jwks: material.jwks as Configuration['jwks'],
      cookies: {
        keys: material.cookieKeys,
        // SameSite=Lax: top-level redirects back from the RP carry the session; Secure follows the
        // request (https issuer, or a TLS proxy with PL_TRUST_PROXY).
        long: { httpOnly: true, sameSite: 'lax' },
        short: { httpOnly: true, sameSite: 'lax' },
      },
      async findAccount(_ctx, id) {
        const claims = await residents.claims(id);
        if (!claims) return undefined;
        return { accountId: id, claims: async () => ({ ...claims, sub: id }) as { sub: string } };
      },
      claims: {
        // acr in every ID token (basic or identity-verified), whether the RP asked for it or not.
        openid: ['sub', 'acr'],
        profile: ['name', 'given_name', 'family_name'],
        email: ['email', 'email_verified'],
        verified_identity: ['identity_verified', 'verified_claims', 'base_id'],
        acr: null,
      },
      scopes: [...SUPPORTED_SCOPES],
      // oidc-provider refuses outgoing calls (back-channel logout) to special-use addresses (SSRF
      // protection) through its own dispatcher; an operator may allow them for RPs on a private network.
      ...(this.settings.allowPrivateNetwork
        ? { fetch: ((url: string | URL, options: RequestInit & { dispatcher?: unknown }) => {
              const { dispatcher: _ssrfGuard, ...rest } = options;
              return globalThis.fetch(url, rest);
            }) as unknown as Configuration['fetch'] }
        : {}),
      acrValues: [...ACR_VALUES],
      features: {
        devInteractions: { enabled: false },
        // For an essential acr only (see assertClaimsParameter).
        claimsParameter: { enabled: true, assertClaimsParameter: assertClaimsParameter as never },
        clientCredentials: { enabled: true },
        revocation: { enabled: true, allowedPolicy: async (_ctx, client, token) => 'clientId' in token && token.clientId === client.clientId },
        // A client may introspect and revoke only tokens issued to itself.
        introspection: { enabled: true, allowedPolicy: async (_ctx, client, token) => 'clientId' in token && token.clientId === client.clientId },
        userinfo: { enabled: true },
        backchannelLogout: { enabled: true },
        resourceIndicators: { enabled: false },
        registration: { enabled: false },
        rpInitiatedLogout: {
          enabled: true,
          logoutSource: async (ctx: KoaContextWithOIDC, form: string) => renderLogoutPage(ctx, form, await postLogoutOrigins(registry, ctx)),
          postLogoutSuccessSource: async (ctx: KoaContextWithOIDC) => renderLogoutSuccess(ctx),
        },
      },
      // PKCE (S256 only, oidc-provider's v9 default method) for every client, confidential ones too.
      pkce: { required: () => true },
      clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
      clientDefaults: { grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic', id_token_signed_response_alg: signingAlg },
      enabledJWA: { idTokenSigningAlgValues: ['ES256', 'RS256'], clientAuthSigningAlgValues: ['ES256', 'RS256', 'PS256', 'EdDSA'] },
      interactions: { url: async (_ctx, interaction) => `/interaction/${interaction.uid}` },
      ttl: {
        AuthorizationCode: ttl.authorizationCode,
        AccessToken: ttl.accessToken,
        IdToken: ttl.idToken,
        RefreshToken: ttl.refreshToken,
        Session: ttl.session,
        Grant: ttl.refreshToken,
        Interaction: ttl.interaction,
        ClientCredentials: 600,
      },
      // A used refresh token is exchanged for a new one every time; reusing an old one revokes the grant.
      rotateRefreshToken: true,
      renderError: async (ctx, out, error) => renderOidcError(ctx, out, error, log(this.deps.logger)),
    };
  }
}

const log = (logger: Logger) => (error: unknown) => logger.info({ error: (error as Error)?.name, description: (error as { error_description?: string })?.error_description }, 'oidc error page');

/** The RP's post-logout redirect origins (the logout form posts here, then redirects there). */
async function postLogoutOrigins(registry: RpRegistry, ctx: KoaContextWithOIDC): Promise<string[]> {
  const clientId = ctx.oidc.client?.clientId;
  if (!clientId) return [];
  const rp = await registry.find(clientId);
  return rp ? [...new Set(rp.postLogoutRedirectUris.map((u) => new URL(u).origin))] : [];
}
