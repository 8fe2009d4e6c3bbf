// @jplink/sdk: the client SDK for service apps (docs/sdk.md).
export { createJpLinkClient, type CallOptions, type JpLinkClient, type JpLinkClientOptions, type JpLinkResponse } from './client.ts';
export {
  AccessDeniedError,
  ConsentRequiredError,
  InvalidConsentNotificationError,
  JpLinkError,
  NetworkError,
  PersonalLinkError,
  ProviderError,
  RETRYABLE_XROAD_TYPES,
  ServiceUnavailableError,
  XRoadError,
  type XRoadSide,
} from './errors.ts';
export type { TlsOptions } from './http.ts';
export type { DataItemDescription, DataItemsView } from '@jplink/contracts';
export { createPersonalLinkClient, type ConsentRequest, type ConsentView, type PersonalLinkClient, type PersonalLinkClientOptions } from './personal-link.ts';
export { fetchPersonalData, type PersonalDataRequest } from './personal-data.ts';
export { createConsentNotificationVerifier, type ConsentNotification, type ConsentNotificationVerifierOptions } from './consent-notifications.ts';
