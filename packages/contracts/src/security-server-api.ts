// Contracts of the Security Server's local configuration API (loopback, Bearer API key).
// The full admin API and UI come later; this is enough to set up clients, services and access rights.
import { z } from 'zod';
import { serviceCode, subsystemIdText, securityServerIdText } from './identifiers.ts';

const isoTime = z.iso.datetime({ offset: true });

export const connectionType = z.enum(['http', 'https', 'https-cert']);

export const ssClientBody = z.object({
  subsystem: subsystemIdText,
  /** How the subsystem's information systems connect: plain HTTP, HTTPS, or HTTPS with a trusted client certificate. */
  connectionType: connectionType.default('http'),
  /** Log message bodies of this subsystem's exchanges (default true). */
  logBodies: z.boolean().default(true),
  /** Answer this subsystem's exchanges only once their log record is timestamped (default false: batch timestamping). */
  timestampImmediately: z.boolean().default(false),
  /** PEM certificates trusted for `https-cert`. */
  informationSystemCertificates: z.array(z.string().startsWith('-----BEGIN CERTIFICATE-----')).max(20).default([]),
});

export const ssClientView = z.object({
  subsystem: subsystemIdText,
  connectionType,
  logBodies: z.boolean(),
  timestampImmediately: z.boolean(),
  status: z.enum(['saved', 'registration-requested', 'registered']),
  /** Registered on this server according to the current global configuration. */
  registered: z.boolean(),
  informationSystemCertificates: z.array(z.string()),
});

export const endpointSchema = z.object({
  method: z.string().regex(/^(\*|GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS)$/),
  /** `/path`, with `*` for one segment and a trailing `**` for any number. */
  path: z.string().min(1).max(1000).startsWith('/'),
});

export const ssServiceBody = z
  .object({
    serviceCode,
    /** Backend base URL; the request's path and query are appended. */
    url: z.url({ protocol: /^https?$/ }),
    timeoutSeconds: z.int().min(1).max(3600).optional(),
    /** Verify the backend's TLS certificate (https URLs). */
    tlsVerify: z.boolean().default(true),
    /** An OpenAPI 3 description: its operations become the service's endpoints. */
    openapi: z.record(z.string(), z.unknown()).optional(),
    /** Endpoints declared by hand (ignored when `openapi` is given). */
    endpoints: z.array(endpointSchema).max(1000).optional(),
  });

export const ssServiceView = z.object({
  subsystem: subsystemIdText,
  serviceCode,
  url: z.string(),
  timeoutSeconds: z.int(),
  tlsVerify: z.boolean(),
  hasOpenApi: z.boolean(),
  endpoints: z.array(endpointSchema),
});

export const subsystemParams = z.object({ subsystem: subsystemIdText });
export const serviceParams = z.object({ subsystem: subsystemIdText, serviceCode });

export const accessSubject = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('subsystem'), id: subsystemIdText }),
  z.object({ kind: z.literal('local-group'), code: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/) }),
]);

export const accessRightBody = z.object({
  subject: accessSubject,
  /** Absent: the whole service. */
  endpoint: endpointSchema.optional(),
});

export const accessRightView = z.object({
  subsystem: subsystemIdText,
  serviceCode,
  subject: accessSubject,
  endpoint: endpointSchema.nullable(),
});

export const localGroupBody = z.object({
  code: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/),
  description: z.string().min(1).max(200),
  members: z.array(subsystemIdText).max(10_000),
});

export const ssStatusView = z.object({
  server: securityServerIdText,
  globalConf: z.object({ version: z.int().nullable(), expiresAt: isoTime.nullable(), lastError: z.string().nullable() }),
  certificates: z.array(
    z.object({ id: z.string(), kind: z.enum(['auth', 'sign']), sha256: z.string().nullable(), notAfter: isoTime.nullable(), ocsp: z.enum(['good', 'missing']) }),
  ),
  messageLog: z.object({ records: z.int(), batches: z.int(), failedBatches: z.int(), queued: z.int() }),
  timestamping: z.object({
    lastTimestampedRecordId: z.string(),
    /** Seconds since the oldest record without a timestamp was logged (0: all timestamped). */
    unstampedAgeSeconds: z.int(),
    unstampedRecords: z.int(),
    /** New exchanges are refused: no timestamp for longer than the tolerance. */
    refusing: z.boolean(),
    toleranceSeconds: z.int(),
    lastSuccessAt: isoTime.nullable(),
    lastError: z.string().nullable(),
    timestamps: z.int(),
  }),
  archiving: z.object({ lastRunAt: isoTime.nullable(), lastFiles: z.int(), lastError: z.string().nullable(), dir: z.string() }),
});

/** A subsystem id as one path segment of the configuration API (`inst:class:code:sub`, percent-encoded). */
export const subsystemPathSegment = (subsystem: string) => encodeURIComponent(subsystem.replaceAll('/', ':')).replaceAll('%3A', ':');
