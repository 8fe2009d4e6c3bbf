// Servicer A's two partners through @jplink/sdk (docs/sdk.md): Personal-Link's RP API with a cached
// client-credentials token (createPersonalLinkClient), and B's personal data through A's own
// Security Server over PR-REST (createJpLinkClient + fetchPersonalData). The SDK's typed errors
// become the three reasons the page can tell a resident about.
import {
  AccessDeniedError,
  ConsentRequiredError,
  createJpLinkClient,
  createPersonalLinkClient,
  fetchPersonalData,
  type TlsOptions,
} from '@jplink/sdk';
import { PersonalDataRefused, type PersonalDataSource, type PersonalLinkApi } from './partners.ts';

/** Personal-Link's RP API as A uses it. Failures throw the SDK's PersonalLinkError (`status`, `code`). */
export function createPlApi(options: { issuer: string; clientId: string; clientSecret: string; tls?: TlsOptions }): PersonalLinkApi & { close(): void } {
  // A sends ID完了通知 and ID連携完了通知 (pl:ids) and asks for consent (pl:consents).
  return createPersonalLinkClient({ ...options, scope: 'pl:ids pl:consents' });
}

/** B's rows for a resident, through A's own Security Server, under the consent Personal-Link reflected to B. */
export function createPersonalDataSource(options: { securityServerUrl: string; client: string; provider: string; subsystemCode: string; operation: string; tls?: TlsOptions }): PersonalDataSource & { close(): void } {
  const jplink = createJpLinkClient({ securityServerUrl: options.securityServerUrl, client: options.client, ...(options.tls ? { tls: options.tls } : {}) });
  return {
    async fetch(v) {
      try {
        const { rows, truncated } = await fetchPersonalData(jplink, { provider: options.provider, subsystemCode: options.subsystemCode, operation: options.operation, baseId: v.baseId, purpose: v.purpose });
        return { rows: rows as Record<string, unknown>[], truncated };
      } catch (error) {
        if (error instanceof ConsentRequiredError) throw new PersonalDataRefused('consent-required', { cause: error });
        if (error instanceof AccessDeniedError) throw new PersonalDataRefused('access-denied', { cause: error });
        // Network, X-Road service errors, anything else B answered: "try again later".
        throw new PersonalDataRefused('unavailable', { cause: error });
      }
    },
    close: () => jplink.close(),
  };
}
