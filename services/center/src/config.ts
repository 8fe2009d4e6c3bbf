// The Center's configuration, read once from the environment. Every problem is listed, then the
// process exits (see @jplink/kit loadConfigOrExit). docs/operations/center.md lists each variable.
import { z } from 'zod';
import { instanceCode, managementRequestType } from '@jplink/contracts';
import { envBool, envDuration, envInt, envList, envPort, envUrl } from '@jplink/kit';

const port = envPort;
const seconds = () => envDuration({ min: 1, max: 30 * 86_400 });

export const centerConfigSchema = z
  .object({
    JPLINK_MODE: z.enum(['production', 'development']).default('production'),
    CENTER_INSTANCE: instanceCode,
    /** Folder for key files and the embedded database. */
    CENTER_DATA_DIR: z.string().min(1),
    /** postgres://… ; absent → embedded PGlite (development only). */
    CENTER_DATABASE_URL: z.string().startsWith('postgres').optional(),
    CENTER_DATABASE_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/).default('center'),
    /** File with the passphrase that encrypts the CA private keys at rest. */
    CENTER_KEY_PASSPHRASE_FILE: z.string().min(1),
    CENTER_KEY_ALGORITHM: z.enum(['EC-P256', 'RSA-2048']).default('EC-P256'),
    CENTER_HOST: z.string().default('0.0.0.0'),
    /** Public base URL for published URLs (globalconf, OCSP, TSA), e.g. http://center.example.jp */
    CENTER_PUBLIC_URL: envUrl({ protocols: ['http:', 'https:'] }),
    /** Public name (DNS or IP) put into the registration service's TLS certificate and URL. */
    CENTER_PUBLIC_HOST: z.string().min(1),
    CENTER_PUBLIC_PORT: port().default(80),
    CENTER_REGISTRATION_PORT: port().default(4001),
    CENTER_ADMIN_HOST: z.string().default('127.0.0.1'),
    CENTER_ADMIN_PORT: port().default(4000),
    /** Management request types approved without an operator. */
    CENTER_AUTO_APPROVE: envList(managementRequestType).default([]),
    CENTER_GLOBAL_CONF_REFRESH_SECONDS: seconds().default(60),
    CENTER_GLOBAL_CONF_EXPIRY_SECONDS: seconds().default(600),
    CENTER_OCSP_FRESHNESS_SECONDS: seconds().default(3600),
    CENTER_OCSP_FETCH_INTERVAL_SECONDS: seconds().default(1200),
    CENTER_OCSP_VALIDITY_SECONDS: seconds().default(3600),
    CENTER_TIMESTAMPING_INTERVAL_SECONDS: seconds().default(60),
    CENTER_TIMESTAMP_FAILURE_TOLERANCE_SECONDS: seconds().default(14_400),
    CENTER_TSA_POLICY_OID: z.string().regex(/^\d+(\.\d+)+$/).default('1.3.6.1.4.1.57264.1.1'),
    CENTER_CERT_VALIDITY_DAYS: envInt({ min: 1, max: 3650 }).default(730),
    CENTER_BODY_LIMIT_BYTES: envInt({ min: 1024, max: 64 * 1024 * 1024 }).default(256 * 1024),
    /** Requests per minute and client IP on the registration service and the admin API. */
    CENTER_RATE_LIMIT_PER_MINUTE: envInt({ min: 1, max: 1_000_000 }).default(600),
    CENTER_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Seed member classes COM, GOV, ORG at init. */
    CENTER_SEED_MEMBER_CLASSES: envBool().default(true),
  })
  .superRefine((c, ctx) => {
    if (c.JPLINK_MODE === 'production' && !c.CENTER_DATABASE_URL) {
      ctx.addIssue({ code: 'custom', path: ['CENTER_DATABASE_URL'], message: 'required in production (the embedded database is for development only)' });
    }
  });

export type CenterConfig = z.output<typeof centerConfigSchema>;
