/**
 * Error catalogue of @jplink/exchange (protocol jpx/1). Every expected failure is thrown as an
 * `ExchangeError` whose `code` is one of the keys below; the value is a short, stable
 * description (safe to show to an operator or to put in an X-Road error `message`).
 */
export const EXCHANGE_ERROR_CODES = {
  JPX_MALFORMED: 'The frame stream, a frame payload or a signature envelope is malformed',
  JPX_TRUNCATED: 'The frame stream ended inside a frame or before its final SIGNATURE/ERROR frame',
  JPX_BODY_TOO_LARGE: 'The message body exceeds the receiver limit',
  JPX_HEADER_INVALID: 'The message header does not match the jpx/1 header schema',
  JPX_SIGNATURE_INVALID: 'The signature envelope does not verify for this message (proof or root signature)',
  JPX_SIGNING_FAILED: 'The batch signer could not sign (key, certificate or OCSP source failed)',
  JPX_INVALID_ARGUMENT: 'An argument passed to the library is missing, out of range or inconsistent',
} as const;

export type ExchangeErrorCode = keyof typeof EXCHANGE_ERROR_CODES;

/** All error codes, in catalogue order. */
export const exchangeErrorCodes: readonly ExchangeErrorCode[] = Object.freeze(Object.keys(EXCHANGE_ERROR_CODES) as ExchangeErrorCode[]);

export class ExchangeError extends Error {
  override name = 'ExchangeError';
  readonly code: ExchangeErrorCode;

  constructor(code: ExchangeErrorCode, message?: string, options?: { cause?: unknown }) {
    super(message ?? EXCHANGE_ERROR_CODES[code], options);
    this.code = code;
  }
}

export function isExchangeError(error: unknown, code?: ExchangeErrorCode): error is ExchangeError {
  return error instanceof ExchangeError && (code === undefined || error.code === code);
}
