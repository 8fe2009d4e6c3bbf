// Upstream sign-in with openid-client v6 (the federated pattern of oidc-provider's example):
// discovery → authorization URL with S256 PKCE, state and nonce → the upstream answers on
// /upstream/<id>/callback → authorization code grant (ID token checked) → the identity.
// A pending sign-in is stored server-side (oidc_models, model `UpstreamLogin`, 10 minutes) and
// bound to the browser that started it by a random cookie whose hash it keeps.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as client from 'openid-client';
import { AppError, type Logger } from '@jplink/kit';
import { PgOidcAdapter } from '../db/oidc-adapter.ts';
import type { PlDb } from '../db/schema.ts';
import { PL_ERRORS } from '../errors.ts';
import type { UpstreamIdentity } from '../residents/residents.ts';
import { appleClientSecret, parseAppleUser } from './apple.ts';
import type { UpstreamDefinition } from './definitions.ts';

const PENDING_TTL_SECONDS = 600;

/** Why the resident signs in upstream. */
export type UpstreamPurpose = { kind: 'interaction'; uid: string } | { kind: 'my-sign-in' } | { kind: 'link'; baseId: string };

interface PendingLogin {
  upstreamId: string;
  codeVerifier: string;
  nonce: string;
  purpose: UpstreamPurpose;
  browserHash: string;
  /** A form_post answer kept until the browser comes back with its cookie (GET). */
  answer?: Record<string, string>;
}

const hash = (v: string) => createHash('sha256').update(v).digest('base64url');

export class UpstreamBroker {
  private readonly byId: Map<string, UpstreamDefinition>;
  private readonly servers = new Map<string, Promise<client.Configuration>>();
  private readonly pending: PgOidcAdapter;

  private readonly deps: { db: PlDb; upstreams: UpstreamDefinition[]; callbackBase: string; logger: Logger; now: () => Date };

  constructor(deps: UpstreamBroker['deps']) {
    this.deps = deps;
    this.byId = new Map(deps.upstreams.map((u) => [u.id, u]));
    this.pending = new PgOidcAdapter(deps.db, 'UpstreamLogin', deps.now);
  }

  list(): UpstreamDefinition[] {
    return [...this.byId.values()];
  }

  get(id: string): UpstreamDefinition {
    const upstream = this.byId.get(id);
    if (!upstream) throw new AppError(PL_ERRORS.PL_UPSTREAM_UNKNOWN);
    return upstream;
  }

  callbackUrl(id: string): string {
    return `${this.deps.callbackBase}/upstream/${id}/callback`;
  }

  /** The issuer's metadata (cached after the first successful discovery). */
  private discover(upstream: UpstreamDefinition): Promise<client.Configuration> {
    let found = this.servers.get(upstream.id);
    if (!found) {
      found = client.discovery(new URL(upstream.issuer), upstream.clientId, undefined, undefined, upstream.allowInsecure ? { execute: [client.allowInsecureRequests] } : undefined);
      found.catch(() => this.servers.delete(upstream.id));
      this.servers.set(upstream.id, found);
    }
    return found;
  }

  /** A Configuration with this upstream's client authentication (Apple: a fresh secret JWT). */
  private async configuration(upstream: UpstreamDefinition): Promise<client.Configuration> {
    const server = (await this.discover(upstream)).serverMetadata();
    let auth: client.ClientAuth;
    if (upstream.apple) {
      const privateKeyPem = await readFile(upstream.apple.privateKeyFile, 'utf8');
      auth = client.ClientSecretPost(await appleClientSecret({ teamId: upstream.apple.teamId, keyId: upstream.apple.keyId, clientId: upstream.clientId, privateKeyPem, now: this.deps.now() }));
    } else if (upstream.authMethod === 'none') {
      auth = client.None();
    } else {
      const secret = upstream.clientSecret ?? (await readFile(upstream.clientSecretFile!, 'utf8')).trim();
      auth = upstream.authMethod === 'client_secret_post' ? client.ClientSecretPost(secret) : client.ClientSecretBasic(secret);
    }
    const config = new client.Configuration(server, upstream.clientId, undefined, auth);
    if (upstream.allowInsecure) client.allowInsecureRequests(config);
    return config;
  }

