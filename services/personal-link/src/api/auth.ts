// RP API authentication: a Bearer access token that Personal-Link's own OpenID Provider issued with
// the client_credentials grant, looked up in the provider's store (opaque tokens). The token's
// client must still be a registered RP, and a route's scope must be both in the token and granted
// to the RP by the operator (oidc-provider lets any non-OIDC scope through client_credentials).
// Then a per-client rate limit.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, bearerToken } from '@jplink/kit';
import type { PlApiScope } from '@jplink/contracts';
import { getApiAccess } from '../db/links.ts';
import type { PlDb } from '../db/schema.ts';
import { PL_ERRORS } from '../errors.ts';
import type { PlAuditor } from '../audit.ts';
import type { OpenIdProvider } from '../oidc/provider.ts';
import type { RpRegistry } from '../oidc/clients.ts';

export interface ApiCaller {
  clientId: string;
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
    await deps.audit({ actor: 'anonymous', action: 'api.authentication-failed', outcome: 'failure', details: { reason } });
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

  function caller(request: FastifyRequest, scope: PlApiScope): ApiCaller {
    const c = request.apiCaller;
    if (!c) throw new AppError(PL_ERRORS.PL_API_TOKEN_INVALID);
    if (!c.scopes.has(scope)) throw new AppError(PL_ERRORS.PL_API_SCOPE_MISSING, { detail: { required: scope } });
    return c;
  }

  return { authenticate, caller };
}
