// The RP API as its own Fastify app (own OpenAPI document, 64 KiB body limit), served on the public
// listener under /api/pl/: the public app hands those requests over before it parses anything, as
// it does /oidc to the OpenID Provider.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHttpApp, type App, type Logger } from '@jplink/kit';
import type { PlDb } from '../db/schema.ts';
import type { PlAuditor } from '../audit.ts';
import type { OpenIdProvider } from '../oidc/provider.ts';
import type { RpRegistry } from '../oidc/clients.ts';
import type { Consents } from '../consent/consents.ts';
import type { Links } from '../links/links.ts';
import { createApiAuth } from './auth.ts';
import { API_PREFIX, registerApiRoutes } from './routes.ts';

export const API_BODY_LIMIT = 64 * 1024;
export const API_RATE_LIMIT_PER_MINUTE = 600;

export interface RpApi {
  app: App;
  /** For the public app's middleware: serves /api/pl/* with this app. */
  handle(req: IncomingMessage, res: ServerResponse): void;
}

export async function createRpApi(deps: { db: PlDb; op: OpenIdProvider; registry: RpRegistry; audit: PlAuditor; links: Links; consents: Consents; logger: Logger; trustProxy: boolean; issuer: string; perClientPerMinute?: number }): Promise<RpApi> {
  const app = createHttpApp({
    name: 'personal-link-api',
    logger: deps.logger,
    trustProxy: deps.trustProxy,
    bodyLimit: API_BODY_LIMIT,
    openapi: {
      title: 'JP-Link Personal-Link — RP API',
      version: '1',
      description: `BaseID lookup, ID conversion and linkage notices, UAX-Link registrations, consent requests and registrations. Authorization: Bearer <access token from ${deps.issuer}/token with grant_type=client_credentials and the scopes pl:ids, pl:consents, pl:uax>. See docs/protocols/personal-link-api.md.`,
      securitySchemes: { rpToken: { type: 'oauth2', flows: { clientCredentials: { tokenUrl: `${deps.issuer}/token`, scopes: { 'pl:ids': 'BaseID lookup, ID completion and linkage notices', 'pl:consents': 'Consent requests, status and registration', 'pl:uax': 'UAX-Link registrations (UL-PL)' } } } } },
    },
  });
  const auth = createApiAuth({ db: deps.db, op: deps.op, registry: deps.registry, audit: deps.audit, perClientPerMinute: deps.perClientPerMinute ?? API_RATE_LIMIT_PER_MINUTE });
  registerApiRoutes(app, { auth, links: deps.links, consents: deps.consents });
  const swagger = app as unknown as { swagger: () => unknown };
  app.get(`${API_PREFIX}/openapi.json`, { schema: { hide: true }, logLevel: 'warn' }, async () => swagger.swagger());
  await app.ready();
  const routing = (app as unknown as { routing: (req: IncomingMessage, res: ServerResponse) => void }).routing;
  return { app, handle: (req, res) => routing(req, res) };
}
