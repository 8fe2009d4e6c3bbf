// Personal-Link error catalogue (docs/errors.md ## PERSONAL-LINK, checked by a test). API callers get
// the kit's envelope; residents get a page in their language that shows the same code.
import { defineErrors } from '@jplink/kit';

export const PL_ERRORS = defineErrors({
  // Resident pages and the sign-in interaction
  PL_INTERACTION_EXPIRED: { status: 400, message: 'This sign-in has expired or was already finished. Go back to the service and sign in again.' },
  PL_INTERACTION_INVALID: { status: 400, message: 'This sign-in step is not valid for the current sign-in.' },
  PL_UPSTREAM_UNKNOWN: { status: 404, message: 'No such ID provider.' },
  PL_UPSTREAM_STATE_INVALID: { status: 400, message: 'The answer of the ID provider does not belong to a sign-in started here, or it came too late.' },
  PL_UPSTREAM_ACR_REQUIRED: { status: 400, message: 'This service requires a sign-in with an identity-verified ID; the chosen ID is not one.' },
  PL_UPSTREAM_DENIED: { status: 400, message: 'The ID provider did not sign you in.' },
  PL_UPSTREAM_FAILED: { status: 502, message: 'The ID provider could not be reached or gave an invalid answer.' },
  PL_UPSTREAM_ALREADY_LINKED: { status: 409, message: 'This ID is already linked to another Personal-Link account.' },
  PL_UPSTREAM_LAST_ACCOUNT: { status: 409, message: 'The last linked ID cannot be removed.' },
  PL_UPSTREAM_ACCOUNT_NOT_FOUND: { status: 404, message: 'No such linked ID.' },
  PL_SIGN_IN_REQUIRED: { status: 401, message: 'Sign in to Personal-Link first.' },
  // Admin API
  PL_CLIENT_NOT_FOUND: { status: 404, message: 'No such relying party.' },
  PL_CLIENT_EXISTS: { status: 409, message: 'A relying party with this client id exists.' },
  PL_CLIENT_INVALID: { status: 422, message: 'The relying party registration is not valid.' },
  PL_KEY_NOT_FOUND: { status: 404, message: 'No such signing key.' },
  PL_KEY_ACTIVE: { status: 409, message: 'The active signing key cannot be retired; rotate first.' },
  // RP API (/api/pl/v1): IDs, linkage, consents (docs/protocols/personal-link-api.md)
  PL_API_TOKEN_INVALID: { status: 401, message: 'A valid access token of this relying party (client_credentials) is required.' },
  PL_API_SCOPE_MISSING: { status: 403, message: 'The access token lacks the scope this API needs, or the scope is not granted to this relying party.' },
  PL_API_SUBSYSTEM_MISSING: { status: 400, message: 'The X-Road-Client header (the calling subsystem, set by the Security Server) is missing or malformed.' },
  PL_API_SUBSYSTEM_UNKNOWN: { status: 403, message: 'No relying party is registered with the calling X-Road subsystem.' },
  PL_API_SUBSYSTEM_AMBIGUOUS: { status: 403, message: 'More than one relying party is registered with the calling X-Road subsystem; the operator must register it for one only.' },
  PL_API_RATE_LIMITED: { status: 429, message: 'Too many requests from this relying party; retry later.' },
  PL_RESIDENT_UNKNOWN: { status: 404, message: 'No such resident (BaseID).' },
  PL_ID_NOT_FOUND: { status: 404, message: 'No ID conversion of this relying party matches.' },
  PL_ID_CONVERSION_CONFLICT: { status: 409, message: 'This user id of the relying party is already tied to another BaseID.' },
  PL_ID_CONVERSION_MISSING: { status: 409, message: 'Register the ID conversion (ID completion notice) before the linkage.' },
  PL_LINK_NOT_FOUND: { status: 404, message: 'This service is not linked.' },
  PL_CONSENT_INVALID: { status: 422, message: 'The consent request is not valid.' },
  PL_CONSENT_PROVIDER_UNKNOWN: { status: 404, message: 'No such data provider (relying party).' },
  PL_CONSENT_RETURN_URI_NOT_REGISTERED: { status: 422, message: 'The return URI is not registered for this relying party.' },
  PL_CONSENT_SERVICE_NOT_LINKED: { status: 409, message: 'The resident has not linked both services (the requester and the data provider) to Personal-Link.' },
  PL_CONSENT_NOT_FOUND: { status: 404, message: 'No such consent.' },
  PL_CONSENT_NOT_PENDING: { status: 409, message: 'This consent request is no longer waiting for a decision.' },
  PL_CONSENT_NOT_ACTIVE: { status: 409, message: 'Only a given consent can be withdrawn.' },
  PL_CONSENT_VERSION_UNKNOWN: { status: 409, message: 'This version of the consent does not exist (yet).' },
  PL_DATA_ITEMS_NOT_FOUND: { status: 404, message: 'This relying party has not described data items of this Sub System Code.' },
  // My Data (resident pages /my/data, admin API …/my-data; docs/protocols/my-data.md)
  PL_MY_DATA_NOT_OFFERED: { status: 404, message: 'This service offers no My Data, or you have not linked it.' },
  PL_MY_DATA_RATE_LIMITED: { status: 429, message: 'Too many My Data views in a short time; wait a minute and try again.' },
  PL_MY_DATA_UNAVAILABLE: { status: 503, message: 'My Data is not available: Personal-Link has no Security Server configured (PL_SS_URL, PL_SUBSYSTEM).' },
});
export type PlErrorCode = keyof typeof PL_ERRORS;
