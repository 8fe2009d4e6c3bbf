// Servicer A's error catalogue (docs/errors.md ## SHOP). The pages show these as Japanese text;
// the codes appear in logs and in the page for support.
import { defineErrors } from '@jplink/kit';

export const SHOP_ERRORS = defineErrors({
  SHOP_AUTH_STATE_INVALID: { status: 400, message: 'The sign-in could not be matched to one started here (missing or different state); start it again.' },
  SHOP_AUTH_FAILED: { status: 400, message: 'Personal-Link’s answer could not be verified (code, PKCE, ID token or nonce).' },
  SHOP_PL_UNAVAILABLE: { status: 502, message: 'Personal-Link did not answer as expected; try again later.' },
  SHOP_CONSENT_NOT_LINKED: { status: 409, message: 'The resident has not linked the healthcare service yet.' },
  SHOP_CONSENT_EVENT_INVALID: { status: 400, message: 'The consent notification is not a valid Security Event Token from Personal-Link for this app.' },
});
