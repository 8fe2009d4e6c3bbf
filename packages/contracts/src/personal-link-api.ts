// Personal-Link's API for relying parties (RPs): BaseID lookup, ID conversion and linkage notices,
// UAX-Link's registrations, consent requests, consent status and consent registration at the data
// provider. docs/protocols/personal-link-api.md maps each published (Japanese) API name to these.
import { z } from 'zod';
import { baseId, dbIdentifier } from './adapter-api.ts';
import { serviceCode } from './identifiers.ts';

/** Scopes an RP asks for with client_credentials; honoured only when the operator granted them to the RP. */
export const plApiScope = z.enum(['pl:ids', 'pl:consents', 'pl:uax']);
export type PlApiScope = z.infer<typeof plApiScope>;

export const plClientId = z.string().regex(/^[A-Za-z0-9._-]{3,64}$/, 'a client id (3–64 of A-Z a-z 0-9 . _ -)');
/** The RP's own (existing) user id of the resident. */
export const plLocalUserId = z.string().min(1).max(200).refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'no control characters');
export const plConsentId = z.string().regex(/^pc_[A-Za-z0-9_-]{16,64}$/, 'a Personal-Link consent id (pc_…)');

// ------------------------------------------------------------------------- IDs and linkage
/** BaseID照会: the caller's ID conversion row, by its own user id or by BaseID. */
export const baseIdLookupBody = z.union([z.object({ localUserId: plLocalUserId }).strict(), z.object({ baseId }).strict()]);
export const idLinkView = z.object({
  baseId: z.string(),
  localUserId: z.string().nullable(),
  linked: z.boolean(),
  linkedAt: z.string().nullable(),
  unlinkedAt: z.string().nullable(),
});
export type IdLinkView = z.infer<typeof idLinkView>;

/** ID完了通知: the RP wrote its own ID conversion row (BaseID ↔ its user id); Personal-Link keeps the central copy. */
export const idCompletionBody = z.object({ baseId, localUserId: plLocalUserId }).strict();
export const idCompletionResult = z.object({ baseId: z.string(), localUserId: z.string(), result: z.enum(['created', 'updated', 'unchanged']) });

/** ID連携完了通知: the RP finished (or ended) the linkage of the resident; Personal-Link writes the RP link table. */
export const linkNoticeBody = z.object({ baseId, status: z.enum(['linked', 'unlinked']).default('linked') }).strict();

// ---------------------------------------------------------------- UAX-Link (UL-PL) registrations
export const uaxUserBody = z.object({ users: z.array(z.object({ localUserId: plLocalUserId }).strict()).min(1).max(500) }).strict();
export const uaxUserResult = z.object({ users: z.array(z.object({ localUserId: z.string(), baseId: z.string(), created: z.boolean() })) });
export const uaxIdConversionBody = z.object({ entries: z.array(idCompletionBody).min(1).max(500) }).strict();
export const uaxIdConversionResult = z.object({ entries: z.array(idCompletionResult) });
export const uaxLinkBody = z.object({ entries: z.array(linkNoticeBody).min(1).max(500) }).strict();
export const uaxLinkResult = z.object({ entries: z.array(idLinkView) });

// ------------------------------------------------------------------------------- consents
export const consentStatus = z.enum(['requested', 'given', 'declined', 'withdrawn', 'expired']);
export type ConsentStatus = z.infer<typeof consentStatus>;
export const consentEventType = z.enum(['requested', 'given', 'declined', 'withdrawn', 'expired', 'reflected', 'acknowledged', 'registered']);
export type ConsentEventType = z.infer<typeof consentEventType>;

const text = (max: number) => z.string().trim().min(1).max(max).refine((s) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(s), 'no control characters');

export const consentPurpose = z
  .object({
    /** The purpose code the provider checks (consentReflection.purpose). */
    code: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,99}$/, 'lower-case letters, digits, ".", "_" or "-" (max 100)'),
    description: z.object({ ja: text(500), en: text(500) }).strict(),
  })
  .strict();

/** 許諾依頼: RP A (the caller, the data consumer) asks the resident to let it receive data items of RP B. */
export const consentRequestBody = z
  .object({
    baseId,
    /** The data provider RP B (its client id at Personal-Link). */
    provider: plClientId,
    /** RP B's Sub System Code (data-service category) the data items belong to. */
    subsystemCode: serviceCode,
    /** Column names of RP B's data services. */
    dataItems: z.array(dbIdentifier).min(1).max(200).refine((a) => new Set(a).size === a.length, 'no item twice'),
    purpose: consentPurpose,
    validFrom: z.iso.datetime({ offset: true }).optional(),
    validUntil: z.iso.datetime({ offset: true }),
    /** Where the resident goes back after deciding; must be registered for the caller (admin API: api-access). */
    returnUri: z.string().url().max(2000),
  })
  .strict();
export type ConsentRequestBody = z.infer<typeof consentRequestBody>;

export const consentEventView = z.object({ seq: z.int(), type: z.string(), at: z.string(), actor: z.string(), details: z.record(z.string(), z.unknown()), hash: z.string() });

