// Typed errors of the SDK. XRoadError and its subclasses: the Security Server answered an X-Road
// error ({type, message, detail} as JSON or XML, header X-Road-Error). ProviderError: the
// provider's backend answered a non-2xx status (the kit's envelope {error: {code, message}} read when present).

export class JpLinkError extends Error {
  override name = 'JpLinkError';
}

export type XRoadSide = 'client' | 'server-proxy' | 'client-proxy' | 'other';

export function sideOf(type: string): XRoadSide {
  const t = type.toLowerCase();
  if (t.startsWith('client.')) return 'client';
  if (t.startsWith('server.serverproxy.')) return 'server-proxy';
  if (t.startsWith('server.clientproxy.')) return 'client-proxy';
  return 'other';
}

export class XRoadError extends JpLinkError {
  override name = 'XRoadError';
  readonly type: string;
  readonly detail: string | undefined;
  readonly status: number;
  readonly side: XRoadSide;
  constructor(input: { type: string; message: string; detail: string | undefined; status: number }) {
    super(input.message || input.type);
    this.type = input.type;
    this.detail = input.detail;
    this.status = input.status;
    this.side = sideOf(input.type);
  }
}

/** `*.access_denied`: the client subsystem has no access right to this service or endpoint. */
export class AccessDeniedError extends XRoadError {
  override name = 'AccessDeniedError';
}

/** The exchange could not happen now (network, timeouts, backend failed, outdated global configuration, timestamping). */
export class ServiceUnavailableError extends XRoadError {
  override name = 'ServiceUnavailableError';
}

/** The request never reached a Security Server, or no answer came (socket error, timeout, aborted, too large). */
export class NetworkError extends JpLinkError {
  override name = 'NetworkError';
  readonly reason: 'connect' | 'timeout' | 'reset' | 'aborted' | 'too-large' | 'other';
  constructor(message: string, reason: NetworkError['reason'], options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
  }
}

export class ProviderError extends JpLinkError {
  override name = 'ProviderError';
  readonly status: number;
  readonly code: string | undefined;
  readonly body: unknown;
  constructor(input: { status: number; code: string | undefined; message: string | undefined; body: unknown }) {
    super(input.message ?? `The provider answered ${input.status}${input.code ? ` ${input.code}` : ''}.`);
    this.status = input.status;
    this.code = input.code;
    this.body = input.body;
  }
}

/** The Adapter Server refused personal data for want of consent (or the BaseID/purpose it needs). */
export class ConsentRequiredError extends ProviderError {
  override name = 'ConsentRequiredError';
}

/** Personal-Link's RP API answered an error ({error: {code, message}}). */
export class PersonalLinkError extends JpLinkError {
  override name = 'PersonalLinkError';
  readonly status: number;
  readonly code: string | undefined;
  constructor(status: number, code: string | undefined, message: string | undefined) {
    super(message ?? `Personal-Link answered ${status}${code ? ` ${code}` : ''}.`);
    this.status = status;
    this.code = code;
  }
}

/** A consent notification that does not verify (signature, typ, iss, aud, shape): answer it with 400. */
export class InvalidConsentNotificationError extends JpLinkError {
  override name = 'InvalidConsentNotificationError';
}

/** Adapter Server codes that mean "no consent for this" (the resident must be asked). */
export const CONSENT_CODES: ReadonlySet<string> = new Set(['ADAPTER_PERSONAL_NO_CONSENT', 'ADAPTER_PERSONAL_BASE_ID_MISSING']);

const UNAVAILABLE = [
  'network_error',
  'timeout',
  'service_failed',
  'service_timeout',
  'outdated_globalconf',
  'timestamping_failed',
  'cert_validation',
  'internal_error',
];

/** The typed error for an X-Road error type (matched case-insensitively, by suffix). */
export function xroadErrorFor(input: { type: string; message: string; detail: string | undefined; status: number }): XRoadError {
  const t = input.type.toLowerCase();
  if (t.endsWith('.access_denied')) return new AccessDeniedError(input);
  if (UNAVAILABLE.some((s) => t.endsWith(`.${s}`))) return new ServiceUnavailableError(input);
  return new XRoadError(input);
}

/**
 * X-Road types after which a retry of an idempotent request is safe and useful: the provider's
 * backend was not reached or did not answer (never refusals such as access_denied or bad_request).
 */
export const RETRYABLE_XROAD_TYPES: ReadonlySet<string> = new Set([
  'server.clientproxy.network_error',
  'server.clientproxy.timeout',
  'server.clientproxy.outdated_globalconf',
  'server.serverproxy.service_failed',
  'server.serverproxy.service_timeout',
  'server.serverproxy.outdated_globalconf',
]);
