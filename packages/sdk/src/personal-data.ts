// Personal data from a provider's Adapter Server through JP-Link: the service code is the Adapter
// Server's Sub System Code, the path the data service name (and key); the resident's BaseID and the
// purpose travel in X-JPLink-Base-Id and X-JPLink-Purpose (docs/operations/adapter-server.md).
import type { JpLinkClient, JpLinkResponse } from './client.ts';

export interface PersonalDataRequest {
  provider: string;
  subsystemCode: string;
  operation: string;
  key?: string;
  query?: Record<string, string>;
  baseId: string;
  purpose: string;
  signal?: AbortSignal;
}

/** Rows of a list (or the one row of a get). Throws ConsentRequiredError when the Adapter Server finds no consent. */
export async function fetchPersonalData(client: JpLinkClient, v: PersonalDataRequest): Promise<{ rows: unknown[]; truncated: boolean; response: JpLinkResponse }> {
  const response = await client.call(`${v.provider}/${v.subsystemCode}`, {
    method: 'GET',
    path: v.key === undefined ? [v.operation] : [v.operation, v.key],
    ...(v.query ? { query: v.query } : {}),
    headers: { 'X-JPLink-Base-Id': v.baseId, 'X-JPLink-Purpose': v.purpose },
    ...(v.signal ? { signal: v.signal } : {}),
  });
  const body = response.json<unknown>();
  if (body && typeof body === 'object' && Array.isArray((body as { rows?: unknown }).rows)) {
    const b = body as { rows: unknown[]; truncated?: unknown };
    return { rows: b.rows, truncated: b.truncated === true, response };
  }
  return { rows: [body], truncated: false, response };
}
