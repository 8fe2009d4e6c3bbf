// Fixed values of the JP-Link exchange protocol v1 (docs/protocols/exchange.md).

/** Value of the `protocol` header field. */
export const PROTOCOL = 'jpx/1';
/** Port of a Security Server's exchange endpoint (HTTP/1.1 over mutual TLS). */
export const EXCHANGE_PORT = 5500;
/** Path of the exchange endpoint; method POST. */
export const EXCHANGE_PATH = '/jpx/v1/exchange';
/** Content-Type of request and response bodies (a frame stream). */
export const EXCHANGE_CONTENT_TYPE = 'application/vnd.jplink.exchange.v1';
/** HTTP request header carrying the base64 DER OCSP response for the sender's auth certificate. */
export const AUTH_OCSP_HEADER = 'jpx-auth-ocsp';
/** Port of a Security Server's OCSP endpoint (`GET /ocsp?cert=<sha256 hex>`). */
export const OCSP_PORT = 5577;
export const OCSP_PATH = '/ocsp';
export const OCSP_CONTENT_TYPE = 'application/ocsp-response';
/** Largest payload of any frame (64 KiB). */
export const MAX_FRAME_BYTES = 65_536;
/** Default acceptance window for `createdAt` and messageId uniqueness, in seconds. */
export const DEFAULT_REPLAY_WINDOW_SECONDS = 300;
/** Default number of messages one batch signature may cover. */
export const DEFAULT_MAX_BATCH = 1024;

/** Domain-separation prefixes (UTF-8/ASCII bytes). */
export const MESSAGE_DIGEST_PREFIX = 'jpx/1 message\n';
export const BATCH_SIGNATURE_PREFIX = 'jpx/1 batch\n';
