// Servicer A's configuration (a shopping-support app, data consumer), read once from the
// environment; every problem is listed. The RP secret comes from a file, never from the environment.
import { z } from 'zod';
import { serviceCode, subsystemIdText } from '@jplink/contracts';
import { envBool, envList, envPort, envString, envUrl } from '@jplink/kit';

export const shopConfigSchema = z
  .object({
    JPLINK_MODE: z.enum(['production', 'development']).default('production'),
    SHOP_HOST: z.string().default('127.0.0.1'),
    SHOP_PORT: envPort().default(8160),
    /** The app's own origin as the browser sees it; the redirect URI is `<this>/auth/callback`, the consent return URI `<this>/consents/done`. */
    SHOP_PUBLIC_URL: envUrl({ protocols: ['http:', 'https:'] }),
    /** postgres://… ; absent → the caller passes a database (the devnet's embedded one). */
    SHOP_DATABASE_URL: z.string().startsWith('postgres').optional(),
    SHOP_DATABASE_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/).default('shopping_app'),
    /** Personal-Link's issuer (`…/oidc`); its RP API is at the same origin under /api/pl/v1. */
    SHOP_PL_ISSUER: envUrl({ protocols: ['http:', 'https:'] }),
    /** JSON file `{ "clientId", "clientSecret" }`: this app's registration at Personal-Link. */
    SHOP_PL_CREDENTIALS_FILE: envString(),
    /** A's own Security Server, information-system URL. */
    SHOP_SS_URL: envUrl({ protocols: ['http:', 'https:'] }),
    /** A's X-Road subsystem (X-Road-Client), e.g. DEV/COM/1000000000001/shopping. */
    SHOP_CLIENT: subsystemIdText,
    /** The data provider B: its X-Road subsystem, its Personal-Link client id, its Sub System Code and data service. */
    SHOP_PROVIDER: subsystemIdText,
    SHOP_PROVIDER_CLIENT_ID: envString(),
    SHOP_PROVIDER_SUBSYSTEM_CODE: serviceCode,
    SHOP_PROVIDER_OPERATION: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).default('list'),
    /** B's app, where a resident links B (shown when Personal-Link says B is not linked yet). */
    SHOP_PROVIDER_APP_URL: envUrl({ protocols: ['http:', 'https:'] }).optional(),
    /** The data items asked for (B's column names) and the purpose code B checks. */
    SHOP_DATA_ITEMS: envList(z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/)).default(['measured_on', 'systolic', 'diastolic', 'heart_rate', 'steps']),
    SHOP_PURPOSE_CODE: z.string().regex(/^[a-z0-9-]{1,64}$/).default('shopping-recommendation'),
    /** Days a consent asked for is valid. */
    SHOP_CONSENT_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
    /** Secure cookies (HTTPS in front of the app); off only for plain-HTTP development. */
    SHOP_SECURE_COOKIES: envBool().default(true),
    SHOP_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .superRefine((c, ctx) => {
    if (c.JPLINK_MODE === 'production' && !c.SHOP_SECURE_COOKIES) ctx.addIssue({ code: 'custom', path: ['SHOP_SECURE_COOKIES'], message: 'must be true in production' });
    if (c.JPLINK_MODE === 'production' && new URL(c.SHOP_PL_ISSUER).protocol !== 'https:') ctx.addIssue({ code: 'custom', path: ['SHOP_PL_ISSUER'], message: 'must be https in production' });
  });

export type ShopConfig = z.output<typeof shopConfigSchema>;
