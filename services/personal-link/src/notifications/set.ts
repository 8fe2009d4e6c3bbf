// The consent Security Event Token (RFC 8417): one signed JWT per consent event for the data
// consumer, with Personal-Link's active signing key (verifiable with /oidc/jwks), delivered by
// push (RFC 8935 style). It carries ids only: the consent, the parties' client ids, the BaseID.
import { SignJWT } from 'jose';
import { CONSENT_SET_TYPE, consentEventUri, consentNotificationEvent } from '@jplink/contracts';
import type { KeyManager } from '../oidc/keys.ts';
import { activeSigningKey } from '../consent/receipt.ts';
import type { ConsentNotificationPayload } from '../db/schema-notifications.ts';

export async function signConsentSet(
  keys: Pick<KeyManager, 'load'>,
  opts: { issuer: string; eventId: string; audience: string; payload: ConsentNotificationPayload; providerAcknowledged: boolean | null; now: Date },
): Promise<string> {
  const { payload } = opts;
  const { jwk, key } = await activeSigningKey(keys);
  return new SignJWT({
    // RFC 9493 subject identifier: the resident's BaseID (the consumer already holds it).
    sub_id: { format: 'opaque', id: payload.baseId },
    txn: `${payload.consentId}.v${payload.version}`,
    toe: Math.floor(new Date(payload.occurredAt).getTime() / 1000),
    events: {
      // Parsed with the contract the receivers (and @jplink/sdk) check against.
      [consentEventUri(payload.status)]: consentNotificationEvent.parse({
        consentId: payload.consentId,
        version: payload.version,
        status: payload.status,
        previousStatus: payload.previousStatus,
        consumer: payload.consumer,
        provider: payload.provider,
        subsystemCode: payload.subsystemCode,
        occurredAt: payload.occurredAt,
        // For a change the provider must hold: whether its Adapter Server acknowledged this version
        // (false: refused for good, see the consent's reflection status); null when nothing is reflected.
        providerAcknowledged: opts.providerAcknowledged,
      }),
    },
  })
    .setProtectedHeader({ alg: jwk.alg, kid: jwk.kid, typ: CONSENT_SET_TYPE })
    .setIssuer(opts.issuer)
    .setAudience(opts.audience)
    .setIssuedAt(Math.floor(opts.now.getTime() / 1000))
    .setJti(opts.eventId)
    .sign(key);
}
