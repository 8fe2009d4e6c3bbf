// Servicer B's error catalogue (docs/errors.md ## HEALTH). Pages show them as Japanese text; the
// codes appear in the log and on the page for support.
import { defineErrors } from '@jplink/kit';

export const HEALTH_ERRORS = defineErrors({
  HEALTH_AUTH_STATE_INVALID: { status: 400, message: 'The sign-in could not be matched to one started here (missing or different state); start it again.' },
  HEALTH_AUTH_FAILED: { status: 400, message: 'Personal-Link’s answer could not be verified (code, PKCE, ID token or nonce).' },
  HEALTH_PL_UNAVAILABLE: { status: 502, message: 'Personal-Link did not answer as expected; try again later.' },
  HEALTH_ADAPTER_UNAVAILABLE: { status: 502, message: 'The Adapter Server’s admin API did not answer as expected.' },
});
