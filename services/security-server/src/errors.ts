// Security Server error types, X-Road style (PR-REST §: `{type, message, detail}` + `X-Road-Error`).
// Types are lower-case dotted, like X-Road 7.8; clients should match them case-insensitively and
// by prefix. Rule (as X-Road): a type starting with `server.` answers HTTP 500, any other 400.
// Documented in docs/errors.md (## SECURITY-SERVER), checked by a test.
import { defineErrors } from '@jplink/kit';

export const XROAD_ERRORS = {
  // The information system's request is wrong.
  'client.bad_request': 'The request is not a valid PR-REST request (path, identifiers or headers).',
  'client.unknown_client': 'The X-Road-Client subsystem is not a registered client of this Security Server.',
  'client.connection_not_allowed': 'The client subsystem must connect with the connection type configured for it (HTTP, HTTPS, or HTTPS with a trusted client certificate).',
  'client.body_too_large': 'The request body is larger than this Security Server accepts.',
  'client.unknown_service_provider': 'No Security Server in the global configuration hosts the requested service provider.',
  // The client-side Security Server failed.
  'server.clientproxy.outdated_globalconf': 'This Security Server has no valid global configuration.',
  'server.clientproxy.network_error': 'No Security Server of the service provider could be reached.',
  'server.clientproxy.ssl_authentication_failed': 'The service provider’s Security Server did not present a registered authentication certificate.',
  'server.clientproxy.cert_validation': 'A certificate needed for this exchange has no fresh, good OCSP response.',
  'server.clientproxy.invalid_signature': 'The response signature does not verify.',
  'server.clientproxy.invalid_response': 'The response from the provider’s Security Server is malformed or does not answer this request.',
  'server.clientproxy.timeout': 'The provider’s Security Server did not answer in time.',
  'server.clientproxy.timestamping_failed': 'The message log of the client-side Security Server could not be timestamped for longer than the tolerance (or a timestamp required at once failed); exchange resumes when a TSA answers.',
  'server.clientproxy.internal_error': 'The client-side Security Server failed; see its log with the detail id.',
  // The provider-side Security Server refused or failed.
  'server.serverproxy.outdated_globalconf': 'The provider’s Security Server has no valid global configuration.',
  'server.serverproxy.ssl_authentication_failed': 'The client’s Security Server did not present a registered authentication certificate.',
  'server.serverproxy.cert_validation': 'A certificate of the client’s Security Server or member has no fresh, good OCSP response.',
  'server.serverproxy.invalid_signature': 'The request signature does not verify.',
  'server.serverproxy.invalid_message': 'The message from the client’s Security Server is malformed.',
  'server.serverproxy.replayed_message': 'The message was already received, or is too old to be accepted.',
  'server.serverproxy.wrong_target': 'The message is addressed to another Security Server or service.',
  'server.serverproxy.unknown_service': 'The provider subsystem has no such service on this Security Server.',
  'server.serverproxy.access_denied': 'The client subsystem has no access right to this service or endpoint.',
  'server.serverproxy.body_too_large': 'The message body is larger than the provider’s Security Server accepts.',
  'server.serverproxy.service_failed': 'The provider’s backend service could not be reached or failed.',
  'server.serverproxy.service_timeout': 'The provider’s backend service did not answer in time.',
  'server.serverproxy.timestamping_failed': 'The message log of the provider’s Security Server could not be timestamped for longer than the tolerance (or a timestamp required at once failed).',
  'server.serverproxy.internal_error': 'The provider-side Security Server failed; see its log with the detail id.',
} as const;

export type XRoadErrorType = keyof typeof XROAD_ERRORS;

/** HTTP status by X-Road's rule. */
export function xroadErrorStatus(type: string): 400 | 500 {
  return type.toLowerCase().startsWith('server.') ? 500 : 400;
}

/** An error that becomes a PR-REST error response. `message` is safe for the client; `cause` goes to logs. */
export class XRoadError extends Error {
  override name = 'XRoadError';
  readonly type: XRoadErrorType;
  constructor(type: XRoadErrorType, message?: string, options?: { cause?: unknown }) {
    super(message ?? XROAD_ERRORS[type], options);
    this.type = type;
  }
  get status(): 400 | 500 {
    return xroadErrorStatus(this.type);
  }
}

// Errors of the configuration API (JSON envelope of @jplink/kit, not PR-REST).

export const SS_ADMIN_ERRORS = defineErrors({
  SS_OPENAPI_INVALID: { status: 400, message: 'The service description must be an OpenAPI 3 document.' },
  SS_INSTANCE_MISMATCH: { status: 400, message: 'The subsystem belongs to another instance.' },
  SS_CLIENT_UNKNOWN: { status: 404, message: 'No such local client subsystem.' },
  SS_SERVICE_UNKNOWN: { status: 404, message: 'No such service.' },
  SS_ACCESS_RIGHT_UNKNOWN: { status: 404, message: 'No such access right.' },
  SS_EVIDENCE_NOT_FOUND: { status: 404, message: 'No exchange with this id is in the message log.' },
});
