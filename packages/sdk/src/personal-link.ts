// Personal-Link's RP API (docs/protocols/personal-link-api.md) with a client-credentials token:
// token endpoint from the issuer's discovery document, client_secret_basic, token cached until
// 30 s before expiry and fetched again once when the API answers 401. Answers are validated with
// the contracts' schemas. Or, without a token, through the RP's own Security Server as its X-Road
// subsystem (PR-REST to the service Personal-Link publishes on its Security Server): the same calls
// and answers; the operator's API grant alone decides what the subsystem may call.
import {
  consentApiView,
  consentRegistrationResult,
  dataItemsView,
  idCompletionResult,
  idLinkView,
  type ConsentApiView,
  type DataItemDescription,
  type DataItemsView,
  type IdLinkView,
} from '@jplink/contracts';
import type { z } from 'zod';
import { PersonalLinkError } from './errors.ts';
import { createTransport, header, type TlsOptions } from './http.ts';

export type PersonalLinkClientOptions = PersonalLinkTokenOptions | PersonalLinkSecurityServerOptions;

export interface PersonalLinkSecurityServerOptions {
  securityServer: {
    /** The RP's own Security Server (information-system side), e.g. 'https://ss.example.jp:8443'. */
    url: string;
    /** The RP's subsystem, sent as X-Road-Client (the one registered with the RP at Personal-Link). */
    client: string;
    /** Personal-Link's service: '<instance>/<class>/<code>/<subsystem>/<service code>'. */
    service: string;
  };
  tls?: TlsOptions;
  timeoutMs?: number;
}

export interface PersonalLinkTokenOptions {
  /** Personal-Link's issuer, e.g. 'https://id.example.jp/oidc'. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  tls?: TlsOptions;
  /** The RP API base (default: the issuer's origin + '/api/pl/v1'). */
  apiUrl?: string;
  /** Scopes asked for at the token endpoint (default 'pl:ids pl:consents'; the operator's grant decides). */
  scope?: string;
  timeoutMs?: number;
}

export type ConsentView = ConsentApiView;
export type IdCompletionResult = z.infer<typeof idCompletionResult>;
export type ConsentRegistrationResult = z.infer<typeof consentRegistrationResult>;

export interface ConsentRequest {
  baseId: string;
  provider: string;
  subsystemCode: string;
  dataItems: string[];
  purpose: { code: string; description: { ja: string; en: string } };
  validFrom?: string;
  validUntil: string;
  returnUri: string;
}

export interface PersonalLinkClient {
  /** BaseID照会 */
  lookupBaseId(q: { localUserId: string } | { baseId: string }): Promise<IdLinkView>;
  /** ID完了通知 */
  notifyIdConversion(v: { baseId: string; localUserId: string }): Promise<IdCompletionResult>;
  /** ID連携完了通知 */
  notifyLinked(v: { baseId: string; status?: 'linked' | 'unlinked' }): Promise<IdLinkView>;
  /** 許諾依頼: the answer has approvalUrl, where the resident decides. */
  requestConsent(v: ConsentRequest): Promise<ConsentView>;
  getConsent(consentId: string): Promise<ConsentView>;
  /** 許諾情報登録 (as the provider). */
  registerConsent(consentId: string, version: number): Promise<ConsentRegistrationResult>;
  /** 項目説明 (as the provider): the ja/en labels of its data items of one Sub System Code, shown to residents instead of the ids (replaces the list). */
  describeDataItems(subsystemCode: string, items: DataItemDescription[]): Promise<DataItemsView>;
  /** The provider's own data item descriptions of one Sub System Code (PL_DATA_ITEMS_NOT_FOUND when none). */
  dataItems(subsystemCode: string): Promise<DataItemsView>;
  close(): void;
}

const EARLY_MS = 30_000;
const MAX_BYTES = 1024 * 1024;

export function createPersonalLinkClient(options: PersonalLinkClientOptions): PersonalLinkClient {
  return 'securityServer' in options ? throughSecurityServer(options) : withToken(options);
}

