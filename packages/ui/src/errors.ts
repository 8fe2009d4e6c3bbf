/** The UI kit's error catalogue (documented in docs/errors.md under `## UI`). */
import { defineErrors } from '@jplink/kit';

export const UI_ERRORS = defineErrors({
  UI_CSRF_INVALID: { status: 403, message: 'The form token is missing or invalid, or the request came from another site.' },
  UI_SIGN_IN_THROTTLED: { status: 429, message: 'Too many sign-in attempts. Try again later.' },
});

export type UiErrorCode = keyof typeof UI_ERRORS;