  /**
   * Starts a sign-in at the upstream: returns the URL to send the browser to and the value of the
   * browser-binding cookie. For interactions the state is the interaction uid.
   */
  async start(upstreamId: string, purpose: UpstreamPurpose): Promise<{ url: string; browserNonce: string; state: string }> {
    const upstream = this.get(upstreamId);
    let config: client.Configuration;
    try {
      config = await this.discover(upstream);
    } catch (error) {
      throw new AppError(PL_ERRORS.PL_UPSTREAM_FAILED, { cause: error });
    }
    const codeVerifier = client.randomPKCECodeVerifier();
    const nonce = client.randomNonce();
    const state = purpose.kind === 'interaction' ? purpose.uid : client.randomState();
    const browserNonce = randomBytes(32).toString('base64url');
    const pending: PendingLogin = { upstreamId, codeVerifier, nonce, purpose, browserHash: hash(browserNonce) };
    await this.pending.upsert(state, pending as unknown as Record<string, unknown>, PENDING_TTL_SECONDS);
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: this.callbackUrl(upstreamId),
      scope: upstream.scopes.join(' '),
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      ...(upstream.responseMode === 'form_post' ? { response_mode: 'form_post' } : {}),
      ...(upstream.acr ? { acr_values: upstream.acr } : {}),
    });
    return { url: url.href, browserNonce, state };
  }

  /** Keeps a form_post answer (Apple) until the browser returns with its cookie. */
  async stashAnswer(upstreamId: string, answer: Record<string, string>): Promise<string> {
    const state = answer.state;
    if (!state) throw new AppError(PL_ERRORS.PL_UPSTREAM_STATE_INVALID);
    const pending = (await this.pending.find(state)) as unknown as PendingLogin | undefined;
    if (!pending || pending.upstreamId !== upstreamId) throw new AppError(PL_ERRORS.PL_UPSTREAM_STATE_INVALID);
    await this.pending.upsert(state, { ...pending, answer } as unknown as Record<string, unknown>, PENDING_TTL_SECONDS);
    return state;
  }

  /** The pending sign-in's purpose, without consuming it (to route an error back). */
  async peek(state: string): Promise<UpstreamPurpose | undefined> {
    const pending = (await this.pending.find(state)) as unknown as PendingLogin | undefined;
    return pending?.purpose;
  }

  /**
   * Finishes a sign-in: checks the browser binding, redeems the code (PKCE, state, nonce, ID token
   * signature/iss/aud/exp by openid-client), and returns who signed in and why. One use only.
   */
  async complete(upstreamId: string, params: URLSearchParams, browserNonce: string | undefined): Promise<{ identity: UpstreamIdentity; purpose: UpstreamPurpose } | { denied: string; purpose: UpstreamPurpose }> {
    const upstream = this.get(upstreamId);
    const state = params.get('state') ?? '';
    const pending = state ? ((await this.pending.find(state)) as unknown as PendingLogin | undefined) : undefined;
    const boundHere = pending && browserNonce !== undefined && timingSafeEqual(Buffer.from(hash(browserNonce)), Buffer.from(pending.browserHash));
    if (!pending || pending.upstreamId !== upstreamId || !boundHere || pending.purpose === undefined) throw new AppError(PL_ERRORS.PL_UPSTREAM_STATE_INVALID);
    await this.pending.destroy(state);
    const answer = new URLSearchParams(pending.answer ?? Object.fromEntries(params));
    // The resident cancelled (or the upstream refused): the caller lets them choose again.
    if (answer.get('error')) return { denied: answer.get('error')!, purpose: pending.purpose };
    const current = new URL(this.callbackUrl(upstreamId));
    for (const name of ['code', 'state', 'iss', 'error', 'error_description']) {
      const v = answer.get(name);
      if (v !== null) current.searchParams.set(name, v);
    }
    let claims: Record<string, unknown>;
    try {
      const config = await this.configuration(upstream);
      const tokens = await client.authorizationCodeGrant(config, current, { pkceCodeVerifier: pending.codeVerifier, expectedState: state, expectedNonce: pending.nonce, idTokenExpected: true });
      claims = { ...tokens.claims() };
      // Apple has no userinfo endpoint; others may say more there than in the ID token.
      if (config.serverMetadata().userinfo_endpoint && upstream.preset !== 'apple') {
        const info = await client.fetchUserInfo(config, tokens.access_token, String(claims.sub));
        claims = { ...info, ...claims };
      }
    } catch (error) {
      throw new AppError(PL_ERRORS.PL_UPSTREAM_FAILED, { cause: error });
    }
    const keep: Record<string, unknown> = {};
    for (const name of ['name', 'given_name', 'family_name', 'email', 'email_verified']) if (claims[name] !== undefined) keep[name] = claims[name];
    if (upstream.preset === 'apple' || upstream.responseMode === 'form_post') Object.assign(keep, parseAppleUser(answer.get('user') ?? undefined));
    if (upstream.verified && upstream.verifiedClaims.length) {
      keep.verified_attributes = Object.fromEntries(upstream.verifiedClaims.filter((n) => claims[n] !== undefined).map((n) => [n, claims[n]]));
    }
    const acr = upstream.acr ?? (typeof claims.acr === 'string' ? claims.acr : null);
    return {
      identity: { upstreamId, issuer: upstream.issuer, subject: String(claims.sub), verified: upstream.verified, acr, claims: keep },
      purpose: pending.purpose,
    };
  }
}
