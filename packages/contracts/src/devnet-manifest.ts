// The devnet manifest `.jplink/devnet.json`: what `jplink devnet` started and where to reach it.
// Documented in docs/devnet.md. Later components add their entries; unknown top-level keys are refused
// so the schema stays the single description of the file.
import { z } from 'zod';
import { instanceCode, securityServerIdText, memberIdText, serviceIdText, subsystemIdText } from './identifiers.ts';

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

/** A servicer's registration as a relying party of Personal-Link. */
export const manifestPersonalLinkClientSchema = z.object({
  clientId: z.string().min(1),
  /** JSON file `{ "clientId", "clientSecret" }` (the secret is never in the manifest). */
  credentialsFile: z.string().min(1),
  /** The registered redirect URI (the servicer's app, once it has one). */
  redirectUri: url,
  /** The registered return URI after the resident decides on a consent request. */
  consentReturnUri: url,
});

export const manifestServicerSchema = z.object({
  member: memberIdText,
  /** The servicer's X-Road subsystem (its information system). */
  subsystem: subsystemIdText.optional(),
  /** The servicer's own service app (where residents sign in). */
  appUrl: url.optional(),
  /** The Security Server the servicer's information systems call and are called through. */
  securityServer: securityServerIdText,
  /** The servicer's Adapter Server (behind that Security Server). */
  adapterServer: manifestAdapterServerSchema.optional(),
  personalLinkClient: manifestPersonalLinkClientSchema.optional(),
});

/** A (development) upstream ID provider of Personal-Link and its test users (chosen with a button, no password). */
export const manifestUpstreamIdpSchema = z.object({
  /** Id at Personal-Link (the `data-upstream` of its sign-in buttons). */
  id: z.string().min(1),
  name: z.object({ ja: z.string(), en: z.string() }),
  issuer: url,
  /** States the identity-verified acr and verified attributes. */
  verified: z.boolean(),
  testUsers: z.array(z.object({ sub: z.string().min(1), name: z.string(), email: z.string() })),
});

export const manifestPersonalLinkSchema = z.object({
  /** The OpenID Provider's issuer (discovery at `{issuer}/.well-known/openid-configuration`). */
  issuer: url,
  /** Resident pages (`/my`) and the RP API (`/api/pl/v1`). */
  appUrl: url,
  /** Admin API (Bearer key in `adminApiKeyFile`; OpenAPI at `/openapi.json`). */
  adminUrl: url.optional(),
  adminApiKeyFile: z.string().min(1).optional(),
  /** Personal-Link's X-Road subsystem (sender of consent reflections) and its Security Server. */
  subsystem: subsystemIdText.optional(),
  securityServer: securityServerIdText.optional(),
  /** Personal-Link's own Adapter Server (behind its Security Server). */
  adapterServer: manifestAdapterServerSchema.optional(),
  /** The RP API published on Personal-Link's Security Server, for RPs calling as their subsystem (PR-REST `/r1/<this>/…`). */
  rpApiService: serviceIdText.optional(),
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
  personalLink: manifestPersonalLinkSchema.optional(),
  /** Personal-Link's upstream ID providers (the devnet's are local test issuers). */
  upstreamIdps: z.array(manifestUpstreamIdpSchema).optional(),
  portal: z.object({ url }).optional(),
  tryIt: z.array(tryItCallSchema),
});
export type DevnetManifest = z.infer<typeof devnetManifestSchema>;
