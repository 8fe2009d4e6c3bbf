// The Security Server's configuration, read once from the environment; every problem is listed,
// then the process exits. docs/operations/security-server.md lists each variable.
import { z } from 'zod';
import { securityServerIdText } from '@jplink/contracts';
import { envBool, envDuration, envInt, envPort, envString } from '@jplink/kit';

export const securityServerConfigSchema = z
  .object({
    JPLINK_MODE: z.enum(['production', 'development']).default('production'),
    /** This server: instance/memberClass/memberCode/serverCode. */
    SS_ID: securityServerIdText,
    SS_DATA_DIR: envString(),
    /** postgres://… ; absent → embedded PGlite (development only). */
    SS_DATABASE_URL: z.string().startsWith('postgres').optional(),
    SS_DATABASE_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/).default('security_server'),
    /** The configuration anchor file from the operator. */
    SS_ANCHOR_FILE: envString(),
    /** File with the passphrase that encrypts this server's private keys at rest. */
    SS_KEY_PASSPHRASE_FILE: envString(),
    SS_KEY_ALGORITHM: z.enum(['EC-P256', 'RSA-2048']).default('EC-P256'),
    /** Address other Security Servers use to reach this one (registered at the Center). */
    SS_PUBLIC_ADDRESS: envString(),
    SS_HOST: z.string().default('0.0.0.0'),
    /** Information-system interface (PR-REST): HTTP and HTTPS. Seed: 80/443 (8080/8443 on RHEL). */
    SS_IS_HTTP_PORT: envPort().default(8080),
    SS_IS_HTTPS_PORT: envPort().default(8443),
    /** Exchange between Security Servers (mutual TLS). */
    SS_EXCHANGE_PORT: envPort().default(5500),
    /** OCSP responses of this server's certificates, for peers. */
    SS_OCSP_PORT: envPort().default(5577),
    /** Local configuration API (loopback). */
    SS_ADMIN_HOST: z.string().default('127.0.0.1'),
    SS_ADMIN_PORT: envPort().default(4000),
    /** Port other servers should use, when it differs from SS_EXCHANGE_PORT (NAT, devnet). */
    SS_PUBLIC_EXCHANGE_PORT: envPort().optional(),
    SS_PUBLIC_OCSP_PORT: envPort().optional(),
    /** Largest request or response body carried (bytes). */
    SS_MAX_BODY_BYTES: envInt({ min: 1024, max: 1024 * 1024 * 1024 }).default(10 * 1024 * 1024),
    SS_CONNECT_TIMEOUT_SECONDS: envDuration({ min: 1, max: 600 }).default(5),
    /** How long the client side waits for the provider's Security Server. */
    SS_EXCHANGE_TIMEOUT_SECONDS: envDuration({ min: 1, max: 3600 }).default(60),
    /** Default backend timeout of a service (each service may set its own). */
    SS_SERVICE_TIMEOUT_SECONDS: envDuration({ min: 1, max: 3600 }).default(30),
    /** Messages older (or newer) than this are refused as possible replays. */
    SS_REPLAY_WINDOW_SECONDS: envDuration({ min: 10, max: 86_400 }).default(300),
    /** Log message bodies (can be turned off per subsystem too). */
    SS_LOG_BODIES: envBool().default(true),
    /** Bodies larger than this are logged as their SHA-256 and length only (bytes). */
    SS_LOG_BODY_MAX_BYTES: envInt({ min: 0, max: 1024 * 1024 * 1024 }).default(1024 * 1024),
    /** How long a message-log record may wait for the records of other exchanges in progress to share its commit (0: never waits). */
    SS_LOG_COMMIT_DELAY_MS: envInt({ min: 0, max: 100 }).default(2),
    /** Where archive files of the message log go (default <SS_DATA_DIR>/archives). */
    SS_ARCHIVE_DIR: z.string().min(1).optional(),
    /** How often timestamped records are written to archive files. */
    SS_ARCHIVE_INTERVAL_SECONDS: envDuration({ min: 1, max: 7 * 86_400 }).default(3600),
    /** One archive chain for the server (none), or one per local member or subsystem. */
    SS_ARCHIVE_GROUPING: z.enum(['none', 'member', 'subsystem']).default('none'),
    /** records.jsonl of each archive: deflated, stored, or (auto) deflated only when its first 64 KiB shrink to half or less. */
    SS_ARCHIVE_COMPRESSION: z.enum(['auto', 'deflate', 'store']).default('auto'),
    /** Archived records older than this are deleted from the database (0: right after archiving). */
    SS_LOG_RETENTION_DAYS: envInt({ min: 0, max: 36_500 }).default(30),
    /** Overrides the global configuration's timestamping interval (seconds). */
    SS_TIMESTAMPING_INTERVAL_SECONDS: envDuration({ min: 1, max: 86_400 }).optional(),
    /** Overrides the global configuration's acceptableTimestampFailureSeconds: how long exchange continues without timestamps. */
    SS_TIMESTAMP_FAILURE_TOLERANCE_SECONDS: envDuration({ min: 0, max: 30 * 86_400 }).optional(),
    SS_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .superRefine((c, ctx) => {
    if (c.JPLINK_MODE === 'production' && !c.SS_DATABASE_URL) {
      ctx.addIssue({ code: 'custom', path: ['SS_DATABASE_URL'], message: 'required in production (the embedded database is for development only)' });
    }
  });

export type SecurityServerConfig = z.output<typeof securityServerConfigSchema>;
