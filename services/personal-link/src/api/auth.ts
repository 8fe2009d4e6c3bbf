// RP API authentication: a Bearer access token that Personal-Link's own OpenID Provider issued with
// the client_credentials grant, looked up in the provider's store (opaque tokens). The token's
// client must still be a registered RP, and a route's scope must be both in the token and granted
// to the RP by the operator (oidc-provider lets any non-OIDC scope through client_credentials).
// Then a per-client rate limit.
// Arrival through the Security Server (the separate listener of src/api/app.ts, reached only by
// Personal-Link's own Security Server): no token; the X-Road-Client header the Security Server set
// after checking the caller's signature, certificate and access right names the subsystem, which
// maps to the one RP registered with that memberSubsystem, and the operator's grant alone decides
// the scopes. docs/protocols/personal-link-api.md.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, bearerToken } from '@jplink/kit';
import { formatSubsystemId, parseSubsystemId, type PlApiScope } from '@jplink/contracts';
import { getApiAccess } from '../db/links.ts';
import { rpClientIdsOfSubsystem } from '../db/clients.ts';
import type { PlDb } from '../db/schema.ts';
import { PL_ERRORS } from '../errors.ts';
import type { PlAuditor } from '../audit.ts';
import type { OpenIdProvider } from '../oidc/provider.ts';
import type { RpRegistry } from '../oidc/clients.ts';

export interface ApiCaller {
  clientId: string;
  /** The calling X-Road subsystem when the call came through the Security Server. */
  subsystem?: string;
  /** Scopes in the token that the operator granted to the RP. */
  scopes: ReadonlySet<string>;
}

declare module 'fastify' {
  interface FastifyRequest {
    apiCaller?: ApiCaller;
  }
}

/** Fixed-window counters per key, bounded in size. */
export class WindowLimiter {
  private readonly counts = new Map<string, { start: number; count: number }>();
  private readonly max: number;
  private readonly windowMs: number;
  private readonly now: () => number;
  private readonly maxKeys: number;

  constructor(max: number, windowMs: number, now: () => number = Date.now, maxKeys = 10_000) {
    this.max = max;
    this.windowMs = windowMs;
    this.now = now;
    this.maxKeys = maxKeys;
  }

  /** Counts one hit; returns seconds to wait when over the limit, else 0. */
  hit(key: string): number {
    const t = this.now();
    let entry = this.counts.get(key);
    if (!entry || t - entry.start >= this.windowMs) {
      if (!entry && this.counts.size >= this.maxKeys) {
        for (const [k, v] of this.counts) if (t - v.start >= this.windowMs) this.counts.delete(k);
        if (this.counts.size >= this.maxKeys) this.counts.delete(this.counts.keys().next().value!);
      }
      entry = { start: t, count: 0 };
      this.counts.set(key, entry);
    }
    entry.count++;
    return entry.count > this.max ? Math.max(1, Math.ceil((entry.start + this.windowMs - t) / 1000)) : 0;
  }
}

export interface ApiAuthDeps {
  db: PlDb;
  op: OpenIdProvider;
  registry: RpRegistry;
  audit: PlAuditor;
  /** Requests per client per minute. */
  perClientPerMinute: number;
}

