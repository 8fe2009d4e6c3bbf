// A bounded HTTP fetch of a DER document (OCSP responses, timestamp responses): refuses
// redirects, wrong content types, empty and oversized bodies.

export class HttpDerError extends Error {
  override name = 'HttpDerError';
}

export interface FetchDerOptions {
  /** POSTed with `requestType` when given; otherwise GET. */
  body?: Uint8Array;
  requestType?: string;
  /** The content type the answer must have. */
  responseType: string;
  timeoutMs: number;
  maxBytes: number;
}

/** GET or POST `url` and return the body of a 200 answer of `responseType`. Throws HttpDerError (or a subclass from `errorClass`). */
export async function fetchDer(url: string, options: FetchDerOptions, errorClass: new (message: string, options?: { cause?: unknown }) => Error = HttpDerError): Promise<Buffer> {
  const { maxBytes, responseType } = options;
  const signal = AbortSignal.timeout(options.timeoutMs);
  let response: Response;
  try {
    response = await fetch(url, {
      method: options.body ? 'POST' : 'GET',
      headers: options.body ? { 'content-type': options.requestType ?? 'application/octet-stream', accept: responseType } : { accept: responseType },
      ...(options.body ? { body: options.body } : {}),
      redirect: 'error',
      signal,
    });
  } catch (cause) {
    throw new errorClass(`${url}: ${(cause as Error).message}`, { cause });
  }
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => undefined);
    throw new errorClass(`${url}: HTTP ${response.status}`);
  }
  const type = (response.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== responseType) {
    await response.body?.cancel().catch(() => undefined);
    throw new errorClass(`${url}: content type ${type || 'missing'} is not ${responseType}`);
  }
  if (Number(response.headers.get('content-length') ?? '0') > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new errorClass(`${url}: response larger than ${maxBytes} bytes`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body?.getReader();
  if (!reader) throw new errorClass(`${url}: empty response`);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw new errorClass(`${url}: response larger than ${maxBytes} bytes`);
      }
      chunks.push(value);
    }
  } catch (cause) {
    if (cause instanceof errorClass) throw cause;
    throw new errorClass(`${url}: ${(cause as Error).message}`, { cause });
  }
  if (size === 0) throw new errorClass(`${url}: empty response`);
  return Buffer.concat(chunks);
}
