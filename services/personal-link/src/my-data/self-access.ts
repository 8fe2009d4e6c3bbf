// The consent behind My Data: the resident lets Personal-Link itself (its own subsystem, as the
// consumer) read their data at a provider, for the purpose "本人によるデータ閲覧". Such consents are
// ordinary consents (events, receipt, reflection, withdrawal, expiry) with this reserved consumer id,
// which can never be an RP's client id (":" is not allowed there).
export const MY_DATA_CLIENT_ID = 'pl:my-data';
export const MY_DATA_NAME = { ja: 'Personal-Link（マイデータ）', en: 'Personal-Link (My Data)' };
export const MY_DATA_PURPOSE = { code: 'self-access', ja: '本人によるデータ閲覧', en: 'Viewing my own data (My Data)' };
/** How long a My Data consent lasts (the resident may withdraw it at any time). */
export const MY_DATA_PERIOD_MS = 90 * 86400_000;
