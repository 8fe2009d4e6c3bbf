// OCSP over HTTP, client side: a bounded fetch that refuses redirects, wrong content types and
// oversized bodies, and the freshness rule shared by the manager and the peer verifier.

export const OCSP_REQUEST_TYPE = 'application/ocsp-request';
export const OCSP_RESPONSE_TYPE = 'application/ocsp-response';
/** OCSP responses for one certificate are a few kilobytes; anything much larger is not one. */
export const OCSP_MAX_RESPONSE_BYTES = 64 * 1024;

export class OcspHttpError extends Error {
  override name = 'OcspHttpError';
}

/** GET or POST `url` and return the body of a 200 `application/ocsp-response`. */
export async function fetchOcspResponse(
  url: string,
  options: { body?: Uint8Array; timeoutMs: number; maxBytes?: number },
): Promise<Buffer> {
  const maxBytes = options.maxBytes ?? OCSP_MAX_RESPONSE_BYTES;
  const signal = AbortSignal.timeout(options.timeoutMs);
  let response: Response;
  try {
    response = await fetch(url, {
      method: options.body ? 'POST' : 'GET',
      headers: options.body ? { 'content-type': OCSP_REQUEST_TYPE, accept: OCSP_RESPONSE_TYPE } : { accept: OCSP_RESPONSE_TYPE },
      ...(options.body ? { body: options.body } : {}),
      redirect: 'error',
      signal,
    });
  } catch (cause) {
    throw new OcspHttpError(`${url}: ${(cause as Error).message}`, { cause });
  }
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => undefined);
    throw new OcspHttpError(`${url}: HTTP ${response.status}`);
  }
  const type = (response.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== OCSP_RESPONSE_TYPE) {
    await response.body?.cancel().catch(() => undefined);
    throw new OcspHttpError(`${url}: content type ${type || 'missing'} is not ${OCSP_RESPONSE_TYPE}`);
  }
  if (Number(response.headers.get('content-length') ?? '0') > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new OcspHttpError(`${url}: response larger than ${maxBytes} bytes`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body?.getReader();
  if (!reader) throw new OcspHttpError(`${url}: empty response`);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw new OcspHttpError(`${url}: response larger than ${maxBytes} bytes`);
      }
      chunks.push(value);
    }
  } catch (cause) {
    if (cause instanceof OcspHttpError) throw cause;
    throw new OcspHttpError(`${url}: ${(cause as Error).message}`, { cause });
  }
  if (size === 0) throw new OcspHttpError(`${url}: empty response`);
  return Buffer.concat(chunks);
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
