// Why a global configuration was refused. Each is distinct so operators see exactly what is wrong.
export const GLOBAL_CONF_ERRORS = {
  GCONF_MALFORMED: 'the configuration document or its signature cannot be parsed',
  GCONF_ANCHOR_INVALID: 'the configuration anchor is not a valid anchor file',
  GCONF_SIGNATURE_INVALID: 'the signature does not match the document (tampered or corrupted)',
  GCONF_SIGNER_UNTRUSTED: 'the document is signed by a key the anchor does not trust',
  GCONF_EXPIRED: 'the configuration has expired',
  GCONF_INSTANCE_MISMATCH: 'the configuration is for another instance than the anchor',
  GCONF_VERSION_ROLLBACK: 'the configuration is older than one already accepted',
  GCONF_DOWNLOAD_FAILED: 'the configuration could not be downloaded',
} as const;

export type GlobalConfErrorCode = keyof typeof GLOBAL_CONF_ERRORS;

export class GlobalConfError extends Error {
  override name = 'GlobalConfError';
  readonly code: GlobalConfErrorCode;
  constructor(code: GlobalConfErrorCode, detail?: string, options?: { cause?: unknown }) {
    super(detail ? `${GLOBAL_CONF_ERRORS[code]}: ${detail}` : GLOBAL_CONF_ERRORS[code], options);
    this.code = code;
  }
}
