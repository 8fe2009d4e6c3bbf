// The Adapter Server's configuration, read once from the environment; every problem is listed, then
// the process exits. docs/operations/adapter-server.md lists each variable.
import { z } from 'zod';
import { subsystemIdText } from '@jplink/contracts';
import { envBool, envInt, envPort, envString, envUrl } from '@jplink/kit';

export const adapterConfigSchema = z
  .object({
    JPLINK_MODE: z.enum(['production', 'development']).default('production'),
    ADAPTER_DATA_DIR: envString(),
    /** The Adapter Server's own store (definitions, ID conversions, consents, call log): postgres://… ; absent → embedded PGlite (development only). */
    ADAPTER_DATABASE_URL: z.string().startsWith('postgres').optional(),
    ADAPTER_DATABASE_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/).default('adapter_server'),
    /** File with the passphrase that encrypts stored database credentials. */
    ADAPTER_SECRET_FILE: envString(),
    ADAPTER_HOST: z.string().default('0.0.0.0'),
    /** Data services for the Security Server (seed ports 8085 HTTP, 8003 HTTPS). */
    ADAPTER_DATA_HTTP_PORT: envPort().default(8085),
    ADAPTER_DATA_HTTPS_PORT: envPort().default(8003),
    /** Admin API and UI (seed: 80/443; 8443 here so it runs without root). */
    ADAPTER_ADMIN_HOST: z.string().default('127.0.0.1'),
    ADAPTER_ADMIN_PORT: envPort().default(8443),
    /** Mark the admin UI's cookies Secure: set it when the admin UI is reached over HTTPS (a TLS proxy in front). */
    ADAPTER_ADMIN_SECURE_COOKIES: envBool().default(false),
    /** The data-service base URL the Security Server uses (published with each service). */
    ADAPTER_PUBLIC_DATA_URL: envUrl({ protocols: ['http:', 'https:'] }).default('http://127.0.0.1:8085'),
    /** This member's Security Server configuration API, for publishing. */
    ADAPTER_SS_ADMIN_URL: envUrl({ protocols: ['http:', 'https:'] }).optional(),
    ADAPTER_SS_ADMIN_KEY_FILE: z.string().min(1).optional(),
    /** The X-Road subsystem that provides this Adapter Server's services (publish default). */
    ADAPTER_PROVIDER_SUBSYSTEM: subsystemIdText.optional(),
    /** Personal-Link's subsystem: the only client whose consent reflections are accepted. */
    ADAPTER_PERSONAL_LINK_CLIENT: subsystemIdText.optional(),
    /** Largest request body accepted on the data port (bytes). */
    ADAPTER_MAX_BODY_BYTES: envInt({ min: 1024, max: 64 * 1024 * 1024 }).default(1024 * 1024),
    ADAPTER_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .superRefine((c, ctx) => {
    if (c.JPLINK_MODE === 'production' && !c.ADAPTER_DATABASE_URL) {
      ctx.addIssue({ code: 'custom', path: ['ADAPTER_DATABASE_URL'], message: 'required in production (the embedded database is for development only)' });
    }
    if ((c.ADAPTER_SS_ADMIN_URL === undefined) !== (c.ADAPTER_SS_ADMIN_KEY_FILE === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['ADAPTER_SS_ADMIN_KEY_FILE'], message: 'set both ADAPTER_SS_ADMIN_URL and ADAPTER_SS_ADMIN_KEY_FILE, or neither' });
    }
  });

export type AdapterConfig = z.output<typeof adapterConfigSchema>;
