// The global configuration: the signed document every Security Server downloads to learn who is in
// the network and whom to trust. Wire format and signature rules: docs/protocols/global-configuration.md.
import { z } from 'zod';
import {
  instanceCode,
  memberClassCode,
  memberCode,
  securityServerIdText,
  serverCode,
  subsystemCode,
  subsystemIdText,
} from './identifiers.ts';

export const GLOBAL_CONF_FORMAT_VERSION = 1;

const base64Der = z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/, 'base64 DER').min(4);
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'lower-case hex SHA-256');
const isoTime = z.iso.datetime({ offset: true });
const httpUrl = z.url({ protocol: /^https?$/ });

export const globalSettingsSchema = z.object({
  /** A Security Server rejects OCSP responses older than this (X-Road default 3600 s). */
  ocspFreshnessSeconds: z.int().min(60).max(7 * 86_400),
  /** How often Security Servers refetch OCSP responses for their own certificates (X-Road default 1200 s). */
  ocspFetchIntervalSeconds: z.int().min(30).max(86_400),
  /** Message-log batch timestamping interval (X-Road: 60–86,400 s). */
  timestampingIntervalSeconds: z.int().min(1).max(86_400),
  /** How long exchange continues while the TSA cannot be reached (X-Road default 14,400 s). */
  acceptableTimestampFailureSeconds: z.int().min(0).max(30 * 86_400),
  /** Lifetime of one published configuration; Security Servers stop exchanging once theirs expires. */
  configurationExpirySeconds: z.int().min(60).max(7 * 86_400),
  /** How often Security Servers download the configuration. */
  configurationRefreshSeconds: z.int().min(5).max(86_400),
});
export type GlobalSettings = z.infer<typeof globalSettingsSchema>;

export const DEFAULT_GLOBAL_SETTINGS: GlobalSettings = Object.freeze({
  ocspFreshnessSeconds: 3600,
  ocspFetchIntervalSeconds: 1200,
  timestampingIntervalSeconds: 60,
  acceptableTimestampFailureSeconds: 14_400,
  configurationExpirySeconds: 600,
  configurationRefreshSeconds: 60,
});

export const memberClassSchema = z.object({ code: memberClassCode, description: z.string().max(200) });

export const globalConfMemberSchema = z.object({
  memberClass: memberClassCode,
  memberCode,
  name: z.string().min(1).max(300),
  subsystems: z.array(z.object({ subsystemCode })),
});

export const globalConfSecurityServerSchema = z.object({
  id: securityServerIdText,
  owner: z.object({ memberClass: memberClassCode, memberCode }),
  serverCode,
  /** Host name or IP address; the exchange port is 5500 unless `port` says otherwise. */
  address: z.string().min(1).max(255),
  port: z.int().min(1).max(65_535).optional(),
  ocspPort: z.int().min(1).max(65_535).optional(),
  authCertHashes: z.array(sha256Hex),
  clients: z.array(subsystemIdText),
});

export const approvedCaSchema = z.object({
  name: z.string().min(1).max(200),
  /** The trust anchor of this CA (self-signed root), base64 DER. */
  rootCertificate: base64Der,
  /** Issuing CA certificates below the root, base64 DER. */
  intermediateCertificates: z.array(base64Der),
  ocsp: z.array(z.object({ url: httpUrl, responderCertificate: base64Der.optional() })),
  /** How a certificate's subject maps to a member identifier: see docs/protocols/certificate-profile.md. */
  certificateProfile: z.literal('jp-link-v1'),
});

export const tsaSchema = z.object({ name: z.string().min(1).max(200), url: httpUrl, certificate: base64Der });

export const globalConfigurationSchema = z.object({
  formatVersion: z.literal(GLOBAL_CONF_FORMAT_VERSION),
  instance: instanceCode,
  /** Serial number of this publication; strictly increasing. */
  version: z.int().min(1),
  generatedAt: isoTime,
  expiresAt: isoTime,
  memberClasses: z.array(memberClassSchema),
  members: z.array(globalConfMemberSchema),
  securityServers: z.array(globalConfSecurityServerSchema),
  approvedCas: z.array(approvedCaSchema),
  tsas: z.array(tsaSchema),
  globalSettings: globalSettingsSchema,
  managementService: z.object({
    /** Registration service (mutual TLS) where Security Servers send management requests. */
    registrationUrl: z.url({ protocol: /^https$/ }),
    /** TLS server certificate of the registration service, base64 DER. */
    tlsCertificate: base64Der,
  }),
});
export type GlobalConfiguration = z.infer<typeof globalConfigurationSchema>;
export type GlobalConfSecurityServer = z.infer<typeof globalConfSecurityServerSchema>;
export type ApprovedCa = z.infer<typeof approvedCaSchema>;

/**
 * The pointer at `{downloadUrl}/latest.json`. Unsigned on purpose: it only says which signed,
 * immutable version to fetch; the client checks everything in the signed document itself.
 */
export const globalConfPointerSchema = z.object({
  instance: instanceCode,
  version: z.int().min(1),
  document: z.string().min(1).max(200),
  signature: z.string().min(1).max(200),
  documentSha256: sha256Hex,
  expiresAt: isoTime,
});
export type GlobalConfPointer = z.infer<typeof globalConfPointerSchema>;

/** The configuration anchor: what an operator hands out of band so a Security Server can trust the Center. */
export const configurationAnchorSchema = z.object({
  formatVersion: z.literal(GLOBAL_CONF_FORMAT_VERSION),
  instance: instanceCode,
  /** Base URL of the published configuration; `${downloadUrl}/latest.json` is the pointer. */
  downloadUrl: httpUrl,
  /** PEM certificates whose keys may sign the configuration (more than one during key rotation). */
  signingCertificates: z.array(z.string().startsWith('-----BEGIN CERTIFICATE-----')).min(1),
  generatedAt: isoTime,
});
export type ConfigurationAnchor = z.infer<typeof configurationAnchorSchema>;
