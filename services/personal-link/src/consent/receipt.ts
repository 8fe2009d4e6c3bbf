// The consent receipt: a JWT signed with Personal-Link's active signing key (the one in /oidc/jwks)
// carrying the Kantara Consent Receipt v1.1 fields, with the ISO/IEC TS 27560 record's parts
// (header: id and schema version; processing: purposes and data; parties; the event that made it).
import { importJWK, SignJWT, type JWK } from 'jose';
import type { KeyManager } from '../oidc/keys.ts';
import type { ConsentRow } from '../db/consents.ts';

export const RECEIPT_TYPE = 'consent-receipt+jwt';
export const RECEIPT_VERSION = 'KI-CR-v1.1.0';

export interface ReceiptParty {
  clientId: string;
  subsystem: string;
  name: { ja: string; en: string };
}

/**
 * The key Personal-Link signs with now (receipts, consent SETs): active keys come first, the default
 * algorithm first, the key oidc-provider signs ID tokens with; its public half is in /oidc/jwks.
 */
export async function activeSigningKey(keys: Pick<KeyManager, 'load'>): Promise<{ jwk: JWK & { kid: string; alg: string }; key: Awaited<ReturnType<typeof importJWK>> }> {
  const material = await keys.load();
  const jwk = material.jwks.keys[0] as JWK & { kid: string; alg: string };
  return { jwk, key: await importJWK(jwk, jwk.alg) };
}

/** Only `load()` is used: callers inside a transaction pass keys loaded before it (see Consents.change). */
export async function issueReceipt(
  keys: Pick<KeyManager, 'load'>,
  opts: { issuer: string; baseUrl: string; consent: ConsentRow; consumer: ReceiptParty; provider: ReceiptParty; givenAt: Date; version: number },
): Promise<string> {
  const { consent, consumer, provider } = opts;
  const { jwk, key } = await activeSigningKey(keys);
  const controller = (p: ReceiptParty) => ({
    piiController: p.name.ja,
    piiControllerName: p.name,
    onBehalf: false,
    contact: p.subsystem,
    piiControllerUrl: null,
    jplink: { clientId: p.clientId, subsystem: p.subsystem },
  });
  const at = Math.floor(opts.givenAt.getTime() / 1000);
  const consentPage = `${opts.baseUrl}/my/consents/${consent.consent_id}`;
  return new SignJWT({
    // Kantara Consent Receipt v1.1
    version: RECEIPT_VERSION,
    jurisdiction: 'JP',
    consentTimestamp: at,
    collectionMethod: 'Personal-Link resident web: the resident approved a consent request of the data consumer',
    consentReceiptID: consent.consent_id,
    language: 'ja',
    piiPrincipalId: consent.base_id,
    piiControllers: [controller(consumer), controller(provider)],
    policyUrl: consentPage,
    services: [
      {
        service: `${provider.subsystem}/${consent.subsystem_code}`,
        purposes: [
          {
            purpose: consent.purpose_ja,
            purposeDescription: { ja: consent.purpose_ja, en: consent.purpose_en },
            purposeCategory: [consent.purpose_code],
            consentType: 'EXPLICIT',
            piiCategory: consent.data_items,
            primaryPurpose: true,
            termination: `${new Date(consent.valid_until).toISOString()} or withdrawal at ${consentPage}`,
            thirdPartyDisclosure: true,
            thirdPartyName: consumer.name.ja,
          },
        ],
      },
    ],
    sensitive: false,
    spiCat: [],
    // ISO/IEC TS 27560 record parts Kantara has no field for
    consentId: consent.consent_id,
    consentVersion: opts.version,
    validFrom: new Date(consent.valid_from).toISOString(),
    validUntil: new Date(consent.valid_until).toISOString(),
    event: { type: 'given', time: opts.givenAt.toISOString(), actor: 'piiPrincipal', method: 'web-form' },
  })
    .setProtectedHeader({ alg: jwk.alg, kid: jwk.kid, typ: RECEIPT_TYPE })
    .setIssuer(opts.issuer)
    .setSubject(consent.base_id)
    .setAudience([consumer.clientId, provider.clientId])
    .setIssuedAt(at)
    .setJti(consent.consent_id)
    .sign(key);
}
