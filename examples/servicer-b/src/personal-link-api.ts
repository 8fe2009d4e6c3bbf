// Personal-Link's RP API (docs/protocols/personal-link-api.md) as servicer B uses it, through
// @jplink/sdk's createPersonalLinkClient: a client-credentials token from Personal-Link's token
// endpoint, cached until shortly before it expires and fetched again once on a 401; answers checked
// against the contracts. Any failure becomes HEALTH_PL_UNAVAILABLE for B's pages.
import { createPersonalLinkClient } from '@jplink/sdk';
import { AppError } from '@jplink/kit';
import { HEALTH_ERRORS as E } from './errors.ts';
import type { PersonalLinkApi } from './partners.ts';

export function createPersonalLinkApi(options: { issuer: string; clientId: string; clientSecret: string }): PersonalLinkApi & { close(): void } {
  // B needs pl:ids (ID完了通知, ID連携完了通知) and pl:consents (許諾情報登録); the operator must have granted both.
  const pl = createPersonalLinkClient({ ...options, scope: 'pl:ids pl:consents' });
  const unavailable = (cause: unknown) => {
    throw new AppError(E.HEALTH_PL_UNAVAILABLE, { cause });
  };
  return {
    notifyIdConversion: (v) => pl.notifyIdConversion(v).catch(unavailable),
    notifyLinked: (v) => pl.notifyLinked(v).catch(unavailable),
    registerConsent: (consentId, version) => pl.registerConsent(consentId, version).catch(unavailable),
    describeDataItems: (subsystemCode, items) => pl.describeDataItems(subsystemCode, items).catch(unavailable),
    close: () => pl.close(),
  };
}