export const consentApiView = z.object({
  consentId: z.string(),
  baseId: z.string(),
  consumer: z.object({ clientId: z.string(), subsystem: z.string() }),
  provider: z.object({ clientId: z.string(), subsystem: z.string() }),
  subsystemCode: z.string(),
  dataItems: z.array(z.string()),
  purpose: z.object({ code: z.string(), description: z.object({ ja: z.string(), en: z.string() }) }),
  validFrom: z.string(),
  validUntil: z.string(),
  status: consentStatus,
  version: z.int(),
  /** For a request still waiting: where the resident approves or declines. */
  approvalUrl: z.string().nullable(),
  requestExpiresAt: z.string(),
  /** The signed consent receipt (JWT, Kantara CR 1.1 / ISO/IEC TS 27560 fields), once given. */
  receipt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  events: z.array(consentEventView),
});
export type ConsentApiView = z.infer<typeof consentApiView>;

/** 許諾情報登録: the data provider registered the consent (this version) in its own consent table. */
export const consentRegistrationBody = z.object({ version: z.int().min(1) }).strict();
export const consentRegistrationResult = z.object({ consentId: z.string(), version: z.int(), result: z.enum(['registered', 'already-registered']) });

// ------------------------------------------------------------------------------ data items
/**
 * 項目説明: the data provider RP describes the data items (columns) of one of its Sub System Codes,
 * so residents see 最高血圧 / Systolic rather than `systolic` when asked to consent. Labels only:
 * consents and receipts keep the ids.
 */
export const dataItemDescription = z
  .object({
    id: dbIdentifier,
    label: z.object({ ja: text(100), en: text(100) }).strict(),
    description: z.object({ ja: text(500), en: text(500) }).strict().optional(),
  })
  .strict();
export type DataItemDescription = z.infer<typeof dataItemDescription>;
export const dataItemsBody = z
  .object({ items: z.array(dataItemDescription).min(1).max(200).refine((a) => new Set(a.map((i) => i.id)).size === a.length, 'no item twice') })
  .strict();
export type DataItemsBody = z.infer<typeof dataItemsBody>;
export const dataItemsView = z.object({
  subsystemCode: z.string(),
  items: z.array(z.object({ id: z.string(), label: z.object({ ja: z.string(), en: z.string() }), description: z.object({ ja: z.string(), en: z.string() }).optional() })),
  updatedAt: z.string(),
});
export type DataItemsView = z.infer<typeof dataItemsView>;

// ------------------------------------------------------------------------------ admin side
/** What the operator lets an RP do on the API (admin API: PUT /api/v1/clients/{clientId}/api-access). */
export const rpApiAccessBody = z
  .object({
    scopes: z.array(plApiScope).max(3).default([]),
    /** Exact URLs the resident may be sent back to after deciding on this RP's consent requests. */
    consentReturnUris: z.array(z.string().url().max(2000)).max(20).default([]),
  })
  .strict();
export const rpApiAccessView = z.object({ clientId: z.string(), scopes: z.array(z.string()), consentReturnUris: z.array(z.string()), updatedAt: z.string() });

// ------------------------------------------------------------------------------- My Data
/**
 * What a data provider RP offers residents to see about themselves in Personal-Link's My Data
 * (admin API: PUT /api/v1/clients/{clientId}/my-data; docs/protocols/my-data.md): its Sub System
 * Code, the data items (columns) the resident's consent covers, and the personal `list` services
 * Personal-Link reads through JP-Link.
 */
export const myDataSourceBody = z
  .object({
    subsystemCode: serviceCode,
    dataItems: z.array(dbIdentifier).min(1).max(200).refine((a) => new Set(a).size === a.length, 'no item twice'),
    services: z
      .array(z.object({ name: z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/, 'a data service name (lower case, digits, _ or -)'), title: z.object({ ja: text(100), en: text(100) }).strict() }).strict())
      .min(1)
      .max(20)
      .refine((a) => new Set(a.map((s) => s.name)).size === a.length, 'no service twice'),
  })
  .strict();
export type MyDataSourceBody = z.infer<typeof myDataSourceBody>;
export const myDataSourceView = myDataSourceBody.extend({ clientId: z.string(), updatedAt: z.string() });
export type MyDataSourceView = z.infer<typeof myDataSourceView>;

// ------------------------------------------------------------------ consent notifications
/** The consent Security Event Token's `typ` and event type URIs (docs/protocols/consent-notifications.md). */
export const CONSENT_SET_TYPE = 'secevent+jwt';
export const CONSENT_SET_CONTENT_TYPE = 'application/secevent+jwt';
export const consentNotificationStatus = z.enum(['given', 'declined', 'withdrawn', 'expired']);
export const consentEventUri = (status: z.infer<typeof consentNotificationStatus>) => `urn:jplink:personal-link:secevent:consent:${status}`;
/** The one event of a consent SET (ids only). */
export const consentNotificationEvent = z
  .object({
    consentId: z.string(),
    version: z.int().min(1),
    status: consentNotificationStatus,
    previousStatus: z.enum(['requested', 'given']),
    consumer: z.string(),
    provider: z.string(),
    subsystemCode: z.string(),
    occurredAt: z.string(),
    providerAcknowledged: z.boolean().nullable(),
  })
  .strict();
export type ConsentNotificationEvent = z.infer<typeof consentNotificationEvent>;
/** The claims of a consent SET beside iss/aud/iat/jti (checked by the JWT library). */
export const consentSetClaims = z.object({
  jti: z.string().min(1),
  txn: z.string(),
  toe: z.int(),
  sub_id: z.object({ format: z.literal('opaque'), id: z.string() }).strict(),
  events: z.record(z.string(), consentNotificationEvent).refine((e) => Object.keys(e).length === 1, 'exactly one event'),
});
