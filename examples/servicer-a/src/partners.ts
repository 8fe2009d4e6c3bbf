// What servicer A needs from outside: Personal-Link's RP API and B's personal data through A's own
// Security Server. The names follow @jplink/sdk (createPersonalLinkClient, fetchPersonalData); the
// app depends only on these two interfaces, so tests and the devnet pass the real clients in.
import type { ConsentApiView, ConsentRequestBody } from '@jplink/contracts';

/** Failures throw @jplink/sdk's PersonalLinkError (`status`, Personal-Link's `code`). */
export interface PersonalLinkApi {
  /** ID完了通知 */
  notifyIdConversion(v: { baseId: string; localUserId: string }): Promise<unknown>;
  /** ID連携完了通知 */
  notifyLinked(v: { baseId: string; status?: 'linked' | 'unlinked' }): Promise<unknown>;
  /** 許諾依頼: the answer has the approvalUrl. */
  requestConsent(v: ConsentRequestBody): Promise<ConsentApiView>;
  getConsent(consentId: string): Promise<ConsentApiView>;
}

/** Why B's data could not be shown, in the words the page uses. */
export type FetchRefusal = 'consent-required' | 'access-denied' | 'unavailable';

export class PersonalDataRefused extends Error {
  readonly reason: FetchRefusal;
  constructor(reason: FetchRefusal, options?: { cause?: unknown }) {
    super(`personal data refused: ${reason}`, options);
    this.name = 'PersonalDataRefused';
    this.reason = reason;
  }
}

export interface PersonalDataSource {
  /** B's rows for this resident under the purpose; throws PersonalDataRefused when B or JP-Link refuses. */
  fetch(v: { baseId: string; purpose: string }): Promise<{ rows: Record<string, unknown>[]; truncated: boolean }>;
}
