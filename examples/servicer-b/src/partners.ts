// What servicer B needs from outside: Personal-Link's RP API (names as in @jplink/sdk's
// createPersonalLinkClient) and its own Adapter Server's admin API. The app depends only on these
// interfaces; server.ts, the devnet and the tests pass real clients in.
import { AppError } from '@jplink/kit';
import { HEALTH_ERRORS as E } from './errors.ts';

export interface PersonalLinkApi {
  /** ID完了通知: B wrote its ID conversion row. */
  notifyIdConversion(v: { baseId: string; localUserId: string }): Promise<unknown>;
  /** ID連携完了通知: the resident's account at B is linked. */
  notifyLinked(v: { baseId: string; status?: 'linked' | 'unlinked' }): Promise<unknown>;
  /** 許諾情報登録: B registered this version of a consent in its own consent table. */
  registerConsent(consentId: string, version: number): Promise<unknown>;
  /** 項目説明: the ja/en labels of B's data items of one Sub System Code, shown to residents instead of the ids. */
  describeDataItems(subsystemCode: string, items: { id: string; label: { ja: string; en: string } }[]): Promise<unknown>;
}

/** A consent as B's Adapter Server holds it (reflected by Personal-Link through JP-Link). */
export interface ReflectedConsent {
  consentId: string;
  baseId: string;
  client: string;
  subsystemCode: string;
  dataItems: string[];
  purpose: string;
  validFrom: string;
  validUntil: string;
  status: 'active' | 'withdrawn';
  version: number;
}

export interface AdapterAdminApi {
  /** Admin API call with the key; JSON in and out. Throws HEALTH_ADAPTER_UNAVAILABLE on a status not in `ok`. */
  call(method: string, path: string, body?: unknown, ok?: number[]): Promise<{ status: number; body: any }>;
  /** The Adapter Server's ID conversion row, so its personal data services map BaseID → user id. */
  putIdConversion(baseId: string, localUserId: string): Promise<void>;
  /** Consents reflected to the Adapter Server for one resident. */
  consents(baseId: string): Promise<ReflectedConsent[]>;
}

/** The Adapter Server's admin API (`/api/v1/…`, Bearer key) over fetch. */
export function createAdapterAdmin(options: { url: string; apiKey: string }): AdapterAdminApi {
  const base = options.url.replace(/\/+$/, '');
  const call: AdapterAdminApi['call'] = async (method, path, body, ok = [200, 201, 204]) => {
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${options.apiKey}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (cause) {
      throw new AppError(E.HEALTH_ADAPTER_UNAVAILABLE, { cause, detail: { method, path } });
    }
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {}
    if (!ok.includes(response.status)) throw new AppError(E.HEALTH_ADAPTER_UNAVAILABLE, { cause: new Error(`${method} ${path}: HTTP ${response.status} ${text.slice(0, 500)}`), detail: { method, path, status: response.status } });
    return { status: response.status, body: parsed };
  };
  return {
    call,
    async putIdConversion(baseId, localUserId) {
      await call('PUT', `/api/v1/id-conversions/${encodeURIComponent(baseId)}`, { localUserId });
    },
    async consents(baseId) {
      return (await call('GET', `/api/v1/consents?baseId=${encodeURIComponent(baseId)}&limit=100`)).body as ReflectedConsent[];
    },
  };
}