function withToken(options: PersonalLinkTokenOptions): PersonalLinkClient {
  const issuer = options.issuer.replace(/\/+$/, '');
  const apiBase = (options.apiUrl ?? `${new URL(issuer).origin}/api/pl/v1`).replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 30_000;
  const transport = createTransport({ tls: options.tls, maxResponseBytes: MAX_BYTES });
  let tokenEndpoint: string | undefined;
  let cached: { token: string; expiresAt: number } | undefined;
  let pending: Promise<string> | undefined;

  const send = (url: string, method: string, headers: Record<string, string>, body?: Buffer) =>
    transport.send({ url: new URL(url), method, headers, body, timeoutMs, signal: undefined });

  async function discover(): Promise<string> {
    if (tokenEndpoint) return tokenEndpoint;
    const res = await send(`${issuer}/.well-known/openid-configuration`, 'GET', { accept: 'application/json' });
    const doc = res.status === 200 ? (safeJson(res.body) as { token_endpoint?: unknown } | undefined) : undefined;
    if (typeof doc?.token_endpoint !== 'string') throw new PersonalLinkError(res.status, undefined, 'The issuer’s discovery document has no token endpoint.');
    tokenEndpoint = doc.token_endpoint;
    return tokenEndpoint;
  }

  async function fetchToken(): Promise<string> {
    const endpoint = await discover();
    const basic = Buffer.from(`${encodeURIComponent(options.clientId)}:${encodeURIComponent(options.clientSecret)}`).toString('base64');
    const form = new URLSearchParams({ grant_type: 'client_credentials', scope: options.scope ?? 'pl:ids pl:consents' });
    const res = await send(endpoint, 'POST', { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, Buffer.from(form.toString()));
    const body = safeJson(res.body) as { access_token?: unknown; expires_in?: unknown; error?: unknown } | undefined;
    if (res.status !== 200 || typeof body?.access_token !== 'string') {
      throw new PersonalLinkError(res.status, typeof body?.error === 'string' ? body.error : undefined, 'Personal-Link refused the client-credentials token.');
    }
    const lifetime = typeof body.expires_in === 'number' ? body.expires_in * 1000 : 60_000;
    cached = { token: body.access_token, expiresAt: Date.now() + Math.max(0, lifetime - EARLY_MS) };
    return body.access_token;
  }

  function token(): Promise<string> {
    if (cached && Date.now() < cached.expiresAt) return Promise.resolve(cached.token);
    pending ??= fetchToken().finally(() => {
      pending = undefined;
    });
    return pending;
  }

  async function api<S extends z.ZodType>(method: string, path: string, schema: S, json?: unknown): Promise<z.infer<S>> {
    const body = json === undefined ? undefined : Buffer.from(JSON.stringify(json));
    const attempt = async (bearer: string) =>
      send(`${apiBase}${path}`, method, { authorization: `Bearer ${bearer}`, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) }, body);
    let res = await attempt(await token());
    if (res.status === 401) {
      cached = undefined;
      res = await attempt(await token());
    }
    return answer(res, schema);
  }

  return operations(api, () => transport.close());
}

function throughSecurityServer(options: PersonalLinkSecurityServerOptions): PersonalLinkClient {
  const { url, client, service } = options.securityServer;
  const apiBase = `${url.replace(/\/+$/, '')}/r1/${service.split('/').map(encodeURIComponent).join('/')}`;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const transport = createTransport({ tls: options.tls, maxResponseBytes: MAX_BYTES });
  async function api<S extends z.ZodType>(method: string, path: string, schema: S, json?: unknown): Promise<z.infer<S>> {
    const body = json === undefined ? undefined : Buffer.from(JSON.stringify(json));
    const headers = { 'x-road-client': client, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) };
    return answer(await transport.send({ url: new URL(`${apiBase}${path}`), method, headers, body, timeoutMs, signal: undefined }), schema);
  }
  return operations(api, () => transport.close());
}

/** The answer checked against its contract, or a PersonalLinkError: Personal-Link's code, or the Security Server's X-Road error type. */
function answer<S extends z.ZodType>(res: { status: number; headers: Record<string, string | string[]>; body: Buffer }, schema: S): z.infer<S> {
  const parsed = safeJson(res.body);
  if (res.status < 200 || res.status >= 300) {
    const object = parsed && typeof parsed === 'object' ? (parsed as { error?: { code?: unknown; message?: unknown }; type?: unknown; message?: unknown }) : undefined;
    const error = object?.error;
    const code = typeof error?.code === 'string' ? error.code : typeof object?.type === 'string' ? object.type : undefined;
    const message = typeof error?.message === 'string' ? error.message : typeof object?.message === 'string' ? object.message : undefined;
    const retryAfter = header(res.headers, 'retry-after');
    throw new PersonalLinkError(res.status, code, message && retryAfter ? `${message} (retry after ${retryAfter} s)` : message);
  }
  const checked = schema.safeParse(parsed);
  if (!checked.success) throw new PersonalLinkError(res.status, undefined, 'Personal-Link’s answer does not match the RP API contract.');
  return checked.data;
}

type ApiCall = <S extends z.ZodType>(method: string, path: string, schema: S, json?: unknown) => Promise<z.infer<S>>;

function operations(api: ApiCall, close: () => void): PersonalLinkClient {
  return {
    lookupBaseId: (q) => api('POST', '/base-ids/lookup', idLinkView, q),
    notifyIdConversion: (v) => api('POST', '/id-conversions', idCompletionResult, v),
    notifyLinked: (v) => api('POST', '/links', idLinkView, { baseId: v.baseId, status: v.status ?? 'linked' }),
    requestConsent: (v) => api('POST', '/consent-requests', consentApiView, v),
    getConsent: (consentId) => api('GET', `/consents/${encodeURIComponent(consentId)}`, consentApiView),
    registerConsent: (consentId, version) => api('POST', `/consents/${encodeURIComponent(consentId)}/registration`, consentRegistrationResult, { version }),
    describeDataItems: (subsystemCode, items) => api('PUT', `/data-items/${encodeURIComponent(subsystemCode)}`, dataItemsView, { items }),
    dataItems: (subsystemCode) => api('GET', `/data-items/${encodeURIComponent(subsystemCode)}`, dataItemsView),
    close,
  };
}

function safeJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}
