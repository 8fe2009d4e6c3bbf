// Servicer B's configuration (a healthcare app, data provider), read once from the environment;
// every problem is listed. Secrets (the RP secret, the Adapter Server's admin key) come from files, never from environment values.
import { z } from 'zod';
import { serviceCode } from '@jplink/contracts';
import { envBool, envPort, envString, envUrl } from '@jplink/kit';

export const healthConfigSchema = z
  .object({
    JPLINK_MODE: z.enum(['production', 'development']).default('production'),
    HEALTH_HOST: z.string().default('127.0.0.1'),
    HEALTH_PORT: envPort().default(8170),
    /** The app's own origin as the browser sees it; the redirect URI is `<this>/auth/callback`, the post-logout URI `<this>/`. */
    HEALTH_PUBLIC_URL: envUrl({ protocols: ['http:', 'https:'] }),
    /** postgres://… ; absent → the caller passes a database (the devnet's embedded one). */
    HEALTH_DATABASE_URL: z.string().startsWith('postgres').optional(),
    HEALTH_DATABASE_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/).default('healthcare_app'),
    /** Personal-Link's issuer (`…/oidc`); its RP API is at the same origin under /api/pl/v1. */
    HEALTH_PL_ISSUER: envUrl({ protocols: ['http:', 'https:'] }),
    /** JSON file `{ "clientId", "clientSecret" }`: this app's registration at Personal-Link. */
    HEALTH_PL_CREDENTIALS_FILE: envString(),
    /** B's own Adapter Server admin API (ID conversion rows, reflected consents) and its key file. */
    HEALTH_ADAPTER_ADMIN_URL: envUrl({ protocols: ['http:', 'https:'] }),
    HEALTH_ADAPTER_ADMIN_KEY_FILE: envString(),
    /** The Sub System Code the vitals are published under (the service code on B's Security Server). */
    HEALTH_SUBSYSTEM_CODE: serviceCode.default('vitals'),
    /** Secure cookies (HTTPS in front of the app); off only for plain-HTTP development. */
    HEALTH_SECURE_COOKIES: envBool().default(true),
    HEALTH_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .superRefine((c, ctx) => {
    if (c.JPLINK_MODE === 'production' && !c.HEALTH_SECURE_COOKIES) ctx.addIssue({ code: 'custom', path: ['HEALTH_SECURE_COOKIES'], message: 'must be true in production' });
    if (c.JPLINK_MODE === 'production' && new URL(c.HEALTH_PL_ISSUER).protocol !== 'https:') ctx.addIssue({ code: 'custom', path: ['HEALTH_PL_ISSUER'], message: 'must be https in production' });
  });

export type HealthConfig = z.output<typeof healthConfigSchema>;
