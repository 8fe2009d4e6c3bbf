// The two partner clients over plain fetch, the way @jplink/sdk's createPersonalLinkClient and
// fetchPersonalData behave (client-credentials token cached until shortly before expiry; PR-REST
// through A's own Security Server with X-JPLink-Base-Id and X-JPLink-Purpose). When packages/sdk
// lands, server.ts passes the SDK's clients instead and this file goes.
import { consentApiView, type ConsentApiView, type ConsentRequestBody } from '@jplink/contracts';
import { PersonalDataRefused, type PersonalDataSource, type PersonalLinkApi } from './partners.ts';

export class PersonalLinkApiError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  constructor(status: number, code: string | undefined) {
    super(`Personal-Link answered ${status}${code ? ` ${code}` : ''}`);
    this.name = 'PersonalLinkApiError';
    this.status = status;
    this.code = code;
  }
}

export function createPlApi(options: { issuer: string; clientId: string; clientSecret: string; fetch?: typeof fetch }): PersonalLinkApi {
  const doFetch = options.fetch ?? fetch;
  const issuer = options.issuer.replace(/\/+$/, '');
  const apiBase = `${new URL(issuer).origin}/api/pl/v1`;
  let token: { value: string; until: number } | undefined;

  async function accessToken(): Promise<string> {
    if (token && token.until > Date.now()) return token.value;
    const r = await doFetch(`${issuer}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${encodeURIComponent(options.clientId)}:${encodeURIComponent(options.clientSecret)}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      // The RP API refuses a token without its scopes (PL_API_SCOPE_MISSING).
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'pl:ids pl:consents' }).toString(),
    });
    const body = (await r.json().catch(() => ({}))) as { access_token?: string; expires_in?: number };
    if (r.status !== 200 || !body.access_token) throw new PersonalLinkApiError(r.status, 'token');
    token = { value: body.access_token, until: Date.now() + Math.max(0, (body.expires_in ?? 60) - 30) * 1000 };
    return token.value;
  }

  async function call(method: string, path: string, json?: unknown): Promise<unknown> {
    const r = await doFetch(`${apiBase}${path}`, {
      method,
      headers: { authorization: `Bearer ${await accessToken()}`, ...(json !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
    });
    const body = (await r.json().catch(() => null)) as { error?: { code?: string } } | null;
    if (r.status >= 300) throw new PersonalLinkApiError(r.status, body?.error?.code);
    return body;
  }

  return {
    notifyIdConversion: (v) => call('POST', '/id-conversions', v),
    notifyLinked: (v) => call('POST', '/links', v),
    requestConsent: async (v: ConsentRequestBody): Promise<ConsentApiView> => consentApiView.parse(await call('POST', '/consent-requests', v)),
    getConsent: async (consentId: string): Promise<ConsentApiView> => consentApiView.parse(await call('GET', `/consents/${encodeURIComponent(consentId)}`)),
  };
}

/** Consent refusals of the Adapter Server (ConsentRequiredError in the SDK). */
const CONSENT_CODES = new Set(['ADAPTER_PERSONAL_NO_CONSENT', 'ADAPTER_PERSONAL_BASE_ID_MISSING']);

export function createPersonalDataSource(options: { securityServerUrl: string; client: string; provider: string; subsystemCode: string; operation: string; fetch?: typeof fetch }): PersonalDataSource {
  const doFetch = options.fetch ?? fetch;
  const url = `${options.securityServerUrl.replace(/\/+$/, '')}/r1/${options.provider}/${encodeURIComponent(options.subsystemCode)}/${encodeURIComponent(options.operation)}`;
  return {
    async fetch(v) {
      let r: Response;
      try {
        r = await doFetch(url, { headers: { 'x-road-client': options.client, 'x-jplink-base-id': v.baseId, 'x-jplink-purpose': v.purpose, accept: 'application/json' } });
      } catch (error) {
        throw new PersonalDataRefused('unavailable', { cause: error });
      }
      const text = await r.text();
      let body: any = null;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {}
      if (r.status === 200 && body && Array.isArray(body.rows)) return { rows: body.rows as Record<string, unknown>[], truncated: body.truncated === true };
      const xRoadError = r.headers.get('x-road-error') ?? (typeof body?.type === 'string' ? body.type : undefined);
      if (xRoadError?.endsWith('access_denied')) throw new PersonalDataRefused('access-denied');
      if (!xRoadError && CONSENT_CODES.has(body?.error?.code)) throw new PersonalDataRefused('consent-required');
      throw new PersonalDataRefused('unavailable', { cause: new Error(`HTTP ${r.status} ${xRoadError ?? body?.error?.code ?? ''}`) });
    },
  };
}
