// The RP API as its own Fastify app (own OpenAPI document, 64 KiB body limit), served on the public
// listener under /api/pl/: the public app hands those requests over before it parses anything, as
// it does /oidc to the OpenID Provider. The same routes also run as a second app on their own
// listener for arrival through Personal-Link's Security Server (PL_SS_API_PORT): the caller is the
// X-Road-Client subsystem there, never a token (src/api/auth.ts), and its OpenAPI document is the
// one to register the service with on the Security Server (paths relative to the service URL).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServerOptions as HttpsServerOptions } from 'node:https';
import { createHttpApp, type App, type Logger } from '@jplink/kit';
import type { PlDb } from '../db/schema.ts';
import type { PlAuditor } from '../audit.ts';
import type { OpenIdProvider } from '../oidc/provider.ts';
import type { RpRegistry } from '../oidc/clients.ts';
import type { Consents } from '../consent/consents.ts';
import type { Links } from '../links/links.ts';
import type { DataItems } from '../consent/data-items.ts';
import { createApiAuth } from './auth.ts';
import { API_PREFIX, registerApiRoutes } from './routes.ts';

export const API_BODY_LIMIT = 64 * 1024;
export const API_RATE_LIMIT_PER_MINUTE = 600;

export interface RpApi {
  app: App;
  /** For the public app's middleware: serves /api/pl/* with this app. */
  handle(req: IncomingMessage, res: ServerResponse): void;
}

export type ApiAuth = ReturnType<typeof createApiAuth>;

/** One authenticator (and so one per-RP rate limit) for both listeners. */
export function createRpApiAuth(deps: { db: PlDb; op: OpenIdProvider; registry: RpRegistry; audit: PlAuditor; perClientPerMinute?: number }): ApiAuth {
  return createApiAuth({ db: deps.db, op: deps.op, registry: deps.registry, audit: deps.audit, perClientPerMinute: deps.perClientPerMinute ?? API_RATE_LIMIT_PER_MINUTE });
}

export async function createRpApi(deps: { auth: ApiAuth; links: Links; consents: Consents; dataItems: DataItems; logger: Logger; trustProxy: boolean; issuer: string; via: 'token' | 'security-server'; https?: HttpsServerOptions }): Promise<RpApi> {
  const viaSs = deps.via === 'security-server';
  const app = createHttpApp({
    name: viaSs ? 'personal-link-api-ss' : 'personal-link-api',
    logger: deps.logger,
    trustProxy: viaSs ? false : deps.trustProxy,
    bodyLimit: API_BODY_LIMIT,
    ...(deps.https ? { https: deps.https } : {}),
    openapi: viaSs
      ? {
          title: 'JP-Link Personal-Link — RP API (through the Security Server)',
          version: '1',
          description: `BaseID lookup, ID conversion and linkage notices, UAX-Link registrations, consent requests and registrations, data item descriptions, for relying parties calling as their X-Road subsystem through Personal-Link's Security Server (PR-REST /r1/<Personal-Link subsystem>/<service code>/…). No token: the caller is the RP registered with the X-Road-Client subsystem, and the operator's API grant (pl:ids, pl:consents, pl:uax) decides what it may call. Paths are relative to the service URL (<this listener>${API_PREFIX}). See docs/protocols/personal-link-api.md.`,
        }
      : {
          title: 'JP-Link Personal-Link — RP API',
          version: '1',
          description: `BaseID lookup, ID conversion and linkage notices, UAX-Link registrations, consent requests and registrations, data item descriptions. Authorization: Bearer <access token from ${deps.issuer}/token with grant_type=client_credentials and the scopes pl:ids, pl:consents, pl:uax>. See docs/protocols/personal-link-api.md.`,
          securitySchemes: { rpToken: { type: 'oauth2', flows: { clientCredentials: { tokenUrl: `${deps.issuer}/token`, scopes: { 'pl:ids': 'BaseID lookup, ID completion and linkage notices', 'pl:consents': 'Consent requests, status and registration; data item descriptions', 'pl:uax': 'UAX-Link registrations (UL-PL)' } } } } },
        },
  });
  registerApiRoutes(app, { auth: deps.auth, links: deps.links, consents: deps.consents, dataItems: deps.dataItems, via: deps.via });
  const swagger = app as unknown as { swagger: () => Record<string, unknown> };
  app.get(`${API_PREFIX}/openapi.json`, { schema: { hide: true }, logLevel: 'warn' }, async () => (viaSs ? securityServerDocument(swagger.swagger()) : swagger.swagger()));
  await app.ready();
  const routing = (app as unknown as { routing: (req: IncomingMessage, res: ServerResponse) => void }).routing;
  return { app, handle: (req, res) => routing(req, res) };
}

/**
 * The OpenAPI document to register on the Security Server (`openapi` of its service): the same
 * operations with paths relative to the service URL `<listener>/api/pl/v1`, which is what the
 * Security Server appends `/r1/<subsystem>/<service code>/…` paths to and matches access rights on.
 */
export function securityServerDocument(document: Record<string, unknown>): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const [path, item] of Object.entries((document.paths ?? {}) as Record<string, unknown>)) {
    if (path.startsWith(`${API_PREFIX}/`)) paths[path.slice(API_PREFIX.length)] = item;
  }
  return { ...document, servers: [{ url: API_PREFIX }], paths };
}
