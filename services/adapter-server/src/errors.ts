// Adapter Server error catalogue (docs/errors.md ## ADAPTER, checked by a test). Data-service callers
// (through the Security Server) and admins get the kit's envelope `{ error: { code, message, requestId } }`.
import { defineErrors } from '@jplink/kit';

export const ADAPTER_ERRORS = defineErrors({
  // Data services (serving port, called by the Security Server)
  ADAPTER_SERVICE_NOT_FOUND: { status: 404, message: 'No such data service.' },
  ADAPTER_CLIENT_MISSING: { status: 400, message: 'The X-Road-Client header is missing or malformed.' },
  ADAPTER_FILTER_INVALID: { status: 400, message: 'A filter, order, select, limit or offset parameter is not valid for this data service.' },
  ADAPTER_PARAMETER_INVALID: { status: 400, message: 'A query parameter is missing or not valid.' },
  ADAPTER_BODY_INVALID: { status: 400, message: 'The request body does not match the data service.' },
  ADAPTER_KEY_INVALID: { status: 400, message: 'The key in the path is not valid for this data service.' },
  ADAPTER_ROW_NOT_FOUND: { status: 404, message: 'No row with this key.' },
  ADAPTER_RESPONSE_TOO_LARGE: { status: 400, message: 'The result is larger than this data service returns; ask for fewer rows or columns.' },
  ADAPTER_CONSTRAINT_VIOLATION: { status: 409, message: 'The database refused the change (a unique, foreign-key, not-null or check constraint).' },
  ADAPTER_STATEMENT_TIMEOUT: { status: 504, message: 'The database did not answer within the data service’s statement timeout.' },
  ADAPTER_TARGET_UNAVAILABLE: { status: 503, message: 'The data service’s database cannot be reached.' },
  ADAPTER_READ_ONLY_VIOLATION: { status: 500, message: 'The data service is declared read-only but its statement writes; its administrator must correct the definition.' },
  ADAPTER_TARGET_FAILED: { status: 502, message: 'The data service’s database failed the statement.' },
  ADAPTER_PERSONAL_BASE_ID_MISSING: { status: 400, message: 'A personal data service needs the resident’s BaseID (X-JPLink-Base-Id) and the purpose (X-JPLink-Purpose).' },
  ADAPTER_PERSONAL_NO_CONSENT: { status: 403, message: 'No active consent of this resident allows this client to read these data items for this purpose.' },
  ADAPTER_CONSENT_FORBIDDEN: { status: 403, message: 'Consents are accepted only from Personal-Link’s subsystem.' },
  ADAPTER_CONSENT_STALE: { status: 409, message: 'A newer version of this consent is already recorded.' },
  // Admin API
  ADAPTER_CONNECTION_NOT_FOUND: { status: 404, message: 'No such database connection.' },
  ADAPTER_CONNECTION_EXISTS: { status: 409, message: 'A database connection with this name exists.' },
  ADAPTER_CONNECTION_IN_USE: { status: 409, message: 'Data services use this connection; delete or move them first.' },
  ADAPTER_CONNECTION_FAILED: { status: 422, message: 'The database could not be reached or refused the credentials.' },
  ADAPTER_TABLE_NOT_FOUND: { status: 404, message: 'No such table or view in this database.' },
  ADAPTER_SUBSYSTEM_NOT_FOUND: { status: 404, message: 'No such Sub System Code.' },
  ADAPTER_SUBSYSTEM_EXISTS: { status: 409, message: 'This Sub System Code exists.' },
  ADAPTER_SUBSYSTEM_NOT_EMPTY: { status: 409, message: 'The Sub System Code still has data services.' },
  ADAPTER_SERVICE_EXISTS: { status: 409, message: 'A data service with this name exists in this Sub System Code.' },
  ADAPTER_DEFINITION_INVALID: { status: 422, message: 'The data service definition does not match the database.' },
  ADAPTER_SQL_INVALID: { status: 422, message: 'The query must be one SQL statement whose :placeholders are all declared parameters.' },
  ADAPTER_ID_CONVERSION_NOT_FOUND: { status: 404, message: 'No ID conversion for this BaseID.' },
  ADAPTER_PUBLISH_NOT_CONFIGURED: { status: 409, message: 'No Security Server is configured (ADAPTER_SS_ADMIN_URL, ADAPTER_SS_ADMIN_KEY_FILE, provider subsystem).' },
  ADAPTER_PUBLISH_REFUSED: { status: 422, message: 'The Security Server refused to register the service.' },
  ADAPTER_PUBLISH_FAILED: { status: 502, message: 'The Security Server could not be reached.' },
});
export type AdapterErrorCode = keyof typeof ADAPTER_ERRORS;
