// Personal-Link's RP API (docs/protocols/personal-link-api.md) as servicer B uses it: a
// client-credentials token from Personal-Link's token endpoint (openid-client), cached until shortly
// before it expires, then Bearer calls under /api/pl/v1. The same names as @jplink/sdk's
// createPersonalLinkClient, so the app can take either.
import * as client from 'openid-client';
import { AppError } from '@jplink/kit';
import { HEALTH_ERRORS as E } from './errors.ts';
import type { PersonalLinkApi } from './partners.ts';

export function createPersonalLinkApi(oidc: client.Configuration): PersonalLinkApi {
  const origin = new URL(oidc.serverMetadata().issuer).origin;
  let token: { value: string; until: number } | undefined;
  const accessToken = async () => {
    if (token && token.until > Date.now()) return token.value;
    // B needs pl:ids (ID完了通知, ID連携完了通知) and pl:consents (許諾情報登録); the operator must have granted both.
    const answer = await client.clientCredentialsGrant(oidc, { scope: 'pl:ids pl:consents' });
    token = { value: answer.access_token, until: Date.now() + Math.max(0, (answer.expires_in ?? 60) - 30) * 1000 };
    return token.value;
  };
  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    let response: Response;
    try {
      response = await fetch(`${origin}/api/pl/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${await accessToken()}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (cause) {
      throw new AppError(E.HEALTH_PL_UNAVAILABLE, { cause });
    }
    const text = await response.text();
    if (response.status === 401) token = undefined;
    if (!response.ok) throw new AppError(E.HEALTH_PL_UNAVAILABLE, { cause: new Error(`${method} ${path}: HTTP ${response.status} ${text.slice(0, 500)}`) });
    return text ? JSON.parse(text) : null;
  };
  return {
    notifyIdConversion: (v) => call('POST', '/id-conversions', v),
    notifyLinked: (v) => call('POST', '/links', v),
    registerConsent: (consentId, version) => call('POST', `/consents/${encodeURIComponent(consentId)}/registration`, { version }),
  };
}
