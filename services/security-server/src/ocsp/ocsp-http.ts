// OCSP over HTTP, client side: a bounded fetch that refuses redirects, wrong content types and
// oversized bodies, and the freshness rule shared by the manager and the peer verifier.
import { fetchDer, HttpDerError } from '../http-der.ts';

export const OCSP_REQUEST_TYPE = 'application/ocsp-request';
export const OCSP_RESPONSE_TYPE = 'application/ocsp-response';
/** OCSP responses for one certificate are a few kilobytes; anything much larger is not one. */
export const OCSP_MAX_RESPONSE_BYTES = 64 * 1024;

export class OcspHttpError extends HttpDerError {
  override name = 'OcspHttpError';
}

/** GET or POST `url` and return the body of a 200 `application/ocsp-response`. */
export function fetchOcspResponse(url: string, options: { body?: Uint8Array; timeoutMs: number; maxBytes?: number }): Promise<Buffer> {
  return fetchDer(
    url,
    {
      ...(options.body ? { body: options.body } : {}),
      requestType: OCSP_REQUEST_TYPE,
      responseType: OCSP_RESPONSE_TYPE,
      timeoutMs: options.timeoutMs,
      maxBytes: options.maxBytes ?? OCSP_MAX_RESPONSE_BYTES,
    },
    OcspHttpError,
  );
}

/**
 * Until when (epoch ms) an OCSP response may be used: thisUpdate + freshness, but never past
 * nextUpdate. X-Road's rule: a response older than `ocspFreshnessSeconds` is stale.
 */
export function ocspFreshUntilMs(thisUpdate: Date, nextUpdate: Date | undefined, freshnessSeconds: number): number {
  const fresh = thisUpdate.getTime() + freshnessSeconds * 1000;
  return nextUpdate ? Math.min(fresh, nextUpdate.getTime()) : fresh;
}

/** `host:port` for a URL, with brackets around IPv6 literals. */
export function hostPort(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}
