// The devnet manifest `.jplink/devnet.json`: what `jplink devnet` started and where to reach it.
// Documented in docs/devnet.md. Later components add their entries; unknown top-level keys are refused
// so the schema stays the single description of the file.
import { z } from 'zod';
import { instanceCode, securityServerIdText, memberIdText } from './identifiers.ts';

const url = z.url({ protocol: /^https?$/ });

export const tryItCallSchema = z.object({
  name: z.string().min(1),
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']),
  url,
  headers: z.record(z.string(), z.string()),
  /** Optional body, sent as is. */
  body: z.string().optional(),
  /** Extra curl options needed (for example `--cacert` paths), already quoted for a POSIX shell. */
  curlOptions: z.array(z.string()).optional(),
});
export type TryItCall = z.infer<typeof tryItCallSchema>;

export const manifestSecurityServerSchema = z.object({
  id: securityServerIdText,
  owner: memberIdText,
  informationSystemUrl: url,
  informationSystemHttpsUrl: url.optional(),
  /** host:port other Security Servers connect to (mutual TLS). */
  exchangeAddress: z.string(),
  /** Where peers fetch this server's OCSP responses. */
  ocspUrl: url,
  /** Local configuration API (Bearer key in `adminApiKeyFile`). */
  adminUrl: url,
  adminApiKeyFile: z.string().min(1),
});

export const manifestAdapterServerSchema = z.object({
  /** The member whose data it serves. */
  owner: memberIdText,
  /** Admin API (Bearer key in `adminApiKeyFile`; OpenAPI at `/openapi.json`). */
  adminUrl: url,
  /** Data services as the member's Security Server calls them: `{dataUrl}/{SubSystemCode}/{service}`. */
  dataUrl: url,
  adminApiKeyFile: z.string().min(1),
});

export const manifestServicerSchema = z.object({
  member: memberIdText,
  /** The servicer's own service app; absent while the devnet has none for this member. */
  appUrl: url.optional(),
  securityServer: securityServerIdText,
  adapterServer: manifestAdapterServerSchema.optional(),
});

export const devnetManifestSchema = z.strictObject({
  formatVersion: z.literal(1),
  instance: instanceCode,
  startedAt: z.iso.datetime({ offset: true }),
  /** Folder holding the network's state (database, keys); a restart reuses it. */
  dataDir: z.string().min(1),
  database: z.object({ kind: z.enum(['embedded', 'postgres']), url: z.string().min(1) }),
  trust: z.object({
    /** The configuration anchor file (JSON) a Security Server imports. */
    anchor: z.string().min(1),
    /** The root CA certificate (PEM) for OpenSSL and TLS clients. */
    rootCa: z.string().min(1),
  }),
  center: z.object({
    globalConf: url,
    ocsp: url,
    tsa: url,
    registration: url,
    admin: url,
    /** File holding the operator-admin API key of this devnet (development only). */
    adminApiKeyFile: z.string().min(1),
    openapi: url,
  }),
  securityServers: z.array(manifestSecurityServerSchema),
  adapterServers: z.array(manifestAdapterServerSchema),
  servicers: z.array(manifestServicerSchema),
  personalLink: z.object({ issuer: url, appUrl: url }).optional(),
  portal: z.object({ url }).optional(),
  tryIt: z.array(tryItCallSchema),
});
export type DevnetManifest = z.infer<typeof devnetManifestSchema>;