export function createApiAuth(deps: ApiAuthDeps) {
  const perClient = new WindowLimiter(deps.perClientPerMinute, 60_000);
  const failures = new WindowLimiter(60, 60_000);

  const limited = (reply: FastifyReply, seconds: number) => {
    reply.header('retry-after', String(seconds));
    return new AppError(PL_ERRORS.PL_API_RATE_LIMITED, { detail: { retryAfterSeconds: seconds } });
  };

  const refuse = async (request: FastifyRequest, reply: FastifyReply, reason: 'no-token' | 'invalid-token' | 'client-gone') => {
    await deps.audit({ actor: 'anonymous', action: 'api.authentication-failed', outcome: 'failure', details: { reason, via: 'token' } });
    const wait = failures.hit(request.ip);
    if (wait) return limited(reply, wait);
    reply.header('www-authenticate', reason === 'no-token' ? 'Bearer realm="personal-link"' : 'Bearer realm="personal-link", error="invalid_token"');
    return new AppError(PL_ERRORS.PL_API_TOKEN_INVALID);
  };

  /** preHandler of every API route: authenticates and rate-limits; the route then asks for its scope. */
  async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const token = bearerToken(request.headers.authorization);
    if (!token) throw await refuse(request, reply, 'no-token');
    // Opaque tokens of oidc-provider are 43 base64url characters; anything else cannot be one.
    const found = /^[A-Za-z0-9_-]{20,200}$/.test(token) ? await deps.op.current.ClientCredentials.find(token) : undefined;
    if (!found || found.isExpired) throw await refuse(request, reply, 'invalid-token');
    const clientId = found.clientId as string;
    if (!(await deps.registry.find(clientId))) throw await refuse(request, reply, 'client-gone');
    const wait = perClient.hit(clientId);
    if (wait) throw limited(reply, wait);
    const granted = new Set((await getApiAccess(deps.db, clientId))?.scopes ?? []);
    // A call may use what the token was issued for AND the operator still grants the RP (a grant
    // withdrawn after the token was issued takes effect at once).
    const inToken = String(found.scope ?? '').split(' ').filter((s) => s.startsWith('pl:'));
    request.apiCaller = { clientId, scopes: new Set(inToken.filter((s) => granted.has(s))) };
  }

  /** The X-Road-Client header in canonical form, or undefined when missing or malformed. */
  const subsystemOf = (value: string | string[] | undefined): string | undefined => {
    if (typeof value !== 'string' || value.length === 0 || value.length > 1100) return undefined;
    try {
      return formatSubsystemId(parseSubsystemId(value));
    } catch {
      return undefined;
    }
  };

  const refuseSubsystem = async (request: FastifyRequest, reply: FastifyReply, reason: 'no-subsystem' | 'unknown-subsystem' | 'ambiguous-subsystem', subsystem?: string) => {
    // The subsystem is a member's identifier, never personal data.
    await deps.audit({ actor: subsystem ?? 'anonymous', action: 'api.authentication-failed', outcome: 'failure', details: { reason, via: 'security-server', ...(subsystem ? { subsystem } : {}) } });
    const wait = failures.hit(`ss:${subsystem ?? request.ip}`);
    if (wait) return limited(reply, wait);
    return new AppError(reason === 'no-subsystem' ? PL_ERRORS.PL_API_SUBSYSTEM_MISSING : reason === 'unknown-subsystem' ? PL_ERRORS.PL_API_SUBSYSTEM_UNKNOWN : PL_ERRORS.PL_API_SUBSYSTEM_AMBIGUOUS);
  };

  /**
   * preHandler of every route on the Security Server listener: the caller is the RP registered with
   * the X-Road-Client subsystem; its scopes are the operator's grant (there is no token).
   */
  async function authenticateSubsystem(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const subsystem = subsystemOf(request.headers['x-road-client']);
    if (!subsystem) throw await refuseSubsystem(request, reply, 'no-subsystem');
    const clients = await rpClientIdsOfSubsystem(deps.db, subsystem, 2);
    if (clients.length === 0) throw await refuseSubsystem(request, reply, 'unknown-subsystem', subsystem);
    if (clients.length > 1) throw await refuseSubsystem(request, reply, 'ambiguous-subsystem', subsystem);
    const clientId = clients[0]!;
    const wait = perClient.hit(clientId);
    if (wait) throw limited(reply, wait);
    const granted = (await getApiAccess(deps.db, clientId))?.scopes ?? [];
    request.apiCaller = { clientId, subsystem, scopes: new Set(granted.filter((s) => s.startsWith('pl:'))) };
    // Every later log line of this request (the completion line too) names the caller — no personal data.
    const xRoadId = request.headers['x-road-id'];
    request.log = reply.log = request.log.child({ subsystem, clientId, ...(typeof xRoadId === 'string' ? { xRoadId: xRoadId.slice(0, 200) } : {}) });
  }

  function caller(request: FastifyRequest, scope: PlApiScope): ApiCaller {
    const c = request.apiCaller;
    if (!c) throw new AppError(PL_ERRORS.PL_API_TOKEN_INVALID);
    if (!c.scopes.has(scope)) throw new AppError(PL_ERRORS.PL_API_SCOPE_MISSING, { detail: { required: scope } });
    return c;
  }

  return { authenticate, authenticateSubsystem, caller };
}
