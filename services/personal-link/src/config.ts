// Personal-Link's configuration, read once from the environment; every problem is listed, then the
// process exits. docs/operations/personal-link.md lists each variable.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { serviceCode, subsystemIdText } from '@jplink/contracts';
import { envBool, envDuration, envInt, envPort, envString, envUrl } from '@jplink/kit';
import { resolveUpstreams, type UpstreamDefinition } from './upstream/definitions.ts';

export const plConfigSchema = z
  .object({
    JPLINK_MODE: z.enum(['production', 'development']).default('production'),
    PL_DATA_DIR: envString(),
    /** postgres://… ; absent → embedded PGlite (development only). */
    PL_DATABASE_URL: z.string().startsWith('postgres').optional(),
    PL_DATABASE_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/).default('personal_link'),
    /** File with the passphrase that seals private signing keys, cookie keys and RP secrets. */
    PL_SECRET_FILE: envString(),
    /** The OpenID Provider's issuer; its path must be `/oidc` (resident pages live beside it). */
    PL_ISSUER: envUrl({ protocols: ['http:', 'https:'] }),
    PL_HOST: z.string().default('0.0.0.0'),
    PL_PORT: envPort().default(8600),
    /** Admin API (RP registry, keys); loopback by default. */
    PL_ADMIN_HOST: z.string().default('127.0.0.1'),
    PL_ADMIN_PORT: envPort().default(8601),
    /** Trust X-Forwarded-* from a TLS-terminating proxy in front of PL_PORT. */
    PL_TRUST_PROXY: envBool().default(false),
    /** Allow back-channel logout calls to loopback and private addresses (RPs on a private network, the devnet). */
    PL_ALLOW_PRIVATE_NETWORK: envBool().default(false),
    /** Upstream ID providers: a JSON array (see upstream/definitions.ts), or a file holding it. */
    PL_UPSTREAMS: z.string().optional(),
    PL_UPSTREAMS_FILE: z.string().min(1).optional(),
    /** Signing algorithm of new keys and ID tokens: ES256 (default) or RS256. */
    PL_SIGNING_ALG: z.enum(['ES256', 'RS256']).default('ES256'),
    PL_AUTHORIZATION_CODE_TTL: envDuration().default(60),
    PL_ACCESS_TOKEN_TTL: envDuration().default(3600),
    PL_ID_TOKEN_TTL: envDuration().default(3600),
    PL_REFRESH_TOKEN_TTL: envDuration().default(14 * 86400),
    PL_SESSION_TTL: envDuration().default(14 * 86400),
    PL_INTERACTION_TTL: envDuration().default(3600),
    /** How often expired rows of oidc_models are deleted. */
    PL_SWEEP_INTERVAL: envDuration().default(300),
    /** How often an instance reloads signing and cookie keys changed by another instance. */
    PL_KEY_REFRESH_INTERVAL: envDuration().default(60),
    /** Failed upstream sign-ins per client address before a lock. */
    PL_SIGN_IN_MAX_ATTEMPTS: envInt({ min: 1, max: 1000 }).default(10),
    PL_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Development only: also serve the local test upstream ID providers (src/dev-upstream.ts). */
    PL_DEV_UPSTREAM: envBool().default(false),
    PL_DEV_UPSTREAM_PORT: envPort().default(8609),
    /** Consent reflection: Personal-Link's own Security Server (information-system URL) and X-Road subsystem; without both, reflections wait in the outbox. */
    PL_SS_URL: envUrl({ protocols: ['http:', 'https:'] }).optional(),
    PL_SUBSYSTEM: subsystemIdText.optional(),
    /** The RP API for RPs arriving as their X-Road subsystem through Personal-Link's Security Server: its own listener (absent → off). Reach it only from that Security Server. */
    PL_SS_API_PORT: envPort().optional(),
    PL_SS_API_HOST: z.string().default('127.0.0.1'),
    /** Optional HTTPS on that listener: PEM certificate (chain) and key files, both or neither. */
    PL_SS_API_TLS_CERT_FILE: z.string().min(1).optional(),
    PL_SS_API_TLS_KEY_FILE: z.string().min(1).optional(),
    /** Service code of the consent service at data providers. */
    PL_REFLECTION_SERVICE_CODE: serviceCode.default('consents'),
    /** Seconds between looks for due reflections (an enqueue wakes the worker at once). */
    PL_REFLECTION_POLL_INTERVAL: envDuration({ min: 1 }).default(5),
    /** Seconds one reflection call may take. */
    PL_REFLECTION_TIMEOUT: envDuration({ min: 1, max: 300 }).default(30),
    /** Longest wait between retries of a reflection, in seconds (backoff 1 s, 2 s, 4 s, … up to this). */
    PL_REFLECTION_MAX_BACKOFF: envDuration({ min: 1 }).default(600),
    /** Consent notifications to consumer RPs (docs/protocols/consent-notifications.md): seconds between looks for due rows. */
    PL_NOTIFICATION_POLL_INTERVAL: envDuration({ min: 1 }).default(5),
    /** Seconds one notification call may take. */
    PL_NOTIFICATION_TIMEOUT: envDuration({ min: 1, max: 120 }).default(10),
    /** Longest wait between retries of a notification, in seconds. */
    PL_NOTIFICATION_MAX_BACKOFF: envDuration({ min: 1 }).default(600),
    /** A notification not acknowledged with 2xx after this long is given up (audit consent-notification.failed). */
    PL_NOTIFICATION_MAX_AGE: envDuration({ min: 60 }).default(7 * 86400),
  })
  .superRefine((c, ctx) => {
    if (c.JPLINK_MODE === 'production' && !c.PL_DATABASE_URL) ctx.addIssue({ code: 'custom', path: ['PL_DATABASE_URL'], message: 'required in production (the embedded database is for development only)' });
    const issuer = new URL(c.PL_ISSUER);
    if (issuer.pathname !== '/oidc') ctx.addIssue({ code: 'custom', path: ['PL_ISSUER'], message: 'the path must be /oidc (for example https://id.example.jp/oidc)' });
    if (issuer.search || issuer.hash) ctx.addIssue({ code: 'custom', path: ['PL_ISSUER'], message: 'must not have a query or fragment' });
    if (c.JPLINK_MODE === 'production' && issuer.protocol !== 'https:') ctx.addIssue({ code: 'custom', path: ['PL_ISSUER'], message: 'must be https:// in production' });
    if (c.PL_UPSTREAMS !== undefined && c.PL_UPSTREAMS_FILE !== undefined) ctx.addIssue({ code: 'custom', path: ['PL_UPSTREAMS_FILE'], message: 'set PL_UPSTREAMS or PL_UPSTREAMS_FILE, not both' });
    if ((c.PL_SS_URL === undefined) !== (c.PL_SUBSYSTEM === undefined)) ctx.addIssue({ code: 'custom', path: [c.PL_SS_URL === undefined ? 'PL_SS_URL' : 'PL_SUBSYSTEM'], message: 'set PL_SS_URL and PL_SUBSYSTEM together (consent reflection)' });
    if ((c.PL_SS_API_TLS_CERT_FILE === undefined) !== (c.PL_SS_API_TLS_KEY_FILE === undefined)) ctx.addIssue({ code: 'custom', path: [c.PL_SS_API_TLS_CERT_FILE === undefined ? 'PL_SS_API_TLS_CERT_FILE' : 'PL_SS_API_TLS_KEY_FILE'], message: 'set PL_SS_API_TLS_CERT_FILE and PL_SS_API_TLS_KEY_FILE together' });
    if (c.PL_SS_API_TLS_CERT_FILE !== undefined && c.PL_SS_API_PORT === undefined) ctx.addIssue({ code: 'custom', path: ['PL_SS_API_PORT'], message: 'required with PL_SS_API_TLS_CERT_FILE' });
    if (c.JPLINK_MODE === 'production' && c.PL_DEV_UPSTREAM) ctx.addIssue({ code: 'custom', path: ['PL_DEV_UPSTREAM'], message: 'the dev upstream is for development only' });
    let raw: unknown = [];
    try {
      if (c.PL_UPSTREAMS !== undefined) raw = JSON.parse(c.PL_UPSTREAMS);
      else if (c.PL_UPSTREAMS_FILE !== undefined) raw = JSON.parse(readFileSync(c.PL_UPSTREAMS_FILE, 'utf8'));
    } catch (error) {
      ctx.addIssue({ code: 'custom', path: [c.PL_UPSTREAMS_FILE ? 'PL_UPSTREAMS_FILE' : 'PL_UPSTREAMS'], message: `not readable JSON (${(error as Error).message})` });
      return;
    }
    const { problems } = resolveUpstreams(raw);
    for (const p of problems) ctx.addIssue({ code: 'custom', path: [c.PL_UPSTREAMS_FILE ? 'PL_UPSTREAMS_FILE' : 'PL_UPSTREAMS'], message: p });
  });

export type PlConfig = z.output<typeof plConfigSchema>;

/** The upstreams of a parsed configuration (already validated by the schema). */
export function configuredUpstreams(config: PlConfig): UpstreamDefinition[] {
  const raw = config.PL_UPSTREAMS !== undefined ? JSON.parse(config.PL_UPSTREAMS) : config.PL_UPSTREAMS_FILE ? JSON.parse(readFileSync(config.PL_UPSTREAMS_FILE, 'utf8')) : [];
  return resolveUpstreams(raw).upstreams;
}

/** The resident pages' base URL: the issuer without `/oidc`. */
export function publicBaseUrl(config: PlConfig): string {
  return new URL(config.PL_ISSUER).origin;
}
